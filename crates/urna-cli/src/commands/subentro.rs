//! `urna subentro`: load a comune's electoral takeover files, report their outcome, reset a test load.

use std::path::PathBuf;

use clap::Subcommand;
use urna_server::Settings;
use urna_service::subentro::{self, FileKind, Progress};
use urna_store::subentro::JobState;

use crate::common::open_store;

#[derive(Subcommand)]
pub enum SubentroCommand {
    /// Load a takeover file (plain or gzip XML); an interrupted upload of the
    /// same file resumes where it stopped.
    Upload {
        #[arg(long)]
        comune: String,
        #[arg(long, conflicts_with = "liste", required_unless_present = "liste")]
        sezioni: Option<PathBuf>,
        #[arg(long)]
        liste: Option<PathBuf>,
        /// Chunks of 1,000 records per transaction (default: 64 on SQLite,
        /// 4 on PostgreSQL). Progress is acknowledged, and a resumed upload
        /// restarts, at these boundaries.
        #[arg(long)]
        chunks_per_commit: Option<usize>,
    },
    /// Print the outcome of the comune's uploads (jobs, anomalies, notifications, R-T4).
    Report {
        #[arg(long)]
        comune: String,
    },
    /// Test profile only (subentro.allow_reset): forget the comune's lists
    /// upload so it can be loaded again; sections are kept.
    Reset {
        #[arg(long)]
        comune: String,
    },
}

pub fn run(settings: &Settings, command: SubentroCommand) -> anyhow::Result<()> {
    let store = open_store(settings)?;
    match command {
        SubentroCommand::Upload {
            comune,
            sezioni,
            liste,
            chunks_per_commit,
        } => {
            let (kind, path) = match (sezioni, liste) {
                (Some(p), None) => (FileKind::Sezioni, p),
                (None, Some(p)) => (FileKind::Liste, p),
                _ => anyhow::bail!("give exactly one of --sezioni FILE, --liste FILE"),
            };
            let started = std::time::Instant::now();
            let mut last = std::time::Instant::now();
            let mut tuning = subentro::Tuning::for_backend(store.backend());
            if let Some(n) = chunks_per_commit {
                anyhow::ensure!(n > 0, "--chunks-per-commit must be at least 1");
                tuning.chunks_per_commit = n;
            }
            let r = subentro::upload_tuned(&store, &comune, kind, &path, tuning, &mut |p| {
                if last.elapsed().as_millis() >= 500 {
                    last = std::time::Instant::now();
                    eprint!("\r{}   ", progress_line(&p, started.elapsed()));
                }
            })?;
            let secs = started.elapsed().as_secs_f64();
            eprintln!();
            println!(
                "job {}: {} records ({} resumed), {} loaded, {} anomalies in {:.1}s ({:.0} records/s)",
                r.job_id,
                r.records,
                r.resumed_from,
                r.loaded,
                r.anomalies,
                secs,
                (r.records - r.resumed_from) as f64 / secs.max(1e-3)
            );
        }
        SubentroCommand::Reset { comune } => {
            anyhow::ensure!(
                settings.subentro.allow_reset,
                "subentro reset is disabled in this profile (subentro.allow_reset = false), as in ANPR's production"
            );
            let n = store.write(|c| urna_store::subentro::reset_lists(c, &comune))?;
            println!("lists upload of {comune} forgotten: {n} electors removed; sections kept");
        }
        SubentroCommand::Report { comune } => {
            store.read(|c| {
                for kind in ["sezioni", "liste"] {
                    for j in urna_store::subentro::jobs(c, &comune, kind)? {
                        println!(
                            "job {} {kind}: {} ({} records, {} loaded, {} anomalies, declared {:?})",
                            j.id, j.state().as_str(), j.records_done, j.loaded, j.anomalies, j.declared
                        );
                        if let Some(e) = &j.error {
                            println!("  failed, rolled back: {e}");
                        }
                        for a in urna_store::subentro::anomalies(c, j.id)?.iter().take(100) {
                            println!(
                                "  record {} subject {}: {} {} [{}={}]",
                                a.record_no,
                                a.id_soggetto.as_deref().unwrap_or("-"),
                                a.code,
                                a.text,
                                a.field.as_deref().unwrap_or(""),
                                a.value.as_deref().unwrap_or("")
                            );
                        }
                        if kind == "liste" && j.state() == JobState::Done {
                            let since = j.finished_at.unwrap_or(0);
                            let s5011 = urna_store::subentro::accepted_since(c, &comune, "5011", since)?;
                            let s5010 = urna_store::subentro::accepted_since(c, &comune, "5010", since)?;
                            println!("  R-T4 after the takeover: 5011 {}, 5010 {}", if s5011 { "done" } else { "missing" }, if s5010 { "done" } else { "missing" });
                        }
                    }
                }
                for n in urna_store::subentro::notifications_for(c, &comune)? {
                    println!("notification {} {}: subject {} also first-loaded by {}", n.id, n.code, n.id_soggetto, n.other_comune);
                }
                Ok(())
            })?;
        }
    }
    Ok(())
}

/// One line of the upload progress display: records, rate, anomalies and,
/// when the file declares its record count, percentage and ETA.
fn progress_line(p: &Progress, elapsed: std::time::Duration) -> String {
    let this_run = p.done.saturating_sub(p.resumed_from);
    let rate = this_run as f64 / elapsed.as_secs_f64().max(1e-3);
    let mut line = format!(
        "{} records, {rate:.0} records/s, {} anomalies",
        p.done, p.anomalies
    );
    if let Some(total) = p.declared.filter(|t| *t > 0) {
        let left = total.saturating_sub(p.done);
        let pct = (p.done.min(total) as f64) * 100.0 / total as f64;
        line.push_str(&format!(", {pct:.0}% of {total}"));
        if rate > 0.0 {
            let eta = (left as f64 / rate).round() as u64;
            line.push_str(&format!(", ETA {}:{:02}", eta / 60, eta % 60));
        }
    }
    line
}
