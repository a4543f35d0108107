//! 6001 (`emissioneCertificato`): issues an electoral certificate, 21
//! (godimento dei diritti politici) or 22 (iscrizione nelle liste
//! elettorali), as a sealed PDF with its contrassegno (the rules live in
//! `urna_domain::certificate`, the document in `urna-cert`).
//!
//! Any comune may issue for any elector. A preview (`emissione` 3) is
//! neither stored nor numbered, and its retry returns no PDF; an issued
//! certificate is kept until it expires and its retry returns it again.

use std::sync::Arc;

use time::OffsetDateTime;
use urna_domain::certificate::{
    certify, check_request, identify, Asked, CertificateType, Certified, Emission, Found,
    Generalita, Holder, Language, ListStated, Request6001, USO_ELETTORALE,
};
use urna_domain::elector::ElectorState;
use urna_domain::header::{parse_xs_date, RequestHeader};
use urna_domain::section::SenderComune;
use urna_store::certificates::{self, CertificateRow};
use urna_store::subjects::SubjectRow;
use urna_store::{comuni, electors, sections, subjects, AnyConnection, StoreError};
use urna_wire::certificate::{request_6001, seat_address, CertificateReply};
use urna_wire::messages::{self, Outcome, ResponseMeta};
use urna_wire::{Element, Operation};

use super::{Context, Decision, Reply, ServiceOperation, Stamp};
use crate::certificates::CertificateIssuer;
use crate::ServiceError;

pub(crate) struct CertificateIssue;

/// A certificate the rules allow, with everything its document prints.
pub(crate) struct Change {
    issuer: Arc<CertificateIssuer>,
    asked: Asked,
    request: Request6001,
    holder: Holder,
    holder_row: SubjectRow,
    certified: Certified,
    list_comune: urna_cert::Comune,
    /// Whether the comune of the list has a second official language.
    second_language: Option<Language>,
    section: Option<urna_cert::Section>,
    sender: SenderComune,
    now: OffsetDateTime,
}

impl ServiceOperation for CertificateIssue {
    const OPERATION: Operation = Operation::Certificato6001;
    type Request = Request6001;
    type Change = Change;

    fn extract(payload: &Element, _: &RequestHeader) -> Result<Request6001, ServiceError> {
        Ok(request_6001(payload))
    }

    fn plan(ctx: &mut Context<'_>, request: Request6001) -> Result<Decision<Change>, ServiceError> {
        let Some(issuer) = ctx.certificates.clone() else {
            return Err(ServiceError::Certificate(
                "this server issues no certificates: no seal is configured ([certificates])".into(),
            ));
        };
        let today = ctx.now.date();
        let asked = match check_request(&request, today) {
            Ok(a) => a,
            Err(e) => return Ok(Err(e)),
        };
        let conn = &mut *ctx.conn;
        let rows = find_holder(conn, &request.holder)?;
        let found = match rows.len() {
            0 => Found::None,
            1 => Found::One(Box::new(holder_of(&rows[0]))),
            n => Found::Many(n),
        };
        let holder = match identify(&request.holder, found, today) {
            Ok(h) => h,
            Err(e) => return Ok(Err(e)),
        };
        let holder_row = rows.into_iter().next().expect("one subject identified");
        let state: ElectorState = electors::get(conn, &holder.id_anpr)?;
        let certified = match certify(asked.kind, &holder, &state) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let today_s = today.to_string();
        let comune = comuni::active(conn, &certified.comune, &today_s)?.ok_or_else(|| {
            ServiceError::Corrupt(format!(
                "the list of subject {} names comune {}, not active today",
                holder.id_anpr, certified.comune
            ))
        })?;
        let section = match sections::get(conn, &certified.comune, &certified.sezione)? {
            Some(row) if asked.kind == CertificateType::Iscrizione => Some(urna_cert::Section {
                number: certified.sezione.clone(),
                seat_name: row.denominazione.clone(),
                seat_address: seat_address(&row.payload),
            }),
            _ => None,
        };
        let second_language = comune
            .altro_nome
            .as_ref()
            .filter(|n| !n.trim().is_empty())
            .and_then(|_| Language::of_province(&comune.sigla));
        Ok(Ok(Change {
            issuer,
            asked,
            request,
            holder,
            holder_row,
            certified,
            list_comune: urna_cert::Comune {
                name: match &comune.altro_nome {
                    Some(other) if !other.trim().is_empty() => format!("{}/{}", comune.nome, other),
                    _ => comune.nome.clone(),
                },
                province: comune.sigla.clone(),
            },
            second_language,
            section,
            sender: ctx.sender.clone(),
            now: ctx.now,
        }))
    }

