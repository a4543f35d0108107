//! MTOM/XOP serialization of a SOAP 1.1 reply (W3C SOAP MTOM, XOP 1.0):
//! the base64 character content of one element moves, decoded, into a
//! binary MIME part of a `multipart/related` message, and an `xop:Include`
//! pointing at that part stands in its place (docs/anpr-interface.md §6001,
//! "How urna sends the PDF").
//!
//! MTOM is only a serialization: the message is still the XML infoset with
//! the base64 text inline, and that is what the reply's WS-Security
//! signature covers. So the envelope is written and signed first, as for
//! an inline reply, and [`to_mtom`] then moves the bytes out without
//! touching anything else; a receiver that puts the base64 back (as
//! MTOM-aware stacks do) has the signed envelope again, byte for byte.
//! That needs the content to be base64 in its canonical form (no white
//! space, canonical padding): [`to_mtom`] refuses anything else.
//!
//! Pure functions: the caller chooses the boundary and the content id
//! (random per reply in urna-server).

use std::fmt::Write as _;
use std::ops::Range;

use base64::Engine;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::ns;

/// The XOP namespace of `xop:Include`.
pub const XOP_NS: &str = "http://www.w3.org/2004/08/xop/include";

/// The Content-ID of the root part (the SOAP envelope), without brackets.
pub const ROOT_CONTENT_ID: &str = "root.message@urna";

/// The Content-Type of the root part: the envelope, XOP-packaged SOAP 1.1.
pub const ROOT_CONTENT_TYPE: &str = "application/xop+xml; charset=UTF-8; type=\"text/xml\"";

/// An element whose base64 content an MTOM message carries as a binary
/// part: the namespace (`None`: unqualified) and local name of each element
/// from the document element down to it, and the media type of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Optimized {
    pub path: &'static [(Option<&'static str>, &'static str)],
    pub media_type: &'static str,
}

/// `Risposta6001OK/file/certificatoPdf`, the electoral certificate of a
/// 6001 reply (`xmime:expectedContentTypes="application/pdf"` in the XSD).
pub const CERTIFICATO_PDF: Optimized = Optimized {
    path: &[
        (Some(ns::SOAP_ENV), "Envelope"),
        (Some(ns::SOAP_ENV), "Body"),
        (Some(ns::CERT), "Risposta6001"),
        (Some(ns::CERT), "Risposta6001OK"),
        (None, "file"),
        (None, "certificatoPdf"),
    ],
    media_type: "application/pdf",
};

/// `RispostaMultipla7001/datiDettaglioRisposta/xmlFile`, the ZIP archive of
/// a 7001 decode table.
pub const XML_FILE: Optimized = Optimized {
    path: &[
        (Some(ns::SOAP_ENV), "Envelope"),
        (Some(ns::SOAP_ENV), "Body"),
        (Some(ns::T7), "Risposta7001"),
        (Some(ns::T7), "RispostaMultipla7001"),
        (None, "datiDettaglioRisposta"),
        (None, "xmlFile"),
    ],
    media_type: "application/zip",
};

/// `RispostaMultipla7002/file/contenutoFile`, the (gzip) file of an
/// asynchronous request.
pub const CONTENUTO_FILE: Optimized = Optimized {
    path: &[
        (Some(ns::SOAP_ENV), "Envelope"),
        (Some(ns::SOAP_ENV), "Body"),
        (Some(ns::T7), "Risposta7002"),
        (Some(ns::T7), "RispostaMultipla7002"),
        (None, "file"),
        (None, "contenutoFile"),
    ],
    media_type: "application/gzip",
};

/// An MTOM/XOP message ready for HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mtom {
    /// The value of the HTTP Content-Type header (`multipart/related; …`).
    pub content_type: String,
    /// The multipart body.
    pub body: Vec<u8>,
    /// Where the root part's content (the envelope) lies in `body`.
    pub root: Range<usize>,
    /// Where the binary part's content (the decoded bytes) lies in `body`.
    pub binary: Range<usize>,
}

