//! Verification of `wsse:Security` (ANPR's profile, the checks and their reasons:
//! docs/security.md).
//!
//! The rules, in the order they are applied:
//!
//! 1. Structure by absolute path: one `soap:Header/wsse:Security`; in it
//!    exactly one `wsu:Timestamp`, one `saml2:Assertion`, one `ds:Signature`,
//!    at most one `wsse:BinarySecurityToken`, nothing else; one `soap:Body`;
//!    exactly two `ds:Signature` in the whole document.
//! 2. Ids (`wsu:Id`, `Id`, `ID`) unique across the document.
//! 3. Timestamp freshness with the configured skew.
//! 4. The message signature: algorithms from the allowlist, exactly two
//!    references, resolving to *the* Timestamp and *the* Body nodes
//!    (identity, not id), digests over libxml2's exclusive C14N, then the
//!    SignatureValue over SignedInfo.
//! 5. The assertion signature: one reference, to its own Assertion,
//!    enveloped-signature + exc-c14n.
//! 6. Signer certificates against the station CA ([`Trust`]).
//! 7. Assertion content: NameID, Conditions, IdSede, IdPostazione,
//!    IdPostazioneFirmato (CMS over IdPostazione by the same key).
//! 8. Identity binding: TLS certificate = message signer = assertion signer;
//!    IdPostazione = CN; IdSede = ISTAT of the CN = `codMittente`.
//!
//! The result hands out the Body node that was digested: dispatch, XSD
//! validation and the domain consume that node and no other.

use std::collections::HashMap;
use std::sync::Arc;

use libxml::tree::{Document, Node};
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::sign::Verifier;
use openssl::stack::Stack;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::algorithms::{DigestAlg, SignatureAlg, ENVELOPED, EXC_C14N};
use super::c14n::{self, children, is, only_child, text};
use super::trust::{Signer, Trust};
use super::{ns, unb64, Identity, Reason, SecurityError};

/// What the verifier accepts: one declaration for every operation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Digest methods accepted (SHA-1 can be switched off).
    pub digests: Vec<DigestAlg>,
    /// Signature methods accepted.
    pub signatures: Vec<SignatureAlg>,
    /// Clock skew tolerated on Timestamp and Conditions, in seconds.
    pub max_skew_secs: i64,
    /// Lifetime assumed when a Timestamp has no Expires, and the longest
    /// Expires − Created accepted, in seconds.
    pub max_lifetime_secs: i64,
    /// References per signature.
    pub max_references: usize,
    /// Transforms per reference.
    pub max_transforms: usize,
    /// Accept a TLS client certificate other than the signing certificate
    /// when both name the same station (CN).
    pub allow_separate_tls_certificate: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            digests: DigestAlg::ALL.to_vec(),
            signatures: SignatureAlg::ALL.to_vec(),
            max_skew_secs: 120,
            max_lifetime_secs: 3600,
            max_references: 4,
            max_transforms: 3,
            allow_separate_tls_certificate: false,
        }
    }
}

/// A request whose security frame verified. Only [`verify`] builds it; it
/// hands out the Body that was verified.
pub struct Verified {
    body: Node,
    /// Who sent it.
    pub identity: Identity,
    /// SHA-256 (hex) of the message SignatureValue: the replay key.
    pub replay_key: String,
    /// Until when the message could still be accepted (Timestamp Expires
    /// plus the skew), Unix milliseconds: the replay key is kept until then.
    pub expires_ms: i64,
}

impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified")
            .field("identity", &self.identity)
            .field("replay_key", &self.replay_key)
            .finish()
    }
}

impl Verified {
    /// The `soap:Body` whose digest was verified.
    pub fn body(&self) -> &Node {
        &self.body
    }
}

/// The TLS client certificate of the connection.
#[derive(Debug, Clone, Copy)]
pub struct TlsPeer<'a> {
    /// SHA-256 of its DER, lowercase hex.
    pub fingerprint_sha256: &'a str,
    /// Its subject CN.
    pub cn: &'a str,
}

/// What the transport knows about the caller.
#[derive(Debug, Clone, Copy)]
pub struct Inbound<'a> {
    /// The TLS client certificate, when there was one.
    pub tls: Option<TlsPeer<'a>>,
    pub now: OffsetDateTime,
}

fn err(reason: Reason, message: impl Into<String>) -> SecurityError {
    SecurityError::new(reason, message)
}

