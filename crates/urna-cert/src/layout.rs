//! The page layout: the document's texts placed on A4 pages (a display list
//! of [`Op`]s), then written as PDF/A-2b by `crate::pdf`.
//!
//! Layout and drawing are separate so that the layout can be tried again
//! with fewer annotations when they do not fit ([`layout`]), and so that the
//! drawing is one plain loop. Coordinates are points, origin at the top
//! left, y downwards, text placed by its baseline (the writer turns them
//! into PDF's, y upwards).

use std::sync::OnceLock;

use skrifa::instance::{LocationRef, Size};
use skrifa::raw::TableProvider;
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
    /// The preview's word across the page, bottom left to top right, under
    /// everything else (first on the page).
    Watermark { text: String },
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

/// A face and, per character, its glyph and advance: looked up once per
/// process, so that measuring and drawing a text costs a table lookup per
/// character instead of a font parse and a shaping run.
pub(crate) struct Face {
    pub ttf: &'static [u8],
    pub postscript_name: String,
    pub metrics: FaceMetrics,
    glyphs: CharMap<(u16, f32)>,
}

/// A map from characters to values, as a table indexed by code point: the
/// layout and the writer look up every character they print, several
/// times, and a table costs no hashing. Only code points below
/// [`CharMap::LIMIT`] are kept (the vendored faces have none above U+20AC;
/// `fonts/README.md`); others are absent.
#[derive(Clone)]
pub(crate) struct CharMap<T> {
    table: Vec<Option<T>>,
}

impl<T: Copy> CharMap<T> {
    const LIMIT: usize = 0x3000;

    pub(crate) fn new() -> CharMap<T> {
        CharMap { table: Vec::new() }
    }

    pub(crate) fn get(&self, ch: char) -> Option<T> {
        self.table.get(ch as usize).copied().flatten()
    }

    pub(crate) fn contains(&self, ch: char) -> bool {
        self.get(ch).is_some()
    }

    pub(crate) fn insert(&mut self, ch: char, value: T) {
        let at = ch as usize;
        if at >= Self::LIMIT {
            return;
        }
        if self.table.len() <= at {
            self.table.resize(at + 1, None);
        }
        self.table[at] = Some(value);
    }
}

impl<T: Copy> FromIterator<(char, T)> for CharMap<T> {
    fn from_iter<I: IntoIterator<Item = (char, T)>>(iter: I) -> Self {
        let mut map = CharMap::new();
        for (ch, v) in iter {
            map.insert(ch, v);
        }
        map
    }
}

/// What a PDF font descriptor states about a face, in thousandths of an em.
pub(crate) struct FaceMetrics {
    pub bbox: [f32; 4],
    pub ascent: f32,
    pub descent: f32,
    pub cap_height: f32,
    pub stem_v: f32,
}

impl Face {
    fn load(ttf: &'static [u8]) -> Option<Face> {
        let face = skrifa::FontRef::new(ttf).ok()?;
        // At size 1 an advance is in ems.
        let advances = face.glyph_metrics(Size::new(1.0), LocationRef::default());
        let glyphs = face
            .charmap()
            .mappings()
            .filter_map(|(code, glyph)| {
                let ch = char::from_u32(code)?;
                let advance = advances.advance_width(glyph)?;
                Some((ch, (u16::try_from(glyph.to_u32()).ok()?, advance)))
            })
            .collect();
        let m = face.metrics(Size::new(1000.0), LocationRef::default());
        let bounds = m.bounds?;
        let weight = face.attributes().weight.value();
        let postscript_name = face
            .localized_strings(skrifa::string::StringId::POSTSCRIPT_NAME)
            .english_or_first()?
            .chars()
            .collect();
        // Checked here so that the writer can rely on it.
        face.head().ok()?;
        Some(Face {
            ttf,
            postscript_name,
            metrics: FaceMetrics {
                bbox: [bounds.x_min, bounds.y_min, bounds.x_max, bounds.y_max],
                ascent: m.ascent,
                descent: m.descent,
                cap_height: m.cap_height.unwrap_or(m.ascent),
                // The usual estimate from the weight class (400 → 95.4).
                stem_v: 10.0 + 0.244 * (weight - 50.0),
            },
            glyphs,
        })
    }

    /// The glyph of `ch` and its advance in ems.
    pub(crate) fn glyph(&self, ch: char) -> Option<(u16, f32)> {
        self.glyphs.get(ch)
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

    pub(crate) fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

/// Whether both faces have a glyph for `ch`.
pub(crate) fn printable(ch: char) -> bool {
    Fonts::get().is_ok_and(|f| f.regular.glyphs.contains(ch) && f.bold.glyphs.contains(ch))
}

/// Advance width of `text` at `size` points: the sum of the glyph advances,
/// exactly as [`draw`] places them.
pub(crate) fn text_width(text: &str, weight: Weight, size: f32) -> f32 {
    let Ok(fonts) = Fonts::get() else {
        return 0.0;
    };
    let face = fonts.face(weight);
    text.chars()
        .map(|c| face.glyphs.get(c).map_or(0.6, |g| g.1))
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

/// The pages as they are drawn: with the preview's watermark first and
/// the page number last on each.
pub(crate) fn finish_pages(doc: &CertificateDoc, pages: Vec<Vec<Op>>) -> Vec<Vec<Op>> {
    let it = Strings::of(crate::Language::It);
    let second = doc.languages.second().map(Strings::of);
    let total = pages.len();
    pages
        .into_iter()
        .enumerate()
        .map(|(n, ops)| {
            let mut page = Vec::with_capacity(ops.len() + 2);
            if doc.preview {
                page.push(Op::Watermark {
                    text: pair(it.preview, second.map(|s| s.preview)),
                });
            }
            page.extend(ops);
            let number = pair(it.page, second.map(|s| s.page))
                .replace("{n}", &(n + 1).to_string())
                .replace("{m}", &total.to_string());
            let w = text_width(&number, Weight::Regular, SIZE_SMALL);
            page.push(Op::Text {
                x: (PAGE_W - w) / 2.0,
                y: PAGE_H - MARGIN_BOTTOM / 2.0,
                size: SIZE_SMALL,
                weight: Weight::Regular,
                ink: Ink::Grey,
                text: number,
            });
            page
        })
        .collect()
}

/// The document's title: the certificate's name, in both languages when
/// bilingual.
pub(crate) fn title(doc: &CertificateDoc) -> String {
    let it = Strings::of(crate::Language::It);
    let second = doc.languages.second().map(Strings::of);
    pair(it.title(doc.kind), second.map(|s| s.title(doc.kind)))
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

    #[test]
    fn dates_are_day_month_year() {
        assert_eq!(date_text(time::macros::date!(2026 - 03 - 07)), "07/03/2026");
    }
}
