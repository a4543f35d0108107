//! `urna demo generate`: a synthetic but realistic population for one comune
//! and its takeover files, streamed to disk (a Roma-sized set, 2,000,000
//! electors, in minutes and in constant memory).
//!
//! Output, in the target directory:
//! * `subjects-<ISTAT>.csv`: the registry rows (`urna subjects import`);
//! * `constituencies-<ISTAT>.csv`: the values the sections and electors use;
//! * `subentroSezioni-<ISTAT>.xml[.gz]`, `subentroListe-<ISTAT>.xml[.gz]`.
//!
//! Population: about 1% non-EU residents (registry only), 0.5% citizens of
//! other EU states (EU municipal and European Parliament lists), 0.7%
//! Italian non-electors, 0.5% AIRE; the rest Italian electors on the general
//! list; ages 18 to 100; one section per 800 electors.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use urna_domain::codice_fiscale::CodiceFiscale;
use urna_domain::elector::Ripartizione;
use urna_wire::{build, ns, Element};

/// The comune to generate for.
#[derive(Debug, Clone)]
pub struct Spec {
    pub istat: String,
    pub nome: String,
    pub sigla: String,
    pub catastale: String,
    pub electors: u64,
    pub seed: u64,
    pub gzip: bool,
}

/// Paths written.
#[derive(Debug, Clone)]
pub struct Files {
    pub subjects: PathBuf,
    pub constituencies: PathBuf,
    pub sezioni: PathBuf,
    pub liste: PathBuf,
    pub sections: u64,
}

const SURNAMES: [&str; 24] = [
    "ROSSI", "RUSSO", "FERRARI", "ESPOSITO", "BIANCHI", "ROMANO", "COLOMBO", "RICCI", "MARINO",
    "GRECO", "BRUNO", "GALLO", "CONTI", "DE LUCA", "MANCINI", "COSTA", "GIORDANO", "RIZZO",
    "LOMBARDI", "MORETTI", "BARBIERI", "FONTANA", "SANTORO", "MARIANI",
];
const MEN: [&str; 12] = [
    "GIUSEPPE",
    "GIOVANNI",
    "ANTONIO",
    "MARIO",
    "LUIGI",
    "FRANCESCO",
    "ANGELO",
    "VINCENZO",
    "PIETRO",
    "SALVATORE",
    "CARLO",
    "FRANCO",
];
const WOMEN: [&str; 12] = [
    "MARIA",
    "ANNA",
    "GIUSEPPINA",
    "ROSA",
    "ANGELA",
    "GIOVANNA",
    "TERESA",
    "LUCIA",
    "CARMELA",
    "CATERINA",
    "FRANCESCA",
    "ANTONIETTA",
];

/// Per-section ratio.
pub const ELECTORS_PER_SECTION: u64 = 800;

fn sink(path: &Path, gzip: bool) -> std::io::Result<Box<dyn Write>> {
    let f = BufWriter::with_capacity(1 << 16, File::create(path)?);
    Ok(if gzip {
        Box::new(flate2::write::GzEncoder::new(
            f,
            flate2::Compression::fast(),
        ))
    } else {
        Box::new(f)
    })
}

impl Spec {
    pub fn camera(&self) -> String {
        format!("{} - U01", self.nome)
    }
    pub fn senato(&self) -> String {
        format!("{} - SU01", self.nome)
    }
    pub fn circ_camera(&self) -> String {
        format!("CIRCOSCRIZIONE {}", self.sigla)
    }
    pub fn circ_senato(&self) -> String {
        format!("REGIONE {}", self.sigla)
    }
    fn comune(&self) -> Element {
        build::comune(&self.nome, &self.istat, &self.sigla)
    }
    pub fn subject_id(&self, i: u64) -> String {
        format!("7{}{:09}", self.istat, i)
    }
}

/// Writes the four files for `spec` into `dir`.
pub fn generate(spec: &Spec, dir: &Path) -> std::io::Result<Files> {
    std::fs::create_dir_all(dir)?;
    let ext = if spec.gzip { "xml.gz" } else { "xml" };
    let files = Files {
        subjects: dir.join(format!("subjects-{}.csv", spec.istat)),
        constituencies: dir.join(format!("constituencies-{}.csv", spec.istat)),
        sezioni: dir.join(format!("subentroSezioni-{}.{ext}", spec.istat)),
        liste: dir.join(format!("subentroListe-{}.{ext}", spec.istat)),
        sections: spec.electors.div_ceil(ELECTORS_PER_SECTION).max(1),
    };
    let mut c = BufWriter::new(File::create(&files.constituencies)?);
    writeln!(c, "tipo,codice_istat,valore")?;
    for (k, v) in [
        ("camera", spec.camera()),
        ("senato", spec.senato()),
        ("regionali", spec.nome.clone()),
        ("ue", "ITALIA CENTRALE".into()),
        ("circ_camera", spec.circ_camera()),
        ("circ_senato", spec.circ_senato()),
    ] {
        writeln!(c, "{k},{},\"{}\"", spec.istat, v.replace('"', "\"\""))?;
    }
    c.flush()?;
    write_sections(spec, &files)?;
    write_people(spec, &files)?;
    Ok(files)
}

