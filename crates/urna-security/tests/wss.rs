//! The security frame end to end inside the gate: requests signed by urna's
//! client signer in every KeyInfo form and algorithm are accepted; forged,
//! wrapped, stale or mis-bound ones are refused with their reason code, and
//! none of them reaches dispatch.

use std::sync::OnceLock;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use urna_pki::PkiDir;
use urna_security::gate::{self, Frame};
use urna_security::wss::sign::KeyInfoForm;
use urna_security::wss::verify::TlsPeer;
use urna_security::wss::{
    ClientSigner, DigestAlg, Operator, Policy, SignatureAlg, SigningKey, Trust,
};
use urna_wire::build::{self, Testata};

const STATION: &str = "058091-PC-0001";
const OTHER: &str = "015146-PC-0001";
const OPERATOR: &str = "RSSMRA80A01H501U";
const WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";

struct Pki {
    dir: PkiDir,
    _tmp: tempfile::TempDir,
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        urna_security::wss::init_openssl();
        let tmp = tempfile::tempdir().unwrap();
        let dir = PkiDir::new(tmp.path().join("pki"));
        dir.init(
            &["localhost"],
            &[STATION.parse().unwrap(), OTHER.parse().unwrap()],
        )
        .unwrap();
        Pki { dir, _tmp: tmp }
    })
}

fn key_in(dir: &PkiDir, cn: &str) -> SigningKey {
    SigningKey::from_pem(
        &std::fs::read(dir.station_cert(cn)).unwrap(),
        &std::fs::read(dir.station_key(cn)).unwrap(),
    )
    .unwrap()
}

fn trust_of(dir: &PkiDir, registered: &[&str]) -> Trust {
    let registered = registered
        .iter()
        .map(|cn| {
            openssl::x509::X509::from_pem(&std::fs::read(dir.station_cert(cn)).unwrap()).unwrap()
        })
        .collect();
    Trust::new(
        &std::fs::read(dir.ca_cert()).unwrap(),
        Some(&dir.crl()),
        registered,
    )
    .unwrap()
}

fn operator() -> Operator {
    Operator {
        codice_fiscale: OPERATOR.into(),
        application: "urna-tests".into(),
    }
}

fn signer(cn: &str) -> ClientSigner {
    ClientSigner::anpr(key_in(&pki().dir, cn), cn, operator())
}

