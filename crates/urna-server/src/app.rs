//! Building and running the server (the zero2prod `Application` pattern).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use metrics_exporter_prometheus::PrometheusHandle;
use urna_security::prescan::Limits;
use urna_service::Services;
use urna_store::Store;
use urna_wire::schemas::{self, Port};

use crate::config::Settings;
use crate::soap;

/// Shared by every worker.
pub struct AppState {
    pub services: Services,
    pub max_body: usize,
    pub limits: Limits,
    pub public_url: String,
    pub metrics: PrometheusHandle,
    pub requests: crate::pipeline::RequestThreads,
    pub upload_dir: std::path::PathBuf,
    pub max_upload_bytes: u64,
    /// Precise causes in security faults (local-testing profile).
    pub verbose_faults: bool,
    /// Quotas per station and per comune (none when disabled).
    pub limiter: Option<Arc<crate::ratelimit::RateLimiter>>,
    /// Requests of one station inside the pipeline at once.
    pub in_flight: crate::fair::InFlight,
    /// How 6001 replies carrying a PDF are sent (`certificates.mtom`).
    pub mtom: crate::config::MtomMode,
    /// The stations and addresses the alert rules blocked.
    pub blocks: Arc<crate::blocks::Blocks>,
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    services: Services,
    heads: Option<crate::audit_heads::HeadsHandle>,
    /// How often expired certificates are swept, if at all.
    sweep_every: Option<std::time::Duration>,
    retention: Option<(
        urna_service::retention::RetentionSettings,
        std::time::Duration,
    )>,
    extraction: Option<(
        urna_service::extraction::ExtractionSettings,
        std::time::Duration,
    )>,
    alerts: Option<(urna_service::alerts::Alerting, std::time::Duration)>,
    webhook: Option<String>,
    blocks: Arc<crate::blocks::Blocks>,
}

