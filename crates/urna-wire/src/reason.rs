//! Every reason a SOAP fault can carry, in one catalogue: the stable code
//! that goes into the fault's `u:reason`, the logs, the metrics and the
//! audit log. Security refusals are listed with their ANPR wording and the
//! remedy (`docs/security.md` documents every code, checked by tests).

macro_rules! security_reasons {
    ($( $variant:ident = $code:literal, policy = $policy:literal, $remedy:literal; )*) => {
        /// Reason codes of security refusals (`docs/security.md` lists each
        /// with its remedy).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum SecurityReason {
            $( $variant, )*
        }

        impl SecurityReason {
            pub const ALL: &'static [SecurityReason] = &[$( SecurityReason::$variant, )*];

            /// The code carried in faults and logs.
            pub fn code(self) -> &'static str {
                match self { $( SecurityReason::$variant => $code, )* }
            }

            /// ANPR answers these with "Rejected by policy."; the others with
            /// "Internal Error (from client)" (docs/security.md, "Gateway faults").
            pub fn is_policy(self) -> bool {
                match self { $( SecurityReason::$variant => $policy, )* }
            }

            /// What the sender should do.
            pub fn remedy(self) -> &'static str {
                match self { $( SecurityReason::$variant => $remedy, )* }
            }
        }
    };
}

security_reasons! {
    SecurityMissing = "security-header-missing", policy = false,
        "Send soap:Header/wsse:Security (mustUnderstand=1) with wsu:Timestamp, the signed saml2:Assertion and the message ds:Signature (docs/security.md, 'Header layout').";
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
        "Add the SAML 2.0 assertion to wsse:Security (docs/security.md, 'The SAML assertion').";
    AssertionInvalid = "assertion-invalid", policy = true,
        "The assertion needs Version 2.0, an ID, Issuer, Subject/NameID (operator codice fiscale), Conditions and the attributes IdSede, IdPostazione, IdPostazioneFirmato.";
    AssertionExpired = "assertion-expired", policy = true,
        "Build the assertion when sending: Conditions NotBefore/NotOnOrAfter must include now.";
    AssertionSignatureInvalid = "assertion-signature-invalid", policy = true,
        "Sign the assertion (enveloped signature, Reference to its ID) with the workstation key.";
    IdPostazioneFirmatoInvalid = "id-postazione-firmato-invalid", policy = true,
        "IdPostazioneFirmato must be a CMS SignedData of the IdPostazione string, signed with the workstation key (docs/security.md, 'Station certificates').";
    IdentityMismatch = "identity-mismatch", policy = true,
        "TLS client certificate, message signer and assertion signer must be the same workstation; IdSede = ISTAT of the certificate = codMittente; IdPostazione = the certificate CN.";
    Replay = "replay", policy = true,
        "Each request is signed anew: a message (SignatureValue) is accepted once until its Timestamp expires.";
}

macro_rules! fault_reasons {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal; )*) => {
        /// The reason of a fault.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FaultReason {
            $( $(#[$doc])* $variant, )*
            /// A refusal of the security frame.
            Security(SecurityReason),
        }

        impl FaultReason {
            /// Every reason that is not a security refusal.
            pub const GENERAL: &'static [FaultReason] = &[$( FaultReason::$variant, )*];

            /// The code carried in faults, logs and the audit log.
            pub fn code(self) -> &'static str {
                match self {
                    $( FaultReason::$variant => $code, )*
                    FaultReason::Security(r) => r.code(),
                }
            }
        }
    };
}

fault_reasons! {
    // Transport and HTTP.
    /// The connection presented no client certificate.
    NoClientCertificate = "no-client-certificate";
    /// The station certificate is not valid yet.
    CertificateNotYetValid = "certificate-not-yet-valid";
    /// The station certificate is refused for another reason.
    InvalidCertificate = "invalid-certificate";
    /// Quota of the station or the comune exceeded.
    RateLimited = "rate-limited";
    /// The station or the client address is blocked by an alert rule.
    Blocked = "blocked";
    /// Content-Type other than text/xml.
    UnsupportedMediaType = "unsupported-media-type";
    /// Content-Type application/soap+xml (SOAP 1.2).
    SoapVersionMismatch = "soap-version-mismatch";
    /// Body over server.max_body_bytes.
    BodyTooLarge = "body-too-large";
    /// The HTTP body could not be read.
    BadHttpBody = "bad-http-body";
    // Pre-scan and strict parse.
    NotWellFormed = "not-well-formed";
    Doctype = "doctype";
    ProcessingInstruction = "processing-instruction";
    NotSoapEnvelope = "not-soap-envelope";
    BadEnvelope = "bad-envelope";
    MultipleBodies = "multiple-bodies";
    MultipleBodyChildren = "multiple-body-children";
    EmptyBody = "empty-body";
    TooDeep = "too-deep";
    TooManyElements = "too-many-elements";
    TooManyAttributes = "too-many-attributes";
    TooManyAttributesTotal = "too-many-attributes-total";
    TooManyNamespaces = "too-many-namespaces";
    TooManyNamespacesTotal = "too-many-namespaces-total";
    NameTooLong = "name-too-long";
    TextTooLong = "text-too-long";
    // Dispatch and schema.
    UnknownOperation = "unknown-operation";
    WrongPort = "wrong-port";
    XsdInvalid = "xsd-invalid";
    SchemaUnavailable = "schema-unavailable";
    // Service.
    OperatorUnknown = "operator-unknown";
    OperatorNotProfiled = "operator-not-profiled";
    StorageUnavailable = "storage-unavailable";
    WorkerFailure = "worker-failure";
    /// The certificate could not be produced (no seal configured, or the
    /// document or its seal failed).
    CertificateFailed = "certificate-failed";
    Internal = "internal";
}

impl From<SecurityReason> for FaultReason {
    fn from(r: SecurityReason) -> Self {
        FaultReason::Security(r)
    }
}

impl std::fmt::Display for FaultReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl FaultReason {
    /// A refusal of the security frame or of the TLS identity.
    pub fn is_security(self) -> bool {
        matches!(
            self,
            FaultReason::Security(_)
                | FaultReason::NoClientCertificate
                | FaultReason::CertificateNotYetValid
                | FaultReason::InvalidCertificate
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for r in FaultReason::GENERAL.iter().copied().chain(
            SecurityReason::ALL
                .iter()
                .map(|r| FaultReason::Security(*r)),
        ) {
            assert!(seen.insert(r.code()), "{} twice", r.code());
        }
    }

    #[test]
    fn every_code_is_documented() {
        let doc = format!(
            "{}{}",
            include_str!("../../../docs/security.md"),
            include_str!("../../../docs/errors.md")
        );
        for r in FaultReason::GENERAL.iter().copied().chain(
            SecurityReason::ALL
                .iter()
                .map(|r| FaultReason::Security(*r)),
        ) {
            assert!(
                doc.contains(&format!("`{}`", r.code())),
                "docs/security.md or docs/errors.md does not document {}",
                r.code()
            );
        }
    }
}
