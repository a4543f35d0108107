//! Streaming pre-scan of a SOAP request (stage 1 of the pipeline).

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use urna_wire::envelope::Fault;
use urna_wire::ns;
use urna_wire::FaultReason;

/// Limits of the pre-scan. They bound what the strict parse, the signature
/// checks and the XSD gate behind it can be made to do: libxml2 checks an
/// element's attributes for duplicates in quadratic time, exclusive C14N
/// looks at every namespace in scope of every element, and each element or
/// attribute costs the parse, C14N and the tree copy a fixed amount. ANPR's
/// messages need a handful of attributes per element, a few hundred
/// elements and values of at most a few KB (certificates in base64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Deepest element nesting accepted (the deepest ANPR payload is about 12).
    pub max_depth: usize,
    /// Elements and comments in the whole message.
    pub max_elements: usize,
    /// Attributes of one element, namespace declarations not counted.
    pub max_attributes: usize,
    /// Namespace declarations (`xmlns`, `xmlns:p`) on one element.
    pub max_namespaces: usize,
    /// Attributes and namespace declarations in the whole message.
    pub max_total_attributes: usize,
    /// Namespace declarations in the whole message: exclusive C14N looks
    /// at the namespaces in scope of every element it renders.
    pub max_total_namespaces: usize,
    /// Bytes of an element or attribute name (prefix included) or of a
    /// namespace name (URI): exclusive C14N writes a declaration again on
    /// every element that uses it, so a long URI is amplified.
    pub max_name_bytes: usize,
    /// Bytes of one run of character data (text, references, CDATA between
    /// two tags) or of one attribute value, as written.
    pub max_text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 48,
            max_elements: 512,
            max_attributes: 16,
            max_namespaces: 16,
            max_total_attributes: 256,
            max_total_namespaces: 64,
            max_name_bytes: 256,
            max_text_bytes: 16 * 1024,
        }
    }
}

/// What the pre-scan learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Report {
    /// `ds:Signature` elements anywhere in the message (used by the security frame).
    pub signatures: usize,
}

const DSIG: &[u8] = b"http://www.w3.org/2000/09/xmldsig#";

/// Line and column (1-based) of a byte offset.
pub fn line_col(bytes: &[u8], offset: usize) -> (u32, u32) {
    let upto = &bytes[..offset.min(bytes.len())];
    let line = upto.iter().filter(|b| **b == b'\n').count() + 1;
    let col = upto.iter().rev().take_while(|b| **b != b'\n').count() + 1;
    (line as u32, col as u32)
}