impl Application {
    /// Opens the store (migrating it), prepares the PKI if the profile asks,
    /// compiles the schemas, loads the demo world if configured and binds.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        urna_security::wss::init_openssl();
        let pki = urna_pki::PkiDir::new(&settings.tls.pki_dir);
        if settings.tls.auto_init_pki {
            let stations: Vec<urna_domain::StationId> = urna_service::demo::DEMO_COMUNI
                .iter()
                .map(|c| format!("{}-PC-0001", c.istat).parse().expect("demo CN"))
                .collect();
            pki.init(&["localhost", "127.0.0.1"], &stations)?;
        }
        urna_security::gate::init()?;
        // A rule file that does not read stops start-up with its cause.
        let alerts = if settings.alerts.enabled {
            let text = match &settings.alerts.rules_file {
                Some(p) => std::fs::read_to_string(p)
                    .map_err(|e| anyhow::anyhow!("alerts.rules_file {}: {e}", p.display()))?,
                None => urna_service::alerts::DEFAULT_RULES.to_string(),
            };
            let alerting = urna_service::alerts::Alerting::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("alert rules: {e}"))?;
            Some((
                alerting,
                std::time::Duration::from_secs(settings.alerts.every_secs.max(1)),
            ))
        } else {
            None
        };
        let db = settings.database.clone();
        let store = web::block(move || Store::open(&db.url, db.pool_size)).await??;
        let store = Arc::new(store);
        if settings.demo.load {
            let s = store.clone();
            let r = web::block(move || urna_service::demo::load(&s)).await??;
            tracing::info!(
                comuni = r.comuni,
                sections = r.sections,
                subjects = r.subjects,
                electors = r.electors,
                constituencies = r.constituencies,
                "demo world loaded"
            );
        }
        let mut services = Services::new(store, settings.header_policy())
            .allow_unknown_operators(settings.security.allow_unknown_operators);
        if settings.certificates.enabled {
            services = services.with_certificates(certificate_issuer(&settings, &pki)?);
        }
        let tls = crate::tls::load(
            &settings
                .tls
                .client_ca
                .clone()
                .unwrap_or_else(|| pki.ca_cert()),
            &settings
                .tls
                .cert
                .clone()
                .unwrap_or_else(|| pki.server_cert()),
            &settings.tls.key.clone().unwrap_or_else(|| pki.server_key()),
            settings
                .tls
                .crl
                .clone()
                .or_else(|| Some(pki.crl()).filter(|p| p.exists()))
                .as_deref(),
        )?;
        let security = Arc::new(crate::security::SecurityRuntime::load(&settings, &pki)?);
        if !security.require {
            tracing::warn!("security.require_signature = false: SOAP requests are accepted without WS-Security (local experiments only)");
        }
        // Signed audit heads: now, periodically, and at shutdown.
        let heads = match security.signer.as_ref() {
            Some(signer) => {
                let a = &settings.audit;
                let signer = crate::audit_heads::HeadSigner {
                    store: services.store_arc(),
                    key: signer.key.clone(),
                    file: a.heads_file.clone(),
                    tsa: crate::audit_heads::Tsa::from_settings(a)?,
                };
                let (every, entries) = (
                    std::time::Duration::from_secs(a.sign_every_secs),
                    a.sign_every_entries,
                );
                Some(web::block(move || signer.start(every, entries)).await??)
            }
            None => {
                tracing::warn!("security.sign_responses = false: no service key, so the audit chain's heads are not signed");
                None
            }
        };
        let limiter =
            crate::ratelimit::RateLimiter::new(&settings.rate_limit, services.store_arc())?;
        let listener = TcpListener::bind(&settings.server.listen)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.server.listen))?;
        let port = listener.local_addr()?.port();
        let blocks = Arc::new(crate::blocks::Blocks::default());
        let state = web::Data::new(AppState {
            services: services.clone(),
            max_body: settings.server.max_body_bytes,
            limits: settings.server.prescan,
            public_url: settings.server.public_url.clone(),
            metrics: crate::telemetry::metrics_handle(),
            requests: crate::pipeline::RequestThreads::start(
                settings.effective_gate_threads(),
                settings.effective_request_threads(),
                settings.effective_max_batch(),
                services.clone(),
                soap::service_fault,
                Some(security.clone()),
            )?,
            upload_dir: settings.subentro.upload_dir.clone(),
            max_upload_bytes: settings.subentro.max_upload_bytes,
            verbose_faults: settings.security.verbose_faults,
            limiter,
            in_flight: crate::fair::InFlight::new(settings.effective_in_flight_per_station()),
            mtom: settings.certificates.mtom,
            blocks: blocks.clone(),
        });
        let mut server = HttpServer::new(move || {
            let mut app = App::new()
                .wrap(actix_web::middleware::from_fn(crate::observe::observe))
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(usize::MAX))
                .route("/metrics", web::get().to(metrics))
                .route(
                    "/health",
                    web::get().to(|| async { HttpResponse::Ok().body("ok") }),
                )
                .route("/ready", web::get().to(ready));
            for port in schemas::PORTS {
                app = app.route(
                    port.path,
                    web::post()
                        .to(move |req, payload, state| soap::endpoint(req, payload, state, port)),
                );
                app = app.route(
                    port.path,
                    web::get().to(move |req, state| wsdl(req, state, port)),
                );
            }
            app.route(
                "/subentro/{istat}/{kind}",
                web::post().to(crate::upload::post),
            )
            .route("/subentro/{istat}", web::get().to(crate::upload::status))
            .route(
                "/urna/certificati/{codice_fiscale}",
                web::get().to(crate::extensions::eligibility),
            )
            .route(
                "/soggetti/{key}/liste",
                web::get().to(crate::extensions::placements),
            )
            .route(
                "/riepiloghi/{istat}",
                web::get().to(|req, path: web::Path<String>, q, state| {
                    crate::extensions::summary(
                        req,
                        web::Path::from((path.into_inner(), None)),
                        q,
                        state,
                    )
                }),
            )
            .route(
                "/riepiloghi/{istat}/{sezione}",
                web::get().to(crate::extensions::summary),
            )
            .route(
                "/doppie-iscrizioni/{istat}",
                web::get().to(crate::extensions::double_registrations),
            )
            .route(
                "/export/{istat}/{file}",
                web::get().to(crate::extensions::export),
            )
            .route("/verifica", web::get().to(crate::verify_page::start))
            .route("/verifica", web::post().to(crate::verify_page::upload))
            .route(
                "/verifica/codice",
                web::post().to(crate::verify_page::by_code),
            )
            .route(
                "/verifica/{id}",
                web::get().to(crate::verify_page::challenge),
            )
            .route("/verifica/{id}", web::post().to(crate::verify_page::answer))
            .route("/verifica/{id}/pdf", web::get().to(crate::verify_page::pdf))
            .route("/{dir}/{file}", web::get().to(xsd))
        })
        .on_connect(crate::tls::on_connect(tls.verifier.clone()))
        .listen_rustls_0_23(listener, (*tls.config).clone())?;
        server = server.workers(settings.effective_workers());
        Ok(Application {
            port,
            server: server.run(),
            services,
            heads,
            sweep_every: (settings.certificates.enabled
                && settings.certificates.sweep_every_secs > 0)
                .then(|| std::time::Duration::from_secs(settings.certificates.sweep_every_secs)),
            alerts,
            webhook: settings
                .alerts
                .webhook_url
                .clone()
                .filter(|u| !u.is_empty()),
            blocks,
            retention: (settings.retention.sweep_every_secs > 0).then(|| {
                let r = &settings.retention;
                (
                    urna_service::retention::RetentionSettings {
                        idempotency_ms: (r.idempotency_days > 0)
                            .then(|| r.idempotency_days as i64 * 86_400_000),
                        upload_dir: settings.subentro.upload_dir.clone(),
                        uploads_ms: (r.upload_hours > 0).then(|| r.upload_hours as i64 * 3_600_000),
                    },
                    std::time::Duration::from_secs(r.sweep_every_secs),
                )
            }),
            extraction: settings.extraction.enabled.then(|| {
                (
                    urna_service::extraction::ExtractionSettings {
                        dir: settings.extraction.dir.clone(),
                        lease_ms: settings.extraction.lease_secs as i64 * 1000,
                        keep_ms: (settings.extraction.keep_days > 0)
                            .then(|| settings.extraction.keep_days as i64 * 86_400_000),
                    },
                    std::time::Duration::from_millis(settings.extraction.poll_ms.max(10)),
                )
            }),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Stops the server (gracefully or not) from elsewhere.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until a graceful stop (SIGINT, SIGTERM), then signs the
    /// audit head one last time.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let mut periodic = Vec::new();
        if let Some(every) = self.sweep_every {
            periodic.push(tokio::spawn(periodically(
                self.services.clone(),
                every,
                "expired certificates swept",
                Arc::new(|s: &Services| s.sweep_certificates().map(|n| format!("{n} deleted"))),
            )));
        }
        if let Some((retention, every)) = self.retention {
            periodic.push(tokio::spawn(periodically(
                self.services.clone(),
                every,
                "retention sweep",
                Arc::new(move |s: &Services| {
                    s.sweep_retention(&retention).map(|w| format!("{w:?}"))
                }),
            )));
        }
        periodic.push(tokio::spawn(crate::blocks::keep_fresh(
            self.services.clone(),
            self.blocks.clone(),
            std::time::Duration::from_secs(1),
        )));
        if let Some((alerting, every)) = self.alerts {
            periodic.push(tokio::spawn(evaluate_alerts(
                self.services.clone(),
                alerting,
                every,
                self.webhook.clone(),
            )));
        }
        let extractor = self.extraction.map(|(settings, every)| {
            let services = self.services.clone();
            tokio::spawn(run_extractions(services, settings, every))
        });
        let served = self.server.await;
        for task in periodic {
            task.abort();
        }
        if let Some(e) = extractor {
            e.abort();
        }
        if let Some(heads) = self.heads {
            let _ = tokio::task::spawn_blocking(move || heads.finish()).await;
        }
        served
    }
}

