//! The page layout: the document's texts placed on A4 pages (a display list
//! of [`Op`]s), then drawn with krilla as PDF/A-2b.
//!
//! Layout and drawing are separate so that the layout can be tried again
//! with fewer annotations when they do not fit ([`layout`]), and so that the
//! drawing is one plain loop. Coordinates are krilla's: points, origin at
//! the top left, y downwards, text placed by its baseline.

use std::collections::HashMap;
use std::sync::OnceLock;

use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::{Document, SerializeSettings};
use skrifa::instance::{LocationRef, Size};
use skrifa::MetadataProvider;

use crate::model::{CertificateDoc, CertificateType, Comune};
use crate::qr::Modules;
use crate::strings::Strings;
use crate::CertError;

/// A4 width, points.
pub(crate) const PAGE_W: f32 = 595.276;
/// A4 height, points.
pub(crate) const PAGE_H: f32 = 841.89;
/// Left and right margin.
const MARGIN_X: f32 = 56.0;
/// Top margin (to the heading's baseline).
const MARGIN_TOP: f32 = 48.0;
/// Bottom margin (below the seal box; the page number sits in it).
const MARGIN_BOTTOM: f32 = 40.0;
/// Width of the text column.
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
/// Width of the label column of a field (`Cognome   ROSSI`).
const LABEL_W: f32 = 170.0;
/// Gap between label and value.
const LABEL_GAP: f32 = 12.0;
/// Height of the seal box at the bottom of the last page.
const SEAL_H: f32 = 48.0;
/// Side of the contrassegno's QR code (with its quiet zone).
const QR_SIDE: f32 = 88.0;
/// Height of the contrassegno row above the seal box.
const CONTRASSEGNO_H: f32 = 92.0;
/// Space reserved at the bottom of the last page of a certificate that is
/// not a preview: the contrassegno row, a gap, the seal box.
const FOOTER_H: f32 = CONTRASSEGNO_H + 10.0 + SEAL_H;
/// Lines of the URL printed beside the QR code, at most.
const URL_LINES: usize = 3;
/// A certificate has at most this many pages; annotations beyond are refused.
pub(crate) const MAX_PAGES: usize = 3;

/// The seal box of the last page in PDF user space (origin bottom left):
/// `[left, bottom, right, top]`. The seal's signature widget
/// ([`crate::Sealer`]) covers exactly this rectangle.
pub(crate) const SEAL_RECT: [f32; 4] = [
    MARGIN_X,
    MARGIN_BOTTOM,
    PAGE_W - MARGIN_X,
    MARGIN_BOTTOM + SEAL_H,
];

/// Text sizes.
const SIZE_HEADING: f32 = 8.5;
const SIZE_COMUNE: f32 = 11.0;
const SIZE_TITLE: f32 = 14.0;
const SIZE_TITLE_2: f32 = 11.5;
const SIZE_BODY: f32 = 10.0;
const SIZE_LABEL: f32 = 8.5;
const SIZE_SMALL: f32 = 8.0;

/// DejaVu Sans, vendored (fonts/README.md).
static REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
static BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

/// The three inks of the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ink {
    /// Data and Italian texts.
    Black,
    /// Labels and the second language.
    Grey,
    /// The ANTEPRIMA watermark.
    Pale,
}

impl Ink {
    fn fill(self) -> Fill {
        let c = match self {
            Ink::Black => rgb::Color::new(0, 0, 0),
            Ink::Grey => rgb::Color::new(80, 80, 80),
            Ink::Pale => rgb::Color::new(222, 222, 222),
        };
        Fill {
            paint: c.into(),
            opacity: NormalizedF32::ONE,
            rule: FillRule::NonZero,
        }
    }
}

/// One thing to draw.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// A line of text, its baseline starting at (x, y).
    Text {
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        ink: Ink,
        text: String,
    },
    /// A horizontal rule.
    Rule { x: f32, y: f32, w: f32 },
    /// A stroked rectangle (the seal box).
    Frame { x: f32, y: f32, w: f32, h: f32 },
    /// A QR code whose top left corner (quiet zone included) is at (x, y).
    Qr {
        x: f32,
        y: f32,
        side: f32,
        modules: Modules,
    },
}