    fn apply(conn: &mut AnyConnection, c: Change, stamp: Stamp) -> Result<Outcome, ServiceError> {
        let preview = c.asked.emission == Emission::Preview;
        let languages = languages(&c.asked, c.second_language);
        let protocol = (!preview).then(|| stamp.id_operazione_anpr.to_string());
        let (id, code) = (random_id(), short_code());
        let doc = document(&c, languages, protocol.clone(), &id, &code, preview);
        let pdf = c.issuer.issue(&doc)?;
        if !preview {
            certificates::insert(
                conn,
                &CertificateRow {
                    id,
                    code,
                    comune_istat: c.sender.istat.clone(),
                    id_soggetto: c.holder.id_anpr.clone(),
                    tipo: i32::from(c.asked.kind.code()),
                    operation_id: stamp.id_operazione_anpr,
                    issued_at: stamp.received_at,
                    expires_at: stamp.received_at + c.issuer.validity.whole_milliseconds() as i64,
                    languages: language_codes(languages).join(","),
                    pdf: pdf.clone(),
                },
            )?;
        }
        Ok(Outcome::Certificate(Box::new(CertificateReply {
            languages: language_codes(languages),
            kind: c.asked.kind.code(),
            protocol,
            control: c.request.control,
            pdf: Some(pdf),
        })))
    }

    /// The reply is remembered without the PDF: an issued certificate is
    /// kept in the certificate store (and deleted from it when it expires,
    /// so no copy outlives it), a preview is not kept at all.
    fn remembered_reply(
        header: &RequestHeader,
        meta: &ResponseMeta,
        outcome: &Outcome,
    ) -> Option<String> {
        match outcome {
            Outcome::Certificate(r) if r.pdf.is_some() => {
                let mut kept = (**r).clone();
                kept.pdf = None;
                Some(messages::write_response(
                    Self::OPERATION,
                    header,
                    meta,
                    &Outcome::Certificate(Box::new(kept)),
                ))
            }
            _ => None,
        }
    }

    /// A retry gets the certificate again from the store while it is kept;
    /// a preview's retry, or one after the certificate expired, the reply
    /// without it.
    fn replayed(
        conn: &mut AnyConnection,
        remembered: String,
        operation_id: i64,
    ) -> Result<Reply, ServiceError> {
        Ok(Reply::body(
            match certificates::by_operation(conn, operation_id)? {
                Some(c) => {
                    urna_wire::certificate::with_pdf(&remembered, &c.pdf).unwrap_or(remembered)
                }
                None => remembered,
            },
        ))
    }
}

/// The subjects the holder's search keys name: idSchedaSoggettoANPR, else
/// the codice fiscale, else surname, name and birth date.
pub(crate) fn find_holder(
    conn: &mut AnyConnection,
    g: &Generalita,
) -> Result<Vec<SubjectRow>, StoreError> {
    if let Some(id) = &g.id_anpr {
        return Ok(subjects::get(conn, id)?.into_iter().collect());
    }
    if let Some(cf) = &g.codice_fiscale {
        return subjects::by_codice_fiscale(conn, cf);
    }
    match (&g.cognome, &g.nome, g.data_nascita) {
        (Some(cognome), Some(nome), Some(born)) => {
            subjects::by_names(conn, cognome, nome, &born.to_string())
        }
        _ => Ok(Vec::new()),
    }
}

pub(crate) fn holder_of(s: &SubjectRow) -> Holder {
    let f = s.facts();
    Holder {
        id_anpr: s.id_soggetto.clone(),
        codice_fiscale: s.codice_fiscale.clone(),
        cognome: s.cognome.clone(),
        nome: s.nome.clone(),
        sesso: s.sesso.clone(),
        data_nascita: parse_xs_date(&s.data_nascita),
        citizenship: f.citizenship,
        cancelled_from_anpr: f.cancelled_from_anpr,
    }
}

/// The language set: the one the request names, else the comune's.
fn languages(asked: &Asked, comune: Option<Language>) -> urna_cert::Languages {
    let second = asked.languages.first().copied().or(comune);
    match second {
        Some(Language::De) => urna_cert::Languages::ItDe,
        Some(Language::Fr) => urna_cert::Languages::ItFr,
        Some(Language::Sl) => urna_cert::Languages::ItSl,
        Some(Language::It) | None => urna_cert::Languages::It,
    }
}