/// Runs the waiting 4001 extractions one after the other; idle, looks
/// again every `every`, and deletes the expired ones once an hour.
async fn run_extractions(
    services: Services,
    settings: urna_service::extraction::ExtractionSettings,
    every: std::time::Duration,
) {
    let mut last_sweep: Option<std::time::Instant> = None;
    loop {
        if last_sweep.is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(3600)) {
            last_sweep = Some(std::time::Instant::now());
            let (s, settings_now) = (services.clone(), settings.clone());
            match tokio::task::spawn_blocking(move || s.sweep_extractions(&settings_now)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(deleted = n, "expired extractions swept"),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "sweeping expired extractions failed; retried later")
                }
                Err(e) => tracing::warn!(error = %e, "the extraction sweeper panicked"),
            }
        }
        let (s, settings_now) = (services.clone(), settings.clone());
        match tokio::task::spawn_blocking(move || s.run_next_extraction(&settings_now)).await {
            Ok(Ok(Some(id))) => {
                tracing::info!(job = id, "extraction finished");
                continue;
            }
            Ok(Ok(None)) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "claiming an extraction failed; retried later")
            }
            Err(e) => tracing::warn!(error = %e, "the extraction worker panicked"),
        }
        tokio::time::sleep(every).await;
    }
}

/// How often the audit chain is recomputed from its first entry (in
/// between, each check starts where the last one ended).
const FULL_CHAIN_CHECK: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Evaluates the new audit entries every `every`, and checks the audit
/// chain; each alert stored counts in `urna_alerts_total{rule,severity}`
/// and is logged.
async fn evaluate_alerts(
    services: Services,
    mut alerting: urna_service::alerts::Alerting,
    every: std::time::Duration,
    webhook: Option<String>,
) {
    let hook = webhook.and_then(|url| {
        // reqwest's rustls needs a process-wide provider even for http://.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| tracing::error!(error = %e, "the alert webhook client cannot be built"))
            .ok()
            .map(|c| (c, url))
    });
    let mut tick = tokio::time::interval(every);
    let mut chain = urna_service::alerts::ChainCheck::default();
    loop {
        tick.tick().await;
        let s = services.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut r = s.evaluate_alerts(&mut alerting);
            match s.check_audit_chain(&mut chain, FULL_CHAIN_CHECK) {
                Ok(Some(f)) => {
                    if let Ok(fired) = r.as_mut() {
                        fired.push(f);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "checking the audit chain failed; retried later")
                }
            }
            (alerting, chain, r)
        })
        .await;
        let (back, back_chain, result) = match done {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, "the alert evaluation panicked; alerts stop on this node");
                return;
            }
        };
        alerting = back;
        chain = back_chain;
        match result {
            Ok(fired) => {
                for f in fired {
                    metrics::counter!("urna_alerts_total", "rule" => f.rule.clone(), "severity" => f.severity.as_str())
                        .increment(1);
                    tracing::warn!(rule = %f.rule, severity = f.severity.as_str(), key = %f.key, entry = f.seq, value = f.value, threshold = f.threshold, "alert: {}", f.description);
                    if let Some((client, url)) = &hook {
                        post_alert(client, url, &f).await;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "evaluating the alert rules failed; retried later")
            }
        }
    }
}