/// An unsigned 3008 from `istat`.
fn request(istat: &str) -> String {
    let t = Testata::new("SEC1", istat, "3008", "2026-11-25T10:00:00Z");
    build::richiesta3008(&t, &build::comune("ROMA", istat, "RM"), Some("1"), "1")
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// The TLS peer `cn` (its certificate in the test PKI).
fn tls_der(cn: &'static str) -> TlsPeer<'static> {
    static FPS: OnceLock<std::sync::Mutex<std::collections::HashMap<&'static str, &'static str>>> =
        OnceLock::new();
    let map = FPS.get_or_init(Default::default);
    let mut map = map.lock().unwrap();
    let fp = *map.entry(cn).or_insert_with(|| {
        let pem = std::fs::read(pki().dir.station_cert(cn)).unwrap();
        let der = openssl::x509::X509::from_pem(&pem)
            .unwrap()
            .to_der()
            .unwrap();
        Box::leak(hex::encode(openssl::sha::sha256(&der)).into_boxed_str())
    });
    TlsPeer {
        fingerprint_sha256: fp,
        cn,
    }
}

type Gate = Result<gate::Checked, urna_wire::envelope::Fault>;

fn check_on(xml: &str, policy: &Policy, trust: &Trust, tls: Option<TlsPeer<'_>>) -> Gate {
    gate::check_with(
        xml.as_bytes(),
        3000,
        Some(&Frame {
            policy,
            trust,
            tls,
            now: now(),
        }),
    )
}

fn check_with(xml: &str, policy: &Policy, tls: Option<TlsPeer<'_>>) -> Gate {
    check_on(xml, policy, &trust_of(&pki().dir, &[STATION, OTHER]), tls)
}

/// The gate with the default policy, on `STATION`'s TLS connection.
fn check(xml: &str) -> Gate {
    check_with(xml, &Policy::default(), Some(tls_der(STATION)))
}

fn refused(xml: &str) -> &'static str {
    match check(xml) {
        Ok(c) => panic!("accepted: {:?}\n{xml}", c.signed),
        Err(f) => f.reason.code(),
    }
}

fn signed() -> String {
    signer(STATION).sign(&request("058091"), now()).unwrap()
}

#[test]
fn the_anpr_profile_is_accepted_and_names_operator_and_station() {
    let xml = signed();
    assert!(
        xml.contains("rsa-sha1")
            && xml.contains("X509Certificate")
            && xml.contains("PrefixList=\"wsse soap\""),
        "{xml}"
    );
    let c = check(&xml).unwrap();
    let s = c.signed.unwrap();
    assert_eq!(s.identity.station.cn(), STATION);
    assert_eq!(s.identity.station.istat.as_str(), "058091");
    assert_eq!(s.identity.operator, OPERATOR);
    assert_eq!(s.identity.application.as_deref(), Some("urna-tests"));
    assert_eq!(s.replay_key.len(), 64);
    assert!(s.expires_ms > now().unix_timestamp() * 1000);
    assert_eq!(c.operation.code(), "3008");
}

#[test]
fn every_keyinfo_form_and_algorithm_is_accepted() {
    for form in [
        KeyInfoForm::X509Data,
        KeyInfoForm::BinarySecurityToken,
        KeyInfoForm::IssuerSerial,
    ] {
        for (alg, digest) in [
            (SignatureAlg::RsaSha1, DigestAlg::Sha1),
            (SignatureAlg::RsaSha256, DigestAlg::Sha256),
        ] {
            let mut s = signer(STATION);
            s.key_info = form;
            s.algorithm = alg;
            s.digest = digest;
            let xml = s.sign(&request("058091"), now()).unwrap();
            check(&xml).unwrap_or_else(|f| panic!("{form:?} {alg:?}: {f:?}\n{xml}"));
        }
    }
}

fn cut(xml: &str, open: &str, close: &str, last: bool) -> String {
    let s = if last {
        xml.rfind(open)
    } else {
        xml.find(open)
    }
    .unwrap();
    let e = if last {
        xml.rfind(close)
    } else {
        xml.find(close)
    }
    .unwrap()
        + close.len();
    format!("{}{}", &xml[..s], &xml[e..])
}

#[test]
fn unsigned_and_incomplete_frames_are_refused() {
    assert_eq!(refused(&request("058091")), "security-header-missing");
    let xml = signed();
    // The message signature is the last ds:Signature.
    assert_eq!(
        refused(&cut(&xml, "<ds:Signature ", "</ds:Signature>", true)),
        "signature-missing"
    );
    assert_eq!(
        refused(&cut(&xml, "<wsu:Timestamp", "</wsu:Timestamp>", false)),
        "timestamp-missing"
    );
    assert_eq!(
        refused(&cut(&xml, "<saml2:Assertion", "</saml2:Assertion>", false)),
        "assertion-missing"
    );
}

#[test]
fn tampering_is_a_digest_mismatch() {
    let xml = signed();
    // The Body.
    assert_eq!(
        refused(&xml.replace(
            "<tipoRichiesta>1</tipoRichiesta>",
            "<tipoRichiesta>2</tipoRichiesta>"
        )),
        "digest-mismatch"
    );
    // The Timestamp (Created a millisecond later: still fresh, and still
    // well-formed whatever the instant; appending a digit was not when the
    // instant fell on a whole second).
    let created = xml
        .split_once("<wsu:Created>")
        .and_then(|(_, rest)| rest.split_once("</wsu:Created>"))
        .map(|(c, _)| c)
        .unwrap();
    let later = (OffsetDateTime::parse(created, &Rfc3339).unwrap()
        + time::Duration::milliseconds(1))
    .format(&Rfc3339)
    .unwrap();
    let t = xml.replacen(
        &format!("<wsu:Created>{created}</wsu:Created>"),
        &format!("<wsu:Created>{later}</wsu:Created>"),
        1,
    );
    assert_ne!(t, xml);
    assert_eq!(refused(&t), "digest-mismatch");
    // An assertion attribute (a forged IdSede).
    let forged = xml.replacen(
        ">058091</saml2:AttributeValue>",
        ">015146</saml2:AttributeValue>",
        1,
    );
    assert_ne!(forged, xml);
    assert_eq!(refused(&forged), "digest-mismatch");
    // Re-indentation inside the Body.
    assert_eq!(
        refused(&xml.replace("<tipoRichiesta>", "\n  <tipoRichiesta>")),
        "digest-mismatch"
    );
}

#[test]
fn stale_and_future_messages_are_refused() {
    let old = signer(STATION)
        .sign(&request("058091"), now() - time::Duration::minutes(20))
        .unwrap();
    assert_eq!(refused(&old), "timestamp-expired");
    let future = signer(STATION)
        .sign(&request("058091"), now() + time::Duration::minutes(20))
        .unwrap();
    assert_eq!(refused(&future), "timestamp-in-future");
}

#[test]
fn identity_binding() {
    // The TLS certificate of another station.
    let f = check_with(&signed(), &Policy::default(), Some(tls_der(OTHER))).unwrap_err();
    assert_eq!(f.reason.code(), "identity-mismatch");
    assert!(f.policy);
    // codMittente of another comune, correctly signed by Roma's station.
    let xml = signer(STATION).sign(&request("015146"), now()).unwrap();
    let f = check(&xml).unwrap_err();
    assert_eq!(f.reason.code(), "identity-mismatch");
    assert!(f.message.contains("codMittente 015146"), "{}", f.message);
    // Signed by Milano's station, sent on Roma's TLS connection…
    let xml = signer(OTHER).sign(&request("015146"), now()).unwrap();
    assert_eq!(refused(&xml), "identity-mismatch");
    // …and accepted on Milano's own connection.
    check_with(&xml, &Policy::default(), Some(tls_der(OTHER))).unwrap();
}

#[test]
fn disallowed_algorithms_are_refused() {
    let policy = Policy {
        digests: vec![DigestAlg::Sha256],
        ..Policy::default()
    };
    let f = check_with(&signed(), &policy, Some(tls_der(STATION))).unwrap_err();
    assert_eq!(f.reason.code(), "algorithm-not-allowed");
    assert!(f.message.contains("xmldsig#sha1"), "{}", f.message);
    // An XPath transform on the Body reference.
    let xml = signed();
    let tampered = xml.replacen(
        "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></ds:Transform></ds:Transforms>",
        "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"></ds:Transform></ds:Transforms>",
        1,
    );
    assert_ne!(tampered, xml);
    assert_eq!(refused(&tampered), "algorithm-not-allowed");
}

#[test]
fn untrusted_and_revoked_signers_are_refused() {
    // Another CA's certificate with the same CN.
    let tmp = tempfile::tempdir().unwrap();
    let other = PkiDir::new(tmp.path().join("pki"));
    other
        .init(&["localhost"], &[STATION.parse().unwrap()])
        .unwrap();
    let s = ClientSigner::anpr(key_in(&other, STATION), STATION, operator());
    let xml = s.sign(&request("058091"), now()).unwrap();
    let f = check_with(&xml, &Policy::default(), None).unwrap_err();
    assert_eq!(f.reason.code(), "untrusted-certificate", "{}", f.message);
    assert!(f.message.contains("CN=058091-PC-0001"), "{}", f.message);
    // Revoked in its own CA's CRL.
    other.revoke_station(STATION).unwrap();
    let f = check_on(&xml, &Policy::default(), &trust_of(&other, &[]), None).unwrap_err();
    assert_eq!(f.reason.code(), "certificate-revoked", "{}", f.message);
}

/// Moves the signed Body into a header wrapper and puts `attacker` in its
/// place: every id still resolves and every digest still matches.
fn wrap_body(xml: &str, attacker: &str) -> String {
    let b = xml.find("<soap:Body").unwrap();
    let body = &xml[b..xml.rfind("</soap:Envelope>").unwrap()];
    let header_end = xml.find("</soap:Header>").unwrap();
    format!(
        "{}<Wrapper xmlns=\"urn:attacker\">{body}</Wrapper></soap:Header>{attacker}</soap:Envelope>",
        &xml[..header_end]
    )
}

fn attacker_body(xml: &str, id: &str) -> String {
    let b = xml.find("<soap:Body").unwrap();
    let body = &xml[b..xml.rfind("</soap:Envelope>").unwrap()];
    let start_tag_end = body.find('>').unwrap();
    let inner = &body[start_tag_end + 1..body.len() - "</soap:Body>".len()];
    format!(
        "<soap:Body xmlns:wsu=\"{WSU}\" wsu:Id=\"{id}\">{}</soap:Body>",
        inner.replace(
            "<tipoRichiesta>1</tipoRichiesta>",
            "<tipoRichiesta>2</tipoRichiesta>"
        )
    )
}

fn attr_after(xml: &str, from: &str, attr: &str) -> String {
    let b = xml.find(from).unwrap();
    let i = xml[b..].find(attr).unwrap() + b + attr.len();
    xml[i..i + xml[i..].find('"').unwrap()].to_string()
}

fn span<'a>(xml: &'a str, open: &str, close: &str, last: bool) -> &'a str {
    let s = if last {
        xml.rfind(open)
    } else {
        xml.find(open)
    }
    .unwrap();
    let e = if last {
        xml.rfind(close)
    } else {
        xml.find(close)
    }
    .unwrap()
        + close.len();
    &xml[s..e]
}

