//! Two pools between the HTTP workers and the database.
//!
//! * **Gate threads** (one per core): the libxml2 gate (strict parse,
//!   WS-Security verification, dispatch, XSD, payload copy) and, on the way
//!   back, the signing of the answer. This is where the CPU goes (two RSA
//!   operations and five canonicalisations per request), and it runs in
//!   parallel whatever the database.
//! * **Request threads** (one on SQLite, whose writes are serialised anyway;
//!   more on PostgreSQL): the database transaction only. A request thread
//!   takes what is queued (up to `server.max_batch`) and hands it to
//!   [`Services::handle_batch`], which runs it in one transaction with a
//!   savepoint per request: under load the commit, the expensive part on
//!   SQLite, is shared; without load a batch is one request and nothing
//!   waits. Refusals come through the same queue: a gate thread signs the
//!   fault, a request thread appends its audit entry (the refusals of a
//!   batch in one transaction) and only then answers. So the request
//!   threads are the only writers, and a burst of refused messages neither
//!   takes SQLite's write lock away from the batches nor parks the gate
//!   threads, which the valid traffic of other comuni needs, on it.
//!
//! Why fixed pools and not `web::block`: tokio's blocking pool grows to one
//! thread per in-flight request, so under load every request paid a context
//! switch, a cold cache and (once per thread) the compilation of the XSD
//! validators, while the threads mostly queued on the database anyway.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use tokio::sync::oneshot;
use urna_security::gate;
use urna_service::{Authentication, Caller, Handled, Request, Services};
use urna_wire::envelope::{envelope, Fault};
use urna_wire::Operation;

use crate::fair::FairQueue;

/// A pre-scanned request waiting for a request thread.
pub struct Job {
    pub body: Vec<u8>,
    /// Port family it was posted to.
    pub family: u16,
    pub caller: Caller,
    pub correlation: String,
    /// The TLS client certificate: SHA-256 (hex) and CN.
    pub tls: Option<(String, String)>,
    /// Send a 6001 reply that carries a PDF as MTOM/XOP (`soap::wants_mtom`).
    pub mtom: bool,
}

/// The HTTP body of an answer: the signed envelope, or the same envelope
/// written as MTOM/XOP (the PDF of a 6001 reply moved into a binary part).
#[derive(Debug)]
pub enum Body {
    Xml(String),
    Mtom(urna_wire::mtom::Mtom),
    /// A reply around a file streamed from disk (7002).
    Streamed(Box<crate::streamed::Streamed>),
}

impl Body {
    /// Whether it goes as MTOM/XOP's `multipart/related`.
    pub fn is_mtom(&self) -> bool {
        match self {
            Body::Xml(_) => false,
            Body::Mtom(_) => true,
            Body::Streamed(s) => !s.base64,
        }
    }
}

/// What a request thread answers: the operation, the handled request and the
/// body to send (its envelope signed when responses are signed), or a fault
/// (with the operation when dispatch got that far; the fault as logged, with
/// its full cause) and its envelope.
pub type JobResult = Result<(Operation, Handled, Body), (Option<Operation>, Fault, String)>;

/// What the request threads need of the security frame.
pub type Security = Option<Arc<crate::security::SecurityRuntime>>;

type Reply = oneshot::Sender<JobResult>;
type Queued = (Job, Reply);

/// A request through the gate, waiting for the database.
struct Checked {
    job: Job,
    checked: gate::Checked,
    auth: Option<Authentication>,
    reply: Reply,
}

/// A refusal, answered (and signed) by a gate thread, waiting for its audit
/// entry to be written before the answer goes out.
struct Refused {
    refusal: urna_service::AuditRecord,
    answer: JobResult,
    reply: Reply,
}

/// What the gate threads queue for the request threads.
enum Work {
    Check(Box<Checked>),
    Refused(Box<Refused>),
}

/// A settled request, waiting for its answer to be written and signed.
struct Settled {
    job: Job,
    op: Operation,
    operator: Option<String>,
    result: Result<Handled, urna_service::ServiceError>,
    reply: Reply,
}

