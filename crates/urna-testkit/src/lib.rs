//! Test and benchmark support: start the real server on port 0 with a fresh
//! database and a freshly minted PKI, and talk to it over mutual TLS.
#![forbid(unsafe_code)]

pub mod tsa;

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use urna_pki::{Ca, Issued, PkiDir};
use urna_security::wss::{ClientSigner, Operator, SigningKey};
use urna_server::{Application, Settings};
use urna_store::testing::TestDb;

/// Installs aws-lc-rs as rustls' process default (idempotent).
pub fn install_crypto_provider() {
    urna_security::wss::init_openssl();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// An mTLS HTTP client presenting `identity` (or none) and trusting `ca_pem`.
pub fn client(ca_pem: &str, identity: Option<&Issued>) -> anyhow::Result<reqwest::Client> {
    install_crypto_provider();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c?)?;
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots);
    let mut config = match identity {
        Some(id) => {
            let chain = CertificateDer::pem_slice_iter(id.cert_pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()?;
            let key = PrivateKeyDer::from_pem_slice(id.key_pem.as_bytes())?;
            builder.with_client_auth_cert(chain, key)?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .pool_max_idle_per_host(64)
        .build()?)
}

/// A running server with its own database and PKI.
pub struct TestApp {
    pub port: u16,
    pub base: String,
    pub ca: Ca,
    pub pki: PkiDir,
    pub db: TestDb,
    /// Where the server signs the audit chain's heads.
    pub heads_file: std::path::PathBuf,
    server: actix_web::dev::ServerHandle,
    _dir: tempfile::TempDir,
}

/// Starts the server on 127.0.0.1:0 with the demo world on `db`.
pub async fn spawn_app_on(db: TestDb) -> TestApp {
    spawn_app_with(db, |_| {}).await
}

/// Same, letting the caller adjust the settings.
pub async fn spawn_app_with(db: TestDb, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    install_crypto_provider();
    if std::env::var_os("TEST_LOG").is_some() {
        urna_server::telemetry::init_logs(urna_server::config::LogFormat::Text, "info");
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let pki = PkiDir::new(dir.path().join("pki"));
    let mut settings = Settings::default();
    settings.server.listen = "127.0.0.1:0".into();
    settings.server.workers = 2;
    settings.database.url = db.url.clone();
    settings.database.pool_size = 4;
    settings.tls.pki_dir = pki.root.clone();
    settings.tls.auto_init_pki = true;
    settings.demo.load = true;
    settings.subentro.upload_dir = dir.path().join("uploads");
    settings.extraction.dir = dir.path().join("extractions");
    settings.audit.heads_file = dir.path().join("audit-heads.jsonl");
    settings.security.verbose_faults = true;
    // Quotas that tests do not reach (the rate-limit tests set their own).
    settings.rate_limit.station.per_sec = 1e6;
    settings.rate_limit.station.burst = 1_000_000;
    settings.rate_limit.comune.per_sec = 1e6;
    settings.rate_limit.comune.burst = 1_000_000;
    tweak(&mut settings);
    let pki = PkiDir::new(&settings.tls.pki_dir);
    let heads_file = settings.audit.heads_file.clone();
    let app = Application::build(settings).await.expect("server builds");
    let port = app.port();
    let server = app.handle();
    tokio::spawn(app.run_until_stopped());
    let ca = pki.load_ca().expect("CA");
    TestApp {
        port,
        base: format!("https://127.0.0.1:{port}"),
        ca,
        pki,
        db,
        heads_file,
        server,
        _dir: dir,
    }
}

/// Starts the server on a fresh SQLite database.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(TestDb::sqlite()).await
}

/// A SOAP response: HTTP status and body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    /// A Risposta_Comune / Risposta3008_OK with esitoOperazione 0000.
    pub fn is_ok(&self) -> bool {
        self.body
            .contains("<esitoOperazione>0000</esitoOperazione>")
    }

    pub fn is_fault(&self) -> bool {
        self.status == 500 && self.body.contains("<soap:Fault>")
    }

    /// The `u:reason` of a fault.
    pub fn fault_reason(&self) -> Option<&str> {
        let start = self.body.find("<u:reason>")? + "<u:reason>".len();
        let end = self.body[start..].find('<')?;
        Some(&self.body[start..start + end])
    }

    /// The codes of a rispostaKO, in order.
    pub fn codes(&self) -> Vec<&str> {
        self.body
            .match_indices("<codiceErroreAnomalia>")
            .map(|(i, m)| {
                let s = &self.body[i + m.len()..];
                &s[..s.find('<').unwrap_or(0)]
            })
            .collect()
    }
}

/// Sends requests: a bare HTTP client sends them as they are; a
/// [`StationClient`] signs them first with its station's key.
pub trait Sender {
    fn http(&self) -> &reqwest::Client;
    fn prepare(&self, body: String) -> String {
        body
    }
}

impl Sender for reqwest::Client {
    fn http(&self) -> &reqwest::Client {
        self
    }
}

/// An mTLS client of one station that signs every SOAP request with the
/// security frame (ANPR profile), with the same certificate as its TLS
/// identity.
pub struct StationClient {
    pub http: reqwest::Client,
    pub signer: ClientSigner,
}