/// POSTs an alert to the webhook as JSON; a failure is logged.
async fn post_alert(client: &reqwest::Client, url: &str, f: &urna_domain::alerts::Fired) {
    let body = serde_json::json!({
        "rule": f.rule,
        "severity": f.severity.as_str(),
        "key": f.key,
        "entry": f.seq,
        "at_ms": f.at_ms,
        "value": f.value,
        "threshold": f.threshold,
        "entries": f.entries,
        "description": f.description,
        "block_secs": f.block_secs,
    });
    let sent = client
        .post(url)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .and_then(reqwest::Response::error_for_status);
    if let Err(e) = sent {
        tracing::warn!(error = %e, rule = %f.rule, "the alert could not be posted to the webhook");
    }
}

/// What a periodic task does, and what it reports when it did something.
type Periodic = Arc<dyn Fn(&Services) -> Result<String, urna_store::StoreError> + Send + Sync>;

/// Runs `job` on a blocking thread every `every` (the certificate sweeper,
/// the retention sweeper); what it did, or why it failed, is logged, and
/// a failure is retried at the next tick.
async fn periodically(
    services: Services,
    every: std::time::Duration,
    what: &'static str,
    job: Periodic,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let (s, job) = (services.clone(), job.clone());
        match tokio::task::spawn_blocking(move || job(&s)).await {
            Ok(Ok(done)) => tracing::debug!(done = %done, "{what}"),
            Ok(Err(e)) => tracing::warn!(error = %e, "{what} failed; retried later"),
            Err(e) => tracing::warn!(error = %e, "{what} panicked"),
        }
    }
}

