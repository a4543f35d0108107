//! `urna export`: a comune's electoral data in the takeover formats (and a
//! CSV), to reload into another urna or reconcile a gestionale's database.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use urna_server::Settings;
use urna_service::export::Flavour;
use urna_service::Services;

use crate::common::open_store;

#[derive(Args)]
pub struct ExportArgs {
    /// The comune's ISTAT code.
    #[arg(long)]
    comune: String,
    /// Directory written into (created if missing): subentroSezioni-<ISTAT>.xml.gz,
    /// subentroListe-<ISTAT>.xml.gz and elettori-<ISTAT>.csv.
    #[arg(long, default_value = ".")]
    out: PathBuf,
}

pub fn run(settings: &Settings, args: ExportArgs) -> anyhow::Result<()> {
    let services = Services::new(
        std::sync::Arc::new(open_store(settings)?),
        settings.header_policy(),
    );
    std::fs::create_dir_all(&args.out)?;
    for flavour in Flavour::ALL {
        let path = args.out.join(flavour.file_name(&args.comune));
        let mut file = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&path)?);
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar.set_message(path.display().to_string());
        let started = Instant::now();
        let counts = services.export_file(
            "cli",
            "local",
            &args.comune,
            flavour,
            &mut file,
            &mut |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            },
        )?;
        file.flush()?;
        bar.finish_and_clear();
        let secs = started.elapsed().as_secs_f64();
        let rate = counts.records as f64 / secs.max(1e-6);
        let cancelled = match (flavour, counts.cancelled) {
            (_, 0) => String::new(),
            (Flavour::Liste, n) => format!(", {n} cancelled left out (they are in the CSV)"),
            (_, n) => format!(", {n} cancelled"),
        };
        println!(
            "{}: {} records in {secs:.1} s ({rate:.0}/s){cancelled}",
            path.display(),
            counts.records
        );
    }
    Ok(())
}