#[test]
fn signature_wrapping_variants_are_refused() {
    let xml = signed();
    let id = attr_after(&xml, "<soap:Body", "wsu:Id=\"");
    let assertion_id = attr_after(&xml, "<saml2:Assertion", "ID=\"");
    let ts = span(&xml, "<wsu:Timestamp", "</wsu:Timestamp>", false);
    let assertion = span(&xml, "<saml2:Assertion", "</saml2:Assertion>", false);
    let message_sig = span(&xml, "<ds:Signature ", "</ds:Signature>", true);
    let other = signed();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "XSW1: signed Body wrapped in the header, attacker Body with a new id",
            wrap_body(&xml, &attacker_body(&xml, "evil")),
            "reference-not-body",
        ),
        (
            "XSW2: attacker Body reusing the signed id",
            wrap_body(&xml, &attacker_body(&xml, &id)),
            "duplicate-id",
        ),
        (
            "a second Body after the genuine one",
            xml.replace(
                "</soap:Body>",
                &format!("</soap:Body>{}", attacker_body(&xml, "evil2")),
            ),
            "security-header-malformed",
        ),
        (
            "the signed Body wrapped inside an attacker Body",
            {
                let b = xml.find("<soap:Body").unwrap();
                let inner = &xml[b..xml.rfind("</soap:Envelope>").unwrap()];
                format!(
                    "{}<soap:Body><Wrapper xmlns=\"urn:attacker\">{inner}</Wrapper></soap:Body></soap:Envelope>",
                    &xml[..b]
                )
            },
            "reference-not-body",
        ),
        (
            "the signed Timestamp wrapped in the header, a fresh one in wsse:Security",
            xml.replacen(ts, &ts.replacen("wsu:Id=\"", "wsu:Id=\"x", 1), 1)
                .replacen(
                    "</soap:Header>",
                    &format!(
                        "<Wrapper xmlns=\"urn:attacker\" xmlns:wsu=\"{WSU}\">{ts}</Wrapper></soap:Header>"
                    ),
                    1,
                ),
            "reference-not-timestamp",
        ),
        (
            "an unsigned assertion beside the signed one",
            {
                let sig = span(assertion, "<ds:Signature ", "</ds:Signature>", false);
                let unsigned = assertion.replacen(sig, "", 1).replacen("ID=\"_", "ID=\"_x", 1);
                xml.replacen(assertion, &format!("{unsigned}{assertion}"), 1)
            },
            "security-header-malformed",
        ),
        (
            "a copy of the message signature in a header wrapper",
            xml.replacen(
                "</soap:Header>",
                &format!("<Wrapper xmlns=\"urn:attacker\">{message_sig}</Wrapper></soap:Header>"),
                1,
            ),
            "signature-count",
        ),
        (
            "the Body reference replaced by the whole document",
            xml.replacen(&format!("URI=\"#{id}\""), "URI=\"\"", 1),
            "reference-missing",
        ),
        (
            // SignedInfo is signed: moving a reference breaks the signature.
            "a reference moved to an id not in the message",
            xml.replacen(&format!("URI=\"#{id}\""), "URI=\"#nowhere\"", 1),
            "signature-invalid",
        ),
        (
            "the soap prefix rebound on the Body",
            xml.replacen("<soap:Body ", "<soap:Body xmlns:soap=\"urn:attacker\" ", 1),
            "security-header-malformed",
        ),
        (
            "SAML XSW: a forged assertion carrying the genuine signature, the genuine one wrapped",
            {
                let sig = span(assertion, "<ds:Signature ", "</ds:Signature>", false);
                let genuine_unsigned = assertion.replacen(sig, "", 1);
                let forged = assertion
                    .replacen(&format!("ID=\"{assertion_id}\""), "ID=\"_forged\"", 1)
                    .replacen(">058091</saml2:AttributeValue>", ">015146</saml2:AttributeValue>", 1);
                xml.replacen(assertion, &forged, 1).replacen(
                    "</soap:Header>",
                    &format!("<Wrapper xmlns=\"urn:attacker\">{genuine_unsigned}</Wrapper></soap:Header>"),
                    1,
                )
            },
            "reference-unexpected",
        ),
        (
            "the SignatureValue of another message",
            xml.replacen(
                span(&xml, "<ds:SignatureValue>", "</ds:SignatureValue>", true),
                span(&other, "<ds:SignatureValue>", "</ds:SignatureValue>", true),
                1,
            ),
            "signature-invalid",
        ),
    ];
    assert!(cases.len() >= 12);
    for (name, forged, expected) in cases {
        assert_ne!(forged, xml, "{name}: the forgery changed nothing");
        assert_eq!(refused(&forged), expected, "{name}");
    }
}

