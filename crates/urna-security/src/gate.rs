//! Stage 2: one strict libxml2 parse, dispatch and XSD validation of the Body's
//! request element, then a copy of that node into a plain element tree.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use libxml::parser::{Parser, ParserOptions, XmlParseFailure};
use libxml::schemas::{SchemaParserContext, SchemaValidationContext};
use libxml::tree::{Document, Node, NodeType};
use urna_wire::envelope::Fault;
use urna_wire::{ns, schemas, Element, Operation};

use crate::wss;

/// Where the embedded XSD files were written for libxml2 to compile (imports
/// between them are relative file names).
static XSD_DIR: OnceLock<Result<tempfile::TempDir, SchemaError>> = OnceLock::new();

/// urna's own schemas could not be prepared (an installation fault, not a
/// property of any request).
#[derive(Debug, Clone, thiserror::Error)]
pub enum SchemaError {
    #[error("cannot write the XSD files to a temporary directory: {0}")]
    Io(String),
    #[error("schema {schema} does not compile: {messages}")]
    Compile {
        schema: &'static str,
        messages: String,
    },
}

thread_local! {
    /// One compiled validator per schema per worker thread (libxml2's
    /// validation contexts are not `Send`).
    static VALIDATORS: RefCell<HashMap<&'static str, SchemaValidationContext>> = RefCell::new(HashMap::new());
}

fn xsd_dir() -> Result<PathBuf, SchemaError> {
    XSD_DIR
        .get_or_init(|| {
            let dir = tempfile::Builder::new()
                .prefix("urna-xsd-")
                .tempdir()
                .map_err(|e| SchemaError::Io(e.to_string()))?;
            for (name, text) in schemas::XSD_FILES {
                std::fs::write(dir.path().join(name), text)
                    .map_err(|e| SchemaError::Io(format!("{name}: {e}")))?;
            }
            Ok(dir)
        })
        .as_ref()
        .map(|d| d.path().to_path_buf())
        .map_err(Clone::clone)
}

fn compile(schema: &'static str) -> Result<SchemaValidationContext, SchemaError> {
    let path = xsd_dir()?.join(schema);
    let path = path
        .to_str()
        .ok_or_else(|| SchemaError::Io("non-UTF-8 temporary path".into()))?;
    let mut parser = SchemaParserContext::from_file(path);
    SchemaValidationContext::from_parser(&mut parser).map_err(|errs| {
        let msgs: Vec<String> = errs.iter().map(|e| msg(e).to_string()).collect();
        SchemaError::Compile {
            schema,
            messages: msgs.join("; "),
        }
    })
}

/// Compiles every port schema on the calling thread. Called at start-up so that
/// a broken schema stops the server instead of failing requests.
pub fn init() -> Result<(), SchemaError> {
    for port in schemas::PORTS {
        with_validator(port.schema, |_| ())?;
    }
    Ok(())
}

fn with_validator<R>(
    schema: &'static str,
    f: impl FnOnce(&mut SchemaValidationContext) -> R,
) -> Result<R, SchemaError> {
    VALIDATORS.with(|cell| {
        let mut map = cell.borrow_mut();
        if !map.contains_key(schema) {
            map.insert(schema, compile(schema)?);
        }
        Ok(f(map.get_mut(schema).expect("inserted above")))
    })
}

/// A request that passed the gate: the operation and its payload tree.
#[derive(Debug, Clone)]
pub struct Checked {
    pub operation: Operation,
    pub payload: Element,
    /// Who signed it, when the security frame was enforced.
    pub signed: Option<Signed>,
}

/// What the verified security frame says about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub identity: wss::Identity,
    /// SHA-256 of the message SignatureValue (accepted once).
    pub replay_key: String,
    /// Until when the replay key must be remembered (Unix ms).
    pub expires_ms: i64,
}

/// The security frame the gate enforces (docs/security.md).
pub struct Frame<'a> {
    pub policy: &'a wss::Policy,
    pub trust: &'a wss::Trust,
    /// The TLS client certificate of the connection.
    pub tls: Option<wss::verify::TlsPeer<'a>>,
    pub now: time::OffsetDateTime,
}