impl std::ops::Deref for StationClient {
    type Target = reqwest::Client;
    fn deref(&self) -> &reqwest::Client {
        &self.http
    }
}

impl Sender for StationClient {
    fn http(&self) -> &reqwest::Client {
        &self.http
    }
    /// Signs `body`; what is not a SOAP envelope (bad-input probes) goes
    /// as it is.
    fn prepare(&self, body: String) -> String {
        sign_off_thread(&self.signer, body)
    }
}

type SignJob = (ClientSigner, String, std::sync::mpsc::SyncSender<String>);

/// Signs on one long-lived thread of the test kit, not on the test's own
/// thread, so that no OpenSSL thread-local state is destroyed while the test
/// process exits (why: `urna_security::wss::init_openssl`).
fn sign_off_thread(signer: &ClientSigner, body: String) -> String {
    static THREAD: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<SignJob>>> =
        std::sync::OnceLock::new();
    let tx = THREAD.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<SignJob>();
        std::thread::Builder::new()
            .name("urna-testkit-signer".into())
            .spawn(move || {
                for (signer, body, reply) in rx {
                    let signed = signer
                        .sign(&body, time::OffsetDateTime::now_utc())
                        .unwrap_or(body);
                    let _ = reply.send(signed);
                }
            })
            .expect("signing thread");
        std::sync::Mutex::new(tx)
    });
    let (reply, answer) = std::sync::mpsc::sync_channel(1);
    tx.lock()
        .unwrap_or_else(|p| p.into_inner())
        .send((signer.clone(), body, reply))
        .expect("signing thread alive");
    answer.recv().expect("signed")
}

/// The operator the test kit signs as.
pub const TEST_OPERATOR: &str = "RSSMRA80A01H501U";

/// A signer for `issued` (a station certificate and its RSA key).
pub fn signer_for(issued: &Issued) -> anyhow::Result<ClientSigner> {
    let key = SigningKey::from_pem(issued.cert_pem.as_bytes(), issued.key_pem.as_bytes())?;
    let cn = urna_pki::station_cert_pem(&issued.cert_pem)?.station.cn();
    Ok(ClientSigner::anpr(
        key,
        &cn,
        Operator {
            codice_fiscale: TEST_OPERATOR.into(),
            application: "urna-testkit".into(),
        },
    ))
}

impl TestApp {
    /// A station certificate for `istat` issued by the test CA.
    pub fn station(&self, istat: &str) -> Issued {
        self.ca
            .issue_station_default(&format!("{istat}-PC-0001").parse().expect("CN"))
            .expect("station certificate")
    }

    /// A client presenting a fresh station certificate of `istat`
    /// (`<istat>-PC-0001`) and signing its SOAP requests with it.
    pub fn client_for(&self, istat: &str) -> StationClient {
        self.client_as(istat, TEST_OPERATOR)
    }

    /// Same, signing as operator `codice_fiscale` (the SAML NameID).
    pub fn client_as(&self, istat: &str, codice_fiscale: &str) -> StationClient {
        let issued = self.station(istat);
        let mut signer = signer_for(&issued).expect("signer");
        signer.operator.codice_fiscale = codice_fiscale.into();
        StationClient {
            http: client(self.ca.cert_pem(), Some(&issued)).expect("client"),
            signer,
        }
    }

    /// Stops the server gracefully (as on SIGTERM); it then signs its last
    /// audit head.
    pub async fn stop(&self) {
        self.server.stop(true).await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// POSTs a SOAP envelope to `path` with `client`.
    pub async fn post_with(
        &self,
        client: &impl Sender,
        path: &str,
        body: impl Into<String>,
    ) -> Reply {
        let body = client.prepare(body.into());
        post(client.http(), self.url(path), body).await
    }

    /// POSTs envelopes (as they are) to `path` all at once, each from a task
    /// of its own, so that they reach the server together; the replies in
    /// the order of `bodies`.
    pub async fn post_concurrently(
        &self,
        client: &reqwest::Client,
        path: &str,
        bodies: Vec<String>,
    ) -> Vec<Reply> {
        let tasks: Vec<_> = bodies
            .into_iter()
            .map(|body| {
                let (client, url) = (client.clone(), self.url(path));
                tokio::spawn(async move { post(&client, url, body).await })
            })
            .collect();
        let mut replies = Vec::with_capacity(tasks.len());
        for t in tasks {
            replies.push(t.await.expect("request task"));
        }
        replies
    }
}

async fn post(client: &reqwest::Client, url: String, body: String) -> Reply {
    let r = client
        .post(url)
        .header("Content-Type", "text/xml; charset=UTF-8")
        .header("SOAPAction", "\"\"")
        .body(body)
        .send()
        .await
        .expect("request sent");
    Reply {
        status: r.status().as_u16(),
        body: r.text().await.expect("body"),
    }
}

/// Endpoint paths of the three ports (docs/anpr-interface.md §Endpoints).
pub const P5000: &str = "/ANPR5000ServiziMutazione/AnprService5000";
pub const P3000: &str = "/ANPR3000ServiziConsultazione/AnprService3000";
pub const P2000: &str = "/ANPR2000ServiziCancellazione/AnprService2000";
pub const P6001: &str = "/ANPR6001ServizioCertificazione/AnprService6001";
