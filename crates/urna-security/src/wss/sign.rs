//! Producing the security frame: urna's signed responses ([`ResponseSigner`])
//! and the pieces the client side (`client.rs`: [`ClientSigner`],
//! [`add_assertion`], re-exported here) shares with it: signing keys, the
//! KeyInfo forms, SignedInfo, the Timestamp and the envelope layout.
//!
//! Digests are computed with libxml2's exclusive C14N on the parsed message,
//! the way the verifier recomputes them; the `ds:Signature` is then written
//! into the text, beside (never inside) what it signs.

use libxml::parser::Parser;
use libxml::tree::{Document, Node};
use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use quick_xml::events::Event;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::algorithms::{DigestAlg, SignatureAlg, ENVELOPED, EXC_C14N};
use super::c14n::{self, is};
use super::{b64, ns};

/// Why signing failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// OpenSSL refused a key, a certificate or a signature operation.
    #[error("signing: {0}")]
    Crypto(#[from] openssl::error::ErrorStack),
    /// The key cannot sign with the profile's algorithms.
    #[error("signing key: {0}")]
    Key(&'static str),
    /// The message to sign is not a SOAP envelope the signer can frame
    /// (not well-formed, no Body, no Header to complete…).
    #[error("message to sign: {0}")]
    Message(String),
    /// The streamed content of a Body could not be read.
    #[error("reading the content to sign: {0}")]
    Content(#[from] std::io::Error),
}

pub(super) fn fail(e: impl std::fmt::Display) -> SignError {
    SignError::Message(e.to_string())
}

/// A private key and its certificate.
#[derive(Clone)]
pub struct SigningKey {
    pub key: PKey<Private>,
    pub cert: X509,
    cert_b64: String,
    /// PKCS#8 DER of the key: each thread signs with its own copy.
    key_der: Vec<u8>,
    cert_der: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").finish_non_exhaustive()
    }
}

impl SigningKey {
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<SigningKey, SignError> {
        super::init_openssl();
        let cert = X509::from_pem(cert_pem)?;
        let key = PKey::private_key_from_pem(key_pem)?;
        if key.rsa().is_err() {
            return Err(SignError::Key("not RSA (RSA-SHA1/RSA-SHA256 only)"));
        }
        let cert_der = cert.to_der()?;
        let cert_b64 = b64(&cert_der);
        let key_der = key.private_key_to_pkcs8()?;
        Ok(SigningKey {
            key,
            cert,
            cert_b64,
            key_der,
            cert_der,
        })
    }

    /// This thread's copy of the private key (see `per_thread`).
    pub fn thread_key(&self) -> Result<PKey<Private>, SignError> {
        super::per_thread::private_key(&self.key_der).map_err(fail)
    }

    /// This thread's copy of the certificate.
    pub fn thread_cert(&self) -> Result<X509, SignError> {
        super::per_thread::cert(&self.cert_der)
            .map(|(c, _)| c)
            .map_err(fail)
    }

    fn sign(&self, alg: SignatureAlg, data: &[u8]) -> Result<String, SignError> {
        let key = self.thread_key()?;
        let mut s = openssl::sign::Signer::new(alg.md(), &key)?;
        s.update(data)?;
        Ok(b64(&s.sign_to_vec()?))
    }

    fn issuer_serial(&self) -> Result<(String, String), SignError> {
        let issuer = super::trust::dn_string(self.cert.issuer_name());
        // RFC 2253 order: most specific first.
        let mut parts: Vec<&str> = issuer.split(", ").collect();
        parts.reverse();
        let serial = self
            .cert
            .serial_number()
            .to_bn()
            .and_then(|b| b.to_dec_str().map(|s| s.to_string()))
            .map_err(fail)?;
        Ok((parts.join(","), serial))
    }
}

/// How a signature names its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum KeyInfoForm {
    /// `ds:X509Data/ds:X509Certificate` inline (ANPR's examples).
    X509Data,
    /// `wsse:SecurityTokenReference` to a `wsse:BinarySecurityToken`.
    BinarySecurityToken,
    /// `wsse:SecurityTokenReference/ds:X509Data/ds:X509IssuerSerial`.
    IssuerSerial,
}