fn write_sections(spec: &Spec, files: &Files) -> std::io::Result<()> {
    let mut w = sink(&files.sezioni, spec.gzip)?;
    write!(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><s:subentroSezioni xmlns:s=\"{}\"><numeroTotaleSezioni>{}</numeroTotaleSezioni><sezioni>", ns::SUBENTRO_SEZIONI, files.sections)?;
    let mut buf = String::with_capacity(2048);
    for n in 1..=files.sections {
        buf.clear();
        let s = Element::new("sezione")
            .with_child(spec.comune())
            .with_child(Element::leaf("sezioneelettoralenum", n.to_string()))
            .with_child(Element::leaf(
                "sezioneelettoraledenom",
                format!("PLESSO SCOLASTICO {n}"),
            ))
            .with_child(
                Element::new("sezioneelettoraleind")
                    .with_child(Element::leaf("cap", "00100"))
                    .with_child(spec.comune())
                    .with_child(
                        Element::new("toponimo")
                            .with_child(Element::leaf("specie", "VIA"))
                            .with_child(Element::leaf(
                                "denominazioneToponimo",
                                format!("DELLE SCUOLE {}", n % 200 + 1),
                            )),
                    )
                    .with_child(
                        Element::new("numeroCivico")
                            .with_child(Element::leaf("numero", (n % 150 + 1).to_string())),
                    ),
            )
            .with_child(Element::leaf("circoscrelezionimembriue", "ITALIA CENTRALE"))
            .with_child(Element::leaf("collegiocameradeputati", spec.camera()))
            .with_child(Element::leaf("circoscrregionali", &spec.nome))
            .with_child(Element::leaf("collegiosenatorepubblica", spec.senato()));
        s.write_into(&mut buf);
        w.write_all(buf.as_bytes())?;
    }
    w.write_all(b"</sezioni></s:subentroSezioni>")?;
    w.flush()
}

fn flags(on: bool, spec: &Spec) -> Vec<Element> {
    let f = |b: bool| if b { "S" } else { "N" };
    let mut v = vec![
        Element::leaf("referendumnazionali", f(on)),
        Element::leaf("elezionimembriue", f(on)),
        Element::leaf("senatorepubblica", f(on)),
    ];
    if on {
        v.push(Element::leaf(
            "circoscrsenatorepubblica",
            spec.circ_senato(),
        ));
    }
    v.push(Element::leaf("cameradeputati", f(on)));
    if on {
        v.push(Element::leaf("circoscrcameradeputati", spec.circ_camera()));
    }
    v.extend([
        Element::leaf("regionali", f(on)),
        Element::leaf("comunali", f(on)),
        Element::leaf("circoscrizionali", "N"),
    ]);
    v
}

fn lista(spec: &Spec, name: &str, section: u64) -> Element {
    Element::new(name)
        .with_child(spec.comune())
        .with_child(Element::leaf("sezioneelettoralenum", section.to_string()))
}