fn language_codes(l: urna_cert::Languages) -> Vec<String> {
    std::iter::once("IT")
        .chain(l.second().map(|s| s.code()))
        .map(str::to_string)
        .collect()
}

fn document(
    c: &Change,
    languages: urna_cert::Languages,
    protocol: Option<String>,
    id: &str,
    code: &str,
    preview: bool,
) -> urna_cert::CertificateDoc {
    let h = &c.holder_row;
    urna_cert::CertificateDoc {
        kind: c.asked.kind,
        languages,
        preview,
        holder: urna_cert::Holder {
            surname: h.cognome.clone(),
            name: h.nome.clone(),
            sex: if h.sesso.eq_ignore_ascii_case("F") {
                urna_cert::Sex::F
            } else {
                urna_cert::Sex::M
            },
            birth_date: c.holder.data_nascita.unwrap_or(time::Date::MIN),
            birth_place: h.luogo_nascita.clone(),
            codice_fiscale: h.codice_fiscale.clone(),
        },
        electoral: urna_cert::ElectoralData {
            comune: c.list_comune.clone(),
            lists: c
                .certified
                .lists
                .iter()
                .map(|l| match l {
                    ListStated::Generale => urna_cert::ElectoralList::General,
                    ListStated::AggiuntaUeComunali => urna_cert::ElectoralList::EuMunicipal,
                    ListStated::AggiuntaUeParlamento => urna_cert::ElectoralList::EuParliament,
                })
                .collect(),
            section: c.section.clone(),
        },
        issuer: urna_cert::Issuer {
            comune: urna_cert::Comune {
                name: c.sender.nome.clone(),
                province: c.sender.sigla.clone(),
            },
            officer_surname: c.request.control.officer_cognome.clone(),
            officer_name: c.request.control.officer_nome.clone(),
            signatory: c.asked.signatory,
        },
        exemption: USO_ELETTORALE.into(),
        issued_at: c.now,
        protocol,
        annotations: c.request.control.annotazioni.clone(),
        contrassegno: (!preview).then(|| urna_cert::Contrassegno {
            url: c.issuer.verify_url(id),
            code: code.to_string(),
        }),
    }
}

/// 128 random bits, hex: the certificate's id in the contrassegno's URL.
fn random_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// A short code printed beside the QR for typing in: 12 characters of
/// Crockford's base32 (no I, L, O, U) in groups of four, 60 random bits.
fn short_code() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bits: u64 = rand::random();
    let chars: Vec<char> = (0..12)
        .map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use urna_domain::elector::Citizenship;

    #[test]
    fn ids_are_128_bit_hex_and_codes_readable() {
        let id = random_id();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(random_id(), id);
        let code = short_code();
        assert_eq!(code.len(), 14, "{code}");
        assert!(code
            .chars()
            .all(|c| c == '-' || (c.is_ascii_alphanumeric() && !"ILOU".contains(c))));
    }

    #[test]
    fn languages_follow_the_request_then_the_comune() {
        let asked = |languages: Vec<Language>| Asked {
            kind: CertificateType::Iscrizione,
            emission: Emission::Counter,
            signatory: urna_domain::certificate::Signatory::Mayor,
            languages,
        };
        assert_eq!(languages(&asked(vec![]), None), urna_cert::Languages::It);
        assert_eq!(
            languages(&asked(vec![]), Some(Language::De)),
            urna_cert::Languages::ItDe
        );
        assert_eq!(
            languages(&asked(vec![Language::Sl]), Some(Language::De)),
            urna_cert::Languages::ItSl
        );
        assert_eq!(language_codes(urna_cert::Languages::ItFr), ["IT", "FR"]);
    }

    #[test]
    fn citizenship_is_read_for_eu_lists() {
        let row = SubjectRow {
            id_soggetto: "1".into(),
            codice_fiscale: "X".into(),
            cognome: "A".into(),
            nome: "B".into(),
            sesso: "F".into(),
            data_nascita: "1990-02-03".into(),
            luogo_nascita: "F205".into(),
            cittadinanza: "UE".into(),
            comune_residenza: None,
            aire: 0,
            certificabile_anagrafe: None,
            cancellato_anpr: 0,
        };
        let h = holder_of(&row);
        assert_eq!(h.citizenship, Citizenship::OtherEu);
        assert_eq!(h.data_nascita, parse_xs_date("1990-02-03"));
    }
}
