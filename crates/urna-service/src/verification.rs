//! The public verification page's logic (docs/certificates.md,
//! "Verification"): whoever holds a paper copy reaches the certificate by its
//! contrassegno (the id in the QR's URL, or the short code), answers a
//! challenge, and sees the certificate with its seal checked. Every view and
//! every failed answer is an audit entry (`certificate-view`, authentication
//! `anonymous-captcha`, the client's address, the certificate id as a digest).
//!
//! The challenge is generated here, without a third-party service: a sum of
//! two numbers written in words, in the certificate's languages, so that it
//! reads out on a screen reader. It is single-use, expires, and a client gets
//! a bounded number of challenges and failures per window.

use time::Duration;
use urna_store::captchas::{self, CaptchaRow, FAILED, OPEN, SOLVED};
use urna_store::{certificates, subjects, AnyConnection, StoreError};

use crate::audit::AuditRecord;
use crate::Services;

/// How long a challenge may be answered.
const ANSWER_WITHIN: Duration = Duration::minutes(10);
/// How long a solved challenge shows its certificate (page and PDF).
const SHOW_FOR: Duration = Duration::minutes(10);
/// The window of the per-client bounds.
const WINDOW: Duration = Duration::minutes(10);
/// Challenges per client per window.
const MAX_CHALLENGES: i64 = 30;
/// Failed answers per client per window.
const MAX_FAILURES: i64 = 5;

/// A challenge to show: its id (the form's hidden field) and the question,
/// in Italian and, for a bilingual certificate, the second language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub captcha_id: String,
    pub questions: Vec<(String, String)>,
}

/// What the page shows for a certificate id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Challenge(Challenge),
    /// No such certificate: never issued, or deleted after it expired.
    Unknown,
    /// Kept, but past its validity.
    Expired,
    /// This client asked too often or failed too often: wait.
    TooMany,
}

/// The certificate as the page presents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateView {
    pub id: String,
    /// 21 or 22.
    pub kind: u8,
    pub holder: String,
    pub born: String,
    /// The issuing comune's ISTAT code.
    pub issued_by: String,
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
    /// The languages (`IT`, `IT,DE`, …).
    pub languages: String,
    /// The seal, or why it does not verify.
    pub seal: Result<SealView, String>,
}

/// A verified seal as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealView {
    pub signer: String,
    /// The claimed signing time (`/M`).
    pub signed_at: String,
    /// A B-T seal's time-stamp (the TSA's time), when it has one.
    pub timestamp: Option<String>,
}

/// The answer's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Shown(Box<CertificateView>),
    /// Wrong, expired or already used: a new challenge is needed.
    Refused,
    Unknown,
    Expired,
    TooMany,
}

impl Services {
    fn audit_view(
        &self,
        conn: &mut AnyConnection,
        outcome: &str,
        client: &str,
        certificate_id: &str,
    ) -> Result<(), StoreError> {
        let e = AuditRecord::event(
            self.now_ms(),
            "certificate-view",
            outcome,
            format!("web:{client}"),
            "anonymous-captcha",
            certificate_id,
        );
        urna_store::audit::append(conn, &e.entry()).map(|_| ())
    }

    /// The certificate id a short code names, if it is kept.
    pub fn certificate_by_code(&self, code: &str) -> Result<Option<String>, StoreError> {
        let code = code.trim().to_ascii_uppercase();
        self.store
            .read(|c| Ok(certificates::by_code(c, &code)?.map(|r| r.id)))
    }

    /// A new challenge for `certificate_id`, asked by `client`.
    #[tracing::instrument(skip(self, certificate_id))]
    pub fn verification_challenge(
        &self,
        certificate_id: &str,
        client: &str,
    ) -> Result<Lookup, StoreError> {
        let now = self.now_ms();
        let since = now - WINDOW.whole_milliseconds() as i64;
        self.store.write(|c| {
            if captchas::issued_since(c, client, since)? >= MAX_CHALLENGES
                || captchas::failed_since(c, client, since)? >= MAX_FAILURES
            {
                self.audit_view(c, "TOO-MANY", client, certificate_id)?;
                return Ok(Lookup::TooMany);
            }
            let Some(cert) = certificates::get(c, certificate_id)? else {
                self.audit_view(c, "NOT-FOUND", client, certificate_id)?;
                return Ok(Lookup::Unknown);
            };
            if cert.expires_at <= now {
                self.audit_view(c, "EXPIRED", client, certificate_id)?;
                return Ok(Lookup::Expired);
            }
            let (a, b) = (rand::random_range(2..=9u32), rand::random_range(2..=9u32));
            let row = CaptchaRow {
                id: hex::encode(rand::random::<[u8; 16]>()),
                certificate_id: certificate_id.to_string(),
                answer: (a + b).to_string(),
                client: client.to_string(),
                created_at: now,
                expires_at: now + ANSWER_WITHIN.whole_milliseconds() as i64,
                state: OPEN,
            };
            captchas::insert(c, &row)?;
            let questions = cert
                .languages
                .split(',')
                .filter_map(|l| question(l.trim(), a, b).map(|q| (l.trim().to_string(), q)))
                .collect();
            Ok(Lookup::Challenge(Challenge {
                captcha_id: row.id,
                questions,
            }))
        })
    }