#[test]
fn a_comment_inside_a_signed_value_changes_nothing_consumed() {
    // exc-c14n drops comments, so the digest still matches: what is consumed
    // must then be the whole text, not the part before the comment.
    let xml = signed().replacen(
        "<tipoRichiesta>1</tipoRichiesta>",
        "<tipoRichiesta>1<!-- x --></tipoRichiesta>",
        1,
    );
    let c = check(&xml).unwrap();
    let p = c.payload.child("parametriRicerca3008").unwrap();
    assert_eq!(p.text_of("tipoRichiesta"), Some("1"));
}

#[test]
fn every_remaining_reason_code_has_its_case() {
    let xml = signed();
    // timestamp-malformed: Created is not an instant (checked before digests).
    let s = xml.find("<wsu:Created>").unwrap() + "<wsu:Created>".len();
    let e = xml.find("</wsu:Created>").unwrap();
    let bad_ts = format!("{}yesterday{}", &xml[..s], &xml[e..]);
    assert_eq!(refused(&bad_ts), "timestamp-malformed");
    // too-many-references: a policy allowing one reference per signature.
    let one = Policy {
        max_references: 1,
        ..Policy::default()
    };
    let f = check_with(&xml, &one, Some(tls_der(STATION))).unwrap_err();
    assert_eq!(f.reason.code(), "too-many-references");
    // keyinfo-unsupported: the message signature's KeyInfo removed (it is
    // not signed, so nothing else breaks).
    let ki = span(&xml, "<ds:KeyInfo>", "</ds:KeyInfo>", true);
    assert_eq!(refused(&xml.replacen(ki, "", 1)), "keyinfo-unsupported");
    // assertion-invalid: no Issuer.
    assert_eq!(
        refused(&xml.replacen("<saml2:Issuer>XS</saml2:Issuer>", "", 1)),
        "assertion-invalid"
    );
    // assertion-signature-invalid: the assertion's SignatureValue of
    // another assertion.
    let other = signed();
    let sv = |x: &str| span(x, "<ds:SignatureValue>", "</ds:SignatureValue>", false).to_string();
    assert_eq!(
        refused(&xml.replacen(&sv(&xml), &sv(&other), 1)),
        "assertion-signature-invalid"
    );
    // assertion-expired: a fresh message carrying an assertion built 20
    // minutes ago.
    let s = signer(STATION);
    let old = s.assertion(now() - time::Duration::minutes(20)).unwrap();
    let stale = s
        .sign_with_assertion(&request("058091"), now(), &old)
        .unwrap();
    assert_eq!(refused(&stale), "assertion-expired");
    // id-postazione-firmato-invalid: the CMS of another station's key.
    let mut forged = signer(STATION);
    forged.id_postazione_firmato_override = Some(signer(OTHER).id_postazione_firmato().unwrap());
    let xml = forged.sign(&request("058091"), now()).unwrap();
    assert_eq!(refused(&xml), "id-postazione-firmato-invalid");
    // not-a-station-certificate: urna's own service key, issued by the same
    // CA, signing as if it were a station.
    let d = &pki().dir;
    let service = SigningKey::from_pem(
        &std::fs::read(d.service_signer_cert()).unwrap(),
        &std::fs::read(d.service_signer_key()).unwrap(),
    )
    .unwrap();
    let xml = ClientSigner::anpr(service, STATION, operator())
        .sign(&request("058091"), now())
        .unwrap();
    let f = check_with(&xml, &Policy::default(), None).unwrap_err();
    assert_eq!(
        f.reason.code(),
        "not-a-station-certificate",
        "{}",
        f.message
    );
    // certificate-expired: a station certificate of the CA that expired.
    let ca = d.load_ca().unwrap();
    let at = now();
    let issued = ca
        .issue_station(
            &"058091-PC-0003".parse().unwrap(),
            at - time::Duration::days(400),
            at - time::Duration::days(30),
        )
        .unwrap();
    let key = SigningKey::from_pem(issued.cert_pem.as_bytes(), issued.key_pem.as_bytes()).unwrap();
    let xml = ClientSigner::anpr(key, "058091-PC-0003", operator())
        .sign(&request("058091"), now())
        .unwrap();
    let f = check_with(&xml, &Policy::default(), None).unwrap_err();
    assert_eq!(f.reason.code(), "certificate-expired", "{}", f.message);
}

