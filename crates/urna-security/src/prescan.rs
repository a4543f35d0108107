//! Streaming pre-scan of a SOAP request (stage 1 of the pipeline).

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use urna_wire::envelope::Fault;
use urna_wire::ns;

/// Limits of the pre-scan.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest element nesting accepted (the deepest ANPR payload is about 12).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_depth: 48 }
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
    let fail = |reason: &'static str, msg: String, pos: u64| {
        let (l, c) = line_col(bytes, pos as usize);
        Fault::client(reason, msg).at(Some(l), Some(c))
    };
    loop {
        let pos = reader.buffer_position();
        let (res, ev) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => {
                return Err(fail(
                    "not-well-formed",
                    format!("the request is not well-formed XML: {e}"),
                    reader.error_position(),
                ))
            }
        };
        let is_ns = |res: &ResolveResult<'_>, uri: &[u8]| matches!(res, ResolveResult::Bound(n) if n.as_ref() == uri);
        match ev {
            Event::DocType(_) => {
                return Err(fail(
                    "doctype",
                    "DOCTYPE declarations are not allowed in SOAP messages (WS-I BP R1008); entities are never expanded".into(),
                    pos,
                ))
            }
            Event::PI(_) => {
                return Err(fail(
                    "processing-instruction",
                    "processing instructions are not allowed in SOAP messages".into(),
                    pos,
                ))
            }
            Event::Decl(_) if seen_root => {
                return Err(fail("not-well-formed", "XML declaration after the root element".into(), pos))
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let local = e.local_name();
                let local = local.as_ref();
                let soap = is_ns(&res, ns::SOAP_ENV.as_bytes());
                if depth == 0 {
                    if seen_root {
                        return Err(fail("not-well-formed", "more than one root element".into(), pos));
                    }
                    seen_root = true;
                    if !(soap && local == b"Envelope") {
                        return Err(fail(
                            "not-soap-envelope",
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
                            return Err(fail("multiple-bodies", "the envelope contains more than one soap:Body".into(), pos))
                        }
                        _ => {
                            return Err(fail(
                                "bad-envelope",
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
                            "multiple-body-children",
                            "soap:Body must contain exactly one element (the request)".into(),
                            pos,
                        ));
                    }
                }
                if is_ns(&res, DSIG) && local == b"Signature" {
                    report.signatures += 1;
                }
                if !empty {
                    depth += 1;
                    if depth > limits.max_depth {
                        return Err(fail(
                            "too-deep",
                            format!("element nesting deeper than {} levels", limits.max_depth),
                            pos,
                        ));
                    }
                }
            }
            Event::End(_) => {
                depth -= 1;
                if depth == 1 {
                    in_body = false;
                }
            }
            Event::Text(ref t) if depth == 2 && in_body && !t.iter().all(|b| b.is_ascii_whitespace()) => {
                return Err(fail("bad-envelope", "character data directly inside soap:Body".into(), pos));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err(Fault::client(
            "not-well-formed",
            "the request is empty or has no root element",
        ));
    }
    if bodies == 0 {
        return Err(Fault::client(
            "bad-envelope",
            "the envelope has no soap:Body",
        ));
    }
    if body_children == 0 {
        return Err(Fault::client(
            "empty-body",
            "soap:Body is empty: it must contain the request element",
        ));
    }
    Ok(report)
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
        prescan(x.as_bytes(), Limits::default()).unwrap_err().reason
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

    #[test]
    fn refuses_deep_nesting() {
        let deep = format!("{}x{}", "<a>".repeat(100), "</a>".repeat(100));
        let f = prescan(env(&deep).as_bytes(), Limits::default()).unwrap_err();
        assert_eq!(f.reason, "too-deep");
        assert_eq!(f.line, Some(1));
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
