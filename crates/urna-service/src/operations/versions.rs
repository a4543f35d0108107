//! 7003 `elenco_versioni`: the interface versions (`codDestinatario`) this
//! server accepts, from the same policy the header rules check
//! (`HeaderPolicy::accepted_versions`); the current one is the newest.

use urna_domain::header::RequestHeader;
use urna_domain::{Anomaly, Code};
use urna_store::AnyConnection;
use urna_wire::messages::Outcome;
use urna_wire::tables::{tipo_versioni, Version, VersionsReply};
use urna_wire::{Element, Operation};

use super::{Context, Decision, ServiceOperation, Stamp};
use crate::ServiceError;

pub(crate) struct Versions;

/// The ANPR release each tag came with (docs/anpr-interface.md, "Version
/// tags"), and its label. `DataInizio` is the day urna began serving the
/// electoral interface under any of them.
fn describe(tag: &str) -> Option<Version> {
    let (major, label) = match tag {
        "ANPR03" => (6, "liste elettorali"),
        "ANPR04" => (7, "tipo atto ANSC"),
        "ANPR05" => (
            8,
            "identificativo unico nazionale; ricerche limitate a 180 giorni",
        ),
        _ => return None,
    };
    Some(Version {
        cod_destinatario: tag.to_string(),
        major,
        minor: 0,
        patch: 0,
        label: label.to_string(),
        since: "2026-11-25".to_string(),
    })
}

impl ServiceOperation for Versions {
    const OPERATION: Operation = Operation::Versioni7003;
    /// `tipoVersioni`: 1 (or absent) the current version, 2 every one.
    type Request = Option<String>;
    type Change = VersionsReply;

    fn extract(payload: &Element, _: &RequestHeader) -> Result<Option<String>, ServiceError> {
        Ok(tipo_versioni(payload))
    }

    fn plan(
        ctx: &mut Context<'_>,
        tipo: Option<String>,
    ) -> Result<Decision<VersionsReply>, ServiceError> {
        let all = match tipo.as_deref() {
            None | Some("1") => false,
            Some("2") => true,
            Some(other) => {
                return Ok(Err(vec![Anomaly::new(
                    Code::EN148,
                    format!("tipoVersioni {other} non previsto (1 versione corrente, 2 tutte le versioni supportate)"),
                )
                .field("tipoVersioni")
                .value(other)]))
            }
        };
        let served: Vec<Version> = ctx
            .policy
            .accepted_versions
            .iter()
            .filter_map(|t| describe(t))
            .collect();
        let current = served
            .iter()
            .max_by_key(|v| v.major)
            .cloned()
            .ok_or_else(|| ServiceError::Corrupt("no interface version is accepted".into()))?;
        Ok(Ok(VersionsReply {
            current,
            supported: if all { served } else { Vec::new() },
        }))
    }

    fn apply(
        _: &mut AnyConnection,
        reply: VersionsReply,
        _: Stamp,
    ) -> Result<Outcome, ServiceError> {
        Ok(Outcome::Versions(Box::new(reply)))
    }
}