// ---------------------------------------------------------------------------
// Requests signed by third-party stacks (zeep, node-soap), completed with the
// assertion by `sign::add_assertion`.

const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const X509V3: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";
const B64BIN: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";
const EXC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENV_SIG: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

/// The Body child of an unsigned request envelope.
fn body_child(envelope: &str) -> &str {
    let s = envelope.find("<soap:Body>").unwrap() + "<soap:Body>".len();
    &envelope[s..envelope.rfind("</soap:Body>").unwrap()]
}

fn b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn instant(t: OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&f).unwrap()
}

/// Fills a message written in a peer's layout the way that peer's signer
/// does: each `@DIGEST:<id>@` becomes the SHA-256 of the exclusive canonical
/// form of the element with that id (in place), then `@SIGNATURE@` the
/// RSA-SHA256 signature of the canonical SignedInfo (in place), with `key`.
fn peer_sign(template: &str, key: &SigningKey) -> String {
    use libxml::parser::Parser;
    use urna_security::wss::c14n;
    let find = |xml: &str, pred: &dyn Fn(&libxml::tree::Node) -> bool| {
        let doc = Parser::default().parse_string(xml).unwrap();
        let mut found = None;
        c14n::for_each_element(&doc.get_root_element().unwrap(), &mut |n| {
            if found.is_none() && pred(n) {
                found = Some(n.clone());
            }
        });
        (doc, found.expect("element of the template"))
    };
    let mut xml = template.to_string();
    while let Some(at) = xml.find("@DIGEST:") {
        let end = xml[at + 8..].find('@').unwrap() + at + 8;
        let id = xml[at + 8..end].to_string();
        let (_doc, node) = find(&xml, &|n| {
            n.get_property_no_ns("Id").as_deref() == Some(id.as_str())
                || n.get_property_ns("Id", WSU).as_deref() == Some(id.as_str())
        });
        let canonical = c14n::exclusive(&node, &[]).unwrap();
        let digest = b64(&openssl::sha::sha256(canonical.as_bytes()));
        xml.replace_range(at..=end, &digest);
    }
    let (_doc, si) = find(&xml, &|n| {
        n.get_name() == "SignedInfo" && n.get_namespace().is_some_and(|ns| ns.get_href() == DS)
    });
    let canonical = c14n::exclusive(&si, &[]).unwrap();
    let mut s =
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key.key).unwrap();
    s.update(canonical.as_bytes()).unwrap();
    xml.replacen("@SIGNATURE@", &b64(&s.sign_to_vec().unwrap()), 1)
}