/// `/ready`: whether this node can serve. `/health` says the process is
/// alive; this also asks the database (it answers, and has every migration
/// this urna expects) and, when quotas live there, Redis. 200 when all
/// answer, else 503; the body says what each check found (JSON).
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let (store, limiter) = (state.services.store_arc(), state.limiter.clone());
    let checked = web::block(move || {
        let database = match store.readiness() {
            Ok(0) => Ok("migrations current".to_string()),
            Ok(n) => Err(format!("{n} migrations not run")),
            Err(e) => Err(e.to_string()),
        };
        let quotas = limiter.map(|l| l.readiness());
        (database, quotas)
    })
    .await;
    let Ok((database, quotas)) = checked else {
        return HttpResponse::ServiceUnavailable().json(serde_json::json!({"ready": false}));
    };
    let show = |r: &Result<String, String>| match r {
        Ok(s) => serde_json::json!({"ok": true, "detail": s}),
        Err(e) => serde_json::json!({"ok": false, "detail": e}),
    };
    let quotas = quotas.map(|(place, r)| (place, r.map(|()| "answers".to_string())));
    let ready = database.is_ok() && quotas.as_ref().is_none_or(|(_, r)| r.is_ok());
    let body = serde_json::json!({
        "ready": ready,
        "database": show(&database),
        "quotas": quotas.as_ref().map(|(place, r)| {
            let mut v = show(r);
            v["state"] = serde_json::json!(place);
            v
        }),
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}

/// `GET <endpoint>?wsdl`.
async fn wsdl(req: HttpRequest, state: web::Data<AppState>, port: &'static Port) -> HttpResponse {
    if !req.query_string().eq_ignore_ascii_case("wsdl") {
        return HttpResponse::NotFound()
            .content_type("text/plain")
            .body(format!(
                "POST SOAP 1.1 requests here; the WSDL is at {}?wsdl\n",
                port.path
            ));
    }
    let base = if state.public_url.is_empty() {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    } else {
        state.public_url.clone()
    };
    HttpResponse::Ok()
        .content_type("text/xml; charset=UTF-8")
        .body(schemas::wsdl_for(port, &base))
}

/// `GET /<port dir>/<file>.xsd`: the schemas, resolvable relative to each WSDL.
async fn xsd(path: web::Path<(String, String)>) -> HttpResponse {
    let (dir, file) = path.into_inner();
    let known_dir = schemas::PORTS
        .iter()
        .any(|p| p.path.split('/').nth(1) == Some(dir.as_str()));
    match schemas::xsd(&file).filter(|_| known_dir) {
        Some(text) => HttpResponse::Ok()
            .content_type("text/xml; charset=UTF-8")
            .body(text),
        None => HttpResponse::NotFound()
            .content_type("text/plain")
            .body("no such schema\n"),
    }
}

/// The 6001 certificate issuer: the configured seal (else the dev PKI's),
/// the public verification page and, with `certificates.timestamp`, the
/// audit heads' time-stamping authority for PAdES B-T seals.
fn certificate_issuer(
    settings: &Settings,
    pki: &urna_pki::PkiDir,
) -> anyhow::Result<urna_service::certificates::CertificateIssuer> {
    use anyhow::Context;
    let c = &settings.certificates;
    let read = |configured: &Option<std::path::PathBuf>, default: std::path::PathBuf| {
        let path = configured.clone().unwrap_or(default);
        std::fs::read_to_string(&path)
            .with_context(|| format!("certificates: cannot read the seal file {}", path.display()))
    };
    let cert = read(&c.seal_cert, pki.seal_cert())?;
    let key = read(&c.seal_key, pki.seal_key())?;
    let sealer = urna_cert::Sealer::from_pem(&cert, &key)
        .context("certificates: the seal certificate or key is not usable")?;
    let verify = if c.verify_url.is_empty() {
        let base = if settings.server.public_url.is_empty() {
            format!("https://{}", settings.server.listen)
        } else {
            settings.server.public_url.trim_end_matches('/').to_string()
        };
        format!("{base}/verifica")
    } else {
        c.verify_url.clone()
    };
    let ca_path = c.seal_ca.clone().unwrap_or_else(|| pki.ca_cert());
    let ca = std::fs::read(&ca_path).with_context(|| {
        format!(
            "certificates: cannot read the seal's CA {}",
            ca_path.display()
        )
    })?;
    let issuer = urna_service::certificates::CertificateIssuer::new(
        sealer,
        ca,
        verify,
        time::Duration::days(i64::from(c.validity_days)),
    );
    if !c.timestamp {
        return Ok(issuer);
    }
    // The same authority and client as the audit heads: one RFC 3161
    // client (urna-security's tsa.rs), one place to configure it.
    let tsa = crate::audit_heads::Tsa::from_settings(&settings.audit)?.ok_or_else(|| {
        anyhow::anyhow!(
            "certificates.timestamp = true needs audit.tsa_url (the time-stamping authority)"
        )
    })?;
    if tsa.trust.is_none() {
        tracing::warn!(url = %tsa.url, "certificates.timestamp: audit.tsa_cert is not set, so the seals' time-stamp tokens are not checked against the authority's certificate");
    }
    Ok(issuer.with_timestamper(Box::new(move |signature: &[u8]| {
        tsa.stamp(&openssl::sha::sha256(signature)).map_err(|e| {
            tracing::error!(error = %e, url = %tsa.url, "time-stamping a certificate's seal failed");
            format!("{} did not time-stamp the seal: {e}", tsa.url)
        })
    })))
}
