//! What 6001 needs to issue electoral certificates: the seal, the address
//! of the public verification page, how long an issued certificate is kept.

use time::Duration;

use urna_store::StoreError;

use crate::audit::AuditRecord;
use crate::{ServiceError, Services};

/// The certificate issuer, configured once and shared by every request.
pub struct CertificateIssuer {
    sealer: urna_cert::Sealer,
    /// The CA (PEM) the seal's certificate chains to: what the public page
    /// checks the seal against.
    seal_ca: Vec<u8>,
    verify_base: String,
    /// How long an issued certificate is kept, then swept.
    pub validity: Duration,
}

impl std::fmt::Debug for CertificateIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateIssuer")
            .field("seal", &self.sealer.subject())
            .field("verify_base", &self.verify_base)
            .field("validity", &self.validity)
            .finish()
    }
}

impl CertificateIssuer {
    /// `verify_base` is the public page's address without the certificate id,
    /// e.g. `https://elettorale.example.it/verifica`.
    pub fn new(
        sealer: urna_cert::Sealer,
        seal_ca_pem: Vec<u8>,
        verify_base: impl Into<String>,
        validity: Duration,
    ) -> Self {
        CertificateIssuer {
            sealer,
            seal_ca: seal_ca_pem,
            verify_base: verify_base.into(),
            validity,
        }
    }

    /// The CA (PEM) the seal chains to.
    pub fn seal_ca(&self) -> &[u8] {
        &self.seal_ca
    }

    /// The address the contrassegno of certificate `id` leads to.
    pub fn verify_url(&self, id: &str) -> String {
        format!("{}/{id}", self.verify_base.trim_end_matches('/'))
    }

    /// The PDF of `doc`: sealed, unless it is a preview (which certifies
    /// nothing and is not kept).
    pub fn issue(&self, doc: &urna_cert::CertificateDoc) -> Result<Vec<u8>, ServiceError> {
        let failed = |e: urna_cert::CertError| ServiceError::Certificate(e.to_string());
        let pdf = urna_cert::render(doc).map_err(failed)?;
        if doc.preview {
            return Ok(pdf);
        }
        self.sealer.seal(&pdf, doc.issued_at).map_err(failed)
    }
}

impl Services {
    /// Deletes the certificates that expired, each deletion an audit entry,
    /// all in one transaction; how many.
    #[tracing::instrument(skip(self))]
    pub fn sweep_certificates(&self) -> Result<usize, StoreError> {
        let now_ms = (self.now().unix_timestamp_nanos() / 1_000_000) as i64;
        self.store.write(|conn| {
            urna_store::captchas::sweep(conn, now_ms)?;
            let gone = urna_store::certificates::sweep(conn, now_ms)?;
            for (id, _) in &gone {
                let entry = AuditRecord::event(
                    now_ms,
                    "certificate-expired",
                    "DELETED",
                    "urna",
                    "system",
                    id,
                );
                urna_store::audit::append(conn, &entry.entry())?;
            }
            Ok(gone.len())
        })
    }
}