/// Verifies the security frame of `doc` (already parsed strictly, once).
pub fn verify(
    doc: &mut Document,
    policy: &Policy,
    trust: &Trust,
    inbound: Inbound<'_>,
) -> Result<Verified, SecurityError> {
    super::init_openssl();
    // 1. Structure, by absolute path.
    let root = doc
        .get_root_element()
        .filter(|r| is(r, urna_wire::ns::SOAP_ENV, "Envelope"))
        .ok_or_else(|| {
            err(
                Reason::SecurityMissing,
                "the root element is not soap:Envelope",
            )
        })?;
    let header = only_child(
        &root,
        urna_wire::ns::SOAP_ENV,
        "Header",
        Reason::SecurityMalformed,
    )?
    .ok_or_else(|| err(Reason::SecurityMissing, "the envelope has no soap:Header"))?;
    let body = only_child(
        &root,
        urna_wire::ns::SOAP_ENV,
        "Body",
        Reason::SecurityMalformed,
    )?
    .ok_or_else(|| err(Reason::SecurityMalformed, "the envelope has no soap:Body"))?;
    let security = only_child(&header, ns::WSSE, "Security", Reason::SecurityMalformed)?
        .ok_or_else(|| err(Reason::SecurityMissing, "soap:Header has no wsse:Security"))?;
    let (mut timestamp, assertion, mut signature, token) = security_children(&security)?;
    let timestamp_node = timestamp.take().ok_or_else(|| {
        err(
            Reason::TimestampMissing,
            "wsse:Security has no wsu:Timestamp",
        )
    })?;
    let assertion = assertion.ok_or_else(|| {
        err(
            Reason::AssertionMissing,
            "wsse:Security has no saml2:Assertion",
        )
    })?;
    let message_sig = signature.take().ok_or_else(|| {
        err(
            Reason::SignatureMissing,
            "wsse:Security has no ds:Signature over the Timestamp and the Body",
        )
    })?;

    // 2. Unique ids, and exactly two signatures in the document.
    let (ids, signatures) = index(&root)?;
    if signatures != 2 {
        return Err(err(
            Reason::SignatureCount,
            format!("the message has {signatures} ds:Signature elements; two expected (message and assertion)"),
        ));
    }

    // 3. Freshness.
    let (created, expires) = timestamp_window(&timestamp_node, policy, inbound.now)?;
    let _ = created;

    // 4. The message signature covers exactly the Timestamp and the Body.
    let msg_signer = key_info(&message_sig, &security, token.as_ref(), &ids, trust)?;
    let refs = signed_info(&message_sig, &msg_signer, policy, "message signature")?;
    if refs.references.len() != 2 {
        return Err(err(
            Reason::ReferenceUnexpected,
            format!(
                "the message signature has {} references; exactly the Timestamp and the Body expected",
                refs.references.len()
            ),
        ));
    }
    let mut covered_body = false;
    let mut covered_ts = false;
    for r in &refs.references {
        let target = ids.get(&r.id).ok_or_else(|| {
            err(
                Reason::ReferenceMissing,
                format!(
                    "message signature: Reference URI=\"#{}\" names no element",
                    r.id
                ),
            )
        })?;
        let which = if same(target, &body) {
            covered_body = true;
            "Body"
        } else if same(target, &timestamp_node) {
            covered_ts = true;
            "Timestamp"
        } else {
            // Name the wrapping move precisely: a Body or Timestamp that is
            // not the one at its path.
            let reason = if target.get_name() == "Body" {
                Reason::ReferenceNotBody
            } else if target.get_name() == "Timestamp" {
                Reason::ReferenceNotTimestamp
            } else {
                Reason::ReferenceUnexpected
            };
            return Err(err(
                reason,
                format!(
                    "message signature: #{} is {} at {}, neither /soap:Envelope/soap:Body nor wsse:Security/wsu:Timestamp",
                    r.id,
                    target.get_name(),
                    path_of(target)
                ),
            ));
        };
        check_digest(
            target,
            &message_sig,
            r,
            &format!("message signature, {which}"),
        )?;
    }
    if !covered_body {
        return Err(err(
            Reason::ReferenceNotBody,
            "the message signature does not cover /soap:Envelope/soap:Body",
        ));
    }
    if !covered_ts {
        return Err(err(
            Reason::ReferenceNotTimestamp,
            "the message signature does not cover the wsu:Timestamp",
        ));
    }

    // 5. The assertion and its enveloped signature.
    let claims = assertion_claims(&assertion, &ids, trust, policy, inbound.now)?;

    // 8. Identity binding.
    if claims.signer.fingerprint != msg_signer.fingerprint {
        return Err(err(
            Reason::IdentityMismatch,
            format!(
                "the assertion is signed by {} but the message by {}; both must be the workstation's key",
                claims.signer.subject, msg_signer.subject
            ),
        ));
    }
    if let Some(tls) = inbound.tls {
        if tls.fingerprint_sha256 != msg_signer.fingerprint
            && !(policy.allow_separate_tls_certificate && tls.cn == msg_signer.station.cn())
        {
            return Err(err(
                Reason::IdentityMismatch,
                format!(
                    "the TLS client certificate ({}) is not the signing certificate ({}): sign with the certificate of the connection",
                    tls.cn, msg_signer.subject
                ),
            ));
        }
    }
    if claims.id_postazione != msg_signer.station.cn() {
        return Err(err(
            Reason::IdentityMismatch,
            format!(
                "IdPostazione {} is not the signer's CN {}",
                claims.id_postazione, msg_signer.station
            ),
        ));
    }
    if claims.id_sede != msg_signer.station.istat.as_str() {
        return Err(err(
            Reason::IdentityMismatch,
            format!(
                "IdSede {} is not the ISTAT code {} of the signing station {}",
                claims.id_sede, msg_signer.station.istat, msg_signer.station
            ),
        ));
    }
    // An absent codMittente is left to the XSD gate, which refuses it.
    let mittente = cod_mittente(&body);
    if mittente.as_deref().is_some_and(|m| m != claims.id_sede) {
        return Err(err(
            Reason::IdentityMismatch,
            format!(
                "codMittente {} is not IdSede {} (the comune of station {})",
                mittente.as_deref().unwrap_or("(absent)"),
                claims.id_sede,
                msg_signer.station
            ),
        ));
    }
    Ok(Verified {
        body,
        identity: Identity {
            station: msg_signer.station.clone(),
            operator: claims.operator,
            application: claims.application,
            signer_fingerprint: msg_signer.fingerprint.clone(),
        },
        replay_key: hex::encode(openssl::sha::sha256(&refs.signature_value)),
        // Accepted until Expires + skew: the replay key must outlive that.
        expires_ms: ((expires + time::Duration::seconds(policy.max_skew_secs))
            .unix_timestamp_nanos()
            / 1_000_000) as i64,
    })
}

