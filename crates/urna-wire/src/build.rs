//! Client-side request builders (what a gestionale sends): used by urna's
//! tests, the load generator and the conformance runner.

use crate::ns;
use crate::tree::Element;
use crate::xml::Out;

/// The values of `testataRichiesta` a caller usually varies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Testata {
    pub id_operazione_comune: String,
    pub cod_mittente: String,
    pub cod_destinatario: String,
    pub operazione_richiesta: String,
    pub data_ora_richiesta: String,
    pub tipo_operazione: String,
    pub tipo_invio: String,
    pub data_decorrenza: Option<String>,
}

impl Testata {
    /// A header for `op` from `istat`, dated `data_ora` (xs:dateTime) with the
    /// effective date of the same day.
    pub fn new(id: &str, istat: &str, op: &str, data_ora: &str) -> Self {
        Testata {
            id_operazione_comune: id.into(),
            cod_mittente: istat.into(),
            cod_destinatario: "ANPR05".into(),
            operazione_richiesta: op.into(),
            data_ora_richiesta: data_ora.into(),
            tipo_operazione: "V".into(),
            tipo_invio: "TEST".into(),
            data_decorrenza: data_ora.get(..10).map(Into::into),
        }
    }

    fn write(&self, o: &mut Out) {
        o.open("testataRichiesta")
            .leaf("idOperazioneComune", &self.id_operazione_comune)
            .leaf("codMittente", &self.cod_mittente)
            .leaf("codDestinatario", &self.cod_destinatario)
            .leaf("operazioneRichiesta", &self.operazione_richiesta)
            .leaf("dataOraRichiesta", &self.data_ora_richiesta)
            .leaf("tipoOperazione", &self.tipo_operazione)
            .leaf("tipoInvio", &self.tipo_invio)
            .opt_leaf("dataDecorrenza", self.data_decorrenza.as_deref())
            .close("testataRichiesta");
    }
}

/// A `tipoComuneRichiesta`.
pub fn comune(nome: &str, istat: &str, sigla: &str) -> Element {
    Element::new("comune")
        .with_child(Element::leaf("nomeComune", nome))
        .with_child(Element::leaf("codiceIstat", istat))
        .with_child(Element::leaf("siglaProvinciaIstat", sigla))
}

fn envelope_of(
    root: &str,
    prefix: &str,
    uri: &str,
    t: &Testata,
    rest: impl FnOnce(&mut Out),
) -> String {
    let mut o = Out::with_capacity(2048);
    let q = format!("{prefix}:{root}");
    o.open_ns(&q, prefix, uri);
    t.write(&mut o);
    rest(&mut o);
    o.close(&q);
    crate::envelope::envelope(&o.0)
}

/// A 5011 request (SOAP envelope) for `sezione`.
pub fn richiesta5011(t: &Testata, sezione: &Element) -> String {
    envelope_of("Richiesta5011", "m5", ns::M5, t, |o| {
        sezione.write_into(&mut o.0)
    })
}

/// A 2012 request deleting section `numero` of `comune`.
pub fn richiesta2012(t: &Testata, comune: &Element, numero: &str) -> String {
    envelope_of("Richiesta2012", "c2", ns::C2, t, |o| {
        o.open("datiSezione");
        comune.write_into(&mut o.0);
        o.leaf("sezioneelettoralenum", numero).close("datiSezione");
    })
}

/// A 3008 request: `tipo` "1" with a number, or "2" for all sections.
pub fn richiesta3008(t: &Testata, comune: &Element, numero: Option<&str>, tipo: &str) -> String {
    envelope_of("Richiesta3008", "c3", ns::C3, t, |o| {
        o.open("parametriRicerca3008");
        comune.write_into(&mut o.0);
        o.opt_leaf("sezioneelettoralenum", numero)
            .leaf("tipoRichiesta", tipo)
            .close("parametriRicerca3008");
    })
}

/// A legacy registry request urna refuses (5008, 1002, A002: `op`), its
/// header followed by `body`, in the operation's own namespace.
pub fn richiesta_legacy(op: crate::Operation, t: &Testata, body: &[Element]) -> String {
    envelope_of(op.request_element(), "x", op.request_ns(), t, |o| {
        for e in body {
            e.write_into(&mut o.0);
        }
    })
}

/// A request of the 7001 port (7001, 7002, 7003): its header and
/// `datiRichiesta` with `dati` inside.
pub fn richiesta7000(op: crate::Operation, t: &Testata, dati: &[Element]) -> String {
    envelope_of(op.request_element(), "t7", ns::T7, t, |o| {
        o.open("datiRichiesta");
        for e in dati {
            e.write_into(&mut o.0);
        }
        o.close("datiRichiesta");
    })
}

/// A 3003 request: `search` is the one search element
/// (`ricercaSingolaRichiesta`, `ricercaElenchiRichieste` or
/// `parametriRicercaSoggetto`), `page` the page asked for.
pub fn richiesta3003(t: &Testata, search: &Element, page: Option<u64>) -> String {
    envelope_of("Richiesta3003", "c3", ns::C3, t, |o| {
        search.write_into(&mut o.0);
        o.opt_leaf("numeroPagina", page.map(|p| p.to_string()).as_deref());
    })
}

