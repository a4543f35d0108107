//! `urna`: run the server and administer its PKI, tables and demo data.
#![forbid(unsafe_code)]

use std::path::PathBuf;

/// mimalloc: the request threads allocate and free many small strings; glibc's
/// allocator spent ~15% of server CPU in malloc/free and consolidation. With
/// the `override` feature it also serves libxml2, OpenSSL and the database
/// client libraries, which call `malloc` themselves (parse trees, the copies
/// canonicalised, C14N lists): about 5-10% less server CPU per signed 5010.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use urna_domain::StationId;
use urna_pki::PkiDir;
use urna_security::wss::sign::KeyInfoForm;
use urna_security::wss::SignatureAlg;
use urna_server::Settings;
use urna_store::Store;

#[derive(Parser)]
#[command(
    name = "urna",
    version,
    about = "ANPR electoral-lists web services, wire-compatible"
)]
struct Cli {
    /// Configuration file (TOML); URNA_* environment variables override it.
    #[arg(long, global = true, env = "URNA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTPS/mTLS SOAP server.
    Serve,
    /// Development PKI (CA Postazioni, server and station certificates).
    Pki {
        #[command(subcommand)]
        command: PkiCommand,
    },
    /// Reference tables.
    Tables {
        #[command(subcommand)]
        command: TablesCommand,
    },
    /// Registry of subjects.
    Subjects {
        #[command(subcommand)]
        command: SubjectsCommand,
    },
    /// Electoral takeover (subentro) files.
    Subentro {
        #[command(subcommand)]
        command: SubentroCommand,
    },
    /// Demo data.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// Database maintenance.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// The operators of each comune and their profiles (elettorale, anagrafe).
    Operators {
        #[command(subcommand)]
        command: OperatorsCommand,
    },
    /// The tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The security frame, client side.
    Wss {
        #[command(subcommand)]
        command: WssCommand,
    },
}