fn same(a: &Node, b: &Node) -> bool {
    a.to_hashable() == b.to_hashable()
}

fn path_of(node: &Node) -> String {
    let mut parts = vec![node.get_name()];
    let mut cur = node.get_parent();
    while let Some(p) = cur {
        if p.get_type() != Some(libxml::tree::NodeType::ElementNode) {
            break;
        }
        parts.push(p.get_name());
        cur = p.get_parent();
    }
    parts.reverse();
    format!("/{}", parts.join("/"))
}

type SecurityParts = (Option<Node>, Option<Node>, Option<Node>, Option<Node>);

/// The children of wsse:Security, each kind at most once (any order).
fn security_children(security: &Node) -> Result<SecurityParts, SecurityError> {
    let (mut ts, mut assertion, mut sig, mut bst) = (None, None, None, None);
    for c in security.get_child_elements() {
        let slot = if is(&c, ns::WSU, "Timestamp") {
            &mut ts
        } else if is(&c, ns::SAML2, "Assertion") {
            &mut assertion
        } else if is(&c, ns::DS, "Signature") {
            &mut sig
        } else if is(&c, ns::WSSE, "BinarySecurityToken") {
            &mut bst
        } else {
            return Err(err(
                Reason::SecurityMalformed,
                format!(
                    "wsse:Security contains {{{}}}{}, which the profile does not allow",
                    c.get_namespace().map(|n| n.get_href()).unwrap_or_default(),
                    c.get_name()
                ),
            ));
        };
        if slot.is_some() {
            return Err(err(
                Reason::SecurityMalformed,
                format!("wsse:Security contains more than one {}", c.get_name()),
            ));
        }
        *slot = Some(c);
    }
    Ok((ts, assertion, sig, bst))
}