fn cert_b64(key: &SigningKey) -> String {
    b64(&key.cert.to_der().unwrap())
}

/// node-soap 1.13's `WSSecurityCert` layout (xml-crypto 6): mustUnderstand,
/// the token first, a Timestamp in the default namespace with unqualified
/// `Id`, an unqualified `Id` on the Body, the enveloped-signature transform
/// on the Timestamp reference, an unprefixed `Signature`.
fn node_soap_signed(cn: &str) -> String {
    let key = key_in(&pki().dir, cn);
    let t = now();
    let template = format!(
        concat!(
            "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Header>",
            "<wsse:Security xmlns:wsse=\"{wsse}\" xmlns:wsu=\"{wsu}\" soap:mustUnderstand=\"1\">",
            "<wsse:BinarySecurityToken EncodingType=\"{b64bin}\" ValueType=\"{x509}\" wsu:Id=\"x509-1a2b\">{cert}</wsse:BinarySecurityToken>",
            "<Timestamp xmlns=\"{wsu}\" Id=\"_1\"><Created>{created}</Created><Expires>{expires}</Expires></Timestamp>",
            "<Signature xmlns=\"{ds}\"><SignedInfo><CanonicalizationMethod Algorithm=\"{exc}\"/>",
            "<SignatureMethod Algorithm=\"{rsa}\"/>",
            "<Reference URI=\"#_0\"><Transforms><Transform Algorithm=\"{exc}\"/></Transforms>",
            "<DigestMethod Algorithm=\"{sha}\"/><DigestValue>@DIGEST:_0@</DigestValue></Reference>",
            "<Reference URI=\"#_1\"><Transforms><Transform Algorithm=\"{env}\"/><Transform Algorithm=\"{exc}\"/></Transforms>",
            "<DigestMethod Algorithm=\"{sha}\"/><DigestValue>@DIGEST:_1@</DigestValue></Reference></SignedInfo>",
            "<SignatureValue>@SIGNATURE@</SignatureValue><KeyInfo><wsse:SecurityTokenReference xmlns:wsse=\"{wsse}\">",
            "<wsse:Reference URI=\"#x509-1a2b\" ValueType=\"{x509}\"/></wsse:SecurityTokenReference></KeyInfo></Signature>",
            "</wsse:Security></soap:Header><soap:Body Id=\"_0\">{body}</soap:Body></soap:Envelope>"
        ),
        wsse = WSSE,
        wsu = WSU,
        ds = DS,
        b64bin = B64BIN,
        x509 = X509V3,
        exc = EXC,
        env = ENV_SIG,
        rsa = RSA_SHA256,
        sha = SHA256,
        cert = cert_b64(&key),
        created = instant(t),
        expires = instant(t + time::Duration::minutes(10)),
        body = body_child(&request(&cn[..6])),
    );
    peer_sign(&template, &key)
}