/// The pools; cloning shares them.
#[derive(Clone)]
pub struct RequestThreads {
    /// New requests, one queue per comune served in turn (`fair.rs`).
    tx: Arc<FairQueue<Queued>>,
    _threads: Arc<Vec<std::thread::JoinHandle<()>>>,
}

/// The job was not answered: its batch panicked, or the server is stopping.
#[derive(Debug, thiserror::Error)]
#[error("the request thread did not answer (internal failure or shutdown)")]
pub struct JobFailed;

/// What both pools share.
struct Shared {
    services: Services,
    fault_of: fn(urna_service::ServiceError) -> Fault,
    security: Security,
}

impl RequestThreads {
    /// `gate_threads` gate threads, `n` request threads running batches of
    /// at most `max_batch`.
    pub fn start(
        gate_threads: usize,
        n: usize,
        max_batch: usize,
        services: Services,
        fault_of: fn(urna_service::ServiceError) -> Fault,
        security: Security,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            services,
            fault_of,
            security,
        });
        let (queue, new_rx) = FairQueue::<Queued>::new();
        let tx = Arc::new(queue);
        let (work_tx, work_rx) = crossbeam_channel::unbounded::<Work>();
        let (settled_tx, settled_rx) = crossbeam_channel::unbounded::<Settled>();
        let mut threads = Vec::new();
        for i in 0..gate_threads.max(1) {
            let (shared, queue, new_rx, settled_rx, work_tx) = (
                shared.clone(),
                Arc::downgrade(&tx),
                new_rx.clone(),
                settled_rx.clone(),
                work_tx.clone(),
            );
            threads.push(
                std::thread::Builder::new()
                    .name(format!("urna-gate-{i}"))
                    .spawn(move || {
                        gate_loop(&shared, &queue, &new_rx, &settled_rx, &work_tx);
                        drop((shared, queue, new_rx, settled_rx, work_tx));
                        // A gate thread holds libxml2 and OpenSSL state in
                        // thread-locals, which must not be destroyed while
                        // the process exits (`urna_security::wss::init_openssl`):
                        // once the pool is closed it waits for the end.
                        loop {
                            std::thread::park();
                        }
                    })?,
            );
        }
        drop(work_tx);
        for i in 0..n.max(1) {
            let (shared, work_rx, settled_tx) =
                (shared.clone(), work_rx.clone(), settled_tx.clone());
            threads.push(
                std::thread::Builder::new()
                    .name(format!("urna-request-{i}"))
                    .spawn(move || {
                        while let Ok(first) = work_rx.recv() {
                            let mut batch = vec![first];
                            while batch.len() < max_batch.max(1) {
                                match work_rx.try_recv() {
                                    Ok(q) => batch.push(q),
                                    Err(_) => break,
                                }
                            }
                            let mut checks = Vec::with_capacity(batch.len());
                            let mut refused = Vec::new();
                            for w in batch {
                                match w {
                                    Work::Check(c) => checks.push(*c),
                                    Work::Refused(r) => refused.push(*r),
                                }
                            }
                            // A panic must not take the thread with it; the
                            // batch's callers then get a fault (dropped senders).
                            if !checks.is_empty() {
                                let _ = catch_unwind(AssertUnwindSafe(|| {
                                    run_batch(&shared.services, checks, &settled_tx)
                                }));
                            }
                            if !refused.is_empty() {
                                let _ = catch_unwind(AssertUnwindSafe(|| {
                                    write_refusals(&shared.services, refused)
                                }));
                            }
                        }
                    })?,
            );
        }
        Ok(RequestThreads {
            tx,
            _threads: Arc::new(threads),
        })
    }

    /// Queues a job in its comune's turn and waits for its answer.
    pub async fn submit(&self, job: Job) -> Result<JobResult, JobFailed> {
        let (done, wait) = oneshot::channel();
        let key = job.caller.station.istat.to_string();
        self.tx.push(&key, (job, done));
        wait.await.map_err(|_| JobFailed)
    }
}