    /// Checks `answer` to challenge `captcha_id` (once), and on success the
    /// certificate with its seal verified.
    #[tracing::instrument(skip(self, certificate_id, captcha_id, answer))]
    pub fn verification_answer(
        &self,
        certificate_id: &str,
        captcha_id: &str,
        answer: &str,
        client: &str,
    ) -> Result<Verdict, StoreError> {
        let now = self.now_ms();
        let since = now - WINDOW.whole_milliseconds() as i64;
        type Found = (certificates::CertificateRow, Option<subjects::SubjectRow>);
        let shown = self
            .store
            .write(|c| -> Result<Result<Found, Verdict>, StoreError> {
                if captchas::failed_since(c, client, since)? >= MAX_FAILURES {
                    self.audit_view(c, "TOO-MANY", client, certificate_id)?;
                    return Ok(Err(Verdict::TooMany));
                }
                let right = match captchas::get(c, captcha_id, certificate_id)? {
                    Some(q) if q.state == OPEN && q.expires_at > now => q.answer == answer.trim(),
                    _ => false,
                };
                let (state, until) = if right {
                    (SOLVED, now + SHOW_FOR.whole_milliseconds() as i64)
                } else {
                    (FAILED, now)
                };
                // Single use: a challenge settles once, even under concurrent answers.
                let settled = captchas::settle(c, captcha_id, state, until)?;
                if !(right && settled) {
                    self.audit_view(c, "CAPTCHA-FAILED", client, certificate_id)?;
                    return Ok(Err(Verdict::Refused));
                }
                let Some(cert) = certificates::get(c, certificate_id)? else {
                    self.audit_view(c, "NOT-FOUND", client, certificate_id)?;
                    return Ok(Err(Verdict::Unknown));
                };
                if cert.expires_at <= now {
                    self.audit_view(c, "EXPIRED", client, certificate_id)?;
                    return Ok(Err(Verdict::Expired));
                }
                self.audit_view(c, "OK", client, certificate_id)?;
                let holder = subjects::get(c, &cert.id_soggetto)?;
                Ok(Ok((cert, holder)))
            })?;
        let (cert, holder) = match shown {
            Ok(found) => found,
            Err(verdict) => return Ok(verdict),
        };
        let seal = match &self.certificates {
            Some(issuer) => urna_cert::verify_seal(&cert.pdf, issuer.seal_ca())
                .map(|s| SealView {
                    signer: s.signer,
                    signed_at: s.signed_at.to_string(),
                    timestamp: s.timestamp.map(|t| t.to_string()),
                })
                .map_err(|e| e.to_string()),
            None => Err("this server has no seal configured to check against".into()),
        };
        Ok(Verdict::Shown(Box::new(CertificateView {
            id: cert.id,
            kind: u8::try_from(cert.tipo).unwrap_or_default(),
            holder: holder
                .as_ref()
                .map(|h| format!("{} {}", h.cognome, h.nome))
                .unwrap_or_default(),
            born: holder.map(|h| h.data_nascita).unwrap_or_default(),
            issued_by: cert.comune_istat,
            issued_at_ms: cert.issued_at,
            expires_at_ms: cert.expires_at,
            languages: cert.languages,
            seal,
        })))
    }

    /// The certificate's PDF, while challenge `captcha_id` (solved for it)
    /// lets it be shown.
    pub fn verification_pdf(
        &self,
        certificate_id: &str,
        captcha_id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let now = self.now_ms();
        self.store.read(|c| {
            match captchas::get(c, captcha_id, certificate_id)? {
                Some(q) if q.state == SOLVED && q.expires_at > now => {}
                _ => return Ok(None),
            }
            Ok(certificates::get(c, certificate_id)?
                .filter(|r| r.expires_at > now)
                .map(|r| r.pdf))
        })
    }
}

/// The challenge's question in `language` (`IT`, `DE`, `FR`, `SL`).
fn question(language: &str, a: u32, b: u32) -> Option<String> {
    const IT: [&str; 10] = [
        "zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove",
    ];
    const DE: [&str; 10] = [
        "null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun",
    ];
    const FR: [&str; 10] = [
        "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf",
    ];
    const SL: [&str; 10] = [
        "nič", "ena", "dve", "tri", "štiri", "pet", "šest", "sedem", "osem", "devet",
    ];
    let (a, b) = (a as usize % 10, b as usize % 10);
    Some(match language {
        "IT" => format!(
            "Quanto fa {} più {}? Scrivere il risultato in cifre.",
            IT[a], IT[b]
        ),
        "DE" => format!(
            "Wie viel ist {} plus {}? Das Ergebnis in Ziffern eingeben.",
            DE[a], DE[b]
        ),
        "FR" => format!(
            "Combien font {} plus {} ? Écrire le résultat en chiffres.",
            FR[a], FR[b]
        ),
        "SL" => format!(
            "Koliko je {} plus {}? Rezultat vpišite s številkami.",
            SL[a], SL[b]
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::question;

    #[test]
    fn questions_in_every_language() {
        assert_eq!(
            question("IT", 3, 4).unwrap(),
            "Quanto fa tre più quattro? Scrivere il risultato in cifre."
        );
        for l in ["DE", "FR", "SL"] {
            assert!(question(l, 9, 2).is_some(), "{l}");
        }
        assert!(question("EN", 1, 1).is_none());
    }
}