/// Checks the raw request: well-formed as far as a streaming reader can tell, no
/// DOCTYPE (WS-I BP R1008), no processing instruction, depth within limits, a
/// root `soap:Envelope` with an optional `soap:Header` and exactly one
/// `soap:Body`, and exactly one element inside the Body.
pub fn prescan(bytes: &[u8], limits: Limits) -> Result<Report, Fault> {
    let mut reader = NsReader::from_reader(bytes);
    reader.config_mut().check_end_names = true;
    let mut report = Report::default();
    let mut depth = 0usize;
    let mut seen_root = false;
    let mut bodies = 0usize;
    let mut headers = 0usize;
    let mut body_children = 0usize;
    let mut in_body = false;
    let mut elements = 0usize;
    let mut attributes = Counts::default();
    let mut text_run = 0usize;
    // Names of the open elements (at most max_depth of them).
    let mut open: Vec<Vec<u8>> = Vec::new();
    let fail = |reason: FaultReason, msg: String, pos: u64| {
        let (l, c) = line_col(bytes, pos as usize);
        Fault::client(reason, msg).at(Some(l), Some(c))
    };
    loop {
        let pos = reader.buffer_position();
        let (res, ev) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => {
                return Err(fail(
                    FaultReason::NotWellFormed,
                    format!("the request is not well-formed XML: {e}"),
                    reader.error_position(),
                ))
            }
        };
        let is_ns = |res: &ResolveResult<'_>, uri: &[u8]| matches!(res, ResolveResult::Bound(n) if n.as_ref() == uri);
        match ev {
            Event::DocType(_) => {
                return Err(fail(
                    FaultReason::Doctype,
                    "DOCTYPE declarations are not allowed in SOAP messages (WS-I BP R1008); entities are never expanded".into(),
                    pos,
                ))
            }
            Event::PI(_) => {
                return Err(fail(
                    FaultReason::ProcessingInstruction,
                    "processing instructions are not allowed in SOAP messages".into(),
                    pos,
                ))
            }
            Event::Decl(_) if seen_root => {
                return Err(fail(FaultReason::NotWellFormed, "XML declaration after the root element".into(), pos))
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                text_run = 0;
                elements += 1;
                if elements > limits.max_elements {
                    return Err(fail(
                        FaultReason::TooManyElements,
                        format!("the message has more than {} elements (server.max_elements)", limits.max_elements),
                        pos,
                    ));
                }
                if e.name().as_ref().len() > limits.max_name_bytes {
                    return Err(fail(
                        FaultReason::NameTooLong,
                        format!("an element name is longer than {} bytes (server.max_name_bytes)", limits.max_name_bytes),
                        pos,
                    ));
                }
                count_attributes(e, &limits, &mut attributes).map_err(|(reason, msg)| fail(reason, msg, pos))?;
                let empty = matches!(ev, Event::Empty(_));
                let local = e.local_name();
                let local = local.as_ref();
                let soap = is_ns(&res, ns::SOAP_ENV.as_bytes());
                if depth == 0 {
                    if seen_root {
                        return Err(fail(FaultReason::NotWellFormed, "more than one root element".into(), pos));
                    }
                    seen_root = true;
                    if !(soap && local == b"Envelope") {
                        return Err(fail(
                            FaultReason::NotSoapEnvelope,
                            format!(
                                "the root element must be {{{}}}Envelope (SOAP 1.1), found {}",
                                ns::SOAP_ENV,
                                String::from_utf8_lossy(e.name().as_ref())
                            ),
                            pos,
                        ));
                    }
                } else if depth == 1 {
                    match (soap, local) {
                        (true, b"Header") if bodies == 0 && headers == 0 => headers += 1,
                        (true, b"Body") if bodies == 0 => {
                            bodies += 1;
                            in_body = !empty;
                        }
                        (true, b"Body") => {
                            return Err(fail(FaultReason::MultipleBodies, "the envelope contains more than one soap:Body".into(), pos))
                        }
                        _ => {
                            return Err(fail(
                                FaultReason::BadEnvelope,
                                format!(
                                    "unexpected element {} in soap:Envelope: only one soap:Header followed by one soap:Body are allowed",
                                    String::from_utf8_lossy(e.name().as_ref())
                                ),
                                pos,
                            ))
                        }
                    }
                } else if depth == 2 && in_body {
                    body_children += 1;
                    if body_children > 1 {
                        return Err(fail(
                            FaultReason::MultipleBodyChildren,
                            "soap:Body must contain exactly one element (the request)".into(),
                            pos,
                        ));
                    }
                }
                if is_ns(&res, DSIG) && local == b"Signature" {
                    report.signatures += 1;
                }
                if !empty {
                    open.push(e.name().as_ref().to_vec());
                    depth += 1;
                    if depth > limits.max_depth {
                        return Err(fail(
                            FaultReason::TooDeep,
                            format!("element nesting deeper than {} levels", limits.max_depth),
                            pos,
                        ));
                    }
                }
            }
            Event::End(_) => {
                text_run = 0;
                open.pop();
                depth -= 1;
                if depth == 1 {
                    in_body = false;
                }
            }
            Event::Text(ref t) if depth == 2 && in_body && !t.iter().all(|b| b.is_ascii_whitespace()) => {
                return Err(fail(FaultReason::BadEnvelope, "character data directly inside soap:Body".into(), pos));
            }
            Event::Comment(_) => {
                text_run = 0;
                elements += 1;
                if elements > limits.max_elements {
                    return Err(fail(
                        FaultReason::TooManyElements,
                        format!("the message has more than {} elements and comments (server.max_elements)", limits.max_elements),
                        pos,
                    ));
                }
            }
            Event::Eof if depth > 0 => {
                let names: Vec<_> = open.iter().map(|n| String::from_utf8_lossy(n)).collect();
                return Err(fail(
                    FaultReason::NotWellFormed,
                    format!(
                        "the request is not well-formed XML: it ends inside {} (unclosed: {})",
                        names.last().map_or("an element".into(), |n| n.to_string()),
                        names.join(" > ")
                    ),
                    pos,
                ));
            }
            Event::Eof => break,
            _ => {}
        }
        if let Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) = ev {
            text_run += (reader.buffer_position() - pos) as usize;
            if text_run > limits.max_text_bytes {
                return Err(fail(
                    FaultReason::TextTooLong,
                    format!(
                        "a run of character data is longer than {} bytes (server.max_text_bytes)",
                        limits.max_text_bytes
                    ),
                    pos,
                ));
            }
        }
    }
    if !seen_root {
        return Err(Fault::client(
            FaultReason::NotWellFormed,
            "the request is empty or has no root element",
        ));
    }
    if bodies == 0 {
        return Err(Fault::client(
            FaultReason::BadEnvelope,
            "the envelope has no soap:Body",
        ));
    }
    if body_children == 0 {
        return Err(Fault::client(
            FaultReason::EmptyBody,
            "soap:Body is empty: it must contain the request element",
        ));
    }
    Ok(report)
}

