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
use urna_service::{Caller, Handled, Request, Services};
use urna_wire::envelope::Fault;
use urna_wire::Operation;

/// A pre-scanned request waiting for a request thread.
pub struct Job {
    pub body: Vec<u8>,
    /// Port family it was posted to.
    pub family: u16,
    pub caller: Caller,
    pub correlation: String,
}

/// What a request thread answers: the operation and the handled request, or
/// a fault (with the operation when dispatch got that far).
pub type JobResult = Result<(Operation, Handled), (Option<Operation>, Fault)>;

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
    ) -> std::io::Result<Self> {
        let (tx, rx) = crossbeam_channel::unbounded::<Queued>();
        let threads = (0..n.max(1))
            .map(|i| {
                let rx = rx.clone();
                let services = services.clone();
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
                                run_batch(&services, batch, fault_of)
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

fn run_batch(
    services: &Services,
    batch: Vec<Queued>,
    fault_of: fn(urna_service::ServiceError) -> Fault,
) {
    let mut ready = Vec::with_capacity(batch.len());
    for (job, reply) in batch {
        match gate::check(&job.body, job.family) {
            Ok(checked) => ready.push((job, checked, reply)),
            Err(f) => {
                let _ = reply.send(Err((None, f)));
            }
        }
    }
    if ready.is_empty() {
        return;
    }
    let requests: Vec<Request<'_>> = ready
        .iter()
        .map(|(job, c, _)| Request {
            op: c.operation,
            payload: &c.payload,
            caller: &job.caller,
            correlation_id: &job.correlation,
        })
        .collect();
    let results = services.handle_batch(&requests);
    drop(requests);
    for ((_, c, reply), r) in ready.into_iter().zip(results) {
        let op = c.operation;
        let _ = reply.send(r.map(|h| (op, h)).map_err(|e| (Some(op), fault_of(e))));
    }
}
