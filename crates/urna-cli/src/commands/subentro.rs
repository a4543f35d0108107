//! `urna subentro`: load a comune's electoral takeover files, report their outcome, reset a test load.

use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
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

/// Carries out a `urna subentro` subcommand on the configured database.
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
            let mut tuning = subentro::Tuning::for_backend(store.backend());
            if let Some(n) = chunks_per_commit {
                anyhow::ensure!(n > 0, "--chunks-per-commit must be at least 1");
                tuning.chunks_per_commit = n;
            }
            let bar = progress_bar();
            bar.set_message(format!("loading {}", path.display()));
            let r = subentro::upload_tuned(&store, &comune, kind, &path, tuning, &mut |p| {
                show_progress(&bar, &p, started.elapsed())
            });
            // The last state, as it is, stays on the terminal above the
            // summary or the error.
            bar.abandon();
            let r = r?;
            let secs = started.elapsed().as_secs_f64();
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

/// The upload's progress on stderr: a spinner, and a bar once the file's
/// declared record count is known. indicatif draws nothing when stderr is not
/// a terminal, so piped or captured output carries no progress text.
fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(spinner_style());
    // Progress arrives once per commit, seconds apart on a large file: the
    // tick shows the upload is alive in between. No ticker thread when
    // nothing is drawn.
    if !bar.is_hidden() {
        bar.enable_steady_tick(Duration::from_millis(100));
    }
    bar
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg}").expect("a valid template")
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} [{bar:30}] {msg}")
        .expect("a valid template")
        .progress_chars("=> ")
}

/// Puts a commit's progress on the bar; the first declared record count
/// turns the spinner into a bar.
fn show_progress(bar: &ProgressBar, p: &Progress, elapsed: Duration) {
    if let Some(total) = p.declared.filter(|t| *t > 0) {
        if bar.length() != Some(total) {
            bar.set_length(total);
            bar.set_style(bar_style());
        }
        bar.set_position(p.done.min(total));
    }
    bar.set_message(progress_message(p, elapsed));
}

/// The progress text: records, rate of this run, anomalies and, when the file
/// declares its record count, percentage and ETA.
fn progress_message(p: &Progress, elapsed: Duration) -> String {
    let this_run = p.done.saturating_sub(p.resumed_from);
    let rate = this_run as f64 / elapsed.as_secs_f64().max(1e-3);
    let mut message = format!(
        "{} records, {rate:.0} records/s, {} anomalies",
        p.done, p.anomalies
    );
    if let Some(total) = p.declared.filter(|t| *t > 0) {
        let left = total.saturating_sub(p.done);
        let pct = (p.done.min(total) as f64) * 100.0 / total as f64;
        message.push_str(&format!(", {pct:.0}% of {total}"));
        if rate > 0.0 {
            let eta = (left as f64 / rate).round() as u64;
            message.push_str(&format!(", ETA {}:{:02}", eta / 60, eta % 60));
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use indicatif::ProgressBar;
    use urna_service::subentro::Progress;

    use super::{bar_style, progress_message, show_progress, spinner_style};

    fn progress(done: u64, resumed_from: u64, declared: Option<u64>) -> Progress {
        Progress {
            done,
            anomalies: 3,
            declared,
            resumed_from,
        }
    }

    #[test]
    fn the_message_gives_records_rate_and_anomalies() {
        assert_eq!(
            progress_message(&progress(5_000, 0, None), Duration::from_secs(10)),
            "5000 records, 500 records/s, 3 anomalies"
        );
        // A declared count of zero gives no percentage.
        assert_eq!(
            progress_message(&progress(5_000, 0, Some(0)), Duration::from_secs(10)),
            "5000 records, 500 records/s, 3 anomalies"
        );
    }

    /// The rate counts this run's records only: those a resumed run skipped
    /// took no time.
    #[test]
    fn a_declared_count_adds_percentage_and_eta_at_this_runs_rate() {
        assert_eq!(
            progress_message(
                &progress(30_000, 10_000, Some(100_000)),
                Duration::from_secs(10)
            ),
            "30000 records, 2000 records/s, 3 anomalies, 30% of 100000, ETA 0:35"
        );
        assert_eq!(
            progress_message(&progress(1_000, 0, Some(300_000)), Duration::from_secs(1)),
            "1000 records, 1000 records/s, 3 anomalies, 0% of 300000, ETA 4:59"
        );
        // Nothing done yet in this run: no rate, so no ETA.
        assert_eq!(
            progress_message(
                &progress(10_000, 10_000, Some(20_000)),
                Duration::from_secs(5)
            ),
            "10000 records, 0 records/s, 3 anomalies, 50% of 20000"
        );
        // More records than declared: capped at 100%, nothing left.
        assert_eq!(
            progress_message(&progress(120, 0, Some(100)), Duration::from_secs(1)),
            "120 records, 120 records/s, 3 anomalies, 100% of 100, ETA 0:00"
        );
    }

    /// The styles' templates are constants; a typo would panic at run time.
    #[test]
    fn the_templates_parse() {
        spinner_style();
        bar_style();
    }

    #[test]
    fn a_declared_count_turns_the_spinner_into_a_bar() {
        let bar = ProgressBar::hidden();
        let elapsed = Duration::from_secs(1);
        show_progress(&bar, &progress(1_000, 0, None), elapsed);
        assert_eq!((bar.length(), bar.position()), (None, 0));
        assert_eq!(bar.message(), "1000 records, 1000 records/s, 3 anomalies");
        show_progress(&bar, &progress(2_000, 0, Some(4_000)), elapsed);
        assert_eq!((bar.length(), bar.position()), (Some(4_000), 2_000));
        assert!(
            bar.message().ends_with("50% of 4000, ETA 0:01"),
            "{}",
            bar.message()
        );
        show_progress(&bar, &progress(5_000, 0, Some(4_000)), elapsed);
        assert_eq!(bar.position(), 4_000);
    }
}