/// Counts the attributes of one start tag against the limits, stopping at the
/// first one over a limit: quick-xml's own duplicate check is quadratic, so
/// the attributes are read without it (libxml2 refuses duplicates later, on
/// at most `max_attributes` of them).
#[derive(Default)]
struct Counts {
    attributes: usize,
    namespaces: usize,
}

fn count_attributes(
    e: &quick_xml::events::BytesStart<'_>,
    limits: &Limits,
    total: &mut Counts,
) -> Result<(), (FaultReason, String)> {
    let (mut plain, mut namespaces) = (0usize, 0usize);
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|err| {
            (
                FaultReason::NotWellFormed,
                format!("the request is not well-formed XML: {err}"),
            )
        })?;
        let key = a.key.as_ref();
        if key.len() > limits.max_name_bytes {
            return Err((
                FaultReason::NameTooLong,
                format!(
                    "an attribute name is longer than {} bytes (server.max_name_bytes)",
                    limits.max_name_bytes
                ),
            ));
        }
        let declaration = key == b"xmlns" || key.starts_with(b"xmlns:");
        if declaration && a.value.len() > limits.max_name_bytes {
            return Err((
                FaultReason::NameTooLong,
                format!(
                    "a namespace name is longer than {} bytes (server.max_name_bytes)",
                    limits.max_name_bytes
                ),
            ));
        }
        if a.value.len() > limits.max_text_bytes {
            return Err((
                FaultReason::TextTooLong,
                format!(
                    "an attribute value is longer than {} bytes (server.max_text_bytes)",
                    limits.max_text_bytes
                ),
            ));
        }
        if declaration {
            namespaces += 1;
            total.namespaces += 1;
            if namespaces > limits.max_namespaces {
                return Err((
                    FaultReason::TooManyNamespaces,
                    format!(
                        "an element declares more than {} namespaces (server.max_namespaces)",
                        limits.max_namespaces
                    ),
                ));
            }
            if total.namespaces > limits.max_total_namespaces {
                return Err((
                    FaultReason::TooManyNamespacesTotal,
                    format!(
                        "the message declares more than {} namespaces (server.max_total_namespaces)",
                        limits.max_total_namespaces
                    ),
                ));
            }
        } else {
            plain += 1;
            if plain > limits.max_attributes {
                return Err((
                    FaultReason::TooManyAttributes,
                    format!(
                        "an element has more than {} attributes (server.max_attributes)",
                        limits.max_attributes
                    ),
                ));
            }
        }
        total.attributes += 1;
        if total.attributes > limits.max_total_attributes {
            return Err((
                FaultReason::TooManyAttributesTotal,
                format!(
                    "the message has more than {} attributes and namespace declarations (server.max_total_attributes)",
                    limits.max_total_attributes
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(body: &str) -> String {
        format!(
            r#"<?xml version="1.0"?><s:Envelope xmlns:s="{}"><s:Header/><s:Body>{body}</s:Body></s:Envelope>"#,
            ns::SOAP_ENV
        )
    }

    fn reason(x: &str) -> &'static str {
        prescan(x.as_bytes(), Limits::default())
            .unwrap_err()
            .reason
            .code()
    }

    #[test]
    fn accepts_a_plain_envelope() {
        assert!(prescan(
            env("<m:R xmlns:m=\"urn:x\"><a>1</a></m:R>").as_bytes(),
            Limits::default()
        )
        .is_ok());
        let no_header = format!(
            r#"<Envelope xmlns="{}"><Body><R xmlns="urn:x"/></Body></Envelope>"#,
            ns::SOAP_ENV
        );
        assert!(prescan(no_header.as_bytes(), Limits::default()).is_ok());
    }

    #[test]
    fn refuses_doctype_and_entities() {
        let x = format!("<!DOCTYPE x [<!ENTITY a \"b\">]>{}", env("<r>&a;</r>"));
        assert_eq!(reason(&x), "doctype");
        let lol = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><lolz>&lol2;</lolz>";
        assert_eq!(reason(lol), "doctype");
    }

    #[test]
    fn refuses_processing_instructions() {
        assert_eq!(reason(&env("<?evil x?><r/>")), "processing-instruction");
    }

    #[test]
    fn refuses_bad_envelopes() {
        assert_eq!(reason("not xml at all"), "not-well-formed");
        assert_eq!(reason(&env("<a><b></a>")), "not-well-formed");
        assert_eq!(reason("<r xmlns=\"urn:x\"/>"), "not-soap-envelope");
        assert_eq!(reason(&env("<a/><b/>")), "multiple-body-children");
        assert_eq!(reason(&env("")), "empty-body");
        let two = format!(
            r#"<s:Envelope xmlns:s="{0}"><s:Body><a/></s:Body><s:Body><b/></s:Body></s:Envelope>"#,
            ns::SOAP_ENV
        );
        assert_eq!(reason(&two), "multiple-bodies");
        let soap12 = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><a/></s:Body></s:Envelope>"#;
        assert_eq!(reason(soap12), "not-soap-envelope");
    }

    /// A request cut inside the Header is not well-formed, at the point
    /// where it ends, not an envelope without a Body.
    #[test]
    fn a_truncated_request_is_not_well_formed() {
        let whole = env("<r/>").replace("<s:Header/>", "<s:Header>\n<a>x</a></s:Header>");
        let cut = &whole[..whole.find("</a>").unwrap() + 4];
        let f = prescan(cut.as_bytes(), Limits::default()).unwrap_err();
        assert_eq!(f.reason.code(), "not-well-formed", "{}", f.message);
        assert!(f.message.contains("s:Envelope > s:Header"), "{}", f.message);
        assert_eq!((f.line, f.column), (Some(2), Some(9)));
    }

    #[test]
    fn refuses_deep_nesting() {
        let deep = format!("{}x{}", "<a>".repeat(100), "</a>".repeat(100));
        let f = prescan(env(&deep).as_bytes(), Limits::default()).unwrap_err();
        assert_eq!(f.reason.code(), "too-deep");
        assert_eq!(f.line, Some(1));
    }

    /// The bombs of the hardening review: each is refused by its own reason,
    /// and at a cost linear in the bytes read up to the limit.
    #[test]
    fn refuses_the_bombs() {
        let attrs: String = (0..70_000).map(|i| format!(" a{i}=\"\"")).collect();
        assert_eq!(reason(&env(&format!("<r{attrs}/>"))), "too-many-attributes");
        let spread: String = (0..20)
            .map(|i| format!("<e{i} a=\"1\" b=\"2\" c=\"3\" d=\"4\" e=\"5\" f=\"6\" g=\"7\" h=\"8\" i=\"9\" j=\"0\" k=\"1\" l=\"2\" m=\"3\" n=\"4\" o=\"5\"/>"))
            .collect();
        assert_eq!(
            reason(&env(&format!("<r>{spread}</r>"))),
            "too-many-attributes-total"
        );
        let nss: String = (0..10_000)
            .map(|i| format!(" xmlns:p{i}=\"urn:{i}\""))
            .collect();
        assert_eq!(reason(&env(&format!("<r{nss}/>"))), "too-many-namespaces");
        let nested: String = (0..10)
            .map(|i| {
                (0..10)
                    .map(|k| format!(" xmlns:p{i}_{k}=\"urn:{k}\""))
                    .collect::<String>()
            })
            .map(|d| format!("<n{d}>"))
            .collect();
        assert_eq!(reason(&env(&nested)), "too-many-namespaces-total");
        let long = "n".repeat(100_000);
        assert_eq!(reason(&env(&format!("<{long}/>"))), "name-too-long");
        assert_eq!(reason(&env(&format!("<r {long}=\"1\"/>"))), "name-too-long");
        assert_eq!(reason(&env(&format!("<r a=\"{long}\"/>"))), "text-too-long");
        assert_eq!(
            reason(&env(&format!("<r xmlns:p=\"urn:{long}\"/>"))),
            "name-too-long"
        );
        assert_eq!(reason(&env(&format!("<r>{long}</r>"))), "text-too-long");
        let refs = "&amp;".repeat(10_000);
        assert_eq!(reason(&env(&format!("<r>{refs}</r>"))), "text-too-long");
        let tiny = "<a/>".repeat(100_000);
        assert_eq!(reason(&env(&format!("<r>{tiny}</r>"))), "too-many-elements");
        let comments = "<!---->".repeat(100_000);
        assert_eq!(
            reason(&env(&format!("<r>{comments}</r>"))),
            "too-many-elements"
        );
    }

    #[test]
    fn accepts_a_message_at_every_limit() {
        let l = Limits::default();
        let attrs: String = (0..l.max_attributes)
            .map(|i| format!(" a{i}=\"v\""))
            .collect();
        let nss: String = (0..l.max_namespaces)
            .map(|i| format!(" xmlns:p{i}=\"urn:{i}\""))
            .collect();
        let name = "n".repeat(l.max_name_bytes);
        let text = "t".repeat(l.max_text_bytes);
        // Envelope, Header, Body and r are four elements.
        let fill = "<a/>".repeat(l.max_elements - 6);
        let body = format!("<r{attrs}{nss}><{name}>{text}</{name}><b a=\"{text}\"/>{fill}</r>");
        assert!(prescan(env(&body).as_bytes(), l).is_ok());
    }

    #[test]
    fn counts_signatures() {
        let x = env(r#"<r><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></r>"#);
        assert_eq!(
            prescan(x.as_bytes(), Limits::default()).unwrap().signatures,
            1
        );
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col(b"ab\ncd", 4), (2, 2));
        assert_eq!(line_col(b"ab", 0), (1, 1));
    }
}
