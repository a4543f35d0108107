//! The 7001 port: 7001 `scarica_tabelle` (a decode table), 7002
//! `download_file` (the file an asynchronous operation produced) and 7003
//! `elenco_versioni` (the interface versions served); their requests and
//! replies (docs/anpr-interface.md, "7001").

use base64::Engine;
use urna_domain::header::RequestHeader;

use crate::messages::{testata, ResponseMeta, ESITO_OK};
use crate::tree::Element;
use crate::xml::Out;

/// `datiRichiesta/idTabella` of a schema-valid `Richiesta7001`.
pub fn id_tabella(root: &Element) -> String {
    root.child("datiRichiesta")
        .and_then(|d| d.text_of("idTabella"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// `datiRichiesta/idOperazioneANPR` of a schema-valid `Richiesta7002`.
pub fn id_operazione_7002(root: &Element) -> String {
    root.child("datiRichiesta")
        .and_then(|d| d.text_of("idOperazioneANPR"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// `datiRichiesta/tipoVersioni` of a `Richiesta7003`, if sent.
pub fn tipo_versioni(root: &Element) -> Option<String> {
    root.child("datiRichiesta")
        .and_then(|d| d.text_of("tipoVersioni"))
        .map(|t| t.trim().to_string())
}

/// What a `RispostaMultipla7001` carries besides its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReply {
    /// `idTabella`, as asked.
    pub id_tabella: String,
    /// `xmlFile`: the ZIP archive holding the table's file.
    pub xml_file: Vec<u8>,
}

/// What a `RispostaMultipla7002` carries besides its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadReply {
    /// `datiRichiesta/idOperazioneANPR`, echoed.
    pub id_operazione_anpr: String,
    /// `file/contenutoFile`: streamed by the transport (`None`: the file is
    /// no longer kept, and the element is left out).
    pub file: Option<StreamedFile>,
    /// `file/formato`.
    pub format: String,
}

/// A file a reply carries that is too large to hold in memory: the
/// transport streams its base64 (or, with MTOM, its bytes) from disk into
/// the element. Until then the written Body holds [`StreamedFile::placeholder`]
/// in its place, which names the content by its digest, so that the Body
/// as written (audited, remembered) still identifies what was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamedFile {
    pub path: std::path::PathBuf,
    pub bytes: u64,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
}

impl StreamedFile {
    /// The text standing for the content: base64 never holds a `:`, so it
    /// cannot be mistaken for content, and it occurs once in a reply.
    pub fn placeholder(&self) -> String {
        placeholder(&self.sha256)
    }

    /// The SHA-256 (hex) a written Body's placeholder names, if it has one.
    pub fn named_in(body: &str) -> Option<&str> {
        let at = body.find(PLACEHOLDER)? + PLACEHOLDER.len();
        let hex = body.get(at..at + 64)?;
        hex.bytes().all(|b| b.is_ascii_hexdigit()).then_some(hex)
    }

    /// The Body before and after the placeholder.
    pub fn split<'a>(&self, body: &'a str) -> Option<(&'a str, &'a str)> {
        let p = self.placeholder();
        let at = body.find(&p)?;
        Some((&body[..at], &body[at + p.len()..]))
    }

    /// How many bytes the content takes in the reply: its base64, or the
    /// bytes themselves in an MTOM part.
    pub fn base64_len(&self) -> u64 {
        self.bytes.div_ceil(3) * 4
    }
}

const PLACEHOLDER: &str = "urna:file:sha256:";

/// The placeholder of a file whose SHA-256 (hex) is `sha256`.
pub fn placeholder(sha256: &str) -> String {
    format!("{PLACEHOLDER}{sha256}")
}

/// One `tipoAnprVersione`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub cod_destinatario: String,
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    pub label: String,
    /// `DataInizio`, `YYYY-MM-DD`.
    pub since: String,
}

impl Version {
    fn write(&self, o: &mut Out, name: &str) {
        o.open(name)
            .leaf("CodDestinatario", &self.cod_destinatario)
            .leaf(
                "VersioneCompleta",
                &format!("{}.{}.{}", self.major, self.minor, self.patch),
            )
            .leaf("VersioneMajor", &self.major.to_string())
            .leaf("VersioneMinor", &self.minor.to_string())
            .leaf("VersionePatch", &self.patch.to_string())
            .leaf("Etichetta", &self.label)
            .leaf("DataInizio", &self.since)
            .close(name);
    }
}

/// What a `RispostaMultipla7003` carries besides its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionsReply {
    pub current: Version,
    /// Every version served (empty when only the current one was asked).
    pub supported: Vec<Version>,
}

fn base64(o: &mut Out, bytes: &[u8]) {
    base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut o.0);
}

pub(crate) fn write_table(o: &mut Out, req: &RequestHeader, meta: &ResponseMeta, r: &TableReply) {
    o.open("t7:RispostaMultipla7001");
    testata(o, req, meta, ESITO_OK);
    o.open("datiDettaglioRisposta")
        .leaf("idTabella", &r.id_tabella)
        .open("xmlFile");
    base64(o, &r.xml_file);
    o.close("xmlFile").close("datiDettaglioRisposta");
    o.close("t7:RispostaMultipla7001");
}

pub(crate) fn write_download(
    o: &mut Out,
    req: &RequestHeader,
    meta: &ResponseMeta,
    r: &DownloadReply,
) {
    o.open("t7:RispostaMultipla7002");
    testata(o, req, meta, ESITO_OK);
    o.open("datiRichiesta")
        .leaf("idOperazioneANPR", &r.id_operazione_anpr)
        .close("datiRichiesta");
    o.open("file");
    if let Some(f) = &r.file {
        o.open("contenutoFile");
        o.0.push_str(&f.placeholder());
        o.close("contenutoFile");
    }
    o.leaf("formato", &r.format).close("file");
    o.close("t7:RispostaMultipla7002");
}

pub(crate) fn write_versions(
    o: &mut Out,
    req: &RequestHeader,
    meta: &ResponseMeta,
    r: &VersionsReply,
) {
    o.open("t7:RispostaMultipla7003");
    testata(o, req, meta, ESITO_OK);
    o.open("statoVersioni");
    r.current.write(o, "versioneCorrente");
    for v in &r.supported {
        v.write(o, "versioniSupportate");
    }
    o.close("statoVersioni");
    o.close("t7:RispostaMultipla7003");
}
