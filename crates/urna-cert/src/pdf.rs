//! The PDF/A-2b writer of the certificates, on `pdf-writer` (the low-level
//! writer of the typst project) and `subsetter` (its font subsetter).
//!
//! A certificate is mostly the same from one to the next: the two faces, the
//! colour profile, the fixed texts. The parts that do not change are written
//! once per process ([`Prepared`]): the sRGB profile (output intent and
//! `ICCBased` colour space) and, per face, a subset of every character most
//! certificates print (ASCII, Latin-1, Latin Extended-A, general
//! punctuation, the euro sign), compressed once. Per certificate only the
//! page contents, the metadata, the page tree and, for a sealed one, the
//! signature field are written; a character outside the prepared subset
//! (Latin Extended-B, which ANPR's names admit) goes into a second, small
//! subset of its face made for that certificate alone.
//!
//! What makes the file PDF/A-2b, and where each requirement is met:
//! * every font embedded (`FontFile2`), with `/W` widths equal to the
//!   advances the layout measured and a `ToUnicode` map, so text extracts;
//!   no glyph 0 (the layout only prints characters both faces have);
//! * colour only in an `ICCBased` sRGB space, with the same profile as the
//!   PDF/A output intent (`/S /GTS_PDFA1`);
//! * XMP metadata (uncompressed) with `pdfaid:part 2`, `conformance B`, and
//!   title, dates, producer and creator tool equal to the `/Info` entries;
//! * a file `/ID`; no encryption, transparency, JavaScript or actions;
//! * the signature widget printable with an appearance stream (`/AP /N`),
//!   and no `/NeedAppearances`.
//!
//! The integration tests check each of these on the written files, and
//! that qpdf, poppler and pyHanko read them; no full PDF/A validator
//! (veraPDF) is available to them.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::OnceLock;

use flate2::write::ZlibEncoder;
use flate2::Compression;
use pdf_writer::types::{
    AnnotationFlags, CidFontType, FieldType, FontFlags, OutputIntentSubtype, SigFlags, SystemInfo,
    UnicodeCmap,
};
use pdf_writer::{Chunk, Content, Filter, Finish, Name, Pdf, Rect, Ref, Settings, Str, TextStr};
use sha2::{Digest, Sha256};

use crate::layout::{text_width, CharMap, Face, Fonts, Ink, Op, Weight, PAGE_H, PAGE_W, SEAL_RECT};
use crate::CertError;

/// The compact sRGB v4 profile (CC0; `icc/README.md`).
static SRGB_ICC: &[u8] = include_bytes!("../icc/sRGB-v4.icc");

const SYSTEM_INFO: SystemInfo<'static> = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

/// Objects written without pretty-printing's padding.
const COMPACT: Settings = Settings { pretty: false };

/// The objects written once per process take the first ids.
const ICC: Ref = Ref::new(1);
const COLOR_SPACE: Ref = Ref::new(2);
/// A font takes five ids from its first: Type0, CIDFont, descriptor, font
/// file, ToUnicode map.
const FONT_IDS: i32 = 5;
const REGULAR: Ref = Ref::new(3);
const BOLD: Ref = Ref::new(3 + FONT_IDS);
const FIRST_PER_DOCUMENT: i32 = 3 + 2 * FONT_IDS;

/// The characters of the prepared subsets: ASCII, Latin-1, the letters of
/// the Slovenian texts, the common dashes, quotes and ellipsis, the euro.
/// A certificate that prints another character (a name in Latin Extended-A
/// or -B, say) carries a small extra subset for it.
fn prepared_repertoire() -> impl Iterator<Item = char> {
    ('\u{20}'..='\u{7E}')
        .chain('\u{A0}'..='\u{FF}')
        .chain("čČšŠžŽ–—‘’“”…€".chars())
}

/// The parts written once per process.
struct Prepared {
    chunk: Chunk,
    regular: CharMap<u16>,
    bold: CharMap<u16>,
}

