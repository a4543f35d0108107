//! A small fixed pool of threads for the libxml2 gate and the database
//! transaction.
//!
//! Why not `web::block`: tokio's blocking pool grows to one thread per
//! in-flight request, so under load every request pays a context switch, a
//! cold cache and (once per thread) the compilation of the XSD validators,
//! while the threads mostly queue on the database anyway. A pool sized to the
//! machine keeps the per-thread validators warm and the switches few.

use std::sync::Arc;

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The pool; cloning shares it.
#[derive(Clone)]
pub struct Workers {
    tx: crossbeam_channel::Sender<Job>,
    _threads: Arc<Vec<std::thread::JoinHandle<()>>>,
}

/// The job did not complete: it panicked, or the pool is shutting down.
#[derive(Debug, thiserror::Error)]
#[error("the request worker did not complete the job (panic or shutdown)")]
pub struct JobFailed;

impl Workers {
    /// Starts `n` named threads.
    pub fn start(n: usize) -> std::io::Result<Workers> {
        let (tx, rx) = crossbeam_channel::unbounded::<Job>();
        let threads = (0..n.max(1))
            .map(|i| {
                let rx = rx.clone();
                std::thread::Builder::new()
                    .name(format!("urna-worker-{i}"))
                    .spawn(move || {
                        while let Ok(job) = rx.recv() {
                            // A panicking job must not take the thread with it.
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        }
                    })
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Workers {
            tx,
            _threads: Arc::new(threads),
        })
    }

    /// Runs `f` on the pool and awaits its result.
    pub async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, JobFailed> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Box::new(move || {
                let _ = done.send(f());
            }))
            .map_err(|_| JobFailed)?;
        wait.await.map_err(|_| JobFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_returns_results() {
        let w = Workers::start(2).unwrap();
        let results = futures_util::future::join_all((0..50).map(|i| w.run(move || i * 2))).await;
        let sum: i32 = results.into_iter().map(Result::unwrap).sum();
        assert_eq!(sum, (0..50).map(|i| i * 2).sum::<i32>());
    }

    #[tokio::test]
    async fn a_panicking_job_fails_alone_and_the_pool_survives() {
        let w = Workers::start(1).unwrap();
        let r = w.run(|| -> i32 { panic!("boom") }).await;
        assert!(r.is_err());
        assert_eq!(w.run(|| 7).await.unwrap(), 7);
    }
}