/// A security refusal as a SOAP fault: ANPR's wording class (docs/security.md,
/// "Gateway faults"), the stable reason code and the precise text.
pub fn security_fault(e: wss::SecurityError) -> Fault {
    if e.reason.is_policy() {
        Fault::policy(e.reason, e.message)
    } else {
        Fault::client(e.reason, e.message)
    }
}

fn options() -> ParserOptions<'static> {
    ParserOptions {
        recover: false,
        no_net: true,
        no_def_dtd: true,
        no_error: true,
        no_warning: true,
        huge: false,
        ..ParserOptions::default()
    }
}

/// Parses, dispatches and validates a pre-scanned request posted to the port of
/// `family` (5000, 3000, 2000), without a security frame (tools and tests of
/// the layers above; the server always passes a [`Frame`]).
pub fn check(bytes: &[u8], family: u16) -> Result<Checked, Fault> {
    check_with(bytes, family, None)
}

/// [`check`] with the security frame: `wsse:Security` is verified on the one
/// parsed tree, and dispatch, XSD validation and the payload all consume the
/// Body node the verifier digested.
pub fn check_with(bytes: &[u8], family: u16, frame: Option<&Frame<'_>>) -> Result<Checked, Fault> {
    let mut doc = parse(bytes)?;
    let (body, signed) = match frame {
        Some(f) => {
            let (v, signed) = frame_of(&mut doc, f)?;
            (v.body().clone(), Some(signed))
        }
        None => (body_of(&doc)?, None),
    };
    let request = body
        .get_first_element_child()
        .ok_or_else(|| Fault::client(urna_wire::FaultReason::EmptyBody, "soap:Body is empty"))?;
    let req_ns = request
        .get_namespace()
        .map(|n| n.get_href())
        .unwrap_or_default();
    let name = request.get_name();
    let operation = Operation::from_qname(&req_ns, &name).ok_or_else(|| {
        Fault::client(
            urna_wire::FaultReason::UnknownOperation,
            format!(
                "no operation for request element {{{req_ns}}}{name}; this port serves {}",
                served_by(family)
            ),
        )
        .path(format!("/Envelope/Body/{name}"))
    })?;
    if operation.family() != family {
        return Err(Fault::client(
            urna_wire::FaultReason::WrongPort,
            format!(
                "{} ({}) belongs to the {} port, not to the {} port it was posted to",
                operation.request_element(),
                operation.wsdl_name(),
                urna_wire::messages::family_label(operation.family()),
                urna_wire::messages::family_label(family)
            ),
        ));
    }
    let port = schemas::PORTS
        .iter()
        .find(|p| p.family == family)
        .expect("every operation family has a port");
    let result = with_validator(port.schema, |v| v.validate_node(&request))
        .map_err(|e| Fault::server(urna_wire::FaultReason::SchemaUnavailable, e.to_string()))?;
    if let Err(errors) = result {
        let first = errors.first();
        let messages: Vec<String> = errors.iter().take(5).map(|e| msg(e).to_string()).collect();
        return Err(Fault::client(
            urna_wire::FaultReason::XsdInvalid,
            format!(
                "the request does not conform to {}: {}",
                port.schema,
                messages.join(" | ")
            ),
        )
        .at(
            first.and_then(|e| e.line).map(|l| l as u32),
            first.and_then(|e| e.col).map(|c| c as u32),
        )
        .path(port.schema));
    }
    Ok(Checked {
        operation,
        payload: to_element(&request),
        signed,
    })
}

fn frame_of(doc: &mut Document, f: &Frame<'_>) -> Result<(wss::Verified, Signed), Fault> {
    let v = wss::verify(
        doc,
        f.policy,
        f.trust,
        wss::verify::Inbound {
            tls: f.tls,
            now: f.now,
        },
    )
    .map_err(security_fault)?;
    let signed = Signed {
        identity: v.identity.clone(),
        replay_key: v.replay_key.clone(),
        expires_ms: v.expires_ms,
    };
    Ok((v, signed))
}

/// The security layer alone: the strict parse and the verification of the
/// frame that [`check_with`] does, without dispatch, XSD validation and the
/// payload copy (the security micro-benchmark compares this with other
/// WS-Security stacks).
pub fn verify_frame(bytes: &[u8], frame: &Frame<'_>) -> Result<Signed, Fault> {
    let mut doc = parse(bytes)?;
    frame_of(&mut doc, frame).map(|(_, signed)| signed)
}