fn prepared() -> Result<&'static Prepared, CertError> {
    static PREPARED: OnceLock<Result<Prepared, String>> = OnceLock::new();
    PREPARED
        .get_or_init(|| {
            let fonts = Fonts::get().map_err(|e| e.to_string())?;
            let mut chunk = Chunk::with_settings(COMPACT);
            let icc = deflate(SRGB_ICC, Compression::best());
            chunk
                .icc_profile(ICC, &icc)
                .n(3)
                .range([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
                .filter(Filter::FlateDecode);
            chunk.color_space(COLOR_SPACE).icc_based(ICC);
            let mut embed_prepared = |weight: Weight, first: Ref| {
                let face = fonts.face(weight);
                let chars: BTreeSet<char> = prepared_repertoire()
                    .filter(|c| face.glyph(*c).is_some())
                    .collect();
                embed(&mut chunk, face, &chars, first, Compression::best())
            };
            let regular = embed_prepared(Weight::Regular, REGULAR)?;
            let bold = embed_prepared(Weight::Bold, BOLD)?;
            Ok(Prepared {
                chunk,
                regular,
                bold,
            })
        })
        .as_ref()
        .map_err(|e| CertError::Pdf(e.clone()))
}

/// Zlib (`FlateDecode`) of `data`.
fn deflate(data: &[u8], level: Compression) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::with_capacity(data.len() / 2), level);
    // Writing into a Vec cannot fail.
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

/// Writes into `chunk`, from id `first` on, the subset of `face` with the
/// glyphs of `chars` as a Type0 font (Identity-H, CIDs numbered in the
/// order of `chars`, glyph 0 first); the CID of each character.
fn embed(
    chunk: &mut Chunk,
    face: &Face,
    chars: &BTreeSet<char>,
    first: Ref,
    level: Compression,
) -> Result<CharMap<u16>, String> {
    let [type0, cid_font, descriptor, file, to_unicode] =
        std::array::from_fn(|i| Ref::new(first.get() + i as i32));
    let mut remapper = subsetter::GlyphRemapper::new();
    let mut cids = CharMap::new();
    // CID → (advance in ems, the first character drawn with it).
    let mut glyphs: BTreeMap<u16, (f32, char)> = BTreeMap::new();
    for &ch in chars {
        let (gid, advance) = face
            .glyph(ch)
            .ok_or_else(|| format!("{} has no glyph for {ch:?}", face.postscript_name))?;
        let cid = remapper.remap(gid);
        cids.insert(ch, cid);
        glyphs.entry(cid).or_insert((advance, ch));
    }
    let data = subsetter::subset(face.ttf, 0, &remapper)
        .map_err(|e| format!("subsetting {}: {e}", face.postscript_name))?;
    // The subset's tag: six letters from the hash of its glyphs.
    let digest = Sha256::digest(
        remapper
            .remapped_gids()
            .flat_map(u16::to_be_bytes)
            .collect::<Vec<u8>>(),
    );
    let tag: String = digest[..6]
        .iter()
        .map(|b| char::from(b'A' + b % 26))
        .collect();
    let name = format!("{tag}+{}", face.postscript_name);

    chunk
        .type0_font(type0)
        .base_font(Name(name.as_bytes()))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_font)
        .to_unicode(to_unicode);
    let mut cid = chunk.cid_font(cid_font);
    cid.subtype(CidFontType::Type2)
        .base_font(Name(name.as_bytes()))
        .system_info(SYSTEM_INFO)
        .font_descriptor(descriptor)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    // CIDs run from 1 without gaps (the remapper numbers them so).
    cid.widths()
        .consecutive(1, glyphs.values().map(|(advance, _)| advance * 1000.0));
    cid.finish();
    let m = &face.metrics;
    chunk
        .font_descriptor(descriptor)
        .name(Name(name.as_bytes()))
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(m.bbox[0], m.bbox[1], m.bbox[2], m.bbox[3]))
        .italic_angle(0.0)
        .ascent(m.ascent)
        .descent(m.descent)
        .cap_height(m.cap_height)
        .stem_v(m.stem_v)
        .font_file2(file);
    let compressed = deflate(&data, level);
    chunk
        .stream(file, &compressed)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), data.len() as i32);
    let mut cmap = UnicodeCmap::new(Name(b"Custom"), SYSTEM_INFO);
    for (cid, (_, ch)) in &glyphs {
        cmap.pair(*cid, *ch);
    }
    let cmap = deflate(&cmap.finish(), level);
    chunk
        .cmap(to_unicode, &cmap)
        .name(Name(b"Custom"))
        .system_info(SYSTEM_INFO)
        .filter(Filter::FlateDecode);
    Ok(cids)
}