/// Why an envelope could not be written as MTOM (the caller then sends it
/// inline, as it is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MtomError {
    #[error("the envelope is not well-formed XML near byte {at}: {message}")]
    Xml { at: u64, message: String },
    #[error("{element} at byte {at} does not hold canonical base64 text only: {why}")]
    NotBase64 {
        element: &'static str,
        at: usize,
        why: String,
    },
    #[error("{0:?} is not a MIME boundary (RFC 2046: 1 to 70 of the characters A-Z a-z 0-9 ' ( ) + _ , - . / : = ? and space, not ending in a space)")]
    Boundary(String),
    #[error("{0:?} is not a Content-ID (RFC 2392 and RFC 5322 msg-id without brackets: dot-atom@dot-atom)")]
    ContentId(String),
    #[error("the boundary {0:?} occurs inside a part; the message needs another boundary")]
    BoundaryInContent(String),
}

/// Writes `envelope` as an MTOM/XOP message whose binary part, with
/// Content-ID `<content_id>`, holds the decoded base64 content of the
/// element `part.path` names; `boundary` separates the parts.
///
/// `Ok(None)` when there is nothing to move: the element is absent or
/// empty (a KO, a fault, the retry of a preview); the envelope then goes
/// inline as it is. The first occurrence is the one moved (the schemas
/// allow one).
pub fn to_mtom(
    envelope: &str,
    part: &Optimized,
    boundary: &str,
    content_id: &str,
) -> Result<Option<Mtom>, MtomError> {
    check_boundary(boundary)?;
    check_content_id(content_id)?;
    let Some(text) = locate(envelope, part.path)? else {
        return Ok(None);
    };
    if text.is_empty() {
        return Ok(None);
    }
    let element = part.path.last().map(|(_, n)| *n).unwrap_or("");
    let base64 = &envelope[text.clone()];
    let frame = Frame::new(
        &envelope[..text.start],
        &envelope[text.end..],
        part,
        boundary,
        content_id,
        base64.len() / 4 * 3,
    )?;
    let mut body = frame.head;
    let binary_start = body.len();
    // Decoded straight into the body: the bytes are not held twice. The
    // standard engine refuses white space, non-canonical padding and
    // trailing bits, so what it accepts re-encodes to the same text.
    base64::engine::general_purpose::STANDARD
        .decode_vec(base64, &mut body)
        .map_err(|e| MtomError::NotBase64 {
            element,
            at: text.start,
            why: e.to_string(),
        })?;
    let binary = binary_start..body.len();
    if contains(&body[binary.clone()], frame.delimiter.as_bytes()) {
        return Err(MtomError::BoundaryInContent(boundary.to_string()));
    }
    body.extend_from_slice(&frame.tail);
    Ok(Some(Mtom {
        content_type: frame.content_type,
        body,
        root: frame.root,
        binary,
    }))
}

/// An MTOM/XOP message whose binary part the caller streams: `head` goes
/// before the part's bytes, `tail` after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtomAround {
    /// The value of the HTTP Content-Type header (`multipart/related; …`).
    pub content_type: String,
    pub head: Vec<u8>,
    pub tail: Vec<u8>,
}

/// The MTOM/XOP message of a signed envelope whose `part` content is
/// streamed: `head` and `tail` are the envelope before and after that
/// content, which the caller sends, decoded, between the returned head and
/// tail. The content itself is never seen here, so a boundary occurring
/// inside it is the caller's to rule out (a random boundary chosen after
/// the content was written occurs in it by chance only).
pub fn to_mtom_around(
    head: &str,
    tail: &str,
    part: &Optimized,
    boundary: &str,
    content_id: &str,
) -> Result<MtomAround, MtomError> {
    check_boundary(boundary)?;
    check_content_id(content_id)?;
    let element = part.path.last().map(|(_, n)| *n).unwrap_or("");
    match locate(&format!("{head}{tail}"), part.path)? {
        Some(r) if r == (head.len()..head.len()) => {}
        _ => {
            return Err(MtomError::NotBase64 {
                element,
                at: head.len(),
                why: "the streamed content does not go where the element's content is".into(),
            })
        }
    }
    let frame = Frame::new(head, tail, part, boundary, content_id, 0)?;
    Ok(MtomAround {
        content_type: frame.content_type,
        head: frame.head,
        tail: frame.tail,
    })
}

