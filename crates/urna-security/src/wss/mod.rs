//! The security frame (docs/security.md): WS-Security verification of inbound
//! requests and signing of urna's responses.
//!
//! * [`verify::verify`] checks `wsse:Security` on the one parsed tree the
//!   gate also dispatches and validates: the Timestamp, the SAML 2.0
//!   assertion and its enveloped signature, the message signature over
//!   exactly the Timestamp and the Body (selected by absolute path and
//!   compared by node identity, never by id alone), the signer certificate
//!   against the station CA, and the identity binding between the TLS client
//!   certificate, the signers, `IdSede`/`IdPostazione` and `codMittente`.
//!   Its result, [`verify::Verified`], can only be built by the verifier and
//!   hands out the Body node it verified.
//! * [`sign`] produces the same frame: urna's signed responses, and the
//!   client-side signing used by the test kit, the load generator and the
//!   conformance helper.
//!
//! Everything a refusal says is in [`SecurityError`]: a stable reason code
//! (documented in `docs/security.md`) and a precise text.

pub mod algorithms;
pub mod c14n;
pub mod client;
pub mod sign;
pub mod trust;
pub mod verify;

pub use algorithms::{DigestAlg, SignatureAlg};
pub use sign::{ClientSigner, Operator, ResponseSigner, SigningKey};
pub use trust::{Signer, Trust};
pub use verify::{verify, Policy, Verified};

/// Namespaces of the frame.
pub mod ns {
    pub const WSSE: &str =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    pub const WSU: &str =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
    pub const EC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
    pub const SAML2: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
    pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
    pub const XS: &str = "http://www.w3.org/2001/XMLSchema";
    pub const X509V3: &str =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";
    pub const BASE64_BINARY: &str =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";
}

/// Why a message was refused: a stable reason code plus a precise text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", reason.code())]
pub struct SecurityError {
    pub reason: Reason,
    pub message: String,
}

impl SecurityError {
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        SecurityError {
            reason,
            message: message.into(),
        }
    }
}

pub use urna_wire::reason::SecurityReason as Reason;

/// The result of checking the security frame's certificate and binding
/// rules, before it reaches the domain.
pub type Result<T> = std::result::Result<T, SecurityError>;

/// The operator and station a verified request speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The station of the certificate (its ISTAT code = IdSede = codMittente).
    pub station: urna_domain::StationId,
    /// SAML Subject NameID: the operator's codice fiscale.
    pub operator: String,
    /// `IdApplicazione`, when sent.
    pub application: Option<String>,
    /// SHA-256 of the signer certificate (hex).
    pub signer_fingerprint: String,
}

/// Initialises OpenSSL the way `openssl-sys` does, without an exit-time
/// cleanup handler (`OPENSSL_INIT_NO_ATEXIT`), before anything else can
/// trigger OpenSSL's implicit initialisation, which registers one. Every
/// entry point of the frame calls it; it runs once.
///
/// Why, once for the whole code base: when the process exits, that handler
/// frees every thread's OpenSSL state while threads that are still ending
/// free their own thread-local state: "double free or corruption" after a
/// passing test or at a server's shutdown. libpq registered it when it came
/// first (it negotiates TLS even with a local PostgreSQL), so `urna-store`
/// initialises OpenSSL before each connection (checked by its
/// `tests/openssl_exit.rs`); and since libxml2 also frees its globals at
/// exit, the gate threads and the test kit's signing thread never end.
pub fn init_openssl() {
    openssl::init();
}

/// OpenSSL 3's key objects keep internal caches that are not safe to use
/// from several threads at once (heap corruption seen under concurrent
/// signing with one shared key). Keys and certificates shared across
/// threads are therefore used through per-thread copies, made from their DER
/// once per thread and kept.
pub(crate) mod per_thread {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use openssl::pkey::{PKey, Private, Public};
    use openssl::x509::X509;

    type CertCopies = HashMap<Vec<u8>, (X509, PKey<Public>)>;

    thread_local! {
        static PRIVATE: RefCell<HashMap<Vec<u8>, PKey<Private>>> = RefCell::new(HashMap::new());
        static CERTS: RefCell<CertCopies> = RefCell::new(HashMap::new());
    }

    /// This thread's copy of the private key whose PKCS#8 DER is `der`.
    pub fn private_key(der: &[u8]) -> Result<PKey<Private>, openssl::error::ErrorStack> {
        PRIVATE.with(|m| {
            let mut m = m.borrow_mut();
            if let Some(k) = m.get(der) {
                return Ok(k.clone());
            }
            let k = PKey::private_key_from_der(der)?;
            m.insert(der.to_vec(), k.clone());
            Ok(k)
        })
    }

    /// This thread's copy of the certificate `der` and of its public key.
    pub fn cert(der: &[u8]) -> Result<(X509, PKey<Public>), openssl::error::ErrorStack> {
        CERTS.with(|m| {
            let mut m = m.borrow_mut();
            if let Some(c) = m.get(der) {
                return Ok(c.clone());
            }
            let x = X509::from_der(der)?;
            let k = x.public_key()?;
            if m.len() > 1000 {
                m.clear();
            }
            m.insert(der.to_vec(), (x.clone(), k.clone()));
            Ok((x, k))
        })
    }
}

pub fn b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Decodes base64 that may contain XML whitespace (line breaks).
pub fn unb64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_codes_are_unique_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for r in Reason::ALL {
            assert!(seen.insert(r.code()), "{} twice", r.code());
            assert!(!r.remedy().is_empty());
        }
        let doc = include_str!("../../../../docs/security.md");
        for r in Reason::ALL {
            assert!(
                doc.contains(&format!("`{}`", r.code())),
                "docs/security.md does not document {}",
                r.code()
            );
        }
    }
}
