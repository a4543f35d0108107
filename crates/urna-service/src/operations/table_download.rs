//! 7001 `scarica_tabelle`: a decode table as a ZIP archive holding its CSV
//! (docs/tables.md). The code tables come from the rules' own definitions
//! (`urna_domain::tables`); the constituency values (906) are the sender's,
//! read as the 5011 rules read them.

use std::io::Write;

use urna_domain::header::RequestHeader;
use urna_domain::tables::{self, Table, CONSTITUENCIES};
use urna_domain::{Anomaly, Code};
use urna_store::{constituencies, AnyConnection};
use urna_wire::messages::Outcome;
use urna_wire::tables::{id_tabella, TableReply};
use urna_wire::{Element, Operation};

use super::{Context, Decision, ServiceOperation, Stamp};
use crate::ServiceError;

pub(crate) struct TableDownload;

impl ServiceOperation for TableDownload {
    const OPERATION: Operation = Operation::Tabelle7001;
    type Request = String;
    type Change = TableReply;

    fn extract(payload: &Element, _: &RequestHeader) -> Result<String, ServiceError> {
        Ok(id_tabella(payload))
    }

    fn plan(ctx: &mut Context<'_>, id: String) -> Result<Decision<TableReply>, ServiceError> {
        let table = match id.parse::<u16>() {
            Ok(CONSTITUENCIES) => Some(Table {
                id: CONSTITUENCIES,
                name: "LISTA_TAB_COLLEGI",
                columns: &["TIPO", "CODICE_ISTAT", "VALORE"],
                rows: constituencies::rows_for_comune(ctx.conn, &ctx.sender.istat)?
                    .into_iter()
                    .map(|e| vec![e.kind, e.comune_istat, e.value])
                    .collect(),
            }),
            Ok(n) => tables::get(n),
            Err(_) => None,
        };
        let Some(table) = table else {
            let served: Vec<String> = tables::all()
                .iter()
                .map(|t| t.id)
                .chain([CONSTITUENCIES])
                .map(|n| format!("{n:03}"))
                .collect();
            return Ok(Err(vec![Anomaly::new(
                Code::EN189,
                format!(
                    "tabella {id} non disponibile; tabelle disponibili: {}",
                    served.join(", ")
                ),
            )
            .field("idTabella")
            .value(&id)]));
        };
        Ok(Ok(TableReply {
            id_tabella: id,
            xml_file: zipped(&table).map_err(|e| ServiceError::Corrupt(e.to_string()))?,
        }))
    }

    fn apply(_: &mut AnyConnection, reply: TableReply, _: Stamp) -> Result<Outcome, ServiceError> {
        Ok(Outcome::Table(Box::new(reply)))
    }
}

/// The table's CSV in a ZIP archive, as `<NAME>.csv` (deflated, dated
/// 1980-01-01: the same table gives the same bytes).
fn zipped(table: &Table) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        format!("{}.csv", table.name),
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )?;
    zip.write_all(table.csv().as_bytes())?;
    Ok(zip.finish()?.into_inner())
}