/// The two faces, loaded once per process, with their glyph tables.
pub(crate) struct Fonts {
    regular: Face,
    bold: Face,
}

/// A face for krilla and, per character, its glyph and advance: looked up
/// once per process, so that measuring and drawing a text costs a table
/// lookup per character instead of a font parse and a shaping run.
struct Face {
    font: Font,
    glyphs: HashMap<char, (GlyphId, f32)>,
}

impl Face {
    fn load(ttf: &'static [u8]) -> Option<Face> {
        let font = Font::new(ttf.into(), 0)?;
        let face = skrifa::FontRef::new(ttf).ok()?;
        // At size 1 an advance is in ems.
        let metrics = face.glyph_metrics(Size::new(1.0), LocationRef::default());
        let glyphs = face
            .charmap()
            .mappings()
            .filter_map(|(code, glyph)| {
                let ch = char::from_u32(code)?;
                let advance = metrics.advance_width(glyph)?;
                Some((ch, (GlyphId::new(glyph.to_u32()), advance)))
            })
            .collect();
        Some(Face { font, glyphs })
    }
}

impl Fonts {
    /// The embedded DejaVu Sans faces.
    pub fn get() -> Result<&'static Fonts, CertError> {
        static FONTS: OnceLock<Option<Fonts>> = OnceLock::new();
        FONTS
            .get_or_init(|| {
                Some(Fonts {
                    regular: Face::load(REGULAR_TTF)?,
                    bold: Face::load(BOLD_TTF)?,
                })
            })
            .as_ref()
            .ok_or_else(|| CertError::Pdf("the embedded DejaVu Sans fonts do not load".into()))
    }

    fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    /// `text` as krilla glyphs of `weight`, one per character, placed by
    /// their advances (no kerning, so that what [`text_width`] measured is
    /// what is drawn). A character the face lacks becomes glyph 0, which
    /// krilla's PDF/A validator refuses.
    fn glyphs(&self, weight: Weight, text: &str) -> Vec<KrillaGlyph> {
        let face = self.face(weight);
        text.char_indices()
            .map(|(at, ch)| {
                let (glyph_id, x_advance) = face
                    .glyphs
                    .get(&ch)
                    .copied()
                    .unwrap_or((GlyphId::new(0), 0.6));
                KrillaGlyph {
                    glyph_id,
                    text_range: at..at + ch.len_utf8(),
                    x_advance,
                    x_offset: 0.0,
                    y_offset: 0.0,
                    y_advance: 0.0,
                    location: None,
                }
            })
            .collect()
    }
}

/// Whether both faces have a glyph for `ch`.
pub(crate) fn printable(ch: char) -> bool {
    Fonts::get()
        .is_ok_and(|f| f.regular.glyphs.contains_key(&ch) && f.bold.glyphs.contains_key(&ch))
}

/// Advance width of `text` at `size` points: the sum of the glyph advances,
/// exactly as [`draw`] places them.
pub(crate) fn text_width(text: &str, weight: Weight, size: f32) -> f32 {
    let Ok(fonts) = Fonts::get() else {
        return 0.0;
    };
    let face = fonts.face(weight);
    text.chars()
        .map(|c| face.glyphs.get(&c).map_or(0.6, |g| g.1))
        .sum::<f32>()
        * size
}

