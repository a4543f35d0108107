//! `urna serve`: run the HTTPS/mTLS SOAP server until it is stopped.

use urna_pki::PkiDir;
use urna_server::Settings;

/// Starts the server, prints its endpoints and the station certificates a
/// client can try them with, and serves until stopped.
pub fn run(settings: Settings) -> anyhow::Result<()> {
    urna_server::telemetry::init_logs(settings.log.format, &settings.log.level);
    let rt = actix_web::rt::System::new();
    rt.block_on(async move {
        let pki = PkiDir::new(&settings.tls.pki_dir);
        let listen = settings.server.listen.clone();
        let app = urna_server::Application::build(settings).await?;
        let base = format!(
            "https://{}",
            listen.replace(":0", &format!(":{}", app.port()))
        );
        println!(
            "urna listening on {base} (mutual TLS: station certificates of {})",
            pki.ca_cert().display()
        );
        for p in urna_wire::schemas::PORTS {
            println!("  {base}{}   (WSDL: {base}{}?wsdl)", p.path, p.path);
        }
        println!("  {base}/metrics");
        if let Ok(entries) = std::fs::read_dir(pki.root.join("stations")) {
            let mut crts: Vec<_> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "crt"))
                .collect();
            crts.sort();
            println!("station certificates (key beside each .crt):");
            for c in crts {
                println!("  {}", c.display());
            }
            println!(
                "try: curl --cacert {} --cert <station>.crt --key <station>.key {base}{}?wsdl",
                pki.ca_cert().display(),
                urna_wire::schemas::PORTS[0].path
            );
        }
        app.run_until_stopped().await?;
        Ok(())
    })
}
