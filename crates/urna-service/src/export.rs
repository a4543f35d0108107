//! The electoral export ("scarico massivo"): a comune's sections and
//! electors in the takeover formats (`subentroSezioni`, `subentroListe`),
//! so that an export loads into an empty urna unchanged, and a CSV of the
//! same electors for spreadsheets (docs/export.md).
//!
//! Everything is read from one snapshot of the store ([`Store::snapshot`])
//! and written as it is read: sections in number order, electors in
//! `idSchedaSoggettoANPR` order, a page of [`PAGE`] rows at a time from the
//! four export streams merged, so memory does not grow with the comune.
//! The same store gives the same bytes.

use std::io::Write;

use urna_domain::elector::{ComReg, ElectorState, Flags, ListRef};
use urna_store::electors::{self, ElectorRow, ExportStream};
use urna_store::{comuni, sections, subjects, AnyConnection, Store, StoreError};
use urna_wire::{build, ns, Element};

/// Rows read per query of each stream.
pub(crate) const PAGE: i64 = 2000;

/// What an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// `subentroSezioni`: the comune's sections.
    Sezioni,
    /// `subentroListe`: its electors' lists.
    Liste,
    /// One CSV row per elector, cancelled ones included.
    Csv,
}

impl Flavour {
    pub const ALL: [Flavour; 3] = [Flavour::Sezioni, Flavour::Liste, Flavour::Csv];

    /// The file's name for comune `istat` (the XML ones gzip-compressed,
    /// as takeover files travel).
    pub fn file_name(self, istat: &str) -> String {
        match self {
            Flavour::Sezioni => format!("subentroSezioni-{istat}.xml.gz"),
            Flavour::Liste => format!("subentroListe-{istat}.xml.gz"),
            Flavour::Csv => format!("elettori-{istat}.csv"),
        }
    }

    /// Whether the bytes go through gzip.
    pub fn gzipped(self) -> bool {
        self != Flavour::Csv
    }

