//! Configuration: `config/urna.toml` (or another file) overlaid by `URNA_*`
//! environment variables (`URNA_SERVER__LISTEN`, `URNA_DATABASE__URL`, …; the
//! short `URNA_DATABASE_URL` is accepted too).

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub tls: TlsSettings,
    pub header: HeaderSettings,
    pub demo: DemoSettings,
    pub subentro: SubentroSettings,
    pub security: SecuritySettings,
    pub audit: AuditSettings,
    pub certificates: CertificateSettings,
    pub extraction: ExtractionSettings,
    pub retention: RetentionSettings,
    pub alerts: AlertSettings,
    pub rate_limit: crate::ratelimit::RateLimitSettings,
    pub log: LogSettings,
}

/// The alert rules over the audit log (docs/operations.md, "Alerts").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AlertSettings {
    /// Evaluate the rules on this node (several nodes may: each alert is
    /// stored once).
    pub enabled: bool,
    /// The rules (`config/alerts.toml`'s format); empty: the rules shipped
    /// in `config/alerts.toml`, built in.
    pub rules_file: Option<PathBuf>,
    /// How often the new audit entries are evaluated.
    pub every_secs: u64,
    /// Each alert stored is also POSTed here as JSON (unset: not sent).
    pub webhook_url: Option<String>,
}

/// What urna keeps only for a while (docs/operations.md, "Retention").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RetentionSettings {
    /// Remembered requests and replies (idempotency, 3003, 4005) are
    /// deleted this many days after their operation; 0 keeps them.
    pub idempotency_days: u64,
    /// Takeover upload files a stopped node left behind are deleted after
    /// this many hours; 0 keeps them.
    pub upload_hours: u64,
    /// How often the sweeper runs; 0 turns it off.
    pub sweep_every_secs: u64,
}

/// The 4001 extractions (docs/anpr-interface.md, "4000").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExtractionSettings {
    /// Run waiting extractions on this node.
    pub enabled: bool,
    /// Where the files are written (shared by every node that serves 7002).
    pub dir: PathBuf,
    /// How often an idle worker looks for a waiting job.
    pub poll_ms: u64,
    /// A job claimed without progress for this long (its node stopped) is
    /// taken over and run again.
    pub lease_secs: u64,
    /// Ended jobs and their files are deleted after this many days (each
    /// deletion audited); 0 keeps them.
    pub keep_days: u64,
}

/// The electoral certificates of 6001 (docs/certificates.md).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CertificateSettings {
    /// Issue certificates; off, 6001 answers the fault `certificate-failed`.
    pub enabled: bool,
    /// The electronic seal's certificate and key (PEM); default the dev
    /// PKI's `seal.crt` and `seal.key`. Production configures a qualified seal.
    pub seal_cert: Option<PathBuf>,
    pub seal_key: Option<PathBuf>,
    /// The CA (PEM) the seal chains to, which the verification page checks
    /// it against; default the dev PKI's `ca.crt`.
    pub seal_ca: Option<PathBuf>,
    /// The public verification page the contrassegno leads to, without the
    /// certificate id; empty = `<server.public_url or https://listen>/verifica`.
    pub verify_url: String,
    /// How long an issued certificate is kept (6 months: docs/decisions.md).
    pub validity_days: u32,
    /// How often expired certificates are deleted (0 = never).
    pub sweep_every_secs: u64,
    /// How an OK reply that carries the PDF is sent: MTOM/XOP or inline
    /// base64 (docs/anpr-interface.md §6001).
    pub mtom: MtomMode,
    /// Time-stamp every seal (PAdES baseline B-T) with the authority of the
    /// audit heads (`audit.tsa_url`, tokens checked against
    /// `audit.tsa_cert` when set). A 6001 whose seal cannot be time-stamped
    /// fails (`certificate-failed`) instead of issuing a B-B seal. Off: B-B.
    pub timestamp: bool,
}

/// When a 6001 reply carrying a PDF goes out as MTOM/XOP
/// (`multipart/related`, the PDF a binary part) rather than as `text/xml`
/// with the PDF inline in base64. Either way the signed envelope is the
/// same (docs/decisions.md).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MtomMode {
    /// MTOM, as ANPR answers, unless the request's `Accept` header admits
    /// neither `multipart/related` nor `application/xop+xml`
    /// (`soap::wants_mtom`).
    Auto,
    /// MTOM whatever the request accepts.
    Always,
    /// Inline base64 always.
    Never,
}