/// A 3002 request: `criteria` are the children of `criteriRicerca` in
/// schema order, `born` the birth date searched by, `requested` the codes of
/// `datiAnagraficiRichiesti` (18 for the electoral data).
pub fn richiesta3002(
    t: &Testata,
    criteria: &[Element],
    born: Option<&str>,
    requested: &[&str],
) -> String {
    envelope_of("Richiesta3002", "c3", ns::C3, t, |o| {
        o.open("criteriRicerca");
        for c in criteria {
            c.write_into(&mut o.0);
        }
        o.close("criteriRicerca");
        if let Some(b) = born {
            o.open("datiNascita")
                .leaf("dataEvento", b)
                .close("datiNascita");
        }
        o.open("datiRichiesta")
            .leaf("schedaAnagraficaRichiesta", "1")
            .leaf(
                "dataRiferimentoRichiesta",
                t.data_ora_richiesta.get(..10).unwrap_or_default(),
            );
        for r in requested {
            o.leaf("datiAnagraficiRichiesti", r);
        }
        o.close("datiRichiesta");
    })
}

/// A 5010 request (SOAP envelope): `body` holds the elements after the header
/// (`idSoggetto`, `liste`, `certificabilita`, `cancellazione`,
/// `tipoRevisione`, `datiControllo`), in schema order.
pub fn richiesta5010(t: &Testata, body: &[Element]) -> String {
    envelope_of("Richiesta5010", "m5", ns::M5, t, |o| {
        for e in body {
            e.write_into(&mut o.0);
        }
    })
}

/// A 5010 `liste` block for an elector (`elettore` S) in the general list of
/// `comune`, section `sezione`, with every consultation flag S (except
/// `circoscrizionali`) and the given circumscriptions.
pub fn liste_generale(
    comune: &Element,
    sezione: &str,
    circ_senato: &str,
    circ_camera: &str,
) -> Element {
    let mut l = Element::new("liste")
        .with_child(Element::leaf("elettore", "S"))
        .with_child(
            Element::new("listaGenerale")
                .with_child(comune.clone())
                .with_child(Element::leaf("sezioneelettoralenum", sezione)),
        );
    for (n, v) in [
        ("referendumnazionali", "S"),
        ("elezionimembriue", "S"),
        ("senatorepubblica", "S"),
        ("circoscrsenatorepubblica", circ_senato),
        ("cameradeputati", "S"),
        ("circoscrcameradeputati", circ_camera),
        ("regionali", "S"),
        ("comunali", "S"),
        ("circoscrizionali", "N"),
    ] {
        l = l.with_child(Element::leaf(n, v));
    }
    l
}

/// A 6001 request (SOAP envelope): `body` holds the elements after the header
/// (`linguaCertificato`, `listaTipiCertificati`, `generalitaRichiedente`,
/// `soggettoIntestatario`, `datiControllo`), in schema order.
pub fn richiesta6001(t: &Testata, body: &[Element]) -> String {
    envelope_of("Richiesta6001", "cert", ns::CERT, t, |o| {
        for e in body {
            e.write_into(&mut o.0);
        }
    })
}

/// `listaTipiCertificati` asking for the `codes`.
pub fn tipi_certificati(codes: &[&str]) -> Element {
    codes
        .iter()
        .fold(Element::new("listaTipiCertificati"), |e, c| {
            e.with_child(Element::leaf("tipoCertificato", *c))
        })
}

/// `soggettoIntestatario` naming the holder by codice fiscale.
pub fn intestatario_cf(codice_fiscale: &str) -> Element {
    Element::new("soggettoIntestatario").with_child(
        Element::new("generalita")
            .with_child(
                Element::new("codiceFiscale")
                    .with_child(Element::leaf("codFiscale", codice_fiscale)),
            )
            .with_child(Element::leaf("senzaCognome", "1"))
            .with_child(Element::leaf("senzaNome", "1")),
    )
}

/// The `datiControllo` of an electoral certificate the holder asks for at
/// the counter (`emissione` 1; 3 is a preview), exempt from stamp duty for
/// electoral use, signed by the mayor.
pub fn dati_controllo_elettorale(emissione: &str) -> Element {
    [
        ("cognomeUffAnagrafe", "BIANCHI"),
        ("nomeUffAnagrafe", "LAURA"),
        ("tipoRichiedente", "2"),
        ("tipoRichiesta", "1"),
        ("paEstera", "0"),
        ("emissione", emissione),
        ("bollo", "0"),
        ("esenzioneDiritti", "1"),
        ("diritti", "0"),
        ("esenzioneBollo", "11"),
    ]
    .into_iter()
    .fold(Element::new("datiControllo"), |e, (n, v)| {
        e.with_child(Element::leaf(n, v))
    })
}
