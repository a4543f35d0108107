//! The security frame (spec §17): WS-Security verification of inbound
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

macro_rules! reasons {
    ($( $variant:ident = $code:literal, policy = $policy:literal, $remedy:literal; )*) => {
        /// Reason codes of security refusals (`docs/security.md` lists each
        /// with its remedy).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Reason {
            $( $variant, )*
        }

        impl Reason {
            pub const ALL: &'static [Reason] = &[$( Reason::$variant, )*];

            /// The code carried in faults and logs.
            pub fn code(self) -> &'static str {
                match self { $( Reason::$variant => $code, )* }
            }

            /// ANPR answers these with "Rejected by policy." (spec §17.7);
            /// the others with "Internal Error (from client)".
            pub fn is_policy(self) -> bool {
                match self { $( Reason::$variant => $policy, )* }
            }

            /// What the sender should do.
            pub fn remedy(self) -> &'static str {
                match self { $( Reason::$variant => $remedy, )* }
            }
        }
    };
}

reasons! {
    SecurityMissing = "security-header-missing", policy = false,
        "Send soap:Header/wsse:Security (mustUnderstand=1) with wsu:Timestamp, the signed saml2:Assertion and the message ds:Signature (spec §17.2).";
    SecurityMalformed = "security-header-malformed", policy = false,
        "Send exactly one wsse:Security with exactly one wsu:Timestamp, one saml2:Assertion, one ds:Signature and at most one wsse:BinarySecurityToken, and nothing else.";
    TimestampMissing = "timestamp-missing", policy = false,
        "Add wsu:Timestamp with wsu:Created and wsu:Expires (UTC, 'Z') to wsse:Security and sign it.";
    TimestampMalformed = "timestamp-malformed", policy = false,
        "wsu:Created and wsu:Expires must be xs:dateTime values in UTC with 'Z', Created before Expires.";
    TimestampExpired = "timestamp-expired", policy = true,
        "Build the Timestamp when sending; check the workstation clock (NTP) and the Expires you set.";
    TimestampInFuture = "timestamp-in-future", policy = true,
        "The workstation clock is ahead of urna's: synchronise it (NTP).";
    SignatureMissing = "signature-missing", policy = false,
        "Sign the Timestamp and the Body with the workstation key (ds:Signature in wsse:Security).";
    SignatureCount = "signature-count", policy = false,
        "A request carries exactly two ds:Signature: the message signature in wsse:Security and the assertion's enveloped signature.";
    DuplicateId = "duplicate-id", policy = true,
        "Ids (wsu:Id, Id, ID) must be unique in the message.";
    ReferenceMissing = "reference-missing", policy = false,
        "Every ds:Reference URI must name an element of the message (#id of the Body, of the Timestamp).";
    ReferenceNotBody = "reference-not-body", policy = true,
        "The message signature must reference /soap:Envelope/soap:Body itself.";
    ReferenceNotTimestamp = "reference-not-timestamp", policy = true,
        "The message signature must reference the wsu:Timestamp of wsse:Security.";
    ReferenceUnexpected = "reference-unexpected", policy = true,
        "The message signature references exactly the Timestamp and the Body; the assertion signature exactly its Assertion.";
    TooManyReferences = "too-many-references", policy = true,
        "Keep to the references the profile needs (two in the message signature, one in the assertion).";
    AlgorithmNotAllowed = "algorithm-not-allowed", policy = true,
        "Use exclusive C14N, SHA-1 or SHA-256 digests, RSA-SHA1 or RSA-SHA256 signatures, and the transforms exc-c14n (or enveloped-signature + exc-c14n).";
    DigestMismatch = "digest-mismatch", policy = true,
        "The signed element was changed after signing (re-indentation, proxies, encoding): send the bytes you signed.";
    SignatureInvalid = "signature-invalid", policy = true,
        "SignatureValue does not verify with the certificate in KeyInfo: sign SignedInfo (canonicalised) with the workstation key.";
    KeyInfoUnsupported = "keyinfo-unsupported", policy = true,
        "Name the key by ds:X509Data/X509Certificate, by wsse:SecurityTokenReference to a BinarySecurityToken (X509v3), or by X509IssuerSerial of a registered station.";
    UntrustedCertificate = "untrusted-certificate", policy = true,
        "Sign with a workstation certificate issued by the station CA (CA Postazioni) of this environment.";
    CertificateExpired = "certificate-expired", policy = true,
        "The workstation certificate is outside its validity: renew it.";
    CertificateRevoked = "certificate-revoked", policy = true,
        "The workstation certificate is revoked: request a new one.";
    NotAStationCertificate = "not-a-station-certificate", policy = true,
        "The signer must be a workstation certificate: CN=<ISTAT>-<CO|PC>-<NNNN>, OU=Postazioni di lavoro, keyUsage digitalSignature.";
    AssertionMissing = "assertion-missing", policy = false,
        "Add the SAML 2.0 assertion (spec §17.3) to wsse:Security.";
    AssertionInvalid = "assertion-invalid", policy = true,
        "The assertion needs Version 2.0, an ID, Issuer, Subject/NameID (operator codice fiscale), Conditions and the attributes IdSede, IdPostazione, IdPostazioneFirmato.";
    AssertionExpired = "assertion-expired", policy = true,
        "Build the assertion when sending: Conditions NotBefore/NotOnOrAfter must include now.";
    AssertionSignatureInvalid = "assertion-signature-invalid", policy = true,
        "Sign the assertion (enveloped signature, Reference to its ID) with the workstation key.";
    IdPostazioneFirmatoInvalid = "id-postazione-firmato-invalid", policy = true,
        "IdPostazioneFirmato must be a CMS SignedData of the IdPostazione string, signed with the workstation key (spec §17.5).";
    IdentityMismatch = "identity-mismatch", policy = true,
        "TLS client certificate, message signer and assertion signer must be the same workstation; IdSede = ISTAT of the certificate = codMittente; IdPostazione = the certificate CN.";
    Replay = "replay", policy = true,
        "Each request is signed anew: a message (SignatureValue) is accepted once until its Timestamp expires.";
}

/// The result of checking the security frame's certificate and binding
/// rules, before it reaches the domain.
pub type Result<T> = std::result::Result<T, SecurityError>;

/// The operator and station a verified request speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Certificate CN `<ISTAT>-<TT>-<NNNN>`.
    pub station: String,
    /// The ISTAT code of the station (= IdSede = codMittente).
    pub istat: String,
    /// SAML Subject NameID: the operator's codice fiscale.
    pub operator: String,
    /// `IdApplicazione`, when sent.
    pub application: Option<String>,
    /// SHA-256 of the signer certificate (hex).
    pub signer_fingerprint: String,
}

/// Initialises OpenSSL the way `openssl-sys` does (without an exit-time
/// cleanup handler), before anything else can trigger OpenSSL's implicit
/// initialisation, which registers one: that handler races the thread-local
/// destructors of threads still ending at process exit ("double free").
/// Every entry point of the frame calls it; it runs once.
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