/// The two parts of an MTOM message but the binary part's bytes: the
/// root part (the envelope with an `xop:Include` where the content was)
/// and the binary part's headers before them, the closing delimiter after.
struct Frame {
    content_type: String,
    delimiter: String,
    head: Vec<u8>,
    root: Range<usize>,
    tail: Vec<u8>,
}

impl Frame {
    /// `before` and `after`: the envelope around the content; `room`: what
    /// the binary part will add to the head.
    fn new(
        before: &str,
        after: &str,
        part: &Optimized,
        boundary: &str,
        content_id: &str,
        room: usize,
    ) -> Result<Frame, MtomError> {
        let delimiter = format!("--{boundary}");
        let mut body = Vec::with_capacity(before.len() + after.len() + room + 512);
        let mut head = String::with_capacity(256);
        let _ = write!(
            head,
            "{delimiter}\r\nContent-Type: {ROOT_CONTENT_TYPE}\r\nContent-Transfer-Encoding: 8bit\r\nContent-ID: <{ROOT_CONTENT_ID}>\r\n\r\n"
        );
        body.extend_from_slice(head.as_bytes());
        let root_start = body.len();
        body.extend_from_slice(before.as_bytes());
        body.extend_from_slice(b"<xop:Include xmlns:xop=\"");
        body.extend_from_slice(XOP_NS.as_bytes());
        body.extend_from_slice(b"\" href=\"");
        body.extend_from_slice(cid_url(content_id).as_bytes());
        body.extend_from_slice(b"\"/>");
        body.extend_from_slice(after.as_bytes());
        let root = root_start..body.len();
        if contains(&body[root.clone()], delimiter.as_bytes()) {
            return Err(MtomError::BoundaryInContent(boundary.to_string()));
        }
        head.clear();
        let _ = write!(
            head,
            "\r\n{delimiter}\r\nContent-Type: {}\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <{content_id}>\r\n\r\n",
            part.media_type
        );
        body.extend_from_slice(head.as_bytes());
        let tail = format!("\r\n{delimiter}--\r\n").into_bytes();
        Ok(Frame {
            content_type: format!(
                "multipart/related; type=\"application/xop+xml\"; start=\"<{ROOT_CONTENT_ID}>\"; start-info=\"text/xml\"; boundary=\"{boundary}\""
            ),
            delimiter,
            head: body,
            root,
            tail,
        })
    }
}

/// The `cid:` URL of a Content-ID (given without brackets; RFC 2392): every
/// byte but the URL-unreserved characters and `@` percent-encoded.
pub fn cid_url(content_id: &str) -> String {
    let mut url = String::with_capacity(4 + content_id.len());
    url.push_str("cid:");
    for b in content_id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) {
            url.push(char::from(b));
        } else {
            let _ = write!(url, "%{b:02X}");
        }
    }
    url
}

