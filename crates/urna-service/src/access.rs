//! The operator's registration and profile, checked like ANPR's gateway
//! does: by policy, before any rule runs.

use time::OffsetDateTime;
use urna_domain::consultation::Viewer;
use urna_domain::operator::{authorise, Profile, Refusal};
use urna_store::{comuni, AnyConnection};
use urna_wire::Operation;

use crate::{ServiceError, Services};

impl Services {
    /// Whether `operator` may call `op` for `comune`, and with which view of
    /// electoral data (3002): the electoral one for the electoral profile
    /// and for operators the deployment admits without a profile. A comune
    /// that is not active in ANPR has no operators: its requests go on to
    /// get EC090, which says more.
    pub(crate) fn authorise(
        &self,
        conn: &mut AnyConnection,
        comune: &str,
        operator: &str,
        op: Operation,
        now: OffsetDateTime,
    ) -> Result<Viewer, ServiceError> {
        let held = urna_store::operators::profiles(conn, comune, operator)?;
        let viewer = match &held {
            Some(p) if !p.contains(Profile::Elettorale) => Viewer::Registry,
            _ => Viewer::Electoral,
        };
        let refusal = match authorise(held.as_ref(), op.code(), self.allow_unknown_operators) {
            Ok(()) => return Ok(viewer),
            Err(Refusal::Unknown)
                if comuni::active(conn, comune, &now.date().to_string())?.is_none() =>
            {
                return Ok(viewer)
            }
            Err(r) => r,
        };
        Err(match refusal {
            Refusal::Unknown => ServiceError::OperatorUnknown {
                operator: operator.to_string(),
                comune: comune.to_string(),
            },
            Refusal::NotProfiled { required, held } => ServiceError::OperatorNotProfiled {
                operator: operator.to_string(),
                comune: comune.to_string(),
                operation: op.code(),
                required,
                held: held.to_string(),
            },
        })
    }
}
