//! [`Services`]: the application services every worker shares, and the
//! façade the HTTP layer reaches the store through.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use time::OffsetDateTime;
use urna_domain::header::HeaderPolicy;
use urna_store::{Store, StoreError};
use urna_wire::{Element, Operation};

use crate::certificates::CertificateIssuer;
use crate::subentro::{FileKind, SubentroError, UploadReport};
use crate::{Caller, Handled, Request, ServiceError};

/// The application services, shared by all workers.
#[derive(Clone)]
pub struct Services {
    pub(crate) store: Arc<Store>,
    pub(crate) policy: HeaderPolicy,
    clock: Arc<dyn Fn() -> OffsetDateTime + Send + Sync>,
    /// Batches handled, to prune replay keys every so many.
    pub(crate) batches: Arc<AtomicU64>,
    /// Serve operators not registered for the comune (local-testing profile).
    pub(crate) allow_unknown_operators: bool,
    /// Issues 6001's certificates; without it 6001 answers a fault.
    pub(crate) certificates: Option<Arc<CertificateIssuer>>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("store", &self.store)
            .finish()
    }
}

impl Services {
    pub fn new(store: Arc<Store>, policy: HeaderPolicy) -> Self {
        Services {
            store,
            policy,
            clock: Arc::new(OffsetDateTime::now_utc),
            batches: Arc::new(AtomicU64::new(0)),
            allow_unknown_operators: false,
            certificates: None,
        }
    }

    /// Issues electoral certificates (6001) with this seal and page.
    pub fn with_certificates(mut self, issuer: CertificateIssuer) -> Self {
        self.certificates = Some(Arc::new(issuer));
        self
    }

    /// Serves SAML operators not registered for the comune (the
    /// local-testing profile); registered ones still need their profile.
    pub fn allow_unknown_operators(mut self, allow: bool) -> Self {
        self.allow_unknown_operators = allow;
        self
    }

    /// Replaces the clock (tests).
    pub fn with_clock(
        mut self,
        clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
    ) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// [`Services::now`] in milliseconds since the epoch.
    pub(crate) fn now_ms(&self) -> i64 {
        (self.now().unix_timestamp_nanos() / 1_000_000) as i64
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The shared store (for background jobs).
    pub fn store_arc(&self) -> Arc<Store> {
        self.store.clone()
    }

    /// Handles one dispatched, XSD-valid request.
    pub fn handle(
        &self,
        op: Operation,
        payload: &Element,
        caller: &Caller,
        correlation_id: &str,
    ) -> Result<Handled, ServiceError> {
        let request = Request {
            op,
            payload,
            caller,
            correlation_id,
            auth: None,
        };
        self.handle_batch(std::slice::from_ref(&request))
            .pop()
            .expect("one result per request")
    }

    /// Whether `istat` may upload a takeover file of `kind` today: `Ok` or
    /// the refusal (R-T1, R-T2, R-T5, an inactive comune).
    #[tracing::instrument(skip(self), fields(kind = kind.key()))]
    pub fn subentro_admissible(&self, istat: &str, kind: FileKind) -> Result<(), SubentroError> {
        let today = self.now().date().to_string();
        self.store
            .read(|c| Ok(crate::subentro::admissible(c, istat, kind, &today)))?
            .map(|_| ())
    }

    /// Loads a takeover file (blocking; see [`crate::subentro::upload`]).
    #[tracing::instrument(skip(self, path), fields(kind = kind.key()))]
    pub fn subentro_upload(
        &self,
        istat: &str,
        kind: FileKind,
        path: &std::path::Path,
    ) -> Result<UploadReport, SubentroError> {
        crate::subentro::upload(&self.store, istat, kind, path, &mut |_| {})
    }

    /// The comune's takeover jobs, sections first.
    #[tracing::instrument(skip(self))]
    pub fn subentro_jobs(&self, istat: &str) -> Result<Vec<urna_store::subentro::Job>, StoreError> {
        self.store.read(|c| {
            let mut v = urna_store::subentro::jobs(c, istat, "sezioni")?;
            v.extend(urna_store::subentro::jobs(c, istat, "liste")?);
            Ok(v)
        })
    }
}