#[derive(Subcommand)]
enum OperatorsCommand {
    /// Register an operator for a comune, or replace its profiles.
    Add {
        /// The comune's ISTAT code.
        istat: String,
        /// The operator's codice fiscale (the SAML NameID it signs with).
        codice_fiscale: String,
        /// elettorale (ufficiale elettorale: 5010, 5011, 2012), anagrafe; repeat or comma-separate.
        #[arg(long = "profile", required = true, value_delimiter = ',')]
        profiles: Vec<String>,
    },
    /// List the operators (of one comune).
    List { istat: Option<String> },
    /// Remove an operator from a comune.
    Remove {
        istat: String,
        codice_fiscale: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain from the first entry and check every signed
    /// head in the heads file; report the first broken entry. Exit status 1
    /// when anything does not match.
    Verify {
        /// Signed heads (default: audit.heads_file).
        #[arg(long)]
        heads: Option<PathBuf>,
        /// Service signing certificate (default: the PKI's service-signing.crt).
        #[arg(long)]
        cert: Option<PathBuf>,
    },
    /// Sign the current chain head with the service key and append it to
    /// the heads file (the server does this every audit.sign_every_secs).
    SignHead {
        #[arg(long)]
        heads: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum WssCommand {
    /// Read a SOAP envelope on standard input and print it signed the way
    /// gestionali sign for ANPR (spec §17): Timestamp, SAML assertion with
    /// IdSede/IdPostazione/IdPostazioneFirmato (signed), message signature
    /// over Timestamp and Body. For SOAP clients without that profile (e.g.
    /// the zeep conformance suite).
    Sign {
        #[command(flatten)]
        station: StationSigning,
        /// IdApplicazione.
        #[arg(long, default_value = "urna-wss-sign")]
        application: String,
        /// How the message signature names its key (x509-data: ANPR's examples).
        #[arg(long, value_enum, default_value_t = KeyInfoForm::X509Data)]
        key_info: KeyInfoForm,
    },
    /// Read a request already signed by another WS-Security stack (zeep's
    /// BinarySignature, node-soap's WSSecurityCert, …: Timestamp and Body
    /// signed with the station key) on standard input and print it with
    /// ANPR's signed SAML assertion added to its wsse:Security. The peer's
    /// signature is left as it is (it does not cover wsse:Security).
    AddAssertion {
        #[command(flatten)]
        station: StationSigning,
        /// IdApplicazione.
        #[arg(long, default_value = "urna-wss-add-assertion")]
        application: String,
    },
}

/// The station and operator a `wss` command signs for.
#[derive(clap::Args)]
struct StationSigning {
    /// Station certificate (PEM, RSA); its CN is IdPostazione. For
    /// add-assertion, the one the peer signed with.
    #[arg(long)]
    cert: PathBuf,
    /// Its private key (PEM).
    #[arg(long)]
    key: PathBuf,
    /// The operator's codice fiscale (SAML NameID).
    #[arg(long, default_value = "RSSMRA80A01H501U")]
    operator: String,
    /// The assertion's signature, and for sign the message's (rsa-sha1:
    /// ANPR's examples; the digest follows: SHA-1 or SHA-256).
    #[arg(long, value_enum, default_value_t = SignatureAlg::RsaSha1)]
    algorithm: SignatureAlg,
}

#[derive(Subcommand)]
enum PkiCommand {
    /// Create the CA, the server certificate (localhost, 127.0.0.1) and one
    /// station certificate per demo comune, unless they exist.
    Init {
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Issue a station certificate (CN=<ISTAT>-<KIND>-<NUMBER>).
    Station {
        #[arg(long)]
        istat: String,
        /// PC (workstation) or CO (comune/server).
        #[arg(long, default_value = "PC")]
        kind: String,
        #[arg(long, default_value = "0001")]
        number: String,
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Revoke a station certificate (rewrites the CRL; restart the server to load it).
    Revoke {
        #[arg(long)]
        cn: String,
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum TablesCommand {
    /// Import ANPR's municipalities archive (ANPR_archivio_comuni.csv).
    ImportComuni { file: PathBuf },
    /// Import constituency tables (CSV: tipo,codice_istat,valore).
    ImportConstituencies { file: PathBuf },
}

#[derive(Subcommand)]
enum SubjectsCommand {
    /// Import subjects (CSV; see `urna_store::subjects` and README): streamed,
    /// codici fiscali checked, bad rows reported without stopping.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Load the demo world (comuni, constituencies, sections, subjects, electors); idempotent.
    Load,
    /// Write a synthetic population and its takeover files for one comune.
    Generate {
        /// ISTAT code of an active comune in the database.
        #[arg(long)]
        comune: String,
        #[arg(long)]
        electors: u64,
        #[arg(long)]
        out: PathBuf,
        /// Write plain XML instead of gzip.
        #[arg(long)]
        plain: bool,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum SubentroCommand {
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

#[derive(Subcommand)]
enum DbCommand {
    /// Create or migrate the database.
    Migrate,
}

fn default_config() -> Option<PathBuf> {
    let p = PathBuf::from("config/urna.toml");
    p.exists().then_some(p)
}

fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    Store::open(&settings.database.url, 2)
        .with_context(|| format!("opening {}", settings.database.url_for_display()))
}

fn main() -> anyhow::Result<()> {
    urna_security::wss::init_openssl();
    let cli = Cli::parse();
    let config = cli.config.or_else(default_config);
    let settings = Settings::load(config.as_deref()).context("reading the configuration")?;
    match cli.command {
        Command::Serve => serve(settings),
        Command::Audit { command } => audit(&settings, command),
        Command::Operators { command } => operators(&settings, command),
        Command::Wss {
            command:
                WssCommand::Sign {
                    station,
                    application,
                    key_info,
                },
        } => wss_sign(station, application, key_info),
        Command::Wss {
            command:
                WssCommand::AddAssertion {
                    station,
                    application,
                },
        } => wss_add_assertion(station, application),
        Command::Pki { command } => pki(&settings, command),
        Command::Tables { command } => {
            let store = open_store(&settings)?;
            match command {
                TablesCommand::ImportComuni { file } => {
                    let f = std::fs::File::open(&file)
                        .with_context(|| format!("opening {}", file.display()))?;
                    let r = urna_store::comuni::import_archive(&store, f)?;
                    println!(
                        "imported {} rows ({} active comuni), {} rejected",
                        r.imported,
                        r.active,
                        r.rejected.len()
                    );
                    for (line, why) in r.rejected.iter().take(20) {
                        println!("  line {line}: {why}");
                    }
                }
                TablesCommand::ImportConstituencies { file } => {
                    let f = std::fs::File::open(&file)
                        .with_context(|| format!("opening {}", file.display()))?;
                    let n = urna_store::constituencies::import_file(&store, f)?;
                    println!("imported {n} new constituency values");
                }
            }
            Ok(())
        }
        Command::Subjects {
            command: SubjectsCommand::Import { file },
        } => {
            let store = open_store(&settings)?;
            let f = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let r = urna_store::subjects::import_csv(&store, std::io::BufReader::new(f))?;
            println!(
                "imported {} subjects, {} rows rejected",
                r.imported,
                r.rejected.len()
            );
            for (line, why) in r.rejected.iter().take(50) {
                println!("  line {line}: {why}");
            }
            Ok(())
        }
        Command::Demo {
            command:
                DemoCommand::Generate {
                    comune,
                    electors,
                    out,
                    plain,
                    seed,
                },
        } => {
            let store = open_store(&settings)?;
            let row = store
                .read(|c| urna_store::comuni::active(c, &comune, "9999-12-30"))?
                .with_context(|| format!("{comune} is not an active comune: import the archive (urna tables import-comuni) or use a demo comune"))?;
            let spec = urna_service::generate::Spec {
                istat: row.istat,
                nome: row.nome,
                sigla: row.sigla,
                catastale: row.cod_catastale,
                electors,
                seed,
                gzip: !plain,
            };
            let started = std::time::Instant::now();
            let f = urna_service::generate::generate(&spec, &out)?;
            println!(
                "{} electors, {} sections in {:.1}s:\n  {}\n  {}\n  {}\n  {}",
                electors,
                f.sections,
                started.elapsed().as_secs_f64(),
                f.subjects.display(),
                f.constituencies.display(),
                f.sezioni.display(),
                f.liste.display()
            );
            Ok(())
        }
        Command::Subentro { command } => subentro(&settings, command),
        Command::Demo {
            command: DemoCommand::Load,
        } => {
            let store = open_store(&settings)?;
            let r = urna_service::demo::load(&store)?;
            println!(
                "demo world: {} comuni, {} new constituency values, {} new sections, {} subjects, {} new electors",
                r.comuni, r.constituencies, r.sections, r.subjects, r.electors
            );
            Ok(())
        }
        Command::Db {
            command: DbCommand::Migrate,
        } => {
            open_store(&settings)?;
            println!(
                "database {} is migrated",
                settings.database.url_for_display()
            );
            Ok(())
        }
    }
}

fn pki(settings: &Settings, command: PkiCommand) -> anyhow::Result<()> {
    let dir_or =
        |d: Option<PathBuf>| PkiDir::new(d.unwrap_or_else(|| settings.tls.pki_dir.clone()));
    match command {
        PkiCommand::Init { dir } => {
            let pki = dir_or(dir);
            let r = pki.init(&["localhost", "127.0.0.1"], &demo_stations())?;
            println!(
                "{} CA Postazioni in {}",
                if r.created_ca { "created" } else { "kept" },
                pki.root.display()
            );
            for (cn, crt, key) in &r.stations {
                println!("  station {cn}: {} {}", crt.display(), key.display());
            }
        }
        PkiCommand::Station {
            istat,
            kind,
            number,
            dir,
        } => {
            let pki = dir_or(dir);
            let station: StationId = format!("{istat}-{kind}-{number}").parse()?;
            let crt = pki.issue_station(&station)?;
            println!(
                "issued {} -> {} (key {})",
                station,
                crt.display(),
                pki.station_key(&station.cn()).display()
            );
        }
        PkiCommand::Revoke { cn, dir } => {
            let pki = dir_or(dir);
            pki.revoke_station(&cn)?;
            println!("revoked {cn}; CRL written to {}", pki.crl().display());
        }
    }
    Ok(())
}

fn operators(settings: &Settings, command: OperatorsCommand) -> anyhow::Result<()> {
    use urna_domain::operator::Profiles;
    use urna_store::operators::{self, OperatorRow};
    let store = open_store(settings)?;
    match command {
        OperatorsCommand::Add {
            istat,
            codice_fiscale,
            profiles,
        } => {
            let istat: urna_domain::CodiceIstat =
                istat.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            let cf: urna_domain::codice_fiscale::CodiceFiscale =
                codice_fiscale.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            let profiles = Profiles::parse(&profiles.join(",")).map_err(|e| anyhow::anyhow!(e))?;
            anyhow::ensure!(!profiles.is_empty(), "give at least one --profile");
            store.write(|c| {
                operators::put(
                    c,
                    &OperatorRow {
                        comune_istat: istat.to_string(),
                        codice_fiscale: cf.to_string(),
                        profiles: profiles.to_string(),
                    },
                )
            })?;
            println!("operator {cf} of comune {istat}: {profiles}");
        }
        OperatorsCommand::List { istat } => {
            for o in store.read(|c| operators::list(c, istat.as_deref()))? {
                println!("{} {} {}", o.comune_istat, o.codice_fiscale, o.profiles);
            }
        }
        OperatorsCommand::Remove {
            istat,
            codice_fiscale,
        } => {
            if store.write(|c| operators::remove(c, &istat, &codice_fiscale))? {
                println!("operator {codice_fiscale} removed from comune {istat}");
            } else {
                anyhow::bail!("no operator {codice_fiscale} in comune {istat}");
            }
        }
    }
    Ok(())
}

fn audit(settings: &Settings, command: AuditCommand) -> anyhow::Result<()> {
    use urna_server::audit_heads::{self, HeadSigner, Tsa, VerifyInputs};
    let store = std::sync::Arc::new(open_store(settings)?);
    let pki = PkiDir::new(&settings.tls.pki_dir);
    let a = &settings.audit;
    match command {
        AuditCommand::SignHead { heads } => {
            let cert = settings
                .security
                .signing_cert
                .clone()
                .unwrap_or_else(|| pki.service_signer_cert());
            let key = settings
                .security
                .signing_key
                .clone()
                .unwrap_or_else(|| pki.service_signer_key());
            let key = urna_security::wss::SigningKey::from_pem(
                &std::fs::read(&cert)?,
                &std::fs::read(&key)?,
            )?;
            let file = heads.unwrap_or_else(|| a.heads_file.clone());
            let signer = HeadSigner {
                store,
                key,
                file: file.clone(),
                tsa: Tsa::from_settings(a)?,
            };
            let seq = signer.export(None)?;
            println!("signed head {seq} appended to {}", file.display());
            Ok(())
        }
        AuditCommand::Verify { heads, cert } => {
            let file = heads.unwrap_or_else(|| a.heads_file.clone());
            let cert_path = cert
                .or_else(|| settings.security.signing_cert.clone())
                .unwrap_or_else(|| pki.service_signer_cert());
            let cert = openssl::x509::X509::from_pem(&std::fs::read(&cert_path)?)?;
            let tsa = match &a.tsa_cert {
                Some(p) => Some(
                    urna_security::tsa::TsaTrust::from_pem(&std::fs::read(p)?)
                        .map_err(|e| anyhow::anyhow!(e))?,
                ),
                None => None,
            };
            let v = audit_heads::verify(
                &store,
                &VerifyInputs {
                    heads_file: &file,
                    service_cert: &cert,
                    tsa: tsa.as_ref(),
                    tsa_max_skew_secs: a.tsa_max_skew_secs,
                    // The interval, one poll of the heads thread and slack.
                    max_unsigned_age: (a.sign_every_secs > 0)
                        .then(|| std::time::Duration::from_secs(a.sign_every_secs + 30)),
                    now: time::OffsetDateTime::now_utc(),
                },
            )?;
            println!(
                "{} entries, last hash {}, {} signed heads checked, {} time-stamps checked",
                v.entries, v.last_hash, v.heads, v.stamped
            );
            for n in &v.notes {
                println!("note: {n}");
            }
            if v.problems.is_empty() {
                println!("audit log intact");
                Ok(())
            } else {
                for p in &v.problems {
                    println!("BROKEN: {p}");
                }
                std::process::exit(1);
            }
        }
    }
}

/// The ANPR-profile client signer of the station whose certificate and key
/// are given (IdPostazione = the certificate CN).
fn client_signer(
    station: StationSigning,
    application: String,
) -> anyhow::Result<urna_security::wss::ClientSigner> {
    use urna_security::wss::{ClientSigner, DigestAlg, Operator, SigningKey};
    let StationSigning {
        cert,
        key,
        operator,
        algorithm,
    } = station;
    let cert_pem = std::fs::read(&cert).with_context(|| cert.display().to_string())?;
    let signing = SigningKey::from_pem(
        &cert_pem,
        &std::fs::read(&key).with_context(|| key.display().to_string())?,
    )?;
    let cn = urna_pki::station_cert_pem(&String::from_utf8_lossy(&cert_pem))?
        .station
        .cn();
    let mut signer = ClientSigner::anpr(
        signing,
        &cn,
        Operator {
            codice_fiscale: operator,
            application,
        },
    );
    signer.algorithm = algorithm;
    signer.digest = match algorithm {
        SignatureAlg::RsaSha1 => DigestAlg::Sha1,
        SignatureAlg::RsaSha256 => DigestAlg::Sha256,
    };
    Ok(signer)
}

fn read_stdin() -> anyhow::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    Ok(text)
}

fn wss_sign(
    station: StationSigning,
    application: String,
    key_info: KeyInfoForm,
) -> anyhow::Result<()> {
    use std::io::Write;
    let mut signer = client_signer(station, application)?;
    signer.key_info = key_info;
    let envelope = read_stdin()?;
    let signed = signer.sign(&envelope, time::OffsetDateTime::now_utc())?;
    std::io::stdout().write_all(signed.as_bytes())?;
    Ok(())
}

fn wss_add_assertion(station: StationSigning, application: String) -> anyhow::Result<()> {
    use std::io::Write;
    let signer = client_signer(station, application)?;
    let signed = read_stdin()?;
    let assertion = signer.assertion(time::OffsetDateTime::now_utc())?;
    let out = urna_security::wss::sign::add_assertion(&signed, &assertion)?;
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}

/// One line of the upload progress display: records, rate, anomalies and,
/// when the file declares its record count, percentage and ETA.
fn progress_line(p: &urna_service::subentro::Progress, elapsed: std::time::Duration) -> String {
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

fn subentro(settings: &Settings, command: SubentroCommand) -> anyhow::Result<()> {
    use urna_service::subentro::{self, FileKind};
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
                        if kind == "liste" && j.state() == urna_store::subentro::JobState::Done {
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

fn demo_stations() -> Vec<StationId> {
    urna_service::demo::DEMO_COMUNI
        .iter()
        .map(|c| format!("{}-PC-0001", c.istat).parse().expect("demo CN"))
        .collect()
}

fn serve(settings: Settings) -> anyhow::Result<()> {
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

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::Cli;

    /// clap's own consistency checks on every subcommand and argument.
    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn wss_enums_parse_by_their_wire_names() {
        let cli = Cli::try_parse_from([
            "urna",
            "wss",
            "sign",
            "--cert",
            "c",
            "--key",
            "k",
            "--algorithm",
            "rsa-sha256",
            "--key-info",
            "binary-security-token",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            super::Command::Wss {
                command: super::WssCommand::Sign {
                    key_info: super::KeyInfoForm::BinarySecurityToken,
                    ..
                }
            }
        ));
        let err = Cli::try_parse_from([
            "urna",
            "wss",
            "sign",
            "--cert",
            "c",
            "--key",
            "k",
            "--algorithm",
            "md5",
        ])
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("rsa-sha1") && err.contains("rsa-sha256"),
            "{err}"
        );
    }
}