/// A gate thread: answers of settled requests first (they hold a client
/// waiting the longest), then new requests, comuni in turn.
fn gate_loop(
    shared: &Shared,
    queue: &std::sync::Weak<FairQueue<Queued>>,
    new_rx: &crossbeam_channel::Receiver<()>,
    settled_rx: &crossbeam_channel::Receiver<Settled>,
    work_tx: &crossbeam_channel::Sender<Work>,
) {
    loop {
        let work = match settled_rx.try_recv() {
            Ok(s) => Ok(s),
            Err(_) => crossbeam_channel::select! {
                recv(settled_rx) -> s => match s { Ok(s) => Ok(s), Err(_) => return },
                recv(new_rx) -> token => {
                    if token.is_err() {
                        return;
                    }
                    match queue.upgrade().and_then(|q| q.pop()) {
                        Some(q) => Err(q),
                        None => continue,
                    }
                }
            },
        };
        let _ = catch_unwind(AssertUnwindSafe(|| match work {
            Ok(settled) => answer(shared, settled, work_tx),
            Err((job, reply)) => check(shared, job, reply, work_tx),
        }));
    }
}

/// The gate: a checked request, or a refusal, queued for the database.
fn check(shared: &Shared, job: Job, reply: Reply, work: &crossbeam_channel::Sender<Work>) {
    let security = shared.security.as_deref();
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
        now: time::OffsetDateTime::now_utc(),
    });
    match gate::check_with(&job.body, job.family, frame.as_ref()) {
        Ok(checked) => {
            let auth = checked.signed.as_ref().map(|s| Authentication {
                operator: s.identity.operator.clone(),
                replay_key: s.replay_key.clone(),
                expires_ms: s.expires_ms,
            });
            let _ = work.send(Work::Check(Box::new(Checked {
                job,
                checked,
                auth,
                reply,
            })));
        }
        Err(f) => refuse(shared, &job, None, None, f, reply, work),
    }
}

/// Writes (and signs) the answer of a settled request.
fn answer(shared: &Shared, s: Settled, work: &crossbeam_channel::Sender<Work>) {
    let mtom = s.op.mtom_part().filter(|_| s.job.mtom);
    let answered = s.result.and_then(|h| {
        let body = body_of(shared, &h, mtom)?;
        Ok((h, body))
    });
    match answered {
        Ok((h, body)) => {
            let _ = s.reply.send(Ok((s.op, h, body)));
        }
        Err(e) => refuse(
            shared,
            &s.job,
            Some(s.op),
            s.operator.as_deref(),
            (shared.fault_of)(e),
            s.reply,
            work,
        ),
    }
}

/// The HTTP body of a handled request: its envelope, signed when
/// responses are signed, as MTOM/XOP when `mtom` names the part to move.
fn body_of(
    shared: &Shared,
    h: &Handled,
    mtom: Option<&urna_wire::mtom::Optimized>,
) -> Result<Body, urna_service::ServiceError> {
    let security = shared.security.as_deref();
    // A file streamed from disk (7002): signed around it.
    if let Some(file) = &h.file {
        return crate::streamed::sign(security, &h.body, file, mtom)
            .map(|streamed| Body::Streamed(Box::new(streamed)))
            .map_err(urna_service::ServiceError::Corrupt);
    }
    let env = envelope(&h.body);
    let env = match security {
        Some(sec) => sec.seal(env),
        None => env,
    };
    // Signed first, as inline base64; MTOM only serializes that envelope
    // differently (docs/anpr-interface.md §6001).
    Ok(match mtom {
        Some(part) => mtom_or_inline(env, part),
        None => Body::Xml(env),
    })
}