/// The byte range of the character content of the first element at `path`
/// (`None` when there is none; empty when the element is). The content must
/// be text only: an entity or character reference, CDATA, a comment or a
/// child element is refused, since none of them is canonical base64.
fn locate(
    envelope: &str,
    path: &[(Option<&'static str>, &'static str)],
) -> Result<Option<Range<usize>>, MtomError> {
    let element = path.last().map(|(_, n)| *n).unwrap_or("");
    let mut r = NsReader::from_str(envelope);
    r.config_mut().check_end_names = true;
    r.config_mut().trim_text(false);
    // Open elements, and how many of them, from the root, match `path`.
    let mut depth = 0usize;
    let mut matched = 0usize;
    // Where the target's content starts, while inside it.
    let mut content: Option<usize> = None;
    loop {
        let before = position(&r);
        let (res, ev) = match r.read_resolved_event() {
            Ok(e) => e,
            Err(e) => {
                let message = e.to_string();
                return Err(MtomError::Xml {
                    at: r.error_position(),
                    message,
                });
            }
        };
        let next = match &ev {
            Event::Start(e) | Event::Empty(e) => {
                depth == matched
                    && path
                        .get(matched)
                        .is_some_and(|want| is(&res, e.local_name().as_ref(), *want))
            }
            _ => false,
        };
        if let Some(start) = content {
            return match ev {
                Event::Text(_) => continue,
                Event::End(_) => Ok(Some(start..before)),
                other => Err(MtomError::NotBase64 {
                    element,
                    at: before,
                    why: format!("it contains {}", what(&other)),
                }),
            };
        }
        match ev {
            Event::Start(_) => {
                depth += 1;
                if next {
                    matched += 1;
                    if matched == path.len() {
                        content = Some(position(&r));
                    }
                }
            }
            Event::Empty(_) if next && matched + 1 == path.len() => return Ok(Some(0..0)),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                matched = matched.min(depth);
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

/// The reader's position as an index into the input.
fn position(r: &NsReader<&[u8]>) -> usize {
    usize::try_from(r.buffer_position()).unwrap_or(usize::MAX)
}

/// Whether an element (resolved namespace, local name) is `want`.
fn is(res: &ResolveResult<'_>, local: &[u8], want: (Option<&str>, &str)) -> bool {
    local == want.1.as_bytes()
        && match (res, want.0) {
            (ResolveResult::Bound(ns), Some(w)) => ns.as_ref() == w.as_bytes(),
            (ResolveResult::Unbound, None) => true,
            _ => false,
        }
}

/// What an event is, for an error message.
fn what(ev: &Event<'_>) -> &'static str {
    match ev {
        Event::Start(_) | Event::Empty(_) => "a child element",
        Event::GeneralRef(_) => "an entity or character reference",
        Event::CData(_) => "a CDATA section",
        Event::Comment(_) => "a comment",
        Event::PI(_) => "a processing instruction",
        _ => "something other than text",
    }
}

/// RFC 2046 §5.1.1: 1..70 `bchars`, the last not a space.
fn check_boundary(b: &str) -> Result<(), MtomError> {
    let bchar = |c: u8| c.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&c);
    let ok = (1..=70).contains(&b.len()) && b.bytes().all(bchar) && !b.ends_with(' ');
    if ok {
        Ok(())
    } else {
        Err(MtomError::Boundary(b.to_string()))
    }
}

/// A msg-id without its brackets, `dot-atom-text "@" dot-atom-text`
/// (RFC 5322 §3.6.4; the domain-literal form is not needed here).
fn check_content_id(id: &str) -> Result<(), MtomError> {
    let atext = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&c);
    let dot_atom =
        |s: &str| !s.is_empty() && s.split('.').all(|a| !a.is_empty() && a.bytes().all(atext));
    match id.split_once('@') {
        Some((left, right)) if dot_atom(left) && dot_atom(right) => Ok(()),
        _ => Err(MtomError::ContentId(id.to_string())),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(haystack, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: &str = "uuid:7f1c3a52-1111-4d2e-9c61-2b3f0e4a5d6c";
    const CID: &str = "pdf.0b8e2c@urna";

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// A signed-looking 6001 OK envelope with `content` in certificatoPdf.
    fn reply(content: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"{}\"><soap:Header><wsse:Security xmlns:wsse=\"urn:x\"><file><certificatoPdf>QUFB</certificatoPdf></file></wsse:Security></soap:Header><soap:Body xmlns:wsu=\"urn:u\" wsu:Id=\"id-1\"><cert:Risposta6001 xmlns:cert=\"{}\"><cert:Risposta6001OK><testataRisposta><esitoOperazione>0000</esitoOperazione></testataRisposta><file><certificatoPdf>{content}</certificatoPdf></file></cert:Risposta6001OK></cert:Risposta6001></soap:Body></soap:Envelope>",
            ns::SOAP_ENV,
            ns::CERT
        )
    }

    /// Bytes that look like a PDF and hold what a text-minded writer would
    /// break: CR, LF, NUL, bytes above 0x7F, and a `--` line.
    fn pdf() -> Vec<u8> {
        let mut p = b"%PDF-1.7\r\n%\xe2\xe3\xcf\xd3\n".to_vec();
        p.extend((0..=255u8).cycle().take(3000));
        p.extend_from_slice(b"\r\n--not-the-boundary\r\n\0\r\n%%EOF");
        p
    }

    /// The parts of a multipart body: (headers, content) each, split on
    /// the delimiter lines as RFC 2046 defines them.
    fn parts<'a>(body: &'a [u8], boundary: &str) -> Vec<(String, &'a [u8])> {
        let first = format!("--{boundary}\r\n");
        assert!(
            body.starts_with(first.as_bytes()),
            "starts with the delimiter"
        );
        let close = format!("\r\n--{boundary}--\r\n");
        assert!(
            body.ends_with(close.as_bytes()),
            "ends with the close delimiter"
        );
        let inner = &body[first.len()..body.len() - close.len()];
        let delimiter = format!("\r\n--{boundary}\r\n");
        let mut out = Vec::new();
        let mut rest = inner;
        loop {
            let end = find(rest, delimiter.as_bytes()).unwrap_or(rest.len());
            let part = &rest[..end];
            let split = find(part, b"\r\n\r\n").expect("headers end");
            out.push((
                String::from_utf8(part[..split].to_vec()).expect("ASCII headers"),
                &part[split + 4..],
            ));
            if end == rest.len() {
                return out;
            }
            rest = &rest[end + delimiter.len()..];
        }
    }

    fn find(h: &[u8], n: &[u8]) -> Option<usize> {
        h.windows(n.len()).position(|w| w == n)
    }

    #[test]
    fn the_reply_is_a_root_part_and_a_binary_part() {
        let pdf = pdf();
        let env = reply(&b64(&pdf));
        let m = to_mtom(&env, &CERTIFICATO_PDF, B, CID)
            .unwrap()
            .expect("a PDF to move");
        assert_eq!(
            m.content_type,
            format!("multipart/related; type=\"application/xop+xml\"; start=\"<root.message@urna>\"; start-info=\"text/xml\"; boundary=\"{B}\"")
        );
        let parts = parts(&m.body, B);
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0].0,
            "Content-Type: application/xop+xml; charset=UTF-8; type=\"text/xml\"\r\nContent-Transfer-Encoding: 8bit\r\nContent-ID: <root.message@urna>"
        );
        assert_eq!(
            parts[1].0,
            format!("Content-Type: application/pdf\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <{CID}>")
        );
        assert_eq!(parts[1].1, pdf.as_slice(), "the bytes, not their base64");
        assert_eq!(&m.body[m.binary.clone()], pdf.as_slice());
        let root = std::str::from_utf8(parts[0].1).unwrap();
        assert_eq!(&m.body[m.root.clone()], root.as_bytes());
        assert!(root.contains(&format!(
            "<file><certificatoPdf><xop:Include xmlns:xop=\"http://www.w3.org/2004/08/xop/include\" href=\"cid:{CID}\"/></certificatoPdf></file>"
        )));
        assert!(!root.contains(&b64(&pdf)), "no base64 left in the envelope");
        // The same-named element in the header is not the one moved.
        assert!(root.contains("<certificatoPdf>QUFB</certificatoPdf></file></wsse:Security>"));
    }

    /// The property the signature relies on: putting the base64 of the
    /// binary part back in place of the include gives the signed envelope,
    /// byte for byte.
    #[test]
    fn re_inlining_gives_back_the_envelope_byte_for_byte() {
        for pdf in [pdf(), vec![0], vec![1, 2], b"%PDF-".to_vec()] {
            let env = reply(&b64(&pdf));
            let m = to_mtom(&env, &CERTIFICATO_PDF, B, CID).unwrap().unwrap();
            let root = std::str::from_utf8(&m.body[m.root.clone()]).unwrap();
            let include = format!(
                "<xop:Include xmlns:xop=\"{XOP_NS}\" href=\"{}\"/>",
                cid_url(CID)
            );
            let again = root.replacen(&include, &b64(&m.body[m.binary.clone()]), 1);
            assert_eq!(again, env);
        }
    }

    #[test]
    fn the_boundary_is_in_no_part() {
        let pdf = pdf();
        let m = to_mtom(&reply(&b64(&pdf)), &CERTIFICATO_PDF, B, CID)
            .unwrap()
            .unwrap();
        let delimiter = format!("--{B}");
        assert!(find(&m.body[m.root.clone()], delimiter.as_bytes()).is_none());
        assert!(find(&m.body[m.binary.clone()], delimiter.as_bytes()).is_none());
        // Bytes that hold the delimiter are refused: another boundary is needed.
        let mut bad = pdf.clone();
        bad.extend_from_slice(format!("\r\n--{B}\r\n").as_bytes());
        assert_eq!(
            to_mtom(&reply(&b64(&bad)), &CERTIFICATO_PDF, B, CID),
            Err(MtomError::BoundaryInContent(B.into()))
        );
        // So is an envelope that holds it.
        let env =
            reply(&b64(&pdf)).replace("<esitoOperazione>0000", &format!("<esitoOperazione>--{B}"));
        assert!(matches!(
            to_mtom(&env, &CERTIFICATO_PDF, B, CID),
            Err(MtomError::BoundaryInContent(_))
        ));
    }

    /// The include's cid URL names the binary part's Content-ID (RFC 2392:
    /// percent-decoded and put in brackets).
    #[test]
    fn the_cid_url_names_the_part() {
        assert_eq!(cid_url("pdf.1@urna"), "cid:pdf.1@urna");
        assert_eq!(cid_url("a+b=c/d%e@x.y"), "cid:a%2Bb%3Dc%2Fd%25e@x.y");
        let id = "cert+1/2@urna";
        let m = to_mtom(&reply(&b64(&pdf())), &CERTIFICATO_PDF, B, id)
            .unwrap()
            .unwrap();
        let root = std::str::from_utf8(&m.body[m.root.clone()]).unwrap();
        let href_at = root.find("href=\"").unwrap() + 6;
        let href = &root[href_at..href_at + root[href_at..].find('"').unwrap()];
        let decoded = percent_decode(href.strip_prefix("cid:").unwrap());
        let header = format!("Content-ID: <{decoded}>");
        let parts = parts(&m.body, B);
        assert!(parts[1].0.contains(&header), "{} / {header}", parts[1].0);
    }

    fn percent_decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn nothing_to_move_is_no_mtom() {
        let ko = format!(
            "<soap:Envelope xmlns:soap=\"{}\"><soap:Body><cert:Risposta6001 xmlns:cert=\"{}\"><cert:Risposta6001KO><testataRisposta/></cert:Risposta6001KO></cert:Risposta6001></soap:Body></soap:Envelope>",
            ns::SOAP_ENV,
            ns::CERT
        );
        assert_eq!(to_mtom(&ko, &CERTIFICATO_PDF, B, CID), Ok(None));
        assert_eq!(to_mtom(&reply(""), &CERTIFICATO_PDF, B, CID), Ok(None));
        let empty = reply("").replace("<certificatoPdf></certificatoPdf>", "<certificatoPdf/>");
        assert_eq!(to_mtom(&empty, &CERTIFICATO_PDF, B, CID), Ok(None));
        let no_file = reply("QUFB").replace(
            "<file><certificatoPdf>QUFB</certificatoPdf></file></cert",
            "</cert",
        );
        assert_eq!(to_mtom(&no_file, &CERTIFICATO_PDF, B, CID), Ok(None));
        // The element of another namespace is not the certificate.
        let other_ns = reply("QUFB").replace(ns::CERT, "urn:other");
        assert_eq!(to_mtom(&other_ns, &CERTIFICATO_PDF, B, CID), Ok(None));
    }

    #[test]
    fn any_prefix_names_the_same_elements() {
        let env = reply("QUFB")
            .replace("soap:", "S:")
            .replace("xmlns:soap", "xmlns:S")
            .replace("cert:", "c:")
            .replace("xmlns:cert", "xmlns:c");
        let m = to_mtom(&env, &CERTIFICATO_PDF, B, CID).unwrap().unwrap();
        assert_eq!(&m.body[m.binary.clone()], b"AAA");
    }

    #[test]
    fn content_other_than_canonical_base64_is_refused() {
        for content in [
            "QUF B",
            "QUFB\n",
            "QUE",
            "QUF=",
            "QU&#70;B",
            "<![CDATA[QUFB]]>",
            "QUFB<!-- x -->",
            "<x>QUFB</x>",
        ] {
            let e = to_mtom(&reply(content), &CERTIFICATO_PDF, B, CID).unwrap_err();
            assert!(
                matches!(
                    e,
                    MtomError::NotBase64 {
                        element: "certificatoPdf",
                        ..
                    }
                ),
                "{content}: {e}"
            );
        }
    }

    #[test]
    fn bad_boundaries_content_ids_and_xml_are_errors() {
        let env = reply("QUFB");
        for b in ["", "a\"b", "ends with space ", &"x".repeat(71), "ü"] {
            assert_eq!(
                to_mtom(&env, &CERTIFICATO_PDF, b, CID),
                Err(MtomError::Boundary(b.into())),
                "{b:?}"
            );
        }
        assert!(to_mtom(&env, &CERTIFICATO_PDF, &"x".repeat(70), CID).is_ok());
        for id in ["", "no-at", "a@", "@b", "a..b@c", "a@b@c", "<a@b>", "a b@c"] {
            assert_eq!(
                to_mtom(&env, &CERTIFICATO_PDF, B, id),
                Err(MtomError::ContentId(id.into())),
                "{id:?}"
            );
        }
        let broken = env.replace("</testataRisposta>", "</testata>");
        assert!(matches!(
            to_mtom(&broken, &CERTIFICATO_PDF, B, CID),
            Err(MtomError::Xml { .. })
        ));
    }

    /// Streamed around its content, the message is the one `to_mtom`
    /// writes with the content in place, byte for byte; a split anywhere
    /// but at the element's content is refused.
    #[test]
    fn a_message_streamed_around_its_content_is_the_same_message() {
        let whole = to_mtom(&reply(&b64(&pdf())), &CERTIFICATO_PDF, B, CID)
            .unwrap()
            .unwrap();
        let envelope = reply("@");
        let (head, tail) = envelope.split_once('@').unwrap();
        let around = to_mtom_around(head, tail, &CERTIFICATO_PDF, B, CID).unwrap();
        assert_eq!(around.content_type, whole.content_type);
        let streamed = [around.head.as_slice(), &pdf(), &around.tail].concat();
        assert_eq!(streamed, whole.body);
        let (head, tail) = envelope.split_at(envelope.find("<file>").unwrap());
        assert!(matches!(
            to_mtom_around(head, tail, &CERTIFICATO_PDF, B, CID),
            Err(MtomError::NotBase64 { .. })
        ));
        let (head, tail) = envelope.split_once('@').unwrap();
        assert!(matches!(
            to_mtom_around(head, tail, &CERTIFICATO_PDF, "bad boundary ", CID),
            Err(MtomError::Boundary(_))
        ));
    }
}