/// Where the seal goes: `/Contents` reserves `reserved` bytes (twice as
/// many hex digits), `/M` is `at`.
pub(crate) struct SealField {
    pub reserved: usize,
    pub at: String,
}

/// A written file; for a sealed one, where its signature dictionary starts
/// (the placeholders are after it).
pub(crate) struct Written {
    pub bytes: Vec<u8>,
    pub signature_at: Option<usize>,
}

/// What the metadata states.
pub(crate) struct Info<'a> {
    pub title: &'a str,
    pub issued_at: time::OffsetDateTime,
}

/// The fonts a page names: `/F0` and `/F1` the prepared regular and bold
/// subsets, `/F2` and `/F3` this document's extra ones.
struct FontSet<'p> {
    prepared: &'p Prepared,
    extra_regular: CharMap<u16>,
    extra_bold: CharMap<u16>,
}

impl FontSet<'_> {
    /// The resource name and CID of `ch` in `weight`.
    fn cid(&self, weight: Weight, ch: char) -> (&'static [u8], u16) {
        let (prepared, extra, names) = match weight {
            Weight::Regular => (
                &self.prepared.regular,
                &self.extra_regular,
                (&b"F0"[..], &b"F2"[..]),
            ),
            Weight::Bold => (
                &self.prepared.bold,
                &self.extra_bold,
                (&b"F1"[..], &b"F3"[..]),
            ),
        };
        match prepared.get(ch) {
            Some(cid) => (names.0, cid),
            // The layout only prints characters both faces have, so the
            // extra subset holds every other one; 0 is never reached.
            None => (names.1, extra.get(ch).unwrap_or(0)),
        }
    }
}