/// zeep 4.3's `BinarySignature` layout (python-xmlsec): no mustUnderstand,
/// the signature first with line breaks in it, then the token (its `wsu:Id`
/// under an `ns1` prefix), the Timestamp last, `ns0:Id` on the Body.
fn zeep_signed(cn: &str) -> String {
    let key = key_in(&pki().dir, cn);
    let t = now();
    let template = format!(
        concat!(
            "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Header>",
            "<wsse:Security xmlns:wsse=\"{wsse}\"><Signature xmlns=\"{ds}\">\n<SignedInfo>\n",
            "<CanonicalizationMethod Algorithm=\"{exc}\"/>\n<SignatureMethod Algorithm=\"{rsa}\"/>\n",
            "<Reference URI=\"#id-b0d1\">\n<Transforms>\n<Transform Algorithm=\"{exc}\"/>\n</Transforms>\n",
            "<DigestMethod Algorithm=\"{sha}\"/>\n<DigestValue>@DIGEST:id-b0d1@</DigestValue>\n</Reference>\n",
            "<Reference URI=\"#id-75a3\">\n<Transforms>\n<Transform Algorithm=\"{exc}\"/>\n</Transforms>\n",
            "<DigestMethod Algorithm=\"{sha}\"/>\n<DigestValue>@DIGEST:id-75a3@</DigestValue>\n</Reference>\n",
            "</SignedInfo>\n<SignatureValue>@SIGNATURE@</SignatureValue>\n<KeyInfo>\n",
            "<wsse:SecurityTokenReference><wsse:Reference ValueType=\"{x509}\" URI=\"#id-c4e2\"/></wsse:SecurityTokenReference></KeyInfo>\n",
            "</Signature><wsse:BinarySecurityToken xmlns:ns1=\"{wsu}\" ValueType=\"{x509}\" EncodingType=\"{b64bin}\" ns1:Id=\"id-c4e2\">{cert}\n</wsse:BinarySecurityToken>",
            "<wsu:Timestamp xmlns:wsu=\"{wsu}\" wsu:Id=\"id-75a3\"><wsu:Created>{created}</wsu:Created><wsu:Expires>{expires}</wsu:Expires></wsu:Timestamp>",
            "</wsse:Security></soap:Header><soap:Body xmlns:ns0=\"{wsu}\" ns0:Id=\"id-b0d1\">{body}</soap:Body></soap:Envelope>"
        ),
        wsse = WSSE,
        wsu = WSU,
        ds = DS,
        b64bin = B64BIN,
        x509 = X509V3,
        exc = EXC,
        rsa = RSA_SHA256,
        sha = SHA256,
        cert = cert_b64(&key),
        created = instant(t),
        expires = instant(t + time::Duration::minutes(5)),
        body = body_child(&request(&cn[..6])),
    );
    peer_sign(&template, &key)
}

