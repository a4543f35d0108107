//! Streaming reader for the takeover files (`subentroSezioni`,
//! `subentroListe`; docs/anpr-interface.md §Takeover files): yields one
//! record at a time as a small [`Element`] tree, so memory does not depend on
//! the file size.

use std::io::BufRead;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::tree::Element;

/// A structural problem in the file (maps to EN009).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    pub message: String,
    pub byte: u64,
}

/// Reads `input`, checks that the root is `{root_ns}root_name`, and calls
/// `record` for every element named `record_name` at `depth` (root = 1),
/// with its 0-based index. `header` receives the other leaf values seen
/// before the first record (e.g. `numeroTotaleSezioni`). Stops early when
/// `record` returns `false`.
pub fn for_each_record(
    input: impl BufRead,
    root_ns: &str,
    root_name: &str,
    record_name: &str,
    depth: usize,
    mut header: impl FnMut(&str, &str),
    mut record: impl FnMut(u64, Element) -> bool,
) -> Result<u64, StreamError> {
    let mut r = NsReader::from_reader(input);
    r.config_mut().check_end_names = true;
    r.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut level = 0usize;
    let mut stack: Vec<Element> = Vec::new();
    let mut count = 0u64;
    let mut last_leaf: Option<String> = None;
    let err = |r: &NsReader<_>, m: String| StreamError {
        message: m,
        byte: r.buffer_position(),
    };
    loop {
        buf.clear();
        let (res, ev) = r
            .read_resolved_event_into(&mut buf)
            .map_err(|e| StreamError {
                message: e.to_string(),
                byte: 0,
            })?;
        match ev {
            Event::DocType(_) => return Err(err(&r, "DOCTYPE not allowed".into())),
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                level += 1;
                let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if level == 1 {
                    let ok_ns = matches!(res, ResolveResult::Bound(ref n) if n.as_ref() == root_ns.as_bytes());
                    if !ok_ns || local != root_name {
                        return Err(err(
                            &r,
                            format!(
                                "the root element must be {{{root_ns}}}{root_name}, found {local}"
                            ),
                        ));
                    }
                } else if !stack.is_empty() || (level == depth && local == record_name) {
                    stack.push(Element::new(local));
                } else {
                    last_leaf = Some(local);
                }
                if empty {
                    level -= 1;
                    if !stack.is_empty() && !close_with(&mut stack, &mut count, &mut record) {
                        return Ok(count);
                    }
                }
            }
            Event::Text(t) => {
                let text = t.xml_content().map_err(|e| err(&r, e.to_string()))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                } else if let Some(name) = &last_leaf {
                    if !text.trim().is_empty() {
                        header(name, text.trim());
                    }
                }
            }
            Event::GeneralRef(g) => {
                let name = String::from_utf8_lossy(&g).into_owned();
                let Some(ch) = general_ref(&name) else {
                    return Err(err(&r, format!("unknown entity &{name};")));
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&ch);
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::End(_) => {
                level -= 1;
                if !stack.is_empty() {
                    let keep_going = close_with(&mut stack, &mut count, &mut record);
                    if !keep_going {
                        return Ok(count);
                    }
                }
                last_leaf = None;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if level != 0 {
        return Err(StreamError {
            message: "the file ends inside an element".into(),
            byte: r.buffer_position(),
        });
    }
    Ok(count)
}

/// Pops the top element into its parent, or hands a finished record over.
fn close_with(
    stack: &mut Vec<Element>,
    count: &mut u64,
    record: &mut impl FnMut(u64, Element) -> bool,
) -> bool {
    let mut done = stack.pop().expect("non-empty");
    if !done.children.is_empty() {
        done.text.clear();
    }
    match stack.last_mut() {
        Some(parent) => {
            parent.children.push(done);
            true
        }
        None => {
            let i = *count;
            *count += 1;
            record(i, done)
        }
    }
}

/// The text of a predefined entity or character reference (`amp`, `#x20AC`,
/// ...); `None` for any other name (a DTD's entities are refused upstream).
pub(crate) fn general_ref(name: &str) -> Option<String> {
    let ch = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        n if n.starts_with("#x") => char::from_u32(u32::from_str_radix(&n[2..], 16).ok()?)?,
        n if n.starts_with('#') => char::from_u32(n[1..].parse::<u32>().ok()?)?,
        _ => return None,
    };
    Some(ch.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"<?xml version="1.0"?>
<subentroSezioni xmlns="http://sogei.it/ANPR/subentroSezioni">
  <numeroTotaleSezioni xmlns="">2</numeroTotaleSezioni>
  <sezioni xmlns="">
    <sezione><sezioneelettoralenum>1</sezioneelettoralenum><sezioneelettoraledenom>A &amp; B</sezioneelettoraledenom></sezione>
    <sezione><sezioneelettoralenum>2</sezioneelettoralenum><vuoto/></sezione>
  </sezioni>
</subentroSezioni>"#;

    #[test]
    fn yields_records_and_header_values() {
        let mut header = Vec::new();
        let mut records = Vec::new();
        let n = for_each_record(
            FILE.as_bytes(),
            crate::ns::SUBENTRO_SEZIONI,
            "subentroSezioni",
            "sezione",
            3,
            |k, v| header.push((k.to_string(), v.to_string())),
            |i, e| {
                records.push((i, e));
                true
            },
        )
        .unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            header,
            [("numeroTotaleSezioni".to_string(), "2".to_string())]
        );
        assert_eq!(
            records[0].1.text_of("sezioneelettoraledenom"),
            Some("A & B")
        );
        assert_eq!(records[1].1.text_of("sezioneelettoralenum"), Some("2"));
        assert!(records[1].1.child("vuoto").is_some());
    }

    #[test]
    fn stops_when_asked_and_refuses_wrong_roots_and_truncation() {
        let mut seen = 0;
        let n = for_each_record(
            FILE.as_bytes(),
            crate::ns::SUBENTRO_SEZIONI,
            "subentroSezioni",
            "sezione",
            3,
            |_, _| {},
            |_, _| {
                seen += 1;
                false
            },
        )
        .unwrap();
        assert_eq!((n, seen), (1, 1));
        assert!(for_each_record(
            FILE.as_bytes(),
            crate::ns::SUBENTRO_LISTE,
            "subentroListe",
            "listaSoggetto",
            4,
            |_, _| {},
            |_, _| true
        )
        .is_err());
        let cut = &FILE[..FILE.len() - 40];
        assert!(for_each_record(
            cut.as_bytes(),
            crate::ns::SUBENTRO_SEZIONI,
            "subentroSezioni",
            "sezione",
            3,
            |_, _| {},
            |_, _| true
        )
        .is_err());
    }
}