/// Writes `pages` (each a list of [`Op`]s, page numbers and watermark
/// included) as a PDF/A-2b file, with the signature field of `seal` on the
/// last page when given.
pub(crate) fn write(
    info: &Info<'_>,
    pages: &[Vec<Op>],
    seal: Option<&SealField>,
) -> Result<Written, CertError> {
    let prepared = prepared()?;
    let fonts = Fonts::get()?;
    let mut next = FIRST_PER_DOCUMENT;

    // Characters outside the prepared subsets, per weight.
    let mut extra: [BTreeSet<char>; 2] = Default::default();
    for op in pages.iter().flatten() {
        let (weight, text) = match op {
            Op::Text { weight, text, .. } => (*weight, text),
            Op::Watermark { text } => (Weight::Bold, text),
            _ => continue,
        };
        let (known, set) = match weight {
            Weight::Regular => (&prepared.regular, &mut extra[0]),
            Weight::Bold => (&prepared.bold, &mut extra[1]),
        };
        set.extend(text.chars().filter(|c| !known.contains(*c)));
    }
    let mut pdf = Pdf::with_settings_and_capacity(COMPACT, prepared.chunk.len() + 16 * 1024);
    pdf.extend(&prepared.chunk);
    let mut font_set = FontSet {
        prepared,
        extra_regular: CharMap::new(),
        extra_bold: CharMap::new(),
    };
    let mut extra_refs = [None, None];
    for (i, (set, weight)) in extra
        .iter()
        .zip([Weight::Regular, Weight::Bold])
        .enumerate()
    {
        if set.is_empty() {
            continue;
        }
        let first = Ref::new(next);
        next += FONT_IDS;
        let cids = embed(
            &mut pdf,
            fonts.face(weight),
            set,
            first,
            Compression::fast(),
        )
        .map_err(CertError::Pdf)?;
        match weight {
            Weight::Regular => font_set.extra_regular = cids,
            Weight::Bold => font_set.extra_bold = cids,
        }
        extra_refs[i] = Some(first);
    }

    let mut alloc = || {
        next += 1;
        Ref::new(next - 1)
    };
    let catalog = alloc();
    let page_tree = alloc();
    let metadata = alloc();
    let document_info = alloc();
    let page_refs: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();
    let signature = seal.map(|_| (alloc(), alloc(), alloc()));

    // The file id: a hash of what the pages draw and the metadata, so the
    // same certificate gives the same bytes.
    let mut id_hash = Sha256::new();
    id_hash.update(info.title.as_bytes());
    id_hash.update(info.issued_at.unix_timestamp().to_be_bytes());
    for (ops, (page, contents)) in pages.iter().zip(&page_refs) {
        let content = page_content(ops, &font_set);
        id_hash.update(&content);
        let compressed = deflate(&content, Compression::fast());
        pdf.stream(*contents, &compressed)
            .filter(Filter::FlateDecode);
        let mut p = pdf.page(*page);
        p.parent(page_tree)
            .media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .contents(*contents);
        let mut resources = p.resources();
        resources.color_spaces().pair(Name(b"C0"), COLOR_SPACE);
        let mut f = resources.fonts();
        f.pair(Name(b"F0"), REGULAR).pair(Name(b"F1"), BOLD);
        if let Some(r) = extra_refs[0] {
            f.pair(Name(b"F2"), r);
        }
        if let Some(r) = extra_refs[1] {
            f.pair(Name(b"F3"), r);
        }
        f.finish();
        resources.finish();
        if let (Some((widget, _, _)), true) =
            (signature, Some(page) == page_refs.last().map(|p| &p.0))
        {
            p.annotations([widget]);
        }
        p.finish();
    }
    pdf.pages(page_tree)
        .kids(page_refs.iter().map(|(p, _)| *p))
        .count(pages.len() as i32);
    let id = id_hash.finalize()[..16].to_vec();
    pdf.set_file_id((id.clone(), id.clone()));

    let xmp = xmp(
        info.title,
        &xmp_date(info.issued_at),
        &hex_upper(&id),
        pages.len(),
    );
    pdf.metadata(metadata, xmp.as_bytes());
    let date = pdf_date(info.issued_at);
    pdf.document_info(document_info)
        .title(TextStr(info.title))
        .creator(TextStr(CREATOR))
        .producer(TextStr(PRODUCER))
        .creation_date(date)
        .modified_date(date);

    let mut cat = pdf.catalog(catalog);
    cat.pages(page_tree)
        .metadata(metadata)
        .lang(TextStr("it-IT"));
    cat.output_intents()
        .push()
        .subtype(OutputIntentSubtype::PDFA)
        .output_condition_identifier(TextStr("Custom"))
        .output_condition(TextStr("sRGB"))
        .registry_name(TextStr(""))
        .info(TextStr("sRGB v4"))
        .dest_output_profile(ICC);
    if let Some((widget, _, _)) = signature {
        let mut form = cat.form();
        form.fields([widget]);
        form.sig_flags(SigFlags::SIGNATURES_EXIST | SigFlags::APPEND_ONLY);
    }
    cat.finish();

    let mut signature_at = None;
    if let (Some((widget, appearance, sig)), Some(seal)) = (signature, seal) {
        let [left, bottom, right, top] = SEAL_RECT;
        let last_page = page_refs
            .last()
            .map(|p| p.0)
            .ok_or_else(|| CertError::Pdf("a certificate has at least one page".into()))?;
        pdf.form_xobject(appearance, b"")
            .bbox(Rect::new(0.0, 0.0, right - left, top - bottom))
            .resources();
        let mut field = pdf.form_field(widget);
        field
            .field_type(FieldType::Signature)
            .partial_name(TextStr("Sigillo elettronico"))
            .pair(Name(b"V"), sig);
        let mut w = field.into_annotation();
        w.rect(Rect::new(left, bottom, right, top))
            .flags(AnnotationFlags::PRINT)
            .page(last_page);
        w.appearance().normal().stream(appearance);
        w.finish();
        signature_at = Some(pdf.len());
        let placeholder = vec![b'0'; 2 * seal.reserved];
        let mut d = pdf.indirect(sig).dict();
        d.pair(Name(b"Type"), Name(b"Sig"))
            .pair(Name(b"Filter"), Name(b"Adobe.PPKLite"))
            .pair(Name(b"SubFilter"), Name(b"ETSI.CAdES.detached"));
        d.insert(Name(b"ByteRange"))
            .array()
            .items([0, i32::MAX, i32::MAX, i32::MAX]);
        d.pair(Name(b"Contents"), Str(&placeholder))
            .pair(Name(b"M"), Str(seal.at.as_bytes()));
        d.finish();
    }
    Ok(Written {
        bytes: pdf.finish(),
        signature_at,
    })
}

const CREATOR: &str = "urna-cert";
const PRODUCER: &str = "urna";