fn with_assertion(peer_signed: &str, of: &str) -> String {
    let assertion = signer(of).assertion(now()).unwrap();
    urna_security::wss::sign::add_assertion(peer_signed, &assertion).unwrap()
}

#[test]
fn peer_signed_requests_with_the_added_assertion_are_accepted() {
    for (peer, xml) in [
        ("node-soap", node_soap_signed(STATION)),
        ("zeep", zeep_signed(STATION)),
    ] {
        // Without the assertion the peer's frame is incomplete.
        assert_eq!(refused(&xml), "assertion-missing", "{peer}");
        let completed = with_assertion(&xml, STATION);
        // The peer's own bytes are all still there: only the assertion was
        // inserted, as the first child of wsse:Security.
        let at = completed.find("<saml2:Assertion").unwrap();
        let end = completed.find("</saml2:Assertion>").unwrap() + "</saml2:Assertion>".len();
        assert_eq!(format!("{}{}", &completed[..at], &completed[end..]), xml);
        let c = check(&completed).unwrap_or_else(|f| panic!("{peer}: {f:?}\n{completed}"));
        let s = c.signed.unwrap();
        assert_eq!(
            (
                s.identity.station.cn().as_str(),
                s.identity.operator.as_str()
            ),
            (STATION, OPERATOR),
            "{peer}"
        );
        assert_eq!(c.operation.code(), "3008");
    }
}

#[test]
fn peer_signed_requests_are_still_checked_in_full() {
    for xml in [node_soap_signed(STATION), zeep_signed(STATION)] {
        // Changed after signing.
        let tampered = with_assertion(&xml, STATION).replacen(
            "<tipoRichiesta>1</tipoRichiesta>",
            "<tipoRichiesta>2</tipoRichiesta>",
            1,
        );
        assert_eq!(refused(&tampered), "digest-mismatch");
        // The assertion of another station beside this station's signature.
        assert_eq!(refused(&with_assertion(&xml, OTHER)), "identity-mismatch");
    }
}

#[test]
fn add_assertion_needs_a_signed_frame_and_adds_one_assertion() {
    use urna_security::wss::sign::add_assertion;
    let assertion = signer(STATION).assertion(now()).unwrap();
    let e = add_assertion(&request("058091"), &assertion).unwrap_err();
    assert!(
        e.to_string().contains("no soap:Header/wsse:Security"),
        "{e}"
    );
    let once = with_assertion(&zeep_signed(STATION), STATION);
    let e = add_assertion(&once, &assertion).unwrap_err();
    assert!(e.to_string().contains("already carries"), "{e}");
    // A wsse:Security that is not the SOAP header's is not the frame.
    let nested = zeep_signed(STATION).replacen(
        "<soap:Header>",
        &format!(
            "<soap:Header><x:W xmlns:x=\"urn:x\"><wsse:Security xmlns:wsse=\"{WSSE}\"/></x:W>"
        ),
        1,
    );
    let out = add_assertion(&nested, &assertion).unwrap();
    assert!(out.contains(&format!(
        "<wsse:Security xmlns:wsse=\"{WSSE}\"><saml2:Assertion"
    )));
    assert!(out.contains(&format!("<wsse:Security xmlns:wsse=\"{WSSE}\"/></x:W>")));
}