pub(super) fn key_info(
    key: &SigningKey,
    form: KeyInfoForm,
    bst_id: &str,
) -> Result<String, SignError> {
    Ok(match form {
        KeyInfoForm::X509Data => format!(
            "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>",
            key.cert_b64
        ),
        KeyInfoForm::BinarySecurityToken => format!(
            "<ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI=\"#{bst_id}\" ValueType=\"{}\"/></wsse:SecurityTokenReference></ds:KeyInfo>",
            ns::X509V3
        ),
        KeyInfoForm::IssuerSerial => {
            let (issuer, serial) = key.issuer_serial()?;
            format!(
                "<ds:KeyInfo><wsse:SecurityTokenReference><ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>{}</ds:X509IssuerName><ds:X509SerialNumber>{serial}</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data></wsse:SecurityTokenReference></ds:KeyInfo>",
                urna_wire::xml::escape(&issuer)
            )
        }
    })
}

pub(super) fn bst(key: &SigningKey, id: &str) -> String {
    format!(
        "<wsse:BinarySecurityToken wsu:Id=\"{id}\" ValueType=\"{}\" EncodingType=\"{}\">{}</wsse:BinarySecurityToken>",
        ns::X509V3,
        ns::BASE64_BINARY,
        key.cert_b64
    )
}

/// One reference to sign.
pub(super) struct RefSpec<'a> {
    pub(super) id: &'a str,
    pub(super) enveloped: bool,
    pub(super) prefixes: &'a [&'a str],
    pub(super) digest: Vec<u8>,
}