/// `text` broken into lines no wider than `width`: at spaces, and inside a
/// word only when the word alone is wider than a line.
pub(crate) fn wrap(text: &str, weight: Weight, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if text_width(&candidate, weight, size) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if text_width(word, weight, size) <= width {
            line = word.to_string();
            continue;
        }
        // A word wider than the line (a long URL, a name without spaces):
        // cut it where it overflows.
        for ch in word.chars() {
            let mut next = line.clone();
            next.push(ch);
            if !line.is_empty() && text_width(&next, weight, size) > width {
                lines.push(std::mem::replace(&mut line, ch.to_string()));
            } else {
                line = next;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Line height for a text size.
fn leading(size: f32) -> f32 {
    size * 1.35
}

/// The Italian text, or "Italian / second" when bilingual (labels).
fn pair(it: &str, second: Option<&str>) -> String {
    match second {
        Some(s) if s != it => format!("{it} / {s}"),
        _ => it.to_string(),
    }
}

/// `NAME (PR)`.
fn comune_text(c: &Comune) -> String {
    format!("{} ({})", c.name.trim(), c.province.trim())
}

/// The date as printed: `dd/mm/yyyy`.
pub(crate) fn date_text(d: time::Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
}

/// The pages being filled.
struct Flow<'d> {
    doc: &'d CertificateDoc,
    it: &'static Strings,
    second: Option<&'static Strings>,
    pages: Vec<Vec<Op>>,
    /// Baseline of the next line's top, on the current page.
    y: f32,
}

impl<'d> Flow<'d> {
    fn new(doc: &'d CertificateDoc) -> Flow<'d> {
        let mut flow = Flow {
            doc,
            it: Strings::of(crate::Language::It),
            second: doc.languages.second().map(Strings::of),
            pages: Vec::new(),
            y: 0.0,
        };
        flow.new_page();
        flow
    }

    /// The lowest y the flowing content may reach on the current page.
    fn limit(&self) -> f32 {
        PAGE_H - MARGIN_BOTTOM
    }

    fn page(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// A new page with the heading: the authority and the issuing comune.
    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_TOP;
        let heading = self.it.heading;
        self.centred(heading, Weight::Bold, SIZE_HEADING, Ink::Black);
        if let Some(s) = self.second {
            self.centred(s.heading, Weight::Regular, SIZE_HEADING, Ink::Grey);
        }
        self.y += 3.0;
        let comune = format!(
            "{} {}",
            pair(self.it.comune_of, self.second.map(|s| s.comune_of)),
            comune_text(&self.doc.issuer.comune)
        );
        self.centred(&comune, Weight::Bold, SIZE_COMUNE, Ink::Black);
        self.y += 2.0;
        let y = self.y;
        self.page().push(Op::Rule {
            x: MARGIN_X,
            y,
            w: CONTENT_W,
        });
        self.y += 16.0;
    }

    /// Moves to a new page unless `height` more fits on this one.
    fn ensure(&mut self, height: f32) {
        if self.y + height > self.limit() {
            self.new_page();
        }
    }

    /// Lines of `text` centred on the page.
    fn centred(&mut self, text: &str, weight: Weight, size: f32, ink: Ink) {
        for line in wrap(text, weight, size, CONTENT_W) {
            self.ensure(leading(size));
            let w = text_width(&line, weight, size);
            let y = self.y + size;
            self.page().push(Op::Text {
                x: MARGIN_X + (CONTENT_W - w).max(0.0) / 2.0,
                y,
                size,
                weight,
                ink,
                text: line,
            });
            self.y += leading(size);
        }
    }

    /// A paragraph at `x`, `width` wide.
    fn paragraph(&mut self, text: &str, weight: Weight, size: f32, ink: Ink, x: f32, width: f32) {
        for line in wrap(text, weight, size, width) {
            self.ensure(leading(size));
            let y = self.y + size;
            self.page().push(Op::Text {
                x,
                y,
                size,
                weight,
                ink,
                text: line,
            });
            self.y += leading(size);
        }
    }

    /// A sentence in Italian and, when bilingual, in the second language.
    fn sentence(&mut self, it: &str, second: Option<String>) {
        self.paragraph(
            it,
            Weight::Regular,
            SIZE_BODY,
            Ink::Black,
            MARGIN_X,
            CONTENT_W,
        );
        if let Some(s) = second {
            self.paragraph(
                &s,
                Weight::Regular,
                SIZE_BODY,
                Ink::Grey,
                MARGIN_X,
                CONTENT_W,
            );
        }
        self.y += 6.0;
    }

    /// A label (left column, both languages) and its value (right column),
    /// kept on one page when they fit on one.
    fn field(&mut self, label: &str, value: &str) {
        let value_x = MARGIN_X + LABEL_W + LABEL_GAP;
        let value_w = CONTENT_W - LABEL_W - LABEL_GAP;
        let label_lines = wrap(label, Weight::Regular, SIZE_LABEL, LABEL_W);
        let value_lines = wrap(value, Weight::Bold, SIZE_BODY, value_w);
        let height = (label_lines.len() as f32 * leading(SIZE_LABEL))
            .max(value_lines.len() as f32 * leading(SIZE_BODY));
        if height <= self.limit() - MARGIN_TOP - 60.0 {
            self.ensure(height);
        }
        let top = self.y;
        for (i, line) in label_lines.into_iter().enumerate() {
            let y = top + SIZE_BODY + i as f32 * leading(SIZE_LABEL);
            self.page().push(Op::Text {
                x: MARGIN_X,
                y,
                size: SIZE_LABEL,
                weight: Weight::Regular,
                ink: Ink::Grey,
                text: line,
            });
        }
        self.paragraph(value, Weight::Bold, SIZE_BODY, Ink::Black, value_x, value_w);
        self.y = self.y.max(top + height) + 3.0;
    }

    /// A label in both languages.
    fn label(&self, pick: fn(&Strings) -> &'static str) -> String {
        pair(pick(self.it), self.second.map(pick))
    }

    /// A value in both languages (sex, list names).
    fn value(&self, pick: impl Fn(&Strings) -> &'static str) -> String {
        pair(pick(self.it), self.second.map(pick))
    }

    fn gap(&mut self, h: f32) {
        self.y += h;
    }
}

/// The pages of `doc` with its first `annotations` annotations, or `None`
/// when they take more than [`MAX_PAGES`] pages.
fn try_layout(doc: &CertificateDoc, annotations: usize) -> Result<Option<Vec<Vec<Op>>>, CertError> {
    let mut f = Flow::new(doc);
    let (it, second) = (f.it, f.second);

    // Title.
    f.gap(6.0);
    f.centred(
        &it.title(doc.kind).to_uppercase(),
        Weight::Bold,
        SIZE_TITLE,
        Ink::Black,
    );
    if let Some(s) = second {
        f.centred(
            &s.title(doc.kind).to_uppercase(),
            Weight::Bold,
            SIZE_TITLE_2,
            Ink::Grey,
        );
    }
    f.gap(14.0);

    // The holder.
    f.sentence(it.intro, second.map(|s| s.intro.to_string()));
    let h = &doc.holder;
    f.field(&f.label(|s| s.surname), &h.surname);
    f.field(&f.label(|s| s.name), &h.name);
    f.field(&f.label(|s| s.sex), &f.value(|s| s.sex_value(h.sex)));
    f.field(&f.label(|s| s.birth_date), &date_text(h.birth_date));
    f.field(&f.label(|s| s.birth_place), &h.birth_place);
    f.field(&f.label(|s| s.codice_fiscale), &h.codice_fiscale);
    f.gap(8.0);

    // What the certificate states.
    let e = &doc.electoral;
    let comune = comune_text(&e.comune);
    match doc.kind {
        CertificateType::Iscrizione => {
            let it_text = it.enrolled(h.sex).replace("{comune}", &comune);
            f.sentence(
                &it_text,
                second.map(|s| s.enrolled(h.sex).replace("{comune}", &comune)),
            );
        }
        CertificateType::GodimentoDirittiPolitici => {
            f.sentence(
                it.enjoys_rights,
                second.map(|s| s.enjoys_rights.to_string()),
            );
            if !e.lists.is_empty() {
                f.field(&f.label(|s| s.list_comune), &comune);
            }
        }
    }
    for (i, list) in e.lists.iter().enumerate() {
        let label = if i == 0 {
            f.label(|s| s.lists)
        } else {
            String::new()
        };
        f.field(&label, &f.value(|s| s.list(*list)));
    }
    if let Some(section) = &e.section {
        f.field(&f.label(|s| s.section_number), &section.number);
        f.field(
            &f.label(|s| s.section_seat),
            &format!(
                "{}, {}",
                section.seat_name.trim(),
                section.seat_address.trim()
            ),
        );
    }
    f.gap(8.0);

    // The use.
    f.field(&f.label(|s| s.exemption), &doc.exemption);

    // Annotations.
    if annotations > 0 {
        f.gap(8.0);
        let title = f.label(|s| s.annotations);
        f.ensure(leading(SIZE_LABEL) + leading(SIZE_BODY));
        f.paragraph(
            &title,
            Weight::Bold,
            SIZE_LABEL,
            Ink::Grey,
            MARGIN_X,
            CONTENT_W,
        );
        for a in doc.annotations.iter().take(annotations) {
            f.paragraph(
                &format!("– {}", a.trim()),
                Weight::Regular,
                SIZE_BODY,
                Ink::Black,
                MARGIN_X + 8.0,
                CONTENT_W - 8.0,
            );
        }
    }

    // Issue.
    f.gap(12.0);
    f.field(
        &f.label(|s| s.issuing_comune),
        &comune_text(&doc.issuer.comune),
    );
    f.field(&f.label(|s| s.issue_date), &date_text(doc.issued_at.date()));
    if let (false, Some(p)) = (doc.preview, &doc.protocol) {
        f.field(&f.label(|s| s.protocol), p);
    }
    f.field(
        &f.label(|s| s.officer),
        &format!(
            "{} {}",
            doc.issuer.officer_surname.trim(),
            doc.issuer.officer_name.trim()
        ),
    );

    // Who signs: centred in the right half.
    f.gap(14.0);
    let signatory = doc.issuer.signatory;
    let mut lines = vec![(it.signatory(signatory), Ink::Black)];
    if let Some(s) = second {
        lines.push((s.signatory(signatory), Ink::Grey));
    }
    f.ensure(lines.len() as f32 * leading(SIZE_BODY));
    let half_x = MARGIN_X + CONTENT_W / 2.0;
    for (text, ink) in lines {
        for line in wrap(text, Weight::Bold, SIZE_BODY, CONTENT_W / 2.0) {
            f.ensure(leading(SIZE_BODY));
            let w = text_width(&line, Weight::Bold, SIZE_BODY);
            let y = f.y + SIZE_BODY;
            f.page().push(Op::Text {
                x: half_x + (CONTENT_W / 2.0 - w).max(0.0) / 2.0,
                y,
                size: SIZE_BODY,
                weight: Weight::Bold,
                ink,
                text: line,
            });
            f.y += leading(SIZE_BODY);
        }
    }

    // The footer of the last page: contrassegno and seal box.
    if !doc.preview {
        if f.y > PAGE_H - MARGIN_BOTTOM - FOOTER_H {
            f.new_page();
        }
        footer(&mut f)?;
    }
    if f.pages.len() > MAX_PAGES {
        return Ok(None);
    }
    Ok(Some(f.pages))
}

/// The contrassegno row and the seal box at the bottom of the current page.
fn footer(f: &mut Flow<'_>) -> Result<(), CertError> {
    let (it, second) = (f.it, f.second);
    let seal_top = PAGE_H - MARGIN_BOTTOM - SEAL_H;
    if let Some(c) = &f.doc.contrassegno {
        let top = seal_top - 10.0 - CONTRASSEGNO_H;
        let modules = Modules::encode(&c.url)?;
        f.page().push(Op::Qr {
            x: MARGIN_X,
            y: top,
            side: QR_SIDE,
            modules,
        });
        let x = MARGIN_X + QR_SIDE + 8.0;
        let w = CONTENT_W - QR_SIDE - 8.0;
        let mut lines: Vec<(String, Weight, f32)> = Vec::new();
        let mut add = |text: &str, weight: Weight, size: f32| {
            for l in wrap(text, weight, size, w) {
                lines.push((l, weight, size));
            }
        };
        add(&f.label(|s| s.contrassegno), Weight::Bold, SIZE_LABEL);
        add(
            &format!("{}: {}", f.label(|s| s.contrassegno_code), c.code.trim()),
            Weight::Regular,
            SIZE_LABEL,
        );
        add(
            &f.label(|s| s.contrassegno_verify),
            Weight::Regular,
            SIZE_SMALL,
        );
        let url_lines = wrap(c.url.trim(), Weight::Regular, SIZE_SMALL, w);
        if url_lines.len() > URL_LINES {
            return Err(CertError::TooLong {
                field: "contrassegno.url",
                len: c.url.chars().count(),
                max: URL_LINES,
            });
        }
        for l in url_lines {
            lines.push((l, Weight::Bold, SIZE_SMALL));
        }
        let mut y = top + 10.0;
        for (text, weight, size) in lines {
            y += leading(size);
            f.page().push(Op::Text {
                x,
                y: y - leading(size) + size,
                size,
                weight,
                ink: Ink::Black,
                text,
            });
        }
    }
    f.page().push(Op::Frame {
        x: MARGIN_X,
        y: seal_top,
        w: CONTENT_W,
        h: SEAL_H,
    });
    let mut texts = vec![
        (it.sealed, Weight::Bold, Ink::Black),
        (it.sealed_detail, Weight::Regular, Ink::Black),
    ];
    if let Some(s) = second {
        texts.push((s.sealed, Weight::Bold, Ink::Grey));
        texts.push((s.sealed_detail, Weight::Regular, Ink::Grey));
    }
    let size = if second.is_some() {
        SIZE_SMALL
    } else {
        SIZE_LABEL
    };
    let line_h = (SEAL_H - 8.0) / texts.len() as f32;
    let mut y = seal_top + 4.0;
    for (text, weight, ink) in texts {
        // One line each: shrink a text that would not fit the box's width.
        let w = text_width(text, weight, size);
        let size = if w > CONTENT_W - 16.0 {
            size * (CONTENT_W - 16.0) / w
        } else {
            size
        };
        f.page().push(Op::Text {
            x: MARGIN_X + 8.0,
            y: y + line_h * 0.5 + size * 0.35,
            size,
            weight,
            ink,
            text: text.to_string(),
        });
        y += line_h;
    }
    Ok(())
}

/// The pages of `doc`, or [`CertError::TooManyAnnotations`] with the number
/// of annotations that would fit.
pub(crate) fn layout(doc: &CertificateDoc) -> Result<Vec<Vec<Op>>, CertError> {
    if let Some(pages) = try_layout(doc, doc.annotations.len())? {
        return Ok(pages);
    }
    // Find how many annotations fit (binary search: each try is a layout
    // without drawing, a fraction of a millisecond).
    let (mut fit, mut over) = (0usize, doc.annotations.len());
    if try_layout(doc, 0)?.is_none() {
        return Err(CertError::TooManyAnnotations {
            given: doc.annotations.len(),
            fit: 0,
            max_pages: MAX_PAGES,
        });
    }
    while over - fit > 1 {
        let mid = fit + (over - fit) / 2;
        if try_layout(doc, mid)?.is_some() {
            fit = mid;
        } else {
            over = mid;
        }
    }
    Err(CertError::TooManyAnnotations {
        given: doc.annotations.len(),
        fit,
        max_pages: MAX_PAGES,
    })
}

/// Draws the pages as a PDF/A-2b document (validated by krilla while it
/// writes), with the title, language and dates of `doc`.
pub(crate) fn draw(doc: &CertificateDoc, pages: &[Vec<Op>]) -> Result<Vec<u8>, CertError> {
    let fonts = Fonts::get()?;
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_B)
        .finish()
        .map_err(|e| CertError::Pdf(format!("{e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    let it = Strings::of(crate::Language::It);
    let second = doc.languages.second().map(Strings::of);
    let total = pages.len();
    for (n, ops) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| CertError::Pdf("invalid page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        if doc.preview {
            let word = pair(it.preview, second.map(|s| s.preview));
            watermark(&mut surface, fonts, &word);
        }
        for op in ops {
            draw_op(&mut surface, fonts, op);
        }
        let number = pair(it.page, second.map(|s| s.page))
            .replace("{n}", &(n + 1).to_string())
            .replace("{m}", &total.to_string());
        let w = text_width(&number, Weight::Regular, SIZE_SMALL);
        draw_op(
            &mut surface,
            fonts,
            &Op::Text {
                x: (PAGE_W - w) / 2.0,
                y: PAGE_H - MARGIN_BOTTOM / 2.0,
                size: SIZE_SMALL,
                weight: Weight::Regular,
                ink: Ink::Grey,
                text: number,
            },
        );
        surface.finish();
        page.finish();
    }
    let title = pair(it.title(doc.kind), second.map(|s| s.title(doc.kind)));
    document.set_metadata(
        Metadata::new()
            .title(title)
            .language("it-IT".into())
            .creator("urna-cert".into())
            .producer("urna (krilla)".into())
            .creation_date(pdf_datetime(doc.issued_at)),
    );
    document
        .finish()
        .map_err(|e| CertError::Pdf(krilla_error(&e)))
}

/// krilla's error, readable.
fn krilla_error(e: &krilla::error::KrillaError) -> String {
    match e {
        krilla::error::KrillaError::Validation(errors) => errors
            .iter()
            .map(|(e, _)| format!("{e:?}"))
            .collect::<Vec<_>>()
            .join("; "),
        other => format!("{other:?}"),
    }
}

/// The issue time as the PDF's creation date.
fn pdf_datetime(t: time::OffsetDateTime) -> DateTime {
    let offset = t.offset();
    // Offsets are whole hours and minutes; the minutes take the sign of the hours.
    let (h, m, _) = offset.as_hms();
    DateTime::new(u16::try_from(t.year()).unwrap_or(0))
        .month(u8::from(t.month()))
        .day(t.day())
        .hour(t.hour())
        .minute(t.minute())
        .second(t.second())
        .utc_offset_hour(h)
        .utc_offset_minute(m.unsigned_abs())
}

fn draw_op(surface: &mut Surface<'_>, fonts: &Fonts, op: &Op) {
    match op {
        Op::Text {
            x,
            y,
            size,
            weight,
            ink,
            text,
        } => {
            surface.set_fill(Some(ink.fill()));
            surface.draw_glyphs(
                Point::from_xy(*x, *y),
                &fonts.glyphs(*weight, text),
                fonts.face(*weight).font.clone(),
                text,
                *size,
                false,
            );
        }
        Op::Rule { x, y, w } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x, *y);
            pb.line_to(x + w, *y);
            if let Some(path) = pb.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(stroke(0.6)));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        }
        Op::Frame { x, y, w, h } => {
            let mut pb = PathBuilder::new();
            if let Some(r) = Rect::from_xywh(*x, *y, *w, *h) {
                pb.push_rect(r);
            }
            if let Some(path) = pb.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(stroke(0.8)));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        }
        Op::Qr {
            x,
            y,
            side,
            modules,
        } => {
            // 4 modules of quiet zone on each side. The path is in module
            // units (whole numbers, a few bytes per rectangle) under a
            // scaling transform.
            let unit = side / (modules.width as f32 + 8.0);
            let mut pb = PathBuilder::new();
            for (row, col, len) in modules.runs() {
                if let Some(r) = Rect::from_xywh(col as f32, row as f32, len as f32, 1.0) {
                    pb.push_rect(r);
                }
            }
            if let Some(path) = pb.finish() {
                surface.push_transform(&Transform::from_row(
                    unit,
                    0.0,
                    0.0,
                    unit,
                    x + 4.0 * unit,
                    y + 4.0 * unit,
                ));
                surface.set_stroke(None);
                surface.set_fill(Some(Ink::Black.fill()));
                surface.draw_path(&path);
                surface.pop();
            }
        }
    }
}