/// The signed envelope of a reply as MTOM/XOP when it carries its binary
/// `part` (6001's PDF, 7001's archive), else as it is (a KO, the retry of a
/// preview). Boundary and Content-ID are random per reply; a boundary met
/// inside a part is drawn again. Any other failure sends the envelope
/// inline, which is always a valid reply.
fn mtom_or_inline(env: String, part: &urna_wire::mtom::Optimized) -> Body {
    use urna_wire::mtom::{to_mtom, MtomError};
    let element = part.path.last().map_or("part", |(_, n)| *n);
    for _ in 0..3 {
        let boundary = format!("uuid:{}", uuid::Uuid::new_v4());
        let content_id = format!("{element}-{}@urna", uuid::Uuid::new_v4());
        match to_mtom(&env, part, &boundary, &content_id) {
            Ok(Some(m)) => return Body::Mtom(m),
            Ok(None) => return Body::Xml(env),
            Err(MtomError::BoundaryInContent(_)) => continue,
            Err(e) => {
                tracing::warn!(error = %e, element, "the part goes inline: the reply cannot be written as MTOM");
                return Body::Xml(env);
            }
        }
    }
    tracing::warn!(
        element,
        "the part goes inline: three random boundaries occurred in the reply"
    );
    Body::Xml(env)
}

/// A refusal after the pre-scan: its (signed) envelope, sent once a request
/// thread has written its audit entry. A storage failure is not audited
/// (the database is what failed) and is answered at once.
fn refuse(
    shared: &Shared,
    job: &Job,
    op: Option<Operation>,
    operator: Option<&str>,
    f: Fault,
    reply: Reply,
    work: &crossbeam_channel::Sender<Work>,
) {
    let security = shared.security.as_deref();
    let f = f.correlation(&job.correlation);
    let envelope = match security {
        Some(s) => s.seal(s.redact(f.clone()).to_envelope()),
        None => f.to_envelope(),
    };
    if f.reason == urna_wire::FaultReason::StorageUnavailable {
        let _ = reply.send(Err((op, f, envelope)));
        return;
    }
    let istat = job.caller.station.istat.to_string();
    let refusal = shared.services.refusal(
        op,
        &job.caller,
        Some(&istat),
        operator,
        &job.body,
        f.reason,
        &envelope,
    );
    let queued = work.send(Work::Refused(Box::new(Refused {
        refusal,
        answer: Err((op, f, envelope)),
        reply,
    })));
    if let Err(crossbeam_channel::SendError(Work::Refused(r))) = queued {
        tracing::error!(
            "the refusal could not be written to the audit log: the request threads are stopped"
        );
        let _ = r.reply.send(r.answer);
    }
}

/// Appends the refusals of a batch to the audit log in one transaction,
/// then answers them.
fn write_refusals(services: &Services, refused: Vec<Refused>) {
    let (records, answers): (Vec<_>, Vec<_>) = refused
        .into_iter()
        .map(|r| (r.refusal, (r.answer, r.reply)))
        .unzip();
    if let Err(e) = services.audit_refusals(&records) {
        tracing::error!(error = %e, refusals = records.len(), "refusals could not be written to the audit log");
    }
    for (answer, reply) in answers {
        let _ = reply.send(answer);
    }
}

/// The database part: one batch in one transaction; the results go back to
/// the gate threads to be written and signed.
fn run_batch(
    services: &Services,
    batch: Vec<Checked>,
    settled: &crossbeam_channel::Sender<Settled>,
) {
    let requests: Vec<Request<'_>> = batch
        .iter()
        .map(|c| Request {
            op: c.checked.operation,
            payload: &c.checked.payload,
            caller: &c.job.caller,
            correlation_id: &c.job.correlation,
            auth: c.auth.as_ref(),
        })
        .collect();
    let results = services.handle_batch(&requests);
    drop(requests);
    for (c, result) in batch.into_iter().zip(results) {
        let _ = settled.send(Settled {
            op: c.checked.operation,
            operator: c.auth.map(|a| a.operator),
            job: c.job,
            result,
            reply: c.reply,
        });
    }
}