fn write_people(spec: &Spec, files: &Files) -> std::io::Result<()> {
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let mut csv = BufWriter::with_capacity(1 << 16, File::create(&files.subjects)?);
    writeln!(csv, "id_soggetto,codice_fiscale,cognome,nome,sesso,data_nascita,luogo_nascita,cittadinanza,comune_residenza,aire,certificabile_anagrafe,cancellato_anpr")?;
    let mut xml = sink(&files.liste, spec.gzip)?;
    // Kinds depend only on the index, so the declared total is known up front.
    let people = spec.electors + spec.electors / 100;
    let mut listed = 0u64;
    let mut body = String::with_capacity(1 << 16);
    write!(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><l:subentroListe xmlns:l=\"{}\"><datiFornitura><versioneFornitura>1</versioneFornitura><numeroTotaleListe>{}</numeroTotaleListe></datiFornitura><listeElettorali>", ns::SUBENTRO_LISTE, expected_records(spec))?;
    let today = time::OffsetDateTime::now_utc().date();
    for i in 0..people {
        let kind = kind_of(spec, i);
        let female = rng.random_bool(0.52);
        let age = rng.random_range(18..=100);
        let birth = today
            .replace_year(today.year() - age)
            .unwrap_or(today)
            .replace_ordinal(rng.random_range(1..=365))
            .unwrap_or(today);
        let surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
        let name = if female {
            WOMEN[rng.random_range(0..12)]
        } else {
            MEN[rng.random_range(0..12)]
        };
        let cf = CodiceFiscale::compose(surname, name, birth, female, &spec.catastale);
        let id = spec.subject_id(i);
        let citt = match kind {
            Kind::Extra => "EXTRA",
            Kind::Eu => "UE",
            _ => "IT",
        };
        // AIRE electors live abroad, in one of the four partitions of the
        // foreign constituency, and vote there (R-E25).
        let partition = matches!(kind, Kind::Aire)
            .then(|| Ripartizione::from_number(1 + (i % 4) as u8).expect("1..=4"));
        writeln!(
            csv,
            "{id},{cf},{surname},{name},{},{birth},{},{citt},{},{},2,N",
            if female { "F" } else { "M" },
            spec.catastale,
            if partition.is_some() {
                ""
            } else {
                spec.istat.as_str()
            },
            match partition {
                Some(p) => format!("S{}", p as u8),
                None => "N".into(),
            }
        )?;
        if matches!(kind, Kind::Extra) {
            continue;
        }
        let section = (listed % spec.electors.div_ceil(ELECTORS_PER_SECTION).max(1)) + 1;
        let mut l = Element::new("lista").with_child(Element::leaf(
            "elettore",
            if matches!(kind, Kind::NonElector) {
                "N"
            } else {
                "S"
            },
        ));
        match kind {
            Kind::Elector | Kind::Aire => l = l.with_child(lista(spec, "listaGenerale", section)),
            Kind::Eu => {
                l = l.with_child(
                    Element::new("listaAggiuntaUE")
                        .with_child(Element::leaf("ueelettorecomunali", "S"))
                        .with_child(lista(spec, "listaAggiuntaUEComunali", section))
                        .with_child(Element::leaf("ueelettoreparlamento", "S"))
                        .with_child(lista(spec, "listaAggiuntaUEParlamento", section)),
                )
            }
            _ => {}
        }
        for mut f in flags(matches!(kind, Kind::Elector | Kind::Aire), spec) {
            if let Some(p) = partition {
                if f.name == "circoscrsenatorepubblica" || f.name == "circoscrcameradeputati" {
                    f.text = p.label().into();
                }
            }
            l = l.with_child(f);
        }
        if matches!(kind, Kind::Eu) {
            // EU citizens vote in municipal and European elections only.
            for c in &mut l.children {
                if c.name == "comunali" || c.name == "elezionimembriue" {
                    c.text = "S".into();
                }
            }
        }
        let rec = Element::new("listaSoggetto")
            .with_child(Element::leaf("idSchedaSoggettoANPR", &id))
            .with_child(l)
            .with_child(
                Element::new("certificabilita")
                    .with_child(Element::leaf("soggettoCertificabile", "2")),
            );
        body.clear();
        rec.write_into(&mut body);
        xml.write_all(body.as_bytes())?;
        listed += 1;
    }
    xml.write_all(b"</listeElettorali></l:subentroListe>")?;
    xml.flush()?;
    csv.flush()
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Elector,
    Aire,
    NonElector,
    Eu,
    Extra,
}

/// Deterministic by index: 1% non-EU, 0.5% EU, 0.7% non-electors, 0.5% AIRE.
fn kind_of(_spec: &Spec, i: u64) -> Kind {
    match i % 1000 {
        0..=9 => Kind::Extra,
        10..=14 => Kind::Eu,
        15..=21 => Kind::NonElector,
        22..=26 => Kind::Aire,
        _ => Kind::Elector,
    }
}

/// The population index of the `n`-th (0-based) plain elector: an adult
/// Italian citizen, resident, not in AIRE. Benchmarks use these subjects for
/// ordinary 5010 enrolments ([`Spec::subject_id`] gives the id).
pub fn plain_elector_index(n: u64) -> u64 {
    const PLAIN_FROM: u64 = 27;
    const PER_THOUSAND: u64 = 1000 - PLAIN_FROM;
    (n / PER_THOUSAND) * 1000 + PLAIN_FROM + n % PER_THOUSAND
}

/// Records in the lists file (every subject but the non-EU ones).
pub fn expected_records(spec: &Spec) -> u64 {
    let people = spec.electors + spec.electors / 100;
    (0..people.min(1000))
        .filter(|i| !matches!(kind_of(spec, *i), Kind::Extra))
        .count() as u64
        * (people / 1000)
        + (people / 1000 * 1000..people)
            .filter(|i| !matches!(kind_of(spec, *i), Kind::Extra))
            .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_elector_indexes_are_plain_electors_in_order() {
        let spec = Spec {
            istat: "058091".into(),
            nome: "ROMA".into(),
            sigla: "RM".into(),
            catastale: "H501".into(),
            electors: 10,
            seed: 1,
            gzip: false,
        };
        let mut last = None;
        for n in 0..5000 {
            let i = plain_elector_index(n);
            assert!(
                matches!(kind_of(&spec, i), Kind::Elector),
                "{n} -> {i} is not a plain elector"
            );
            assert!(last.is_none_or(|l| l < i), "{n}: not increasing");
            last = Some(i);
        }
        assert_eq!(plain_elector_index(0), 27);
        assert_eq!(plain_elector_index(973), 1027);
    }
}