fn stroke(width: f32) -> Stroke {
    Stroke {
        paint: rgb::Color::new(0, 0, 0).into(),
        width,
        ..Stroke::default()
    }
}

/// The preview's word across the page, bottom left to top right, under
/// everything else.
fn watermark(surface: &mut Surface<'_>, fonts: &Fonts, word: &str) {
    let diagonal = (PAGE_W * PAGE_W + PAGE_H * PAGE_H).sqrt();
    let size = (0.7 * diagonal / text_width(word, Weight::Bold, 1.0)).min(120.0);
    let w = text_width(word, Weight::Bold, size);
    let angle = -(PAGE_H / PAGE_W).atan().to_degrees();
    let (cx, cy) = (PAGE_W / 2.0, PAGE_H / 2.0);
    surface.push_transform(&Transform::from_rotate_at(angle, cx, cy));
    surface.set_fill(Some(Ink::Pale.fill()));
    surface.draw_glyphs(
        Point::from_xy(cx - w / 2.0, cy + size * 0.36),
        &fonts.glyphs(Weight::Bold, word),
        fonts.bold.font.clone(),
        word,
        size,
        false,
    );
    surface.pop();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_lines_within_width() {
        let text =
            "risulta iscritta nelle liste elettorali del Comune di SAN GIOVANNI IN PERSICETO (BO)";
        for width in [40.0, 120.0, 300.0] {
            for line in wrap(text, Weight::Regular, 10.0, width) {
                assert!(
                    text_width(&line, Weight::Regular, 10.0) <= width,
                    "{line:?} at {width}"
                );
            }
        }
        // A word longer than the line is cut.
        let url = "https://example.org/verifica/0123456789abcdefghijklmnopqrstuvwxyz0123456789";
        let lines = wrap(url, Weight::Regular, 8.0, 100.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), url);
        assert_eq!(wrap("", Weight::Regular, 8.0, 100.0), [""]);
    }

    #[test]
    fn measures_like_the_font() {
        // DejaVu Sans: "M" is 1767/2048 em, a space 651/2048.
        assert!((text_width("M", Weight::Regular, 2048.0) - 1767.0).abs() < 0.5);
        assert!((text_width(" ", Weight::Regular, 2048.0) - 651.0).abs() < 0.5);
        assert!(text_width("MM", Weight::Bold, 10.0) > text_width("MM", Weight::Regular, 10.0));
        assert!(printable('È') && printable('ž') && printable('€'));
        assert!(!printable('\u{4E2D}'));
    }

    #[test]
    fn seal_rect_is_at_the_bottom_inside_the_margins() {
        let [l, b, r, t] = SEAL_RECT;
        assert!(l >= MARGIN_X && r <= PAGE_W - MARGIN_X && b >= MARGIN_BOTTOM - 0.01 && t > b);
        assert!((t - b - SEAL_H).abs() < 0.01);
    }

    /// The PDF/A-2b validator is on: a glyph the font lacks (which
    /// `render`'s own checks refuse earlier) fails the write.
    #[test]
    fn krilla_validates_pdf_a_while_writing() {
        let doc = CertificateDoc::example();
        let pages = vec![vec![Op::Text {
            x: 60.0,
            y: 100.0,
            size: 10.0,
            weight: Weight::Regular,
            ink: Ink::Black,
            text: "\u{4E2D}".into(),
        }]];
        match draw(&doc, &pages) {
            Err(CertError::Pdf(m)) => assert!(m.contains("ContainsNotDefGlyph"), "{m}"),
            other => panic!("{other:?}"),
        }
        let pages = vec![Vec::new()];
        assert!(draw(&doc, &pages).is_ok());
    }

    #[test]
    fn dates_are_day_month_year() {
        assert_eq!(date_text(time::macros::date!(2026 - 03 - 07)), "07/03/2026");
    }
}