    /// The flavour a file name names (as [`Flavour::file_name`] writes it).
    pub fn from_file_name(name: &str, istat: &str) -> Option<Flavour> {
        Flavour::ALL
            .into_iter()
            .find(|f| f.file_name(istat) == name)
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Sections or electors written.
    pub records: u64,
    /// Electors left out of `subentroListe` because they are cancelled (the
    /// takeover format cannot state a cancellation; the CSV lists them).
    pub cancelled: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("comune {0} is not in the comuni table")]
    UnknownComune(String),
    #[error("comune {istat} has no {what} to export (a takeover file holds at least one)")]
    Empty { istat: String, what: &'static str },
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes `flavour` of comune `istat` into `out`, uncompressed (the caller
/// gzips the XML flavours, see [`Flavour::gzipped`]). `progress` gets the
/// records written and the total after each page.
pub fn export(
    store: &Store,
    istat: &str,
    flavour: Flavour,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Counts, ExportError> {
    store.snapshot(|c| {
        let today = time::OffsetDateTime::now_utc().date().to_string();
        let comune = comuni::last_known(c, istat, &today)?
            .ok_or_else(|| ExportError::UnknownComune(istat.to_string()))?;
        let owner = build::comune(&comune.nome, istat, &comune.sigla);
        match flavour {
            Flavour::Sezioni => write_sections(c, istat, out, progress),
            Flavour::Liste => write_lists(c, istat, &owner, out, progress),
            Flavour::Csv => write_csv(c, istat, out, progress),
        }
    })
}

/// [`export`] as the file [`Flavour::file_name`] names: gzip-compressed
/// for the XML flavours.
pub fn export_file(
    store: &Store,
    istat: &str,
    flavour: Flavour,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Counts, ExportError> {
    if !flavour.gzipped() {
        return export(store, istat, flavour, out, progress);
    }
    let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    let counts = export(store, istat, flavour, &mut gz, progress)?;
    gz.finish()?;
    Ok(counts)
}

fn write_sections(
    c: &mut AnyConnection,
    istat: &str,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Counts, ExportError> {
    // A comune has some thousands of sections at most: one query.
    let rows = sections::list(c, istat)?;
    if rows.is_empty() {
        return Err(ExportError::Empty {
            istat: istat.into(),
            what: "sections",
        });
    }
    let total = rows.len() as u64;
    write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><s:subentroSezioni xmlns:s=\"{}\"><numeroTotaleSezioni>{total}</numeroTotaleSezioni><sezioni>",
        ns::SUBENTRO_SEZIONI
    )?;
    let mut buf = String::with_capacity(4096);
    for (n, row) in rows.iter().enumerate() {
        // The stored payload is the section's inner XML with its owner
        // (the comune) as the takeover or 5011 gave it.
        buf.clear();
        buf.push_str("<sezione>");
        buf.push_str(&row.payload);
        buf.push_str("</sezione>");
        out.write_all(buf.as_bytes())?;
        if (n + 1) % PAGE as usize == 0 {
            progress(n as u64 + 1, total);
        }
    }
    out.write_all(b"</sezioni></s:subentroSezioni>")?;
    progress(total, total);
    Ok(Counts {
        records: total,
        cancelled: 0,
    })
}

fn write_lists(
    c: &mut AnyConnection,
    istat: &str,
    owner: &Element,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Counts, ExportError> {
    let (all, cancelled) = electors::export_count(c, istat)?;
    let total = (all - cancelled).max(0) as u64;
    if total == 0 {
        return Err(ExportError::Empty {
            istat: istat.into(),
            what: "electors",
        });
    }
    write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><l:subentroListe xmlns:l=\"{}\"><datiFornitura><versioneFornitura>1</versioneFornitura><numeroTotaleListe>{total}</numeroTotaleListe></datiFornitura><listeElettorali>",
        ns::SUBENTRO_LISTE
    )?;
    let mut counts = Counts::default();
    let mut buf = String::with_capacity(4096);
    let mut merged = Merged::new(istat);
    while let Some(row) = merged.next(c)? {
        let state = row.to_state()?;
        if state.cancelled.is_some() {
            counts.cancelled += 1;
            continue;
        }
        let record = Element::new("listaSoggetto")
            .with_child(Element::leaf("idSchedaSoggettoANPR", &row.id_soggetto))
            .with_child(lista(&state, istat, owner));
        let record = match state.certificabile {
            Some(n) => record.with_child(
                Element::new("certificabilita")
                    .with_child(Element::leaf("soggettoCertificabile", n.to_string())),
            ),
            None => record,
        };
        buf.clear();
        record.write_into(&mut buf);
        out.write_all(buf.as_bytes())?;
        counts.records += 1;
        if counts.records % PAGE as u64 == 0 {
            progress(counts.records, total);
        }
    }
    out.write_all(b"</listeElettorali></l:subentroListe>")?;
    progress(counts.records, total);
    Ok(counts)
}

/// `S` or `N`.
fn sn(b: bool) -> &'static str {
    if b {
        "S"
    } else {
        "N"
    }
}

/// The subject's lists in comune `istat` as a `tipoListaElettorale5010`.
pub(crate) fn lista(s: &ElectorState, istat: &str, owner: &Element) -> Element {
    let here = |l: &Option<ListRef>| l.as_ref().filter(|l| l.comune == istat).cloned();
    let list = |name: &str, l: &ListRef| {
        Element::new(name)
            .with_child(owner.clone())
            .with_child(Element::leaf("sezioneelettoralenum", &l.sezione))
    };
    let mut e = Element::new("lista")
        .with_child(Element::leaf("elettore", sn(s.elettore.unwrap_or(false))));
    if let Some(g) = here(&s.general.as_ref().map(|(l, _)| l.clone())) {
        e = e.with_child(list("listaGenerale", &g));
    }
    let (uc, up) = (here(&s.ue_comunali), here(&s.ue_parlamento));
    if uc.is_some() || up.is_some() {
        let mut ue = Element::new("listaAggiuntaUE");
        if let Some(l) = &uc {
            ue = ue
                .with_child(Element::leaf("ueelettorecomunali", "S"))
                .with_child(list("listaAggiuntaUEComunali", l));
        }
        if let Some(l) = &up {
            ue = ue
                .with_child(Element::leaf("ueelettoreparlamento", "S"))
                .with_child(list("listaAggiuntaUEParlamento", l));
        }
        e = e.with_child(ue);
    }
    if let Some((kind, l)) = s.comreg.as_ref().filter(|(_, l)| l.comune == istat) {
        let flag = |k: ComReg| sn(*kind == k);
        e = e.with_child(
            Element::new("listaAggiuntaComReg")
                .with_child(Element::leaf(
                    "comregelettorebolzano",
                    flag(ComReg::Bolzano),
                ))
                .with_child(Element::leaf("comregelettoretrento", flag(ComReg::Trento)))
                .with_child(Element::leaf(
                    "comregelettorevalledaosta",
                    flag(ComReg::Aosta),
                ))
                .with_child(list("listaBolTreVal", l)),
        );
    }
    let f = s.flags.clone().unwrap_or(Flags {
        referendum: false,
        membriue: false,
        senato: false,
        circ_senato: None,
        camera: false,
        circ_camera: None,
        regionali: false,
        comunali: false,
        circoscrizionali: false,
    });
    e = e
        .with_child(Element::leaf("referendumnazionali", sn(f.referendum)))
        .with_child(Element::leaf("elezionimembriue", sn(f.membriue)))
        .with_child(Element::leaf("senatorepubblica", sn(f.senato)));
    if let Some(v) = &f.circ_senato {
        e = e.with_child(Element::leaf("circoscrsenatorepubblica", v));
    }
    e = e.with_child(Element::leaf("cameradeputati", sn(f.camera)));
    if let Some(v) = &f.circ_camera {
        e = e.with_child(Element::leaf("circoscrcameradeputati", v));
    }
    e.with_child(Element::leaf("regionali", sn(f.regionali)))
        .with_child(Element::leaf("comunali", sn(f.comunali)))
        .with_child(Element::leaf("circoscrizionali", sn(f.circoscrizionali)))
}

fn write_csv(
    c: &mut AnyConnection,
    istat: &str,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Counts, ExportError> {
    let (all, _) = electors::export_count(c, istat)?;
    let total = all.max(0) as u64;
    out.write_all(
        "id_soggetto,codice_fiscale,cognome,nome,data_nascita,elettore,sezione_generale,\
         sezione_ue_comunali,sezione_ue_parlamento,lista_comreg,sezione_comreg,certificabile,\
         motivo_cancellazione,data_cancellazione\n"
            .as_bytes(),
    )?;
    let mut counts = Counts::default();
    let mut merged = Merged::new(istat);
    let mut page: Vec<ElectorRow> = Vec::with_capacity(PAGE as usize);
    loop {
        let row = merged.next(c)?;
        let flush = row.is_none() || page.len() == PAGE as usize;
        if flush && !page.is_empty() {
            // Names from the registry, one query per page.
            let ids: Vec<String> = page.iter().map(|r| r.id_soggetto.clone()).collect();
            let people = subjects::get_many(c, &ids)?;
            for r in page.drain(..) {
                let s = r.to_state()?;
                let p = people.get(&r.id_soggetto);
                let here = |l: &Option<ListRef>| {
                    l.as_ref()
                        .filter(|l| l.comune == istat)
                        .map(|l| l.sezione.clone())
                        .unwrap_or_default()
                };
                let comreg = s.comreg.as_ref().filter(|(_, l)| l.comune == istat);
                let fields = [
                    r.id_soggetto.clone(),
                    p.map(|p| p.codice_fiscale.clone()).unwrap_or_default(),
                    p.map(|p| p.cognome.clone()).unwrap_or_default(),
                    p.map(|p| p.nome.clone()).unwrap_or_default(),
                    p.map(|p| p.data_nascita.clone()).unwrap_or_default(),
                    s.elettore.map(|e| sn(e).to_string()).unwrap_or_default(),
                    here(&s.general.as_ref().map(|(l, _)| l.clone())),
                    here(&s.ue_comunali),
                    here(&s.ue_parlamento),
                    comreg.map(|(k, _)| k.key().to_string()).unwrap_or_default(),
                    comreg.map(|(_, l)| l.sezione.clone()).unwrap_or_default(),
                    s.certificabile.map(|n| n.to_string()).unwrap_or_default(),
                    s.cancelled
                        .as_ref()
                        .map(|x| x.motivo.to_string())
                        .unwrap_or_default(),
                    s.cancelled
                        .as_ref()
                        .map(|x| x.data.to_string())
                        .unwrap_or_default(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                out.write_all(line.join(",").as_bytes())?;
                out.write_all(b"\n")?;
                counts.records += 1;
                if s.cancelled.is_some() {
                    counts.cancelled += 1;
                }
            }
            progress(counts.records, total);
        }
        match row {
            Some(r) => page.push(r),
            None => break,
        }
    }
    Ok(counts)
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// The four export streams of a comune merged in id order, each subject
/// once: a page of each at a time.
pub(crate) struct Merged<'a> {
    istat: &'a str,
    streams: Vec<Stream>,
}

struct Stream {
    kind: ExportStream,
    page: std::collections::VecDeque<ElectorRow>,
    after: String,
    exhausted: bool,
}

impl<'a> Merged<'a> {
    pub(crate) fn new(istat: &'a str) -> Merged<'a> {
        Merged {
            istat,
            streams: ExportStream::ALL
                .into_iter()
                .map(|kind| Stream {
                    kind,
                    page: Default::default(),
                    after: String::new(),
                    exhausted: false,
                })
                .collect(),
        }
    }

    pub(crate) fn next(&mut self, c: &mut AnyConnection) -> Result<Option<ElectorRow>, StoreError> {
        for s in &mut self.streams {
            if s.page.is_empty() && !s.exhausted {
                let rows = electors::export_page(c, s.kind, self.istat, &s.after, PAGE)?;
                s.exhausted = (rows.len() as i64) < PAGE;
                if let Some(last) = rows.last() {
                    s.after = last.id_soggetto.clone();
                }
                s.page.extend(rows);
            }
        }
        // The stream whose next row has the smallest id; the same subject at
        // the head of another stream is dropped there (merged, once).
        let Some(first) = (0..self.streams.len())
            .filter(|i| !self.streams[*i].page.is_empty())
            .min_by(|a, b| {
                let id = |i: &usize| &self.streams[*i].page[0].id_soggetto;
                id(a).cmp(id(b))
            })
        else {
            return Ok(None);
        };
        let found = self.streams[first].page.pop_front();
        if let Some(row) = &found {
            for s in &mut self.streams {
                if s.page
                    .front()
                    .is_some_and(|r| r.id_soggetto == row.id_soggetto)
                {
                    s.page.pop_front();
                }
            }
        }
        Ok(found)
    }
}

impl crate::Services {
    /// [`export_file`], recorded in the audit log: operation `export`, its
    /// outcome, who asked (`station`: a station's name, or `cli`) and the
    /// comune and file (as a digest, like every event subject). Who took a
    /// comune's electoral data is itself traced.
    pub fn export_file(
        &self,
        station: &str,
        auth_mode: &'static str,
        istat: &str,
        flavour: Flavour,
        out: &mut dyn Write,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Counts, ExportError> {
        let result = export_file(self.store(), istat, flavour, out, progress);
        let outcome = match &result {
            Ok(c) => format!("OK {} records", c.records),
            Err(_) => "KO".to_string(),
        };
        let e = crate::AuditRecord::event(
            self.now_ms(),
            "export",
            outcome,
            station,
            auth_mode,
            &flavour.file_name(istat),
        );
        self.store()
            .write(|c| urna_store::audit::append(c, &e.entry()).map(|_| ()))?;
        result
    }
}
