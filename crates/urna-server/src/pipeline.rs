//! Request threads: the libxml2 gate and the database transaction, in batches.
//!
//! Why a small fixed pool and not `web::block`: tokio's blocking pool grows to
//! one thread per in-flight request, so under load every request paid a context
//! switch, a cold cache and (once per thread) the compilation of the XSD
//! validators, while the threads mostly queued on the database anyway.
//!
//! Why batches: a request thread takes what is queued (up to
//! `server.max_batch`) and hands it to [`Services::handle_batch`], which runs
//! it in one transaction with a savepoint per request. Under load the commit,
//! the expensive part on SQLite, is shared; without load a batch is one
//! request and nothing waits.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use tokio::sync::oneshot;
use urna_security::gate;
use urna_service::{Authentication, Caller, Handled, Request, Services};
use urna_wire::envelope::{envelope, Fault};
use urna_wire::Operation;

/// A pre-scanned request waiting for a request thread.
pub struct Job {
    pub body: Vec<u8>,
    /// Port family it was posted to.
    pub family: u16,
    pub caller: Caller,
    pub correlation: String,
    /// The TLS client certificate: SHA-256 (hex) and CN.
    pub tls: Option<(String, String)>,
}

/// What a request thread answers: the operation, the handled request and the
/// envelope to send (signed when responses are signed), or a fault (with the
/// operation when dispatch got that far; the fault as logged, with its full
/// cause) and its envelope.
pub type JobResult = Result<(Operation, Handled, String), (Option<Operation>, Fault, String)>;

/// What the request threads need of the security frame.
pub type Security = Option<Arc<crate::security::SecurityRuntime>>;

type Queued = (Job, oneshot::Sender<JobResult>);

/// The request threads; cloning shares them.
#[derive(Clone)]
pub struct RequestThreads {
    tx: crossbeam_channel::Sender<Queued>,
    _threads: Arc<Vec<std::thread::JoinHandle<()>>>,
}

/// The job was not answered: its batch panicked, or the server is stopping.
#[derive(Debug, thiserror::Error)]
#[error("the request thread did not answer (internal failure or shutdown)")]
pub struct JobFailed;

impl RequestThreads {
    pub fn start(
        n: usize,
        max_batch: usize,
        services: Services,
        fault_of: fn(urna_service::ServiceError) -> Fault,
        security: Security,
    ) -> std::io::Result<Self> {
        let (tx, rx) = crossbeam_channel::unbounded::<Queued>();
        let threads = (0..n.max(1))
            .map(|i| {
                let rx = rx.clone();
                let services = services.clone();
                let security = security.clone();
                std::thread::Builder::new()
                    .name(format!("urna-request-{i}"))
                    .spawn(move || {
                        while let Ok(first) = rx.recv() {
                            let mut batch = vec![first];
                            while batch.len() < max_batch.max(1) {
                                match rx.try_recv() {
                                    Ok(q) => batch.push(q),
                                    Err(_) => break,
                                }
                            }
                            // A panic must not take the thread with it; the
                            // batch's callers then get a fault (dropped senders).
                            let _ = catch_unwind(AssertUnwindSafe(|| {
                                run_batch(&services, batch, fault_of, security.as_deref())
                            }));
                        }
                    })
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(RequestThreads {
            tx,
            _threads: Arc::new(threads),
        })
    }

    /// Queues a job and waits for its answer.
    pub async fn submit(&self, job: Job) -> Result<JobResult, JobFailed> {
        let (done, wait) = oneshot::channel();
        self.tx.send((job, done)).map_err(|_| JobFailed)?;
        wait.await.map_err(|_| JobFailed)
    }
}

/// A refusal after the pre-scan: its (signed) envelope, and its audit entry.
fn fault_reply(
    services: &Services,
    security: Option<&crate::security::SecurityRuntime>,
    job: &Job,
    op: Option<Operation>,
    operator: Option<&str>,
    f: Fault,
) -> JobResult {
    let f = f.correlation(&job.correlation);
    let envelope = match security {
        Some(s) => s.seal(s.redact(f.clone()).to_envelope()),
        None => f.to_envelope(),
    };
    if f.reason != "storage-unavailable" {
        let istat = job.caller.station.istat.to_string();
        if let Err(e) = services.audit_refusal(
            op,
            &job.caller,
            Some(&istat),
            operator,
            &job.body,
            f.reason,
            &envelope,
        ) {
            tracing::error!(error = %e, reason = f.reason, "the refusal could not be written to the audit log");
        }
    }
    Err((op, f, envelope))
}

fn run_batch(
    services: &Services,
    batch: Vec<Queued>,
    fault_of: fn(urna_service::ServiceError) -> Fault,
    security: Option<&crate::security::SecurityRuntime>,
) {
    let mut ready = Vec::with_capacity(batch.len());
    let now = time::OffsetDateTime::now_utc();
    for (job, reply) in batch {
        let frame = security.filter(|s| s.require).map(|s| gate::Frame {
            policy: &s.policy,
            trust: &s.trust,
            tls: job
                .tls
                .as_ref()
                .map(|(fp, cn)| urna_security::wss::verify::TlsPeer {
                    fingerprint_sha256: fp,
                    cn,
                }),
            now,
        });
        match gate::check_with(&job.body, job.family, frame.as_ref()) {
            Ok(checked) => {
                let auth = checked.signed.as_ref().map(|s| Authentication {
                    operator: s.identity.operator.clone(),
                    replay_key: s.replay_key.clone(),
                    expires_ms: s.expires_ms,
                });
                ready.push((job, checked, auth, reply))
            }
            Err(f) => {
                let _ = reply.send(fault_reply(services, security, &job, None, None, f));
            }
        }
    }
    if ready.is_empty() {
        return;
    }
    let requests: Vec<Request<'_>> = ready
        .iter()
        .map(|(job, c, auth, _)| Request {
            op: c.operation,
            payload: &c.payload,
            caller: &job.caller,
            correlation_id: &job.correlation,
            auth: auth.as_ref(),
        })
        .collect();
    let results = services.handle_batch(&requests);
    drop(requests);
    for ((job, c, auth, reply), r) in ready.into_iter().zip(results) {
        let op = c.operation;
        let answer = match r {
            Ok(h) => {
                let env = envelope(&h.body);
                let env = match security {
                    Some(s) => s.seal(env),
                    None => env,
                };
                Ok((op, h, env))
            }
            Err(e) => fault_reply(
                services,
                security,
                &job,
                Some(op),
                auth.as_ref().map(|a| a.operator.as_str()),
                fault_of(e),
            ),
        };
        let _ = reply.send(answer);
    }
}