/// Validates a standalone document (e.g. a reply's Body child, or a takeover
/// file) against one of the embedded schemas; returns the libxml2 messages.
pub fn validate_document(xml: &[u8], schema: &'static str) -> Result<(), Vec<String>> {
    let doc = parse(xml).map_err(|f| vec![f.message])?;
    let root = doc
        .get_root_element()
        .ok_or_else(|| vec!["no root element".to_string()])?;
    let result =
        with_validator(schema, |v| v.validate_node(&root)).map_err(|e| vec![e.to_string()])?;
    result.map_err(|errs| {
        errs.iter()
            .map(|e| format!("line {:?}: {}", e.line, msg(e)))
            .collect()
    })
}

fn msg(e: &libxml::error::StructuredError) -> &str {
    e.message.as_deref().unwrap_or("").trim()
}

fn served_by(family: u16) -> String {
    Operation::ALL
        .iter()
        .filter(|o| o.family() == family)
        .map(|o| format!("{{{}}}{}", o.request_ns(), o.request_element()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse(bytes: &[u8]) -> Result<Document, Fault> {
    match Parser::default().parse_string_with_diagnostics(bytes, options()) {
        Ok((doc, _warnings)) => Ok(doc),
        Err(XmlParseFailure::ParseFailed(diags)) => {
            let first = diags.first();
            Err(Fault::client(
                urna_wire::FaultReason::NotWellFormed,
                format!(
                    "the request is not well-formed XML: {}",
                    first.map(msg).unwrap_or("no diagnostic")
                ),
            )
            .at(
                first.and_then(|e| e.line).map(|l| l as u32),
                first.and_then(|e| e.col).map(|c| c as u32),
            ))
        }
        Err(e) => Err(Fault::client(
            urna_wire::FaultReason::NotWellFormed,
            format!("the request cannot be parsed: {e}"),
        )),
    }
}

fn is(node: &Node, uri: &str, local: &str) -> bool {
    node.get_name() == local && node.get_namespace().is_some_and(|n| n.get_href() == uri)
}

/// The one `/soap:Envelope/soap:Body`, selected by absolute path.
fn body_of(doc: &Document) -> Result<Node, Fault> {
    let root = doc
        .get_root_element()
        .filter(|r| is(r, ns::SOAP_ENV, "Envelope"))
        .ok_or_else(|| {
            Fault::client(
                urna_wire::FaultReason::NotSoapEnvelope,
                "the root element is not soap:Envelope",
            )
        })?;
    let mut bodies = root
        .get_child_elements()
        .into_iter()
        .filter(|c| is(c, ns::SOAP_ENV, "Body"));
    match (bodies.next(), bodies.next()) {
        (Some(b), None) => Ok(b),
        (None, _) => Err(Fault::client(
            urna_wire::FaultReason::BadEnvelope,
            "the envelope has no soap:Body",
        )),
        (Some(_), Some(_)) => Err(Fault::client(
            urna_wire::FaultReason::MultipleBodies,
            "more than one soap:Body",
        )),
    }
}

/// Copies a validated element into a plain tree. The schemas have no mixed
/// content, so text is kept for leaves only.
fn to_element(node: &Node) -> Element {
    let mut e = Element {
        ns: node.get_namespace().map(|n| n.get_href()),
        name: node.get_name(),
        text: String::new(),
        children: Vec::new(),
    };
    let mut text = String::new();
    let mut child = node.get_first_child();
    while let Some(c) = child {
        match c.get_type() {
            Some(NodeType::ElementNode) => e.children.push(to_element(&c)),
            Some(NodeType::TextNode) | Some(NodeType::CDataSectionNode) => {
                text.push_str(&c.get_content())
            }
            _ => {}
        }
        child = c.get_next_sibling();
    }
    if e.children.is_empty() {
        e.text = text;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> String {
        let path = format!("{}/../../xsd/samples/{name}", env!("CARGO_MANIFEST_DIR"));
        let body = std::fs::read_to_string(&path).unwrap();
        let body = body.trim_start_matches(|c| c != '<');
        let body = if body.starts_with("<?xml") {
            &body[body.find("?>").unwrap() + 2..]
        } else {
            body
        };
        format!(
            r#"<soap:Envelope xmlns:soap="{}"><soap:Header/><soap:Body>{body}</soap:Body></soap:Envelope>"#,
            ns::SOAP_ENV
        )
    }

    #[test]
    fn valid_samples_pass_and_yield_the_tree() {
        for (file, family, op) in [
            ("Richiesta5011.xml", 5000, Operation::Mutazione5011),
            (
                "Richiesta5011-defaultns.xml",
                5000,
                Operation::Mutazione5011,
            ),
            ("Richiesta5010.xml", 5000, Operation::Mutazione5010),
            (
                "Richiesta3008-tipo1.xml",
                3000,
                Operation::Consultazione3008,
            ),
            (
                "Richiesta3008-tipo2.xml",
                3000,
                Operation::Consultazione3008,
            ),
            ("Richiesta2012.xml", 2000, Operation::Cancellazione2012),
        ] {
            let c =
                check(sample(file).as_bytes(), family).unwrap_or_else(|f| panic!("{file}: {f:?}"));
            assert_eq!(c.operation, op, "{file}");
            assert_eq!(c.payload.ns.as_deref(), Some(op.request_ns()));
            let t = c.payload.child("testataRichiesta").unwrap();
            assert!(t.ns.is_none(), "children are unqualified");
            assert_eq!(t.text_of("operazioneRichiesta"), Some(op.code()));
        }
    }

    #[test]
    fn invalid_samples_are_refused_with_position() {
        for (file, family) in [
            ("invalid-5011-pattern-cap.xml", 5000),
            ("invalid-5011-missing-denom.xml", 5000),
            ("invalid-5011-wrong-order.xml", 5000),
            ("invalid-5010-enum-sn.xml", 5000),
            ("invalid-5011-qualified-child.xml", 5000),
            ("invalid-3008-istat-length.xml", 3000),
        ] {
            let f = check(sample(file).as_bytes(), family).unwrap_err();
            assert_eq!(f.reason.code(), "xsd-invalid", "{file}: {f:?}");
            assert!(f.line.is_some(), "{file}");
        }
    }

    #[test]
    fn unknown_root_and_wrong_port_are_refused() {
        let x = sample("Richiesta5011.xml").replace("Richiesta5011", "Richiesta5001");
        assert_eq!(
            check(x.as_bytes(), 5000).unwrap_err().reason.code(),
            "unknown-operation"
        );
        let x = sample("Richiesta5011.xml");
        assert_eq!(
            check(x.as_bytes(), 3000).unwrap_err().reason.code(),
            "wrong-port"
        );
        let x = sample("Richiesta5011.xml").replace(
            "http://sogei.it/ANPR/5000mutazione",
            "http://example.org/other",
        );
        assert_eq!(
            check(x.as_bytes(), 5000).unwrap_err().reason.code(),
            "unknown-operation"
        );
    }

    #[test]
    fn standalone_documents_validate_against_the_named_schema() {
        let path = format!(
            "{}/../../xsd/samples/Risposta5011-ok.xml",
            env!("CARGO_MANIFEST_DIR")
        );
        let ok = std::fs::read(path).unwrap();
        assert!(validate_document(&ok, "5000mutazione.xsd").is_ok());
        assert!(
            validate_document(&ok, "3000consultazione.xsd").is_err(),
            "unknown root in that schema"
        );
        let bad = String::from_utf8(ok)
            .unwrap()
            .replace("<esitoOperazione>", "<esito>")
            .replace("</esitoOperazione>", "</esito>");
        assert!(validate_document(bad.as_bytes(), "5000mutazione.xsd").is_err());
    }

    #[test]
    fn malformed_xml_is_refused_strictly() {
        let f = check(b"<a><b></a>", 5000).unwrap_err();
        assert_eq!(f.reason.code(), "not-well-formed");
        assert!(f.line.is_some());
    }

    #[test]
    fn validators_work_on_many_threads() {
        let x = sample("Richiesta5011.xml");
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let x = x.clone();
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        check(x.as_bytes(), 5000).unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
}