/// Every id of the document (unique), and the number of ds:Signature.
fn index(root: &Node) -> Result<(HashMap<String, Node>, usize), SecurityError> {
    let mut ids: HashMap<String, Node> = HashMap::new();
    let mut signatures = 0usize;
    let mut dup: Option<String> = None;
    c14n::for_each_element(root, &mut |n| {
        if is(n, ns::DS, "Signature") {
            signatures += 1;
        }
        let values = [
            n.get_property_ns("Id", ns::WSU),
            n.get_property_no_ns("Id"),
            n.get_property_no_ns("ID"),
        ];
        for v in values.into_iter().flatten() {
            if ids.insert(v.clone(), n.clone()).is_some() && dup.is_none() {
                dup = Some(v);
            }
        }
    });
    if let Some(d) = dup {
        return Err(err(
            Reason::DuplicateId,
            format!("the id \"{d}\" appears more than once in the message"),
        ));
    }
    Ok((ids, signatures))
}

fn parse_instant(node: &Node, what: &str) -> Result<OffsetDateTime, SecurityError> {
    let t = text(node);
    OffsetDateTime::parse(&t, &Rfc3339)
        .map_err(|e| err(Reason::TimestampMalformed, format!("{what} \"{t}\": {e}")))
}

fn timestamp_window(
    ts: &Node,
    policy: &Policy,
    now: OffsetDateTime,
) -> Result<(OffsetDateTime, OffsetDateTime), SecurityError> {
    let created =
        only_child(ts, ns::WSU, "Created", Reason::TimestampMalformed)?.ok_or_else(|| {
            err(
                Reason::TimestampMalformed,
                "wsu:Timestamp has no wsu:Created",
            )
        })?;
    let created = parse_instant(&created, "wsu:Created")?;
    let lifetime = time::Duration::seconds(policy.max_lifetime_secs);
    let expires = match only_child(ts, ns::WSU, "Expires", Reason::TimestampMalformed)? {
        Some(e) => parse_instant(&e, "wsu:Expires")?,
        None => created + lifetime,
    };
    if expires <= created {
        return Err(err(
            Reason::TimestampMalformed,
            "wsu:Expires is not after wsu:Created",
        ));
    }
    if expires - created > lifetime {
        return Err(err(
            Reason::TimestampMalformed,
            format!(
                "the Timestamp lives {} s; at most {} s accepted",
                (expires - created).whole_seconds(),
                policy.max_lifetime_secs
            ),
        ));
    }
    let skew = time::Duration::seconds(policy.max_skew_secs);
    if created > now + skew {
        return Err(err(
            Reason::TimestampInFuture,
            format!(
                "wsu:Created is {} s ahead of urna's clock (tolerance {} s)",
                (created - now).whole_seconds(),
                policy.max_skew_secs
            ),
        ));
    }
    if now - skew >= expires {
        return Err(err(
            Reason::TimestampExpired,
            format!(
                "the Timestamp expired {} s ago (wsu:Expires {}, tolerance {} s)",
                (now - expires).whole_seconds(),
                expires.format(&Rfc3339).unwrap_or_default(),
                policy.max_skew_secs
            ),
        ));
    }
    Ok((created, expires))
}

/// One ds:Reference.
#[derive(Debug)]
struct Reference {
    id: String,
    enveloped: bool,
    prefixes: Vec<String>,
    digest: DigestAlg,
    value: Vec<u8>,
}

struct SignedRefs {
    references: Vec<Reference>,
    signature_value: Vec<u8>,
}