/// The tamper-evident audit log's signed heads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditSettings {
    /// Where signed chain heads are appended (one JSON line each).
    pub heads_file: PathBuf,
    /// How often the server signs the head when it moved (0 = only by
    /// entries, at start-up and at shutdown).
    pub sign_every_secs: u64,
    /// Sign the head as soon as this many entries are not covered (0 = off).
    pub sign_every_entries: u64,
    /// RFC 3161 time-stamping authority (HTTP POST of a TimeStampReq); each
    /// signed head carries its token. Empty = none.
    pub tsa_url: String,
    /// The TSA's certificate or CA (PEM): tokens are checked against it as
    /// they arrive and by `urna audit verify`, which then requires one on
    /// every head.
    pub tsa_cert: Option<PathBuf>,
    /// Largest distance between a head's signing time and its token's time.
    pub tsa_max_skew_secs: i64,
}

/// The security frame (docs/security.md): WS-Security on every SOAP request,
/// signed responses.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SecuritySettings {
    /// Refuse SOAP requests without a valid security frame. Only a local
    /// experiment should turn this off (requests then carry just the TLS
    /// identity, recorded with `auth_mode = tls`).
    pub require_signature: bool,
    /// Put the precise cause of a security refusal in the fault (the
    /// local-testing profile); when false only the reason code and the
    /// correlation id go out, and the cause stays in the log.
    pub verbose_faults: bool,
    /// Sign every response (Timestamp + Body) with the service key.
    pub sign_responses: bool,
    /// `rsa-sha1` (the algorithm of every ANPR example, so what gestionali verify
    /// today) or `rsa-sha256`.
    pub response_algorithm: urna_security::wss::SignatureAlg,
    /// How responses name urna's key: `binary-security-token` (verifiable by
    /// WSS4J, zeep, xmlsec1), `x509-data` or `issuer-serial`.
    pub response_key_info: urna_security::wss::sign::KeyInfoForm,
    /// Lifetime of the response Timestamp, seconds.
    pub response_ttl_secs: i64,
    /// Service signing certificate and key; default
    /// `<pki_dir>/service-signing.{crt,key}`.
    pub signing_cert: Option<PathBuf>,
    pub signing_key: Option<PathBuf>,
    /// What inbound verification accepts.
    pub policy: urna_security::wss::Policy,
    /// Serve SAML operators that are not registered for the comune
    /// (`urna operators`): the local-testing profile; off in production,
    /// where an unknown operator gets the policy fault `operator-unknown`.
    /// Registered operators always need their profile.
    pub allow_unknown_operators: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SubentroSettings {
    /// Allow `urna subentro reset` (ANPR offers it in Test only).
    pub allow_reset: bool,
    /// Where uploaded takeover files are spooled while they load.
    pub upload_dir: PathBuf,
    /// Largest accepted takeover file, in bytes.
    pub max_upload_bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServerSettings {
    /// Address to listen on (port 0 picks a free port).
    pub listen: String,
    /// Base URL written into served WSDLs; empty = derived from the request.
    pub public_url: String,
    /// HTTP/TLS worker threads (0 = auto: half the cores, at least one).
    pub workers: usize,
    /// Threads running the XML gate and the database transaction (0 = auto:
    /// one on SQLite, whose writes are serialised anyway, so extra threads only
    /// add lock hand-offs; twice the cores on PostgreSQL).
    pub request_threads: usize,
    /// Gate threads: parse, WS-Security verification, XSD, and the signing
    /// of answers (0 = auto: one per core).
    pub gate_threads: usize,
    /// Most requests a request thread runs in one transaction, a savepoint each
    /// (0 = auto: 64 on SQLite, where the shared commit is the big win; 1 on
    /// PostgreSQL, where concurrent batches on the same rows would deadlock
    /// and the server groups commits itself).
    pub max_batch: usize,
    /// Largest accepted SOAP request, in bytes.
    pub max_body_bytes: usize,
    /// Requests of one station inside the pipeline (gate, database,
    /// signing) at once; more wait at the HTTP layer (0 = auto: two per
    /// gate thread).
    pub max_in_flight_per_station: usize,
    /// Pre-scan limits, flat in `[server]` (`max_depth`, `max_elements`,
    /// `max_attributes`, `max_namespaces`, `max_total_attributes`,
    /// `max_total_namespaces`, `max_name_bytes`, `max_text_bytes`; see
    /// `urna_security::prescan::Limits`).
    #[serde(flatten)]
    pub prescan: urna_security::prescan::Limits,
}

#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct DatabaseSettings {
    /// `sqlite://path` or `postgres://…`.
    pub url: String,
    pub pool_size: u32,
}