/// The content stream of one page. The layout's coordinates run down from
/// the top of the page; PDF's run up from the bottom.
fn page_content(ops: &[Op], fonts: &FontSet<'_>) -> Vec<u8> {
    let mut c = Content::new();
    c.set_fill_color_space(pdf_writer::types::ColorSpaceOperand::Named(Name(b"C0")));
    c.set_stroke_color_space(pdf_writer::types::ColorSpaceOperand::Named(Name(b"C0")));
    let mut ink = None;
    let mut set_ink = |c: &mut Content, i: Ink| {
        if ink != Some(i) {
            c.set_fill_color(rgb(i));
            ink = Some(i);
        }
    };
    for op in ops {
        match op {
            Op::Text {
                x,
                y,
                size,
                weight,
                ink: i,
                text,
            } => {
                set_ink(&mut c, *i);
                c.begin_text();
                c.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, PAGE_H - y]);
                show(&mut c, fonts, *weight, *size, text);
                c.end_text();
            }
            Op::Watermark { text } => {
                // Bottom left to top right, centred, under everything else.
                let diagonal = (PAGE_W * PAGE_W + PAGE_H * PAGE_H).sqrt();
                let size = (0.7 * diagonal / text_width(text, Weight::Bold, 1.0)).min(120.0);
                let w = text_width(text, Weight::Bold, size);
                let angle = (PAGE_H / PAGE_W).atan();
                let (sin, cos) = angle.sin_cos();
                set_ink(&mut c, Ink::Pale);
                c.save_state();
                c.transform([cos, sin, -sin, cos, PAGE_W / 2.0, PAGE_H / 2.0]);
                c.begin_text();
                c.set_text_matrix([1.0, 0.0, 0.0, 1.0, -w / 2.0, -size * 0.36]);
                show(&mut c, fonts, Weight::Bold, size, text);
                c.end_text();
                c.restore_state();
            }
            Op::Rule { x, y, w } => {
                c.set_line_width(0.6);
                c.move_to(*x, PAGE_H - y);
                c.line_to(x + w, PAGE_H - y);
                c.stroke();
            }
            Op::Frame { x, y, w, h } => {
                c.set_line_width(0.8);
                c.rect(*x, PAGE_H - y - h, *w, *h);
                c.stroke();
            }
            Op::Qr {
                x,
                y,
                side,
                modules,
            } => {
                // 4 modules of quiet zone on each side; the path in module
                // units (whole numbers) under a transform that also turns
                // rows downwards.
                let unit = side / (modules.width as f32 + 8.0);
                set_ink(&mut c, Ink::Black);
                c.save_state();
                c.transform([
                    unit,
                    0.0,
                    0.0,
                    -unit,
                    x + 4.0 * unit,
                    PAGE_H - y - 4.0 * unit,
                ]);
                for (row, col, len) in modules.runs() {
                    c.rect(col as f32, row as f32, len as f32, 1.0);
                }
                c.fill_nonzero();
                c.restore_state();
            }
        }
    }
    c.finish().into_vec()
}

/// Shows `text` at the current text position: its CIDs as two-byte codes,
/// in runs of one font (a character outside the prepared subset switches
/// to the document's extra one).
fn show(c: &mut Content, fonts: &FontSet<'_>, weight: Weight, size: f32, text: &str) {
    let mut font: Option<&[u8]> = None;
    let mut run: Vec<u8> = Vec::with_capacity(2 * text.len());
    for ch in text.chars() {
        let (name, cid) = fonts.cid(weight, ch);
        if font != Some(name) {
            if let Some(f) = font {
                c.set_font(Name(f), size);
                c.show(Str(&run));
                run.clear();
            }
            font = Some(name);
        }
        run.extend(cid.to_be_bytes());
    }
    if let Some(f) = font {
        c.set_font(Name(f), size);
        c.show(Str(&run));
    }
}

