//! The security frame at run time: the verification policy, the station
//! trust (CA, CRL, registered stations), urna's response signer, and the
//! switch that keeps precise refusal texts out of faults in production.

use std::path::Path;

use urna_pki::PkiDir;
use urna_security::wss::{self, ResponseSigner, SigningKey, Trust};
use urna_wire::envelope::Fault;

use crate::config::Settings;

pub struct SecurityRuntime {
    /// Refuse requests without a valid frame.
    pub require: bool,
    pub verbose: bool,
    pub policy: wss::Policy,
    pub trust: Trust,
    pub signer: Option<ResponseSigner>,
}

impl std::fmt::Debug for SecurityRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityRuntime")
            .field("require", &self.require)
            .field("verbose", &self.verbose)
            .finish_non_exhaustive()
    }
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

impl SecurityRuntime {
    pub fn load(settings: &Settings, pki: &PkiDir) -> anyhow::Result<SecurityRuntime> {
        let s = &settings.security;
        let ca = settings
            .tls
            .client_ca
            .clone()
            .unwrap_or_else(|| pki.ca_cert());
        let crl = settings
            .tls
            .crl
            .clone()
            .or_else(|| Some(pki.crl()).filter(|p| p.exists()));
        // Registered stations (KeyInfo by issuer and serial).
        let mut registered = Vec::new();
        if let Ok(entries) = std::fs::read_dir(pki.stations_dir()) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "crt") {
                    if let Ok(c) = openssl::x509::X509::from_pem(&read(&p)?) {
                        registered.push(c);
                    }
                }
            }
        }
        let trust = Trust::new(&read(&ca)?, crl.as_deref(), registered)
            .map_err(|e| anyhow::anyhow!("station trust: {e}"))?;
        let signer = if s.sign_responses {
            let cert = s
                .signing_cert
                .clone()
                .unwrap_or_else(|| pki.service_signer_cert());
            let key = s
                .signing_key
                .clone()
                .unwrap_or_else(|| pki.service_signer_key());
            let key = SigningKey::from_pem(&read(&cert)?, &read(&key)?)
                .map_err(|e| anyhow::anyhow!("service signing key {}: {e}", cert.display()))?;
            Some(ResponseSigner {
                key,
                algorithm: s.response_algorithm,
                key_info: s.response_key_info,
                ttl_secs: s.response_ttl_secs,
            })
        } else {
            None
        };
        Ok(SecurityRuntime {
            require: s.require_signature,
            verbose: s.verbose_faults,
            policy: s.policy.clone(),
            trust,
            signer,
        })
    }

    /// The fault as it goes out: in a non-verbose profile a security refusal
    /// keeps its reason code and correlation id, and its cause stays in the log.
    pub fn redact(&self, f: Fault) -> Fault {
        redact(f, self.verbose)
    }

    /// The envelope as it goes out: signed when responses are signed. A
    /// signing failure is logged and the envelope goes unsigned rather than
    /// not at all.
    pub fn seal(&self, envelope: String) -> String {
        match &self.signer {
            None => envelope,
            Some(s) => match s.sign(&envelope, time::OffsetDateTime::now_utc()) {
                Ok(signed) => signed,
                Err(e) => {
                    tracing::error!(error = %e, "response signing failed");
                    envelope
                }
            },
        }
    }
}

/// True for refusals of the security frame and of the TLS identity.
pub fn is_security_fault(f: &Fault) -> bool {
    f.policy || f.reason.is_security()
}

pub fn redact(mut f: Fault, verbose: bool) -> Fault {
    if !verbose && is_security_fault(&f) {
        f.message = format!(
            "refused by the security policy ({}); the correlation id identifies the cause in urna's log",
            f.reason
        );
        f.line = None;
        f.column = None;
        f.path = None;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_faults_keep_reason_and_correlation_only() {
        let f = Fault::policy(
            urna_wire::SecurityReason::TimestampExpired,
            "the Timestamp expired 42 s ago",
        )
        .correlation("c1");
        let quiet = redact(f.clone(), false);
        assert_eq!(quiet.reason.code(), "timestamp-expired");
        assert_eq!(quiet.correlation_id, "c1");
        assert!(!quiet.message.contains("42 s"), "{}", quiet.message);
        assert_eq!(redact(f.clone(), true), f);
        // Not a security refusal: unchanged.
        let x = Fault::client(urna_wire::FaultReason::XsdInvalid, "element 'cap'");
        assert_eq!(redact(x.clone(), false), x);
    }
}