impl DatabaseSettings {
    /// The URL as it may be shown: a password in it is replaced by `***`.
    pub fn url_for_display(&self) -> String {
        redact_password(&self.url)
    }
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &self.url_for_display())
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

/// `scheme://user:secret@host/db` → `scheme://user:***@host/db`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TlsSettings {
    /// The development PKI directory (`urna pki init` layout).
    pub pki_dir: PathBuf,
    /// Create the development PKI when it is missing (local-testing profile).
    pub auto_init_pki: bool,
    /// Station CA bundle; default `<pki_dir>/ca.crt`.
    pub client_ca: Option<PathBuf>,
    /// Server certificate chain and key; default `<pki_dir>/server.{crt,key}`.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// CRLs of the station CA (PEM); default `<pki_dir>/crl.pem` when present.
    pub crl: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HeaderSettings {
    /// `tipoInvio` this environment accepts (`TEST`, `PRE_SUB`, `PROD`).
    pub tipo_invio: String,
    /// `codDestinatario` version tags accepted.
    pub accepted_versions: Vec<String>,
    /// Largest distance of `dataOraRichiesta` from the server clock, in seconds.
    pub max_clock_skew_secs: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DemoSettings {
    /// Load the demo world at start-up (idempotent).
    pub load: bool,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line (for log collectors).
    Json,
    /// Human-readable lines.
    Text,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogSettings {
    pub format: LogFormat,
    /// tracing filter, e.g. `info` or `urna_server=debug,info`.
    pub level: String,
}

/// A misspelt key in the configuration file is an error at start-up, not a
/// setting silently left at its default. (serde's `deny_unknown_fields`
/// cannot be used: the pre-scan limits are flattened into `[server]`.) The
/// known keys are those of the serialized defaults, optional ones included.
fn refuse_unknown_keys(file: &Path) -> Result<(), figment::Error> {
    use figment::value::{Dict, Value};
    let given: Dict = Figment::from(Toml::file_exact(file)).extract()?;
    let known = Value::serialize(Settings::default())?;
    fn walk(given: &Dict, known: &Value, at: &str, unknown: &mut Vec<String>) {
        for (k, v) in given {
            let path = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            match known.as_dict().and_then(|d| d.get(k)) {
                None => unknown.push(path),
                Some(kv) => {
                    if let (Some(sub), Some(_)) = (v.as_dict(), kv.as_dict()) {
                        walk(sub, kv, &path, unknown);
                    }
                }
            }
        }
    }
    let mut unknown = Vec::new();
    walk(&given, &known, "", &mut unknown);
    if unknown.is_empty() {
        return Ok(());
    }
    Err(figment::Error::from(format!(
        "{}: unknown configuration key{} {} (misspelt? every key is listed in config/urna.toml)",
        file.display(),
        if unknown.len() > 1 { "s" } else { "" },
        unknown.join(", ")
    )))
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            server: ServerSettings {
                listen: "127.0.0.1:8443".into(),
                public_url: String::new(),
                workers: 0,
                request_threads: 0,
                gate_threads: 0,
                max_batch: 0,
                max_body_bytes: 48 * 1024,
                max_in_flight_per_station: 0,
                prescan: Default::default(),
            },
            database: DatabaseSettings {
                url: "sqlite://var/urna.db".into(),
                pool_size: 8,
            },
            tls: TlsSettings {
                pki_dir: "var/pki".into(),
                auto_init_pki: false,
                client_ca: None,
                cert: None,
                key: None,
                crl: None,
            },
            header: HeaderSettings {
                tipo_invio: "TEST".into(),
                accepted_versions: vec!["ANPR03".into(), "ANPR04".into(), "ANPR05".into()],
                max_clock_skew_secs: 24 * 3600,
            },
            demo: DemoSettings { load: false },
            alerts: AlertSettings {
                enabled: true,
                rules_file: None,
                every_secs: 10,
                webhook_url: None,
            },
            retention: RetentionSettings {
                idempotency_days: 180,
                upload_hours: 24,
                sweep_every_secs: 3600,
            },
            extraction: ExtractionSettings {
                enabled: true,
                dir: "var/extractions".into(),
                poll_ms: 1000,
                lease_secs: 60,
                keep_days: 7,
            },
            subentro: SubentroSettings {
                allow_reset: false,
                upload_dir: "var/uploads".into(),
                max_upload_bytes: 8 << 30,
            },
            security: SecuritySettings {
                require_signature: true,
                verbose_faults: false,
                sign_responses: true,
                response_algorithm: urna_security::wss::SignatureAlg::RsaSha1,
                response_key_info: urna_security::wss::sign::KeyInfoForm::BinarySecurityToken,
                response_ttl_secs: 300,
                signing_cert: None,
                signing_key: None,
                policy: urna_security::wss::Policy::default(),
                allow_unknown_operators: false,
            },
            audit: AuditSettings {
                heads_file: "var/audit-heads.jsonl".into(),
                sign_every_secs: 60,
                sign_every_entries: 1000,
                tsa_url: String::new(),
                tsa_cert: None,
                tsa_max_skew_secs: 300,
            },
            certificates: CertificateSettings {
                enabled: true,
                seal_cert: None,
                seal_key: None,
                seal_ca: None,
                verify_url: String::new(),
                validity_days: 183,
                sweep_every_secs: 3600,
                mtom: MtomMode::Auto,
                timestamp: false,
            },
            rate_limit: crate::ratelimit::RateLimitSettings::default(),
            log: LogSettings {
                format: LogFormat::Json,
                level: "info".into(),
            },
        }
    }
}