/// The ink in sRGB.
fn rgb(ink: Ink) -> [f32; 3] {
    let v = match ink {
        Ink::Black => 0.0,
        Ink::Grey => 80.0 / 255.0,
        Ink::Pale => 222.0 / 255.0,
    };
    [v, v, v]
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The issue time as a PDF date.
fn pdf_date(t: time::OffsetDateTime) -> pdf_writer::Date {
    let (h, m, _) = t.offset().as_hms();
    pdf_writer::Date::new(u16::try_from(t.year()).unwrap_or(0))
        .month(u8::from(t.month()))
        .day(t.day())
        .hour(t.hour())
        .minute(t.minute())
        .second(t.second())
        .utc_offset_hour(h)
        .utc_offset_minute(m.unsigned_abs())
}

/// An XMP date, `2026-12-05T10:30:00+01:00`.
fn xmp_date(t: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    t.format(format).unwrap_or_default()
}

/// `text` with XML's special characters escaped.
fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The XMP packet: PDF/A-2b identification, Dublin Core title and
/// language, dates, producer and creator tool (equal to `/Info`), page
/// count, and the document's ids.
fn xmp(title: &str, date: &str, id: &str, pages: usize) -> String {
    let title = xml_escape(title);
    format!(
        concat!(
            "<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>",
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">",
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">",
            "<rdf:Description rdf:about=\"\"",
            " xmlns:dc=\"http://purl.org/dc/elements/1.1/\"",
            " xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"",
            " xmlns:xmpMM=\"http://ns.adobe.com/xap/1.0/mm/\"",
            " xmlns:xmpTPg=\"http://ns.adobe.com/xap/1.0/t/pg/\"",
            " xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"",
            " xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">",
            "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>",
            "<dc:language><rdf:Bag><rdf:li>it-IT</rdf:li></rdf:Bag></dc:language>",
            "<dc:format>application/pdf</dc:format>",
            "<xmp:CreatorTool>{creator}</xmp:CreatorTool>",
            "<xmp:CreateDate>{date}</xmp:CreateDate>",
            "<xmp:ModifyDate>{date}</xmp:ModifyDate>",
            "<pdf:Producer>{producer}</pdf:Producer>",
            "<pdf:PDFVersion>1.7</pdf:PDFVersion>",
            "<xmpTPg:NPages>{pages}</xmpTPg:NPages>",
            "<xmpMM:DocumentID>uuid:{id}</xmpMM:DocumentID>",
            "<xmpMM:InstanceID>uuid:{id}</xmpMM:InstanceID>",
            "<pdfaid:part>2</pdfaid:part>",
            "<pdfaid:conformance>B</pdfaid:conformance>",
            "</rdf:Description></rdf:RDF></x:xmpmeta>",
            "<?xpacket end=\"r\"?>"
        ),
        title = title,
        creator = CREATOR,
        producer = PRODUCER,
        date = date,
        pages = pages,
        id = id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> Info<'static> {
        Info {
            title: "Prova & <test>",
            issued_at: time::macros::datetime!(2026-12-05 10:30:00 +01:00),
        }
    }

    fn text(text: &str, weight: Weight) -> Op {
        Op::Text {
            x: 60.0,
            y: 100.0,
            size: 10.0,
            weight,
            ink: Ink::Black,
            text: text.into(),
        }
    }

    /// A character neither face has never becomes glyph 0 (which PDF/A
    /// forbids): the write fails, naming it. `render` refuses it earlier.
    #[test]
    fn a_character_the_face_lacks_fails_the_write() {
        let pages = vec![vec![text("\u{4E2D}", Weight::Regular)]];
        match write(&info(), &pages, None) {
            Err(CertError::Pdf(m)) => assert!(m.contains("no glyph"), "{m}"),
            Ok(_) => panic!("written"),
            Err(e) => panic!("{e}"),
        }
    }

    /// Prepared characters use the prepared subsets only; another one adds
    /// an extra subset of its weight, named on the page.
    #[test]
    fn extra_subsets_only_when_needed() {
        let plain = write(&info(), &[vec![text("Città è", Weight::Bold)]], None).unwrap();
        let s = String::from_utf8_lossy(&plain.bytes);
        assert_eq!(s.matches("/FontFile2").count(), 2);
        assert!(!s.contains("/F2") && !s.contains("/F3"));
        let extra = write(&info(), &[vec![text("Łódź", Weight::Regular)]], None).unwrap();
        let s = String::from_utf8_lossy(&extra.bytes);
        assert_eq!(s.matches("/FontFile2").count(), 3);
        assert!(s.contains("/F2") && !s.contains("/F3"));
        // The title is escaped in the XMP, and no signature field unasked.
        assert!(s.contains("Prova &amp; &lt;test&gt;"));
        assert!(plain.signature_at.is_none() && !s.contains("/AcroForm"));
    }
}
