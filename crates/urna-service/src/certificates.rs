//! What 6001 needs to issue electoral certificates: the seal, the address
//! of the public verification page, how long an issued certificate is kept.

use time::Duration;

use urna_store::StoreError;

use crate::audit::AuditRecord;
use crate::{ServiceError, Services};

/// A time-stamper for the seal (PAdES B-T): given the signature value, the
/// DER RFC 3161 TimeStampToken of an authority over SHA-256 of it, or why
/// there is none. It blocks (a network round trip) on the request thread.
pub type SealTimeStamper = Box<dyn Fn(&[u8]) -> Result<Vec<u8>, String> + Send + Sync>;

/// The certificate issuer, configured once and shared by every request.
pub struct CertificateIssuer {
    sealer: urna_cert::Sealer,
    /// When set, every seal is time-stamped (B-T), and a certificate whose
    /// seal cannot be is not issued.
    stamper: Option<SealTimeStamper>,
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
            .field("timestamped", &self.stamper.is_some())
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
            stamper: None,
            seal_ca: seal_ca_pem,
            verify_base: verify_base.into(),
            validity,
        }
    }

    /// Time-stamps every seal with `stamper` (PAdES B-T): if it fails, or its
    /// token does not stamp the signature, the certificate is not issued
    /// ([`ServiceError::Certificate`]) rather than issued with a B-B seal.
    pub fn with_timestamper(mut self, stamper: SealTimeStamper) -> Self {
        self.stamper = Some(stamper);
        self
    }

    /// Whether seals are time-stamped.
    pub fn timestamped(&self) -> bool {
        self.stamper.is_some()
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
        if doc.preview {
            return urna_cert::render(doc).map_err(failed);
        }
        match &self.stamper {
            Some(stamp) => self
                .sealer
                .issue_timestamped(doc, stamp.as_ref())
                .map_err(failed),
            None => self.sealer.issue(doc).map_err(failed),
        }
    }
}

impl Services {
    /// Deletes the certificates that expired, each deletion an audit entry,
    /// all in one transaction; how many.
    #[tracing::instrument(skip(self))]
    pub fn sweep_certificates(&self) -> Result<usize, StoreError> {
        let now_ms = self.now_ms();
        self.store.write(|conn| {
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

/// Whether one certificate type can be issued for a subject, and why not.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Eligibility {
    /// 21 or 22.
    pub tipo: u8,
    pub issuable: bool,
    /// The refusal a 6001 would get: code and text.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<Refusal>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    pub code: &'static str,
    pub text: String,
}

impl Services {
    /// Which electoral certificates a 6001 could issue now for the subject
    /// with this codice fiscale, and for each refusal its code and text (an
    /// urna extension: ANPR has no such query, italia/anpr#5233). The
    /// subject's own refusals (not found, several) apply to both types.
    #[tracing::instrument(skip(self, codice_fiscale))]
    pub fn certificate_eligibility(
        &self,
        codice_fiscale: &str,
    ) -> Result<Vec<Eligibility>, StoreError> {
        use urna_domain::certificate::{certify, identify, CertificateType, Found, Generalita};
        let today = self.now().date();
        let refusals = |errors: Vec<urna_domain::Anomaly>| {
            errors
                .into_iter()
                .map(|a| Refusal {
                    code: a.code.wire(),
                    text: a.text,
                })
                .collect::<Vec<_>>()
        };
        self.store.read(|c| {
            let given = Generalita {
                codice_fiscale: Some(codice_fiscale.to_string()),
                ..Generalita::default()
            };
            let rows = crate::operations::find_holder(c, &given)?;
            let found = match rows.len() {
                0 => Found::None,
                1 => Found::One(Box::new(crate::operations::holder_of(&rows[0]))),
                n => Found::Many(n),
            };
            let kinds = [
                CertificateType::GodimentoDirittiPolitici,
                CertificateType::Iscrizione,
            ];
            let holder = match identify(&given, found, today) {
                Ok(h) => h,
                Err(e) => {
                    let r = refusals(e);
                    return Ok(kinds
                        .iter()
                        .map(|k| Eligibility {
                            tipo: k.code(),
                            issuable: false,
                            refusals: r.clone(),
                        })
                        .collect());
                }
            };
            let state = urna_store::electors::get(c, &holder.id_anpr)?;
            Ok(kinds
                .iter()
                .map(|&k| match certify(k, &holder, &state) {
                    Ok(_) => Eligibility {
                        tipo: k.code(),
                        issuable: true,
                        refusals: vec![],
                    },
                    Err(e) => Eligibility {
                        tipo: k.code(),
                        issuable: false,
                        refusals: refusals(e),
                    },
                })
                .collect())
        })
    }
}
