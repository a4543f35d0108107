//! The batch machinery: requests share one database transaction, each in its
//! own savepoint, and every request runs the same steps whatever its
//! operation (replay key, operator, idempotency, plan, operation record,
//! apply, reply, remembered answer, audit entry).

use time::OffsetDateTime;
use urna_domain::header::RequestHeader;
use urna_domain::ids::IdError;
use urna_domain::Anomaly;
use urna_store::operations::{self, NewOperation, Remembered};
use urna_store::{AnyConnection, StoreError};
use urna_wire::messages::{self, Outcome, ResponseMeta};

use crate::audit::{auth_mode, hex, AuditRecord, Served};
use crate::idempotency::{self, Prior};
use crate::operations::{registered, Stamp};
use crate::{Handled, Request, ServiceError, Services, Settled};
use urna_domain::consultation::Viewer;

/// A request whose identity binding held, with its parsed header and digest.
struct Prepared<'r> {
    index: usize,
    request: &'r Request<'r>,
    header: RequestHeader,
    digest: String,
}

impl Services {
    /// Handles several requests in **one** database transaction, each in its
    /// own savepoint: a refused or failed request rolls back only its own
    /// writes, and the commit (the expensive part on SQLite) is shared. The
    /// requests are applied in order, so a later one sees an earlier one's
    /// effects (e.g. the same idOperazioneComune twice is a replay).
    #[tracing::instrument(skip_all, fields(requests = requests.len()))]
    pub fn handle_batch(&self, requests: &[Request<'_>]) -> Vec<Result<Handled, ServiceError>> {
        let now = self.now();
        self.prune_replay_keys(now);
        let mut results: Vec<Option<Result<Handled, ServiceError>>> =
            (0..requests.len()).map(|_| None).collect();
        // Identity binding and digest first: a mismatch never reaches the database.
        let mut runnable = Vec::with_capacity(requests.len());
        for (index, request) in requests.iter().enumerate() {
            let header = match bind_identity(request) {
                Ok(h) => h,
                Err(e) => {
                    results[index] = Some(Err(e));
                    continue;
                }
            };
            let digest = hex(&messages::request_digest(request.payload));
            runnable.push(Prepared {
                index,
                request,
                header,
                digest,
            });
        }
        // One request in its own savepoint; a concurrent request with the same
        // id may win the race to remember its answer (PostgreSQL), then the
        // retry replays it.
        let run_one = |conn: &mut AnyConnection, p: &Prepared<'_>| {
            let mut run = || urna_store::transaction(conn, |c| self.attempt(c, p, now));
            match run() {
                Err(ServiceError::Store(e)) if e.is_unique_violation() => run(),
                other => other,
            }
        };
        let mut batched = false;
        if runnable.len() > 1 {
            let committed = self.store.write(|conn| {
                let mut audits = Vec::with_capacity(runnable.len());
                for p in &runnable {
                    match run_one(conn, p) {
                        // A storage failure (e.g. a deadlock between concurrent
                        // batches on PostgreSQL) aborts the whole batch at once,
                        // releasing its locks; each request is then retried alone.
                        Err(ServiceError::Store(e)) => return Err(e),
                        Ok((handled, audit)) => {
                            audits.push(audit);
                            results[p.index] = Some(Ok(handled));
                        }
                        Err(other) => results[p.index] = Some(Err(other)),
                    }
                }
                // The audit chain head is the last lock a transaction takes
                // (no lock cycles between batches on PostgreSQL).
                for a in &audits {
                    urna_store::audit::append(conn, &a.entry())?;
                }
                Ok::<(), StoreError>(())
            });
            batched = committed.is_ok();
        }
        if !batched {
            for p in &runnable {
                results[p.index] = Some(self.store.write(|conn| {
                    let (handled, audit) = run_one(conn, p)?;
                    urna_store::audit::append(conn, &audit.entry())?;
                    Ok(handled)
                }));
            }
        }
        results
            .into_iter()
            .map(|r| r.expect("every request settled"))
            .collect()
    }

    /// Every so many batches, forgets replay keys of messages that can no
    /// longer be accepted anyway (their Timestamp expired).
    fn prune_replay_keys(&self, now: OffsetDateTime) {
        const EVERY: u64 = 4096;
        if self
            .batches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            % EVERY
            != EVERY - 1
        {
            return;
        }
        let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
        if let Err(e) = self.store.write(|c| urna_store::replay::prune(c, now_ms)) {
            tracing::warn!(error = %e, "pruning expired replay keys failed; retried later");
        }
    }