pub(super) fn signed_info(alg: SignatureAlg, digest: DigestAlg, refs: &[RefSpec<'_>]) -> String {
    let mut s = format!(
        "<ds:SignedInfo xmlns:ds=\"{}\"><ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"{}\"></ds:SignatureMethod>",
        ns::DS,
        alg.uri()
    );
    for r in refs {
        s.push_str(&format!("<ds:Reference URI=\"#{}\"><ds:Transforms>", r.id));
        if r.enveloped {
            s.push_str(&format!(
                "<ds:Transform Algorithm=\"{ENVELOPED}\"></ds:Transform>"
            ));
        }
        if r.prefixes.is_empty() {
            s.push_str(&format!(
                "<ds:Transform Algorithm=\"{EXC_C14N}\"></ds:Transform>"
            ));
        } else {
            s.push_str(&format!(
                "<ds:Transform Algorithm=\"{EXC_C14N}\"><ec:InclusiveNamespaces xmlns:ec=\"{}\" PrefixList=\"{}\"></ec:InclusiveNamespaces></ds:Transform>",
                ns::EC,
                r.prefixes.join(" ")
            ));
        }
        s.push_str(&format!(
            "</ds:Transforms><ds:DigestMethod Algorithm=\"{}\"></ds:DigestMethod><ds:DigestValue>{}</ds:DigestValue></ds:Reference>",
            digest.uri(),
            b64(&r.digest)
        ));
    }
    s.push_str("</ds:SignedInfo>");
    s
}

pub(super) fn parse(xml: &str) -> Result<Document, SignError> {
    Parser::default()
        .parse_string(xml.as_bytes())
        .map_err(|e| SignError::Message(format!("cannot parse the message to sign: {e:?}")))
}

pub(super) fn canonical(node: &Node, prefixes: &[&str]) -> Result<String, SignError> {
    let p: Vec<String> = prefixes.iter().map(|s| s.to_string()).collect();
    c14n::exclusive(node, &p).map_err(|e| SignError::Message(e.message))
}

/// A complete `ds:Signature` over `refs`.
pub(super) fn signature(
    key: &SigningKey,
    alg: SignatureAlg,
    digest: DigestAlg,
    refs: &[RefSpec<'_>],
    key_info: &str,
) -> Result<String, SignError> {
    let si = signed_info(alg, digest, refs);
    // SignedInfo declares the only prefix it uses, so its canonical form on
    // its own equals its canonical form in place; and it is written in that
    // form (explicit end tags, the declaration before the attributes, values
    // that need no escaping), so it is signed as written (tested against
    // libxml2's C14N for every algorithm, transform and PrefixList).
    debug_assert_eq!(canonical_standalone(&si).as_deref().ok(), Some(si.as_str()));
    let value = key.sign(alg, si.as_bytes())?;
    let inner = si
        .strip_prefix(&format!("<ds:SignedInfo xmlns:ds=\"{}\">", ns::DS))
        .expect("built above");
    Ok(format!(
        "<ds:Signature xmlns:ds=\"{}\"><ds:SignedInfo>{inner}<ds:SignatureValue>{value}</ds:SignatureValue>{key_info}</ds:Signature>",
        ns::DS
    ))
}

pub(super) fn instant(t: OffsetDateTime) -> String {
    let t = t
        .replace_nanosecond((t.nanosecond() / 1_000_000) * 1_000_000)
        .unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

pub(super) fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// Where the Header and Body of an envelope are, in bytes.
pub(super) struct Layout {
    /// The envelope's prefix for the SOAP namespace (from the Body tag).
    pub(super) soap_prefix: String,
    /// Header: (start of `<P:Header`, end of its start tag, start of its end
    /// tag, end of element), or the span of an empty `<P:Header/>`.
    pub(super) header: Option<HeaderSpan>,
    /// Position just before the `>` (or `/>`) closing the Body start tag.
    pub(super) body_tag_end: usize,
    /// Start of the Body start tag.
    pub(super) body_start: usize,
}

pub(super) enum HeaderSpan {
    Open { after_start_tag: usize },
    Empty { start: usize, end: usize },
}

pub(super) fn layout(xml: &str) -> Result<Layout, SignError> {
    let mut r = quick_xml::Reader::from_str(xml);
    let mut depth = 0usize;
    let mut header = None;
    loop {
        let before = r.buffer_position() as usize;
        let ev = r.read_event().map_err(fail)?;
        let after = r.buffer_position() as usize;
        match ev {
            Event::Start(e) => {
                depth += 1;
                if depth == 2 {
                    let qname = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    let (prefix, local) = qname.split_once(':').unwrap_or(("", &qname));
                    if local == "Header" {
                        header = Some(HeaderSpan::Open {
                            after_start_tag: after,
                        });
                    } else if local == "Body" {
                        return Ok(Layout {
                            soap_prefix: prefix.to_string(),
                            header,
                            body_tag_end: after - 1,
                            body_start: before,
                        });
                    }
                }
            }
            Event::Empty(e) if depth == 1 => {
                let qname = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let local = qname.rsplit(':').next().unwrap_or_default().to_string();
                if local == "Header" {
                    header = Some(HeaderSpan::Empty {
                        start: before,
                        end: after,
                    });
                } else if local == "Body" {
                    return Err(SignError::Message("the Body is empty".into()));
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => return Err(SignError::Message("no soap:Body in the envelope".into())),
            _ => {}
        }
    }
}

/// Inserts `security` (the complete `wsse:Security` element) into the
/// envelope's Header and gives the Body `wsu:Id="body_id"`.
pub(super) fn with_security(xml: &str, security: &str, body_id: &str) -> Result<String, SignError> {
    let l = layout(xml)?;
    let p = if l.soap_prefix.is_empty() {
        String::new()
    } else {
        format!("{}:", l.soap_prefix)
    };
    let body_attr = format!(" xmlns:wsu=\"{}\" wsu:Id=\"{body_id}\"", ns::WSU);
    // A `/>`-closed Body was refused above; `body_tag_end` is the final `>`.
    let mut out = String::with_capacity(xml.len() + security.len() + 200);
    match l.header {
        Some(HeaderSpan::Open { after_start_tag }) => {
            out.push_str(&xml[..after_start_tag]);
            out.push_str(security);
            out.push_str(&xml[after_start_tag..l.body_tag_end]);
        }
        Some(HeaderSpan::Empty { start, end }) => {
            out.push_str(&xml[..start]);
            out.push_str(&format!("<{p}Header>{security}</{p}Header>"));
            out.push_str(&xml[end..l.body_tag_end]);
        }
        None => {
            out.push_str(&xml[..l.body_start]);
            out.push_str(&format!("<{p}Header>{security}</{p}Header>"));
            out.push_str(&xml[l.body_start..l.body_tag_end]);
        }
    }
    out.push_str(&body_attr);
    out.push_str(&xml[l.body_tag_end..]);
    Ok(out)
}

pub(super) const SIGNATURE_MARK: &str = "<!--urna:signature-->";

pub(super) fn security_open(soap_prefix_decl: &str) -> String {
    format!(
        "<wsse:Security xmlns:wsse=\"{}\" xmlns:wsu=\"{}\" {soap_prefix_decl}mustUnderstand=\"1\">",
        ns::WSSE,
        ns::WSU
    )
}

pub(super) fn timestamp(id: &str, now: OffsetDateTime, ttl_secs: i64) -> String {
    format!(
        "<wsu:Timestamp wsu:Id=\"{id}\"><wsu:Created>{}</wsu:Created><wsu:Expires>{}</wsu:Expires></wsu:Timestamp>",
        instant(now),
        instant(now + time::Duration::seconds(ttl_secs))
    )
}

/// Digests the Timestamp and Body of `xml` (in place, with the prefix lists
/// given) and writes the message signature at [`SIGNATURE_MARK`].
#[allow(clippy::too_many_arguments)]
pub(super) fn sign_message(
    xml: &str,
    key: &SigningKey,
    alg: SignatureAlg,
    digest: DigestAlg,
    ts_id: &str,
    body_id: &str,
    ts_prefixes: &[&str],
    key_info: &str,
) -> Result<String, SignError> {
    let doc = parse(xml)?;
    let root = doc.get_root_element().ok_or_else(|| fail("no root"))?;
    let mut ts = None;
    let mut body = None;
    c14n::for_each_element(&root, &mut |n| {
        if is(n, ns::WSU, "Timestamp") && ts.is_none() {
            ts = Some(n.clone());
        } else if is(n, urna_wire::ns::SOAP_ENV, "Body") && body.is_none() {
            body = Some(n.clone());
        }
    });
    let ts = ts.ok_or_else(|| fail("no Timestamp"))?;
    let body = body.ok_or_else(|| fail("no Body"))?;
    let ts_digest = digest.digest(canonical(&ts, ts_prefixes)?.as_bytes());
    let body_digest = digest.digest(canonical(&body, &[])?.as_bytes());
    drop(doc);
    let sig = signature(
        key,
        alg,
        digest,
        &[
            RefSpec {
                id: ts_id,
                enveloped: false,
                prefixes: ts_prefixes,
                digest: ts_digest,
            },
            RefSpec {
                id: body_id,
                enveloped: false,
                prefixes: &[],
                digest: body_digest,
            },
        ],
        key_info,
    )?;
    Ok(xml.replacen(SIGNATURE_MARK, &sig, 1))
}

/// Signs urna's responses: Timestamp and Body, service key.
#[derive(Debug, Clone)]
pub struct ResponseSigner {
    pub key: SigningKey,
    pub algorithm: SignatureAlg,
    pub key_info: KeyInfoForm,
    /// Lifetime of the response Timestamp, seconds.
    pub ttl_secs: i64,
}

/// The Body child of an envelope written by `urna_wire::envelope` (replies,
/// with an empty Header) or by `Fault::to_envelope` (no Header).
fn own_body_child(envelope: &str) -> Option<&str> {
    own_body_child_around(envelope, envelope)?
        .0
        .strip_suffix(ENVELOPE_END)
}

/// What ends an envelope urna writes.
const ENVELOPE_END: &str = "</soap:Body></soap:Envelope>";

/// The ids of a signed reply's Timestamp, Body and token.
struct Ids {
    ts: String,
    body: String,
    bst: String,
}

impl Ids {
    fn new() -> Ids {
        Ids {
            ts: new_id("TS"),
            body: new_id("id"),
            bst: new_id("X509"),
        }
    }

    /// The Body's start tag with the declarations exclusive C14N renders
    /// on it (the Body as a document of its own).
    fn standalone_body_open(&self) -> String {
        format!(
            "<soap:Body xmlns:soap=\"{}\" xmlns:wsu=\"{}\" wsu:Id=\"{}\">",
            urna_wire::ns::SOAP_ENV,
            ns::WSU,
            self.body
        )
    }
}

/// The Body child's text before and after a streamed content, of an
/// envelope written by `urna_wire::envelope` split there.
fn own_body_child_around<'a>(head: &'a str, tail: &'a str) -> Option<(&'a str, &'a str)> {
    let decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
    let open = format!("<soap:Envelope xmlns:soap=\"{}\">", urna_wire::ns::SOAP_ENV);
    let rest = head.strip_prefix(decl)?.strip_prefix(open.as_str())?;
    let rest = rest.strip_prefix("<soap:Header/>").unwrap_or(rest);
    Some((
        rest.strip_prefix("<soap:Body>")?,
        tail.strip_suffix(ENVELOPE_END)?,
    ))
}

/// Reads `content` to its end and hands `each` its base64 (standard
/// alphabet, padded, no line breaks) in pieces: every piece but the last
/// encodes a multiple of 3 bytes, so the pieces join into the base64 of the
/// whole.
pub fn for_each_base64_piece(
    content: &mut dyn std::io::Read,
    each: &mut dyn FnMut(&[u8]) -> Result<(), SignError>,
) -> Result<(), SignError> {
    use base64::Engine;
    const RAW: usize = 48 * 1024;
    let mut raw = vec![0u8; RAW];
    let mut encoded = vec![0u8; RAW / 3 * 4];
    loop {
        let mut filled = 0;
        while filled < RAW {
            match content.read(&mut raw[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
        if filled == 0 {
            return Ok(());
        }
        let n = base64::engine::general_purpose::STANDARD
            .encode_slice(&raw[..filled], &mut encoded)
            .map_err(fail)?;
        each(&encoded[..n])?;
        if filled < RAW {
            return Ok(());
        }
    }
}

/// `ts` (from [`timestamp`]) with the `wsu` declaration the Timestamp has in
/// scope inside `wsse:Security`: what exclusive C14N renders of it.
fn standalone_timestamp(ts: &str) -> String {
    ts.replacen(
        "<wsu:Timestamp ",
        &format!("<wsu:Timestamp xmlns:wsu=\"{}\" ", ns::WSU),
        1,
    )
}

/// Whether a Body child written by urna-wire is free of the constructs its
/// writer used before it wrote canonically (empty-element tags, `&quot;` and
/// decimal character references in text), which answers remembered for
/// idempotency and stored sections may still contain.
fn written_canonically(child: &str) -> bool {
    !(child.contains("/>") || child.contains("&quot;") || child.contains("&#1"))
}

/// Exclusive C14N of `xml` parsed as a document of its own.
fn canonical_standalone(xml: &str) -> Result<String, SignError> {
    let doc = parse(xml)?;
    let root = doc.get_root_element().ok_or_else(|| fail("empty"))?;
    canonical(&root, &[])
}

impl ResponseSigner {
    /// Signs an envelope urna wrote itself. Its Timestamp and Body declare
    /// every namespace they use, so their exclusive canonical forms are
    /// computed on small documents of their own (what the verifier computes
    /// in place is the same), without parsing the whole response.
    fn sign_own(&self, child: &str, now: OffsetDateTime) -> Result<String, SignError> {
        let ids = Ids::new();
        let body_alone = format!("{}{child}</soap:Body>", ids.standalone_body_open());
        let digest = self.algorithm.digest();
        // urna-wire writes Body children in canonical form (see its `xml`
        // module), so the Body is digested as written; a child that shows a
        // non-canonical construct (a stored answer or section written before
        // urna-wire wrote canonically) is canonicalised by libxml2.
        let body_digest = if written_canonically(child) {
            debug_assert_eq!(
                canonical_standalone(&body_alone).as_deref().ok(),
                Some(body_alone.as_str()),
                "urna-wire wrote a Body child that is not in canonical form"
            );
            digest.digest(body_alone.as_bytes())
        } else {
            digest.digest(canonical_standalone(&body_alone)?.as_bytes())
        };
        let mut signed = self.head(&ids, now, body_digest)?;
        signed.push_str(child);
        signed.push_str(ENVELOPE_END);
        Ok(signed)
    }

    /// The signed envelope up to the Body's start tag, given the digest of
    /// the Body (`ids.body`): the Header with the Timestamp (digested here)
    /// and the message signature over both.
    fn head(
        &self,
        ids: &Ids,
        now: OffsetDateTime,
        body_digest: Vec<u8>,
    ) -> Result<String, SignError> {
        let soap = urna_wire::ns::SOAP_ENV;
        let ts = timestamp(&ids.ts, now, self.ttl_secs);
        let digest = self.algorithm.digest();
        // Written in canonical form already (namespace declaration, then
        // the one attribute; ids and instants need no escaping): its
        // canonicalisation is itself (tested), so it is digested as it is.
        let ts_digest = digest.digest(standalone_timestamp(&ts).as_bytes());
        let sig = signature(
            &self.key,
            self.algorithm,
            digest,
            &[
                RefSpec {
                    id: &ids.ts,
                    enveloped: false,
                    prefixes: &[],
                    digest: ts_digest,
                },
                RefSpec {
                    id: &ids.body,
                    enveloped: false,
                    prefixes: &[],
                    digest: body_digest,
                },
            ],
            &key_info(&self.key, self.key_info, &ids.bst)?,
        )?;
        let token = if self.key_info == KeyInfoForm::BinarySecurityToken {
            bst(&self.key, &ids.bst)
        } else {
            String::new()
        };
        Ok(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"{soap}\"><soap:Header>{}{ts}{token}{sig}</wsse:Security></soap:Header><soap:Body xmlns:wsu=\"{}\" wsu:Id=\"{}\">",
            security_open("soap:"),
            ns::WSU,
            ids.body
        ))
    }

    /// Signs an envelope urna wrote itself whose Body holds, between
    /// `head` and `tail`, the base64 of what `content` reads: a file too
    /// large to hold in memory, read once here in pieces into the Body's
    /// digest. The signed envelope comes back as the text before the
    /// content and the text after it, for the caller to send around the
    /// same content read again (`docs/security.md`, "Streamed replies").
    pub fn sign_around(
        &self,
        head: &str,
        content: &mut dyn std::io::Read,
        tail: &str,
        now: OffsetDateTime,
    ) -> Result<(String, String), SignError> {
        let (child_head, child_tail) = own_body_child_around(head, tail).ok_or_else(|| {
            fail("a streamed reply must be an envelope urna-wire wrote (Body child around the content)")
        })?;
        if !written_canonically(child_head) || !written_canonically(child_tail) {
            return Err(fail("a streamed reply must be written in canonical form"));
        }
        let ids = Ids::new();
        let mut hasher = openssl::hash::Hasher::new(self.algorithm.digest().md())?;
        hasher.update(ids.standalone_body_open().as_bytes())?;
        hasher.update(child_head.as_bytes())?;
        for_each_base64_piece(content, &mut |piece| {
            hasher.update(piece).map_err(SignError::from)
        })?;
        hasher.update(child_tail.as_bytes())?;
        hasher.update(b"</soap:Body>")?;
        let signed_head = self.head(&ids, now, hasher.finish()?.to_vec())?;
        Ok((
            format!("{signed_head}{child_head}"),
            format!("{child_tail}{ENVELOPE_END}"),
        ))
    }

    /// Signs a complete (unsigned) response envelope.
    pub fn sign(&self, envelope: &str, now: OffsetDateTime) -> Result<String, SignError> {
        if let Some(child) = own_body_child(envelope) {
            return self.sign_own(child, now);
        }
        let ts_id = new_id("TS");
        let body_id = new_id("id");
        let bst_id = new_id("X509");
        let l = layout(envelope)?;
        let mu = if l.soap_prefix.is_empty() {
            String::new()
        } else {
            format!("{}:", l.soap_prefix)
        };
        let mut security = security_open(&mu);
        security.push_str(&timestamp(&ts_id, now, self.ttl_secs));
        if self.key_info == KeyInfoForm::BinarySecurityToken {
            security.push_str(&bst(&self.key, &bst_id));
        }
        security.push_str(SIGNATURE_MARK);
        security.push_str("</wsse:Security>");
        let xml = with_security(envelope, &security, &body_id)?;
        let ki = key_info(&self.key, self.key_info, &bst_id)?;
        sign_message(
            &xml,
            &self.key,
            self.algorithm,
            self.algorithm.digest(),
            &ts_id,
            &body_id,
            &[],
            &ki,
        )
    }
}

pub use super::client::{add_assertion, ClientSigner, Operator};

#[cfg(test)]
mod tests {
    use super::*;

    /// urna's own Timestamp is digested as written: it must be its own
    /// canonical form, whatever the id and the instants.
    #[test]
    fn the_written_timestamp_is_already_canonical() {
        let now = OffsetDateTime::now_utc();
        for (id, at, ttl) in [
            (new_id("TS"), now, 300),
            ("TS-1".to_string(), OffsetDateTime::UNIX_EPOCH, 0),
            (new_id("TS"), now + time::Duration::milliseconds(7), 86_400),
        ] {
            let alone = standalone_timestamp(&timestamp(&id, at, ttl));
            assert_eq!(canonical_standalone(&alone).unwrap(), alone);
        }
    }

    /// SignedInfo is signed as written: it must be its own canonical form for
    /// every algorithm, transform and PrefixList the signers produce.
    #[test]
    fn the_written_signed_info_is_already_canonical() {
        for alg in [SignatureAlg::RsaSha1, SignatureAlg::RsaSha256] {
            for digest in [DigestAlg::Sha1, DigestAlg::Sha256] {
                let refs = [
                    RefSpec {
                        id: "TS-1",
                        enveloped: false,
                        prefixes: &["wsse", "soap"],
                        digest: digest.digest(b"a"),
                    },
                    RefSpec {
                        id: "_a1",
                        enveloped: true,
                        prefixes: &[],
                        digest: digest.digest(b"b"),
                    },
                ];
                let si = signed_info(alg, digest, &refs);
                assert_eq!(canonical_standalone(&si).unwrap(), si);
            }
        }
    }

    /// What urna-wire writes in a Body (answers OK, KO with text that needs
    /// escaping, 3008 sections, faults) is digested as written: it must be
    /// its own canonical form inside the Body urna signs.
    #[test]
    fn urna_wire_bodies_are_already_canonical() {
        use urna_domain::header::RequestHeader;
        use urna_domain::{Anomaly, Code};
        use urna_wire::envelope::Fault;
        use urna_wire::messages::{write_response, Outcome, ResponseMeta};
        use urna_wire::{Element, Operation};
        let header = RequestHeader {
            // Echoed free text that needs escaping.
            protocollo_comune: Some("A&1 <\"x\">".into()),
            ..RequestHeader::example()
        };
        let meta = ResponseMeta {
            id_operazione_anpr: "42".into(),
        };
        let tricky = "l'elettore \"X\" <a> & \"b\"\r\n\tfine";
        let section = Element::new("sezione")
            .with_child(Element::leaf("numero", "1"))
            .with_child(Element::leaf("descrizione", tricky))
            .with_child(Element::new("vuoto"));
        let mut children = vec![
            write_response(
                Operation::Mutazione5011,
                &header,
                &meta,
                &Outcome::Done { warnings: vec![] },
            ),
            write_response(
                Operation::Mutazione5011,
                &header,
                &meta,
                &Outcome::Done {
                    warnings: vec![Anomaly::new(Code::EN079, tricky).value(tricky)],
                },
            ),
            write_response(
                Operation::Mutazione5010,
                &header,
                &meta,
                &Outcome::Ko(vec![Anomaly::new(Code::EN148, tricky).field("f")]),
            ),
            write_response(
                Operation::Consultazione3008,
                &header,
                &meta,
                &Outcome::Sections(vec![section.inner_xml(), String::new()]),
            ),
        ];
        let fault = Fault::policy(urna_wire::SecurityReason::Replay, tricky).correlation("c-1");
        children.push(own_body_child(&fault.to_envelope()).unwrap().to_string());
        for child in children {
            assert!(written_canonically(&child), "{child}");
            let body = format!(
                "<soap:Body xmlns:soap=\"{}\" xmlns:wsu=\"{}\" wsu:Id=\"id-1\">{child}</soap:Body>",
                urna_wire::ns::SOAP_ENV,
                ns::WSU
            );
            assert_eq!(canonical_standalone(&body).unwrap(), body);
        }
        // What the writer produced before it wrote canonically is detected.
        for old in ["<a/>", "<a>&quot;</a>", "<a>&#13;</a>"] {
            assert!(!written_canonically(old));
        }
    }

    /// A self-signed RSA key, enough to sign.
    fn test_key() -> SigningKey {
        use openssl::x509::{X509Builder, X509NameBuilder};
        let key = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "urna test").unwrap();
        let name = name.build();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&openssl::asn1::Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        b.sign(&key, openssl::hash::MessageDigest::sha256())
            .unwrap();
        SigningKey::from_pem(
            &b.build().to_pem().unwrap(),
            &key.private_key_to_pem_pkcs8().unwrap(),
        )
        .unwrap()
    }

    /// Hands out at most 1,000 bytes per read, as a socket or a pipe may.
    struct Trickle<'a>(&'a [u8]);

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(1000);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// A reply signed around a streamed content is signed over the whole
    /// Body: its Body digest is what libxml2's exclusive C14N of the Body
    /// with the content's base64 in place digests to, whatever the
    /// content's length (every remainder mod 3, around the piece size) and
    /// however the reader hands it out.
    #[test]
    fn a_body_signed_around_streamed_content_is_digested_whole() {
        use base64::Engine;
        let signer = ResponseSigner {
            key: test_key(),
            algorithm: SignatureAlg::RsaSha256,
            key_info: KeyInfoForm::BinarySecurityToken,
            ttl_secs: 300,
        };
        let child = "<t7:R xmlns:t7=\"urn:t\"><c>@</c><f>gz &amp; co</f></t7:R>";
        let envelope = urna_wire::envelope::envelope(child);
        let (head, tail) = envelope.split_once('@').unwrap();
        for len in [0usize, 1, 2, 3, 49_151, 49_152, 49_153, 200_003] {
            let content: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let (h, t) = signer
                .sign_around(
                    head,
                    &mut Trickle(&content),
                    tail,
                    OffsetDateTime::now_utc(),
                )
                .unwrap();
            let whole = format!(
                "{h}{}{t}",
                base64::engine::general_purpose::STANDARD.encode(&content)
            );
            let doc = parse(&whole).unwrap();
            let mut body = None;
            c14n::for_each_element(&doc.get_root_element().unwrap(), &mut |n| {
                if is(n, urna_wire::ns::SOAP_ENV, "Body") {
                    body = Some(n.clone());
                }
            });
            let body = body.unwrap();
            let id = body.get_attribute_ns("Id", ns::WSU).unwrap();
            let expected =
                b64(&DigestAlg::Sha256.digest(canonical(&body, &[]).unwrap().as_bytes()));
            let reference = &whole[whole.find(&format!("URI=\"#{id}\"")).unwrap()..];
            let value = &reference[reference.find("<ds:DigestValue>").unwrap() + 16..];
            assert_eq!(&value[..value.find('<').unwrap()], expected, "{len} bytes");
        }
        // What is not an envelope urna wrote is refused.
        assert!(signer
            .sign_around("<a>", &mut Trickle(b""), "</a>", OffsetDateTime::now_utc())
            .is_err());
    }
}