impl Settings {
    /// Defaults, then `file` (if given and present), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, figment::Error> {
        let mut f = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            refuse_unknown_keys(file)?;
            f = f.merge(Toml::file_exact(file));
        }
        f.merge(Env::prefixed("URNA_").split("__").ignore(&["database_url"]))
            .merge(
                Env::raw()
                    .only(&["URNA_DATABASE_URL"])
                    .map(|_| "database.url".into()),
            )
            .extract()
    }

    fn cores() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    }

    /// HTTP/TLS workers to start.
    pub fn effective_workers(&self) -> usize {
        match self.server.workers {
            0 => (Self::cores() / 2).max(1),
            n => n,
        }
    }

    /// Request threads to start.
    pub fn effective_request_threads(&self) -> usize {
        match self.server.request_threads {
            0 if self.database.url.starts_with("sqlite:") => 1,
            0 => 2 * Self::cores(),
            n => n,
        }
    }

    /// Gate threads to start.
    pub fn effective_gate_threads(&self) -> usize {
        match self.server.gate_threads {
            0 => Self::cores(),
            n => n,
        }
    }

    /// Requests of one station inside the pipeline at once.
    pub fn effective_in_flight_per_station(&self) -> usize {
        match self.server.max_in_flight_per_station {
            0 => 2 * self.effective_gate_threads(),
            n => n,
        }
    }

    /// Batch size to use.
    pub fn effective_max_batch(&self) -> usize {
        match self.server.max_batch {
            0 if self.database.url.starts_with("sqlite:") => 64,
            0 => 1,
            n => n,
        }
    }

    pub fn header_policy(&self) -> urna_domain::header::HeaderPolicy {
        urna_domain::header::HeaderPolicy {
            accepted_versions: self.header.accepted_versions.clone(),
            tipo_invio: self.header.tipo_invio.clone(),
            max_clock_skew: time::Duration::seconds(self.header.max_clock_skew_secs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "u.toml",
                "[server]\nlisten = \"0.0.0.0:9443\"\n[demo]\nload = true\n",
            )?;
            jail.set_env("URNA_DATABASE_URL", "postgres://postgres@127.0.0.1/x");
            jail.set_env("URNA_HEADER__TIPO_INVIO", "PROD");
            let s = Settings::load(Some(Path::new("u.toml")))?;
            assert_eq!(s.server.listen, "0.0.0.0:9443");
            assert!(s.demo.load);
            assert_eq!(s.database.url, "postgres://postgres@127.0.0.1/x");
            assert_eq!(s.header.tipo_invio, "PROD");
            assert_eq!(s.server.max_body_bytes, 48 * 1024);
            Ok(())
        });
    }

    #[test]
    fn the_shipped_local_testing_profile_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/urna.toml");
        let s = Settings::load(Some(&path)).unwrap();
        assert!(s.security.require_signature && s.security.verbose_faults);
        assert_eq!(s.security.policy, urna_security::wss::Policy::default());
        // The production default keeps causes out of faults and serves
        // registered operators only.
        assert!(!Settings::default().security.verbose_faults);
        assert!(
            s.security.allow_unknown_operators
                && !Settings::default().security.allow_unknown_operators
        );
        // The shipped pre-scan limits are the built-in ones, flat in [server].
        assert_eq!(s.server.prescan, urna_security::prescan::Limits::default());
    }

    /// `config/production.toml` loads with no unknown key, and is what a
    /// deployment behind a load balancer needs: PostgreSQL, quotas in
    /// Redis, causes out of faults, registered operators only, no demo, no
    /// generated PKI, the PROD environment, a TSA and the seal.
    #[test]
    fn the_shipped_production_profile_loads_and_is_strict() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/production.toml");
            let s = Settings::load(Some(&path)).unwrap();
            assert!(s.database.url.starts_with("postgres://"));
            assert_eq!(s.rate_limit.state, crate::ratelimit::Where::Redis);
            assert!(!s.security.verbose_faults && !s.security.allow_unknown_operators);
            assert!(s.security.require_signature && s.security.sign_responses);
            assert!(!s.demo.load && !s.tls.auto_init_pki && !s.subentro.allow_reset);
            assert_eq!(s.header.tipo_invio, "PROD");
            assert!(!s.audit.tsa_url.is_empty() && s.certificates.timestamp);
            assert!(s.certificates.seal_cert.is_some() && s.alerts.enabled);
            Ok(())
        });
    }

    #[test]
    fn database_passwords_stay_out_of_what_is_shown() {
        let d = |url: &str| DatabaseSettings {
            url: url.into(),
            pool_size: 1,
        };
        assert_eq!(
            d("postgres://urna:s3cr:et@db.example:5432/urna").url_for_display(),
            "postgres://urna:***@db.example:5432/urna"
        );
        assert!(!format!("{:?}", d("postgres://u:pw@h/db")).contains("pw"));
        assert_eq!(
            d("postgres://u@h/db").url_for_display(),
            "postgres://u@h/db"
        );
        assert_eq!(
            d("sqlite://var/urna.db").url_for_display(),
            "sqlite://var/urna.db"
        );
    }

    #[test]
    fn an_unknown_log_format_is_an_error() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("l.toml", "[log]\nformat = \"xml\"\n")?;
            let e = Settings::load(Some(Path::new("l.toml"))).unwrap_err();
            assert!(e.to_string().contains("format"), "{e}");
            jail.create_file("t.toml", "[log]\nformat = \"text\"\n")?;
            assert_eq!(
                Settings::load(Some(Path::new("t.toml")))
                    .unwrap()
                    .log
                    .format,
                LogFormat::Text
            );
            Ok(())
        });
    }

    #[test]
    fn mtom_is_auto_always_or_never() {
        assert_eq!(Settings::default().certificates.mtom, MtomMode::Auto);
        figment::Jail::expect_with(|jail| {
            jail.create_file("a.toml", "[certificates]\nmtom = \"always\"\n")?;
            let s = Settings::load(Some(Path::new("a.toml"))).unwrap();
            assert_eq!(s.certificates.mtom, MtomMode::Always);
            jail.set_env("URNA_CERTIFICATES__MTOM", "never");
            let s = Settings::load(Some(Path::new("a.toml"))).unwrap();
            assert_eq!(s.certificates.mtom, MtomMode::Never);
            jail.clear_env();
            jail.create_file("b.toml", "[certificates]\nmtom = \"sometimes\"\n")?;
            let e = Settings::load(Some(Path::new("b.toml"))).unwrap_err();
            assert!(e.to_string().contains("mtom"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn prescan_limits_are_flat_server_keys() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("p.toml", "[server]\nmax_elements = 100\n")?;
            jail.set_env("URNA_SERVER__MAX_TEXT_BYTES", "999");
            let s = Settings::load(Some(Path::new("p.toml"))).unwrap();
            assert_eq!(s.server.prescan.max_elements, 100);
            assert_eq!(s.server.prescan.max_text_bytes, 999);
            assert_eq!(s.server.prescan.max_depth, 48);
            Ok(())
        });
    }

    #[test]
    fn a_misspelt_key_is_an_error() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "m.toml",
                "[server]\nmax_elemnts = 10\n[audit]\nsign_every_sec = 5\n[tls]\nclient_ca = \"ca.pem\"\n",
            )?;
            let e = Settings::load(Some(Path::new("m.toml")))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("server.max_elemnts") && e.contains("audit.sign_every_sec"),
                "{e}"
            );
            assert!(!e.contains("client_ca"), "an optional key is known: {e}");
            jail.create_file("n.toml", "[nosuch]\nx = 1\n")?;
            let e = Settings::load(Some(Path::new("n.toml")))
                .unwrap_err()
                .to_string();
            assert!(e.contains("nosuch"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn unknown_types_name_the_key() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("u.toml", "[server]\nworkers = \"many\"\n")?;
            let e = Settings::load(Some(Path::new("u.toml"))).unwrap_err();
            assert!(e.to_string().contains("workers"), "{e}");
            Ok(())
        });
    }
}