    /// One request, inside its savepoint: everything it writes, and the audit
    /// entry to append when the transaction ends.
    fn attempt(
        &self,
        conn: &mut AnyConnection,
        p: &Prepared<'_>,
        now: OffsetDateTime,
    ) -> Result<(Handled, AuditRecord), ServiceError> {
        let Request {
            op,
            payload,
            caller,
            correlation_id,
            auth,
        } = *p.request;
        let header = &p.header;
        let digest = p.digest.as_str();
        // Replay protection first, in the request's own savepoint: a message
        // is accepted once, whatever node of the cluster receives it again.
        // Without a security frame (tools, tests of the layers below it)
        // nothing restricts the view.
        let mut viewer = Viewer::Electoral;
        if let Some(a) = auth {
            if !urna_store::replay::remember(conn, &a.replay_key, a.expires_ms)? {
                return Err(ServiceError::Replay);
            }
            viewer = self.authorise(conn, header.cod_mittente.as_str(), &a.operator, op, now)?;
        }
        let istat = header.cod_mittente.as_str();
        let id_op = header.id_operazione_comune.as_str();
        let received_at = (now.unix_timestamp_nanos() / 1_000_000) as i64;
        let cn = caller.station.cn();
        let operator = auth.map(|a| a.operator.as_str());
        let subject_key = messages::subject_key(op, payload);
        let served = Served {
            at_ms: received_at,
            op,
            comune: istat,
            station: &cn,
            operator,
            request_digest: digest,
        };
        let log = |conn: &mut AnyConnection, outcome: Settled, codes: &[&str]| {
            operations::insert(
                conn,
                &NewOperation {
                    comune_istat: istat,
                    id_operazione_comune: id_op,
                    operation: op.code(),
                    station_cn: &cn,
                    correlation_id,
                    received_at,
                    outcome: outcome.as_str(),
                    codes: &codes.join(","),
                    request_digest: digest,
                    operator,
                    auth_mode: auth_mode(operator.is_some()),
                    subject_key: subject_key.as_deref(),
                },
            )
        };
        let operation = registered(op);
        let (decision, remember) = match idempotency::prior(conn, istat, id_op, op, digest)? {
            Prior::Replay(r) => {
                let id = log(conn, Settled::Replay, &[])?;
                let reply = (operation.replayed)(conn, r.response, r.operation_id)?;
                let audit = served.record(Settled::Replay, id, &reply.body);
                let handled = Handled {
                    body: reply.body,
                    file: reply.file,
                    id_operazione_anpr: id,
                    settled: Settled::Replay,
                    codes: vec![],
                };
                return Ok((handled, audit));
            }
            Prior::Taken(errors) => (Err(errors), false),
            Prior::Fresh => (
                operation.plan(conn, payload, header, now, self, viewer)?,
                true,
            ),
        };
        let (settled, codes) = match &decision {
            Err(errors) => (Settled::Ko, ko_codes(errors)),
            Ok(_) => (Settled::Ok, vec![]),
        };
        let id = log(conn, settled, &codes)?;
        let outcome = match decision {
            Err(mut errors) => {
                errors.push(Anomaly::support_entry(&support_time(now), &id.to_string()));
                Outcome::Ko(errors)
            }
            Ok(apply) => apply(
                conn,
                Stamp {
                    id_operazione_anpr: id,
                    received_at,
                },
            )?,
        };
        let meta = ResponseMeta {
            id_operazione_anpr: id.to_string(),
        };
        let body = (operation.render)(header, &meta, &outcome);
        let audit = served.record(settled, id, &body);
        if remember {
            let kept = (operation.remembered_reply)(header, &meta, &outcome);
            operations::remember(
                conn,
                &Remembered {
                    comune_istat: istat.to_string(),
                    id_operazione_comune: id_op.to_string(),
                    operation: op.code().to_string(),
                    request_digest: digest.to_string(),
                    operation_id: id,
                    response: kept.unwrap_or_else(|| body.clone()),
                    request: Some(messages::request_xml(op, payload)),
                },
            )?;
        }
        let handled = Handled {
            body,
            file: outcome.streamed_file().cloned(),
            id_operazione_anpr: id,
            settled,
            codes,
        };
        Ok((handled, audit))
    }
}

/// The request's header, if its codMittente is the comune of the caller's
/// station certificate.
fn bind_identity(request: &Request<'_>) -> Result<RequestHeader, ServiceError> {
    let station = &request.caller.station;
    let mismatch = |cod_mittente: String| ServiceError::IdentityMismatch {
        cod_mittente,
        cert_istat: station.istat.to_string(),
        cn: station.cn(),
    };
    match messages::parse_header(request.payload) {
        Ok(h) if h.cod_mittente == station.istat => Ok(h),
        Ok(h) => Err(mismatch(h.cod_mittente.to_string())),
        // A codMittente that is no ISTAT code is no certificate's comune either.
        Err(IdError::Istat(cod_mittente)) => Err(mismatch(cod_mittente)),
        Err(e) => Err(ServiceError::Corrupt(format!(
            "a schema-valid header that cannot be read: {e}"
        ))),
    }
}

/// The codes a KO logs: its anomalies and the EN527 support entry it ends with.
fn ko_codes(errors: &[Anomaly]) -> Vec<&'static str> {
    errors
        .iter()
        .map(|e| e.code.wire())
        .chain(["EN527"])
        .collect()
}

/// EN527's date format: `yyyy-MM-dd HH:mm:ss` (UTC).
fn support_time(now: OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    now.format(&f).unwrap_or_default()
}