/// Checks SignedInfo's algorithms and its SignatureValue with `signer`'s key;
/// returns the references (not yet digested).
fn signed_info(
    sig: &Node,
    signer: &Signer,
    policy: &Policy,
    what: &str,
) -> Result<SignedRefs, SecurityError> {
    let si =
        only_child(sig, ns::DS, "SignedInfo", Reason::SecurityMalformed)?.ok_or_else(|| {
            err(
                Reason::SecurityMalformed,
                format!("{what}: no ds:SignedInfo"),
            )
        })?;
    let cm = only_child(
        &si,
        ns::DS,
        "CanonicalizationMethod",
        Reason::SecurityMalformed,
    )?
    .ok_or_else(|| {
        err(
            Reason::SecurityMalformed,
            format!("{what}: no CanonicalizationMethod"),
        )
    })?;
    let cm_alg = cm.get_property_no_ns("Algorithm").unwrap_or_default();
    if cm_alg != EXC_C14N {
        return Err(err(
            Reason::AlgorithmNotAllowed,
            format!("{what}: CanonicalizationMethod {cm_alg}; only {EXC_C14N}"),
        ));
    }
    let si_prefixes = c14n::prefix_list(&cm);
    let sm = only_child(&si, ns::DS, "SignatureMethod", Reason::SecurityMalformed)?.ok_or_else(
        || {
            err(
                Reason::SecurityMalformed,
                format!("{what}: no SignatureMethod"),
            )
        },
    )?;
    let sm_uri = sm.get_property_no_ns("Algorithm").unwrap_or_default();
    let alg = SignatureAlg::from_uri(&sm_uri)
        .filter(|a| policy.signatures.contains(a))
        .ok_or_else(|| {
            err(
                Reason::AlgorithmNotAllowed,
                format!(
                    "{what}: SignatureMethod {sm_uri} is not accepted (accepted: {})",
                    policy
                        .signatures
                        .iter()
                        .map(|a| a.uri())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
    let refs = children(&si, ns::DS, "Reference");
    if refs.is_empty() {
        return Err(err(
            Reason::SecurityMalformed,
            format!("{what}: no ds:Reference"),
        ));
    }
    if refs.len() > policy.max_references {
        return Err(err(
            Reason::TooManyReferences,
            format!(
                "{what}: {} references, at most {}",
                refs.len(),
                policy.max_references
            ),
        ));
    }
    let mut references = Vec::with_capacity(refs.len());
    for r in &refs {
        references.push(reference(r, policy, what)?);
    }
    let sv =
        only_child(sig, ns::DS, "SignatureValue", Reason::SecurityMalformed)?.ok_or_else(|| {
            err(
                Reason::SecurityMalformed,
                format!("{what}: no SignatureValue"),
            )
        })?;
    let signature_value = unb64(&sv.get_content()).ok_or_else(|| {
        err(
            Reason::SignatureInvalid,
            format!("{what}: SignatureValue is not base64"),
        )
    })?;
    let canonical = c14n::exclusive(&si, &si_prefixes)?;
    let (_, key) = signer.thread_cert()?;
    let ok = Verifier::new(alg.md(), &key)
        .and_then(|mut v| {
            v.update(canonical.as_bytes())?;
            v.verify(&signature_value)
        })
        .unwrap_or(false);
    if !ok {
        let reason = if what.starts_with("assertion") {
            Reason::AssertionSignatureInvalid
        } else {
            Reason::SignatureInvalid
        };
        return Err(err(
            reason,
            format!(
                "{what}: SignatureValue ({}) does not verify with the key of {}",
                alg.uri(),
                signer.subject
            ),
        ));
    }
    Ok(SignedRefs {
        references,
        signature_value,
    })
}

fn reference(r: &Node, policy: &Policy, what: &str) -> Result<Reference, SecurityError> {
    let uri = r.get_property_no_ns("URI").unwrap_or_default();
    let id = uri
        .strip_prefix('#')
        .filter(|i| !i.is_empty())
        .ok_or_else(|| {
            err(
                Reason::ReferenceMissing,
                format!("{what}: Reference URI \"{uri}\" is not a same-document #id"),
            )
        })?;
    let mut enveloped = false;
    let mut prefixes = Vec::new();
    let mut seen_c14n = false;
    if let Some(ts) = only_child(r, ns::DS, "Transforms", Reason::SecurityMalformed)? {
        let list = children(&ts, ns::DS, "Transform");
        if list.len() > policy.max_transforms {
            return Err(err(
                Reason::AlgorithmNotAllowed,
                format!(
                    "{what}: {} transforms on #{id}, at most {}",
                    list.len(),
                    policy.max_transforms
                ),
            ));
        }
        for (i, t) in list.iter().enumerate() {
            let a = t.get_property_no_ns("Algorithm").unwrap_or_default();
            match a.as_str() {
                ENVELOPED if i == 0 && !enveloped => enveloped = true,
                EXC_C14N if !seen_c14n => {
                    seen_c14n = true;
                    prefixes = c14n::prefix_list(t);
                }
                other => {
                    return Err(err(
                        Reason::AlgorithmNotAllowed,
                        format!(
                            "{what}: transform {other} on #{id} is not allowed (exc-c14n, optionally after enveloped-signature)"
                        ),
                    ))
                }
            }
        }
    }
    let dm =
        only_child(r, ns::DS, "DigestMethod", Reason::SecurityMalformed)?.ok_or_else(|| {
            err(
                Reason::SecurityMalformed,
                format!("{what}: #{id} has no DigestMethod"),
            )
        })?;
    let dm_uri = dm.get_property_no_ns("Algorithm").unwrap_or_default();
    let digest = DigestAlg::from_uri(&dm_uri)
        .filter(|d| policy.digests.contains(d))
        .ok_or_else(|| {
            err(
                Reason::AlgorithmNotAllowed,
                format!(
                    "{what}: DigestMethod {dm_uri} is not accepted (accepted: {})",
                    policy
                        .digests
                        .iter()
                        .map(|d| d.uri())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
    let dv = only_child(r, ns::DS, "DigestValue", Reason::SecurityMalformed)?.ok_or_else(|| {
        err(
            Reason::SecurityMalformed,
            format!("{what}: #{id} has no DigestValue"),
        )
    })?;
    let value = unb64(&dv.get_content()).ok_or_else(|| {
        err(
            Reason::DigestMismatch,
            format!("{what}: DigestValue of #{id} is not base64"),
        )
    })?;
    Ok(Reference {
        id: id.to_string(),
        enveloped,
        prefixes,
        digest,
        value,
    })
}

/// True when `node` is `ancestor` or inside it.
fn within(node: &Node, ancestor: &Node) -> bool {
    let mut cur = Some(node.clone());
    while let Some(n) = cur {
        if same(&n, ancestor) {
            return true;
        }
        cur = n.get_parent();
    }
    false
}

fn check_digest(target: &Node, sig: &Node, r: &Reference, what: &str) -> Result<(), SecurityError> {
    let canonical = if r.enveloped && within(sig, target) {
        c14n::exclusive_enveloped(target, sig, &r.prefixes)?
    } else if within(sig, target) {
        return Err(err(
            Reason::AlgorithmNotAllowed,
            format!(
                "{what}: #{} contains its own signature but has no enveloped-signature transform",
                r.id
            ),
        ));
    } else {
        c14n::exclusive(target, &r.prefixes)?
    };
    let got = r.digest.digest(canonical.as_bytes());
    if !openssl::memcmp::eq(&got, &r.value) || got.len() != r.value.len() {
        return Err(err(
            Reason::DigestMismatch,
            format!(
                "{what}: the digest of #{} ({}) does not match: the element was changed after signing",
                r.id,
                r.digest.uri()
            ),
        ));
    }
    Ok(())
}

/// The signer named by a signature's KeyInfo, checked against the CA.
fn key_info(
    sig: &Node,
    security: &Node,
    token: Option<&Node>,
    ids: &HashMap<String, Node>,
    trust: &Trust,
) -> Result<Arc<Signer>, SecurityError> {
    let ki = only_child(sig, ns::DS, "KeyInfo", Reason::KeyInfoUnsupported)?
        .ok_or_else(|| err(Reason::KeyInfoUnsupported, "ds:Signature has no ds:KeyInfo"))?;
    if let Some(x509) = only_child(&ki, ns::DS, "X509Data", Reason::KeyInfoUnsupported)? {
        return x509_data(&x509, trust);
    }
    if let Some(str_) = only_child(
        &ki,
        ns::WSSE,
        "SecurityTokenReference",
        Reason::KeyInfoUnsupported,
    )? {
        if let Some(r) = only_child(&str_, ns::WSSE, "Reference", Reason::KeyInfoUnsupported)? {
            let uri = r.get_property_no_ns("URI").unwrap_or_default();
            let target = uri
                .strip_prefix('#')
                .and_then(|id| ids.get(id))
                .ok_or_else(|| {
                    err(
                        Reason::KeyInfoUnsupported,
                        format!("SecurityTokenReference URI \"{uri}\" names no element"),
                    )
                })?;
            let is_our_token = token.is_some_and(|t| same(t, target))
                && target.get_parent().is_some_and(|p| same(&p, security));
            if !is_our_token {
                return Err(err(
                    Reason::KeyInfoUnsupported,
                    format!("SecurityTokenReference {uri} is not the wsse:BinarySecurityToken of wsse:Security"),
                ));
            }
            if let Some(vt) = target.get_property_no_ns("ValueType") {
                if vt != ns::X509V3 {
                    return Err(err(
                        Reason::KeyInfoUnsupported,
                        format!("BinarySecurityToken ValueType {vt}; only X509v3"),
                    ));
                }
            }
            let der = unb64(&target.get_content()).ok_or_else(|| {
                err(
                    Reason::KeyInfoUnsupported,
                    "the BinarySecurityToken is not base64",
                )
            })?;
            return trust.signer(&der);
        }
        if let Some(x509) = only_child(&str_, ns::DS, "X509Data", Reason::KeyInfoUnsupported)? {
            return x509_data(&x509, trust);
        }
    }
    Err(err(
        Reason::KeyInfoUnsupported,
        "KeyInfo names the key neither by X509Data, nor by a SecurityTokenReference to a BinarySecurityToken, nor by X509IssuerSerial",
    ))
}

fn x509_data(x509: &Node, trust: &Trust) -> Result<Arc<Signer>, SecurityError> {
    if let Some(c) = only_child(x509, ns::DS, "X509Certificate", Reason::KeyInfoUnsupported)? {
        let der = unb64(&c.get_content())
            .ok_or_else(|| err(Reason::KeyInfoUnsupported, "X509Certificate is not base64"))?;
        return trust.signer(&der);
    }
    if let Some(is_) = only_child(x509, ns::DS, "X509IssuerSerial", Reason::KeyInfoUnsupported)? {
        let issuer = only_child(&is_, ns::DS, "X509IssuerName", Reason::KeyInfoUnsupported)?
            .map(|n| text(&n))
            .unwrap_or_default();
        let serial = only_child(&is_, ns::DS, "X509SerialNumber", Reason::KeyInfoUnsupported)?
            .map(|n| text(&n))
            .unwrap_or_default();
        let cert = trust.by_issuer_serial(&issuer, &serial).ok_or_else(|| {
            err(
                Reason::UntrustedCertificate,
                format!(
                    "no registered station certificate has issuer \"{issuer}\" and serial {serial}"
                ),
            )
        })?;
        let der = cert
            .to_der()
            .map_err(|e| err(Reason::UntrustedCertificate, e.to_string()))?;
        return trust.signer(&der);
    }
    Err(err(
        Reason::KeyInfoUnsupported,
        "ds:X509Data has neither X509Certificate nor X509IssuerSerial",
    ))
}

struct Claims {
    signer: Arc<Signer>,
    operator: String,
    id_sede: String,
    id_postazione: String,
    application: Option<String>,
}

fn assertion_claims(
    assertion: &Node,
    ids: &HashMap<String, Node>,
    trust: &Trust,
    policy: &Policy,
    now: OffsetDateTime,
) -> Result<Claims, SecurityError> {
    let invalid = |m: String| err(Reason::AssertionInvalid, m);
    if assertion.get_property_no_ns("Version").as_deref() != Some("2.0") {
        return Err(invalid("saml2:Assertion Version is not 2.0".into()));
    }
    let id = assertion
        .get_property_no_ns("ID")
        .ok_or_else(|| invalid("saml2:Assertion has no ID".into()))?;
    only_child(assertion, ns::SAML2, "Issuer", Reason::AssertionInvalid)?
        .ok_or_else(|| invalid("saml2:Assertion has no Issuer".into()))?;
    let sig =
        only_child(assertion, ns::DS, "Signature", Reason::AssertionInvalid)?.ok_or_else(|| {
            err(
                Reason::AssertionSignatureInvalid,
                "saml2:Assertion is not signed (no enveloped ds:Signature)",
            )
        })?;
    let signer = key_info(&sig, assertion, None, ids, trust)?;
    let refs = signed_info(&sig, &signer, policy, "assertion signature")?;
    if refs.references.len() != 1 {
        return Err(err(
            Reason::ReferenceUnexpected,
            format!(
                "the assertion signature has {} references; one, to the assertion, expected",
                refs.references.len()
            ),
        ));
    }
    let r = &refs.references[0];
    let target = ids.get(&r.id).ok_or_else(|| {
        err(
            Reason::ReferenceMissing,
            format!("assertion signature: #{} names no element", r.id),
        )
    })?;
    if !same(target, assertion) || r.id != id {
        return Err(err(
            Reason::ReferenceUnexpected,
            format!(
                "the assertion signature references #{} ({}), not its own assertion #{id}",
                r.id,
                path_of(target)
            ),
        ));
    }
    if !r.enveloped {
        return Err(err(
            Reason::AlgorithmNotAllowed,
            "the assertion signature needs the enveloped-signature transform",
        ));
    }
    check_digest(assertion, &sig, r, "assertion signature")?;

    // Content.
    let subject = only_child(assertion, ns::SAML2, "Subject", Reason::AssertionInvalid)?
        .ok_or_else(|| invalid("saml2:Assertion has no Subject".into()))?;
    let operator = only_child(&subject, ns::SAML2, "NameID", Reason::AssertionInvalid)?
        .map(|n| text(&n))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("Subject has no NameID (the operator's codice fiscale)".into()))?;
    let conditions = only_child(assertion, ns::SAML2, "Conditions", Reason::AssertionInvalid)?
        .ok_or_else(|| invalid("saml2:Assertion has no Conditions".into()))?;
    let skew = time::Duration::seconds(policy.max_skew_secs);
    let instant = |name: &str| -> Result<Option<OffsetDateTime>, SecurityError> {
        conditions
            .get_property_no_ns(name)
            .map(|v| {
                OffsetDateTime::parse(&v, &Rfc3339)
                    .map_err(|e| invalid(format!("Conditions {name} \"{v}\": {e}")))
            })
            .transpose()
    };
    if let Some(nb) = instant("NotBefore")? {
        if nb > now + skew {
            return Err(err(
                Reason::AssertionExpired,
                format!(
                    "Conditions NotBefore is {} s ahead of urna's clock",
                    (nb - now).whole_seconds()
                ),
            ));
        }
    }
    match instant("NotOnOrAfter")? {
        Some(na) if now - skew >= na => {
            return Err(err(
                Reason::AssertionExpired,
                format!(
                    "the assertion expired {} s ago (Conditions NotOnOrAfter)",
                    (now - na).whole_seconds()
                ),
            ))
        }
        Some(_) => {}
        None => return Err(invalid("Conditions has no NotOnOrAfter".into())),
    }
    let mut attributes: HashMap<String, String> = HashMap::new();
    for st in children(assertion, ns::SAML2, "AttributeStatement") {
        for a in children(&st, ns::SAML2, "Attribute") {
            let name = a.get_property_no_ns("Name").unwrap_or_default();
            let values = children(&a, ns::SAML2, "AttributeValue");
            if values.len() != 1 {
                return Err(invalid(format!(
                    "attribute {name} has {} values; one expected",
                    values.len()
                )));
            }
            if attributes.insert(name.clone(), text(&values[0])).is_some() {
                return Err(invalid(format!("attribute {name} appears twice")));
            }
        }
    }
    let need = |n: &str| {
        attributes
            .get(n)
            .cloned()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| invalid(format!("the assertion has no {n} attribute")))
    };
    let id_sede = need("IdSede")?;
    let id_postazione = need("IdPostazione")?;
    let firmato = need("IdPostazioneFirmato")?;
    let cms_key = openssl::sha::sha256(
        format!("{}\n{id_postazione}\n{firmato}", signer.fingerprint).as_bytes(),
    );
    if !trust.cms_known(&cms_key) {
        check_id_postazione_firmato(&firmato, &id_postazione, &signer)?;
        trust.cms_remember(cms_key);
    }
    Ok(Claims {
        signer,
        operator,
        id_sede,
        id_postazione,
        application: attributes.get("IdApplicazione").cloned(),
    })
}

/// IdPostazioneFirmato: a CMS SignedData with attached content equal to
/// IdPostazione, signed by the workstation key (RFC 5652; docs/security.md,
/// "Station certificates").
fn check_id_postazione_firmato(
    b64: &str,
    id_postazione: &str,
    signer: &Signer,
) -> Result<(), SecurityError> {
    let bad = |m: String| err(Reason::IdPostazioneFirmatoInvalid, m);
    let der = unb64(b64).ok_or_else(|| bad("IdPostazioneFirmato is not base64".into()))?;
    let mut cms = CmsContentInfo::from_der(&der)
        .map_err(|e| bad(format!("IdPostazioneFirmato is not CMS: {e}")))?;
    let mut certs = Stack::new().map_err(|e| bad(e.to_string()))?;
    certs
        .push(signer.thread_cert()?.0)
        .map_err(|e| bad(e.to_string()))?;
    let mut content = Vec::new();
    cms.verify(
        Some(&certs),
        None,
        None,
        Some(&mut content),
        CMSOptions::NOINTERN | CMSOptions::NO_SIGNER_CERT_VERIFY | CMSOptions::BINARY,
    )
    .map_err(|e| {
        bad(format!(
            "IdPostazioneFirmato is not signed by {}: {e}",
            signer.subject
        ))
    })?;
    if content != id_postazione.as_bytes() {
        return Err(bad(format!(
            "IdPostazioneFirmato signs \"{}\", not IdPostazione \"{id_postazione}\"",
            String::from_utf8_lossy(&content)
        )));
    }
    Ok(())
}

/// `codMittente` of the request: Body/<request>/testataRichiesta/codMittente.
fn cod_mittente(body: &Node) -> Option<String> {
    let request = body.get_first_element_child()?;
    let testata = request
        .get_child_elements()
        .into_iter()
        .find(|c| c.get_name() == "testataRichiesta")?;
    testata
        .get_child_elements()
        .into_iter()
        .find(|c| c.get_name() == "codMittente")
        .map(|c| text(&c))
}
