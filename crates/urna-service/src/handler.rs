use std::borrow::Cow;
use std::sync::Arc;

use crate::view::ReadView;
use time::OffsetDateTime;
use urna_domain::elector::apply_5010;
use urna_domain::header::{check_header, HeaderPolicy, RequestHeader};
use urna_domain::section::{self, DeleteTarget, SectionQuery, SenderComune};
use urna_domain::{Anomaly, Code, StationId};
use urna_store::operations::{self, NewOperation, Remembered};
use urna_store::{
    comuni, constituencies, electors, sections, subjects, AnyConnection, Store, StoreError,
};
use urna_wire::messages::{self, Outcome, ResponseMeta};
use urna_wire::{Element, Operation};

/// Who is calling: the station identity from the TLS client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub station: StationId,
}

/// What the verified security frame established about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    /// The operator's codice fiscale (SAML NameID).
    pub operator: String,
    /// SHA-256 of the message signature: accepted once.
    pub replay_key: String,
    /// Until when the message could be accepted (Unix ms).
    pub expires_ms: i64,
}

/// One request of a batch.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub op: Operation,
    pub payload: &'a Element,
    pub caller: &'a Caller,
    pub correlation_id: &'a str,
    /// `None` when the security frame is not required (tools, tests of the
    /// layers below it).
    pub auth: Option<&'a Authentication>,
}

/// How a request was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Ok,
    Ko,
    /// Same idOperazioneComune and same content: the stored answer, nothing executed.
    Replay,
}

impl Settled {
    pub fn as_str(self) -> &'static str {
        match self {
            Settled::Ok => "OK",
            Settled::Ko => "KO",
            Settled::Replay => "REPLAY",
        }
    }
}

/// The answer to send (the Body child) and what the log needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    pub body: String,
    pub id_operazione_anpr: i64,
    pub settled: Settled,
    pub codes: Vec<&'static str>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// codMittente names another comune than the caller's certificate.
    #[error("codMittente {cod_mittente} differs from the comune {cert_istat} of the station certificate {cn}")]
    IdentityMismatch {
        cod_mittente: String,
        cert_istat: String,
        cn: String,
    },
    /// The same signed message was already accepted (replay protection).
    #[error("this message (its signature) was already accepted; sign every request anew")]
    Replay,
    /// The SAML operator is not registered for the comune.
    #[error("operator {operator} is not registered for comune {comune}: register the operator (urna operators add) before calling")]
    OperatorUnknown { operator: String, comune: String },
    /// The operator lacks the profile the operation needs.
    #[error("operator {operator} of comune {comune} has profiles [{held}]; operation {operation} needs the {required} profile (ufficiale elettorale)")]
    OperatorNotProfiled {
        operator: String,
        comune: String,
        operation: &'static str,
        required: urna_domain::operator::Profile,
        held: String,
    },
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// The application services, shared by all workers.
#[derive(Clone)]
pub struct Services {
    store: Arc<Store>,
    policy: HeaderPolicy,
    clock: Arc<dyn Fn() -> OffsetDateTime + Send + Sync>,
    batches: Arc<std::sync::atomic::AtomicU64>,
    /// Serve operators not registered for the comune (local-testing profile).
    allow_unknown_operators: bool,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("store", &self.store)
            .finish()
    }
}

/// What the rules decided, before anything is written.
enum Plan {
    Ko(Vec<Anomaly>),
    Upsert(sections::SectionRow),
    Delete {
        istat: String,
        numero: String,
    },
    Sections(Vec<String>),
    Elector {
        id: String,
        state: Box<urna_domain::elector::ElectorState>,
    },
}

/// An audit entry waiting to be appended: at the end of its request's
/// transaction, or for a refusal ([`Services::refusal`]) by
/// [`Services::audit_refusals`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    at_ms: i64,
    operation: &'static str,
    /// `OK`, `KO`, `REPLAY`, or `FAULT:<reason>`.
    outcome: Cow<'static, str>,
    id_operazione_anpr: Option<i64>,
    comune: Option<String>,
    station: String,
    /// The SAML operator; with one the authentication mode is `wss-saml`.
    operator: Option<String>,
    request_digest: String,
    response_digest: String,
}

impl AuditRecord {
    fn entry(&self) -> urna_store::audit::Entry<'_> {
        urna_store::audit::Entry {
            at_ms: self.at_ms,
            operation: self.operation,
            outcome: &self.outcome,
            id_operazione_anpr: self.id_operazione_anpr,
            comune: self.comune.as_deref(),
            station: &self.station,
            operator: self.operator.as_deref(),
            auth_mode: if self.operator.is_some() {
                "wss-saml"
            } else {
                "tls"
            },
            request_digest: &self.request_digest,
            response_digest: &self.response_digest,
        }
    }
}

/// A refusal that is answered but not remembered (the id belongs to another request).
struct Unremembered(Vec<Anomaly>);

impl Services {
    pub fn new(store: Arc<Store>, policy: HeaderPolicy) -> Self {
        Services {
            store,
            policy,
            clock: Arc::new(OffsetDateTime::now_utc),
            batches: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            allow_unknown_operators: false,
        }
    }

    /// Serves SAML operators not registered for the comune (the
    /// local-testing profile); registered ones still need their profile.
    pub fn allow_unknown_operators(mut self, allow: bool) -> Self {
        self.allow_unknown_operators = allow;
        self
    }

    /// Replaces the clock (tests).
    pub fn with_clock(
        mut self,
        clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
    ) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The shared store (for background jobs).
    pub fn store_arc(&self) -> Arc<Store> {
        self.store.clone()
    }

    /// Whether `istat` may upload a takeover file of `kind` today: `Ok` or
    /// the refusal (R-T1, R-T2, R-T5, an inactive comune).
    #[tracing::instrument(skip(self), fields(kind = kind.key()))]
    pub fn subentro_admissible(
        &self,
        istat: &str,
        kind: crate::subentro::FileKind,
    ) -> Result<(), crate::subentro::SubentroError> {
        let today = (self.clock)().date().to_string();
        self.store
            .read(|c| Ok(crate::subentro::admissible(c, istat, kind, &today)))?
            .map(|_| ())
    }

    /// Loads a takeover file (blocking; see [`crate::subentro::upload`]).
    #[tracing::instrument(skip(self, path), fields(kind = kind.key()))]
    pub fn subentro_upload(
        &self,
        istat: &str,
        kind: crate::subentro::FileKind,
        path: &std::path::Path,
    ) -> Result<crate::subentro::UploadReport, crate::subentro::SubentroError> {
        crate::subentro::upload(&self.store, istat, kind, path, &mut |_| {})
    }

    /// The comune's takeover jobs, sections first.
    #[tracing::instrument(skip(self))]
    pub fn subentro_jobs(&self, istat: &str) -> Result<Vec<urna_store::subentro::Job>, StoreError> {
        self.store.read(|c| {
            let mut v = urna_store::subentro::jobs(c, istat, "sezioni")?;
            v.extend(urna_store::subentro::jobs(c, istat, "liste")?);
            Ok(v)
        })
    }

    /// Handles one dispatched, XSD-valid request.
    pub fn handle(
        &self,
        op: Operation,
        payload: &Element,
        caller: &Caller,
        correlation_id: &str,
    ) -> Result<Handled, ServiceError> {
        let request = Request {
            op,
            payload,
            caller,
            correlation_id,
            auth: None,
        };
        self.handle_batch(std::slice::from_ref(&request))
            .pop()
            .expect("one result per request")
    }

    /// Handles several requests in **one** database transaction, each in its
    /// own savepoint: a refused or failed request rolls back only its own
    /// writes, and the commit (the expensive part on SQLite) is shared. The
    /// requests are applied in order, so a later one sees an earlier one's
    /// effects (e.g. the same idOperazioneComune twice is a replay).
    #[tracing::instrument(skip_all, fields(requests = requests.len()))]
    pub fn handle_batch(&self, requests: &[Request<'_>]) -> Vec<Result<Handled, ServiceError>> {
        let now = (self.clock)();
        self.prune_replay_keys(now);
        // Identity binding and digest first: a mismatch never reaches the database.
        let prepared: Vec<Result<(RequestHeader, String), ServiceError>> = requests
            .iter()
            .map(|r| {
                let header = messages::parse_header(r.payload);
                if header.cod_mittente != r.caller.station.istat.as_str() {
                    return Err(ServiceError::IdentityMismatch {
                        cod_mittente: header.cod_mittente,
                        cert_istat: r.caller.station.istat.to_string(),
                        cn: r.caller.station.cn(),
                    });
                }
                Ok((header, hex(&messages::request_digest(r.payload))))
            })
            .collect();
        let runnable: Vec<(usize, &Request<'_>, &RequestHeader, &str)> = requests
            .iter()
            .zip(&prepared)
            .enumerate()
            .filter_map(|(i, (r, p))| p.as_ref().ok().map(|(h, d)| (i, r, h, d.as_str())))
            .collect();
        // One request in its own savepoint; a concurrent request with the same
        // id may win the race to remember its answer (PostgreSQL), then the
        // retry replays it.
        let run_one =
            |conn: &mut AnyConnection, r: &Request<'_>, header: &RequestHeader, digest: &str| {
                let mut run =
                    || urna_store::transaction(conn, |c| self.attempt(c, r, header, digest, now));
                match run() {
                    Err(ServiceError::Store(e)) if e.is_unique_violation() => run(),
                    other => other,
                }
            };
        let mut results: Vec<Option<Result<Handled, ServiceError>>> =
            (0..requests.len()).map(|_| None).collect();
        let mut batched = false;
        if runnable.len() > 1 {
            let committed = self.store.write(|conn| {
                let mut audits = Vec::with_capacity(runnable.len());
                for &(i, r, header, digest) in &runnable {
                    match run_one(conn, r, header, digest) {
                        // A storage failure (e.g. a deadlock between concurrent
                        // batches on PostgreSQL) aborts the whole batch at once,
                        // releasing its locks; each request is then retried alone.
                        Err(ServiceError::Store(e)) => return Err(e),
                        Ok((handled, audit)) => {
                            audits.push(audit);
                            results[i] = Some(Ok(handled));
                        }
                        Err(other) => results[i] = Some(Err(other)),
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
            for &(i, r, header, digest) in &runnable {
                results[i] = Some(self.store.write(|conn| {
                    let (handled, audit) = run_one(conn, r, header, digest)?;
                    urna_store::audit::append(conn, &audit.entry())?;
                    Ok(handled)
                }));
            }
        }
        prepared
            .into_iter()
            .zip(results)
            .map(|(p, r)| match p {
                Err(e) => Err(e),
                Ok(_) => r.expect("every prepared request ran"),
            })
            .collect()
    }

    /// The audit entry of a request refused before the services ran
    /// (security frame, XSD, dispatch, replay), with its digests computed
    /// here, on the caller's thread; [`Services::audit_refusals`] appends it.
    #[allow(clippy::too_many_arguments)]
    pub fn refusal(
        &self,
        op: Option<Operation>,
        caller: &Caller,
        comune: Option<&str>,
        operator: Option<&str>,
        request: &[u8],
        reason: &str,
        response: &str,
    ) -> AuditRecord {
        let now = (self.clock)();
        AuditRecord {
            at_ms: (now.unix_timestamp_nanos() / 1_000_000) as i64,
            operation: op.map_or("unknown", |o| o.code()),
            outcome: Cow::Owned(format!("FAULT:{reason}")),
            id_operazione_anpr: None,
            comune: comune.map(str::to_string),
            station: caller.station.cn(),
            operator: operator.map(str::to_string),
            request_digest: sha256_hex(request),
            response_digest: sha256_hex(response.as_bytes()),
        }
    }

    /// Appends refusals to the audit log, all in one transaction: the log
    /// keeps refusals too.
    #[tracing::instrument(skip_all, fields(refusals = refusals.len()))]
    pub fn audit_refusals(&self, refusals: &[AuditRecord]) -> Result<(), StoreError> {
        self.store.write(|conn| {
            for r in refusals {
                urna_store::audit::append(conn, &r.entry())?;
            }
            Ok(())
        })
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

    /// The operator's registration and profile (spec §17.3): refused like
    /// ANPR's gateway does, by policy. A comune that is not active in ANPR
    /// has no operators: its requests go on to get EC090, which says more.
    fn authorise(
        &self,
        conn: &mut AnyConnection,
        comune: &str,
        operator: &str,
        op: Operation,
        now: OffsetDateTime,
    ) -> Result<(), ServiceError> {
        use urna_domain::operator::{authorise, Refusal};
        let held = urna_store::operators::profiles(conn, comune, operator)?;
        let refusal = match authorise(held.as_ref(), op.code(), self.allow_unknown_operators) {
            Ok(()) => return Ok(()),
            Err(Refusal::Unknown)
                if comuni::active(conn, comune, &now.date().to_string())?.is_none() =>
            {
                return Ok(())
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

    fn attempt(
        &self,
        conn: &mut AnyConnection,
        request: &Request<'_>,
        header: &RequestHeader,
        digest: &str,
        now: OffsetDateTime,
    ) -> Result<(Handled, AuditRecord), ServiceError> {
        let Request {
            op,
            payload,
            caller,
            correlation_id,
            auth,
        } = *request;
        // Replay protection first, in the request's own savepoint: a message
        // is accepted once, whatever node of the cluster receives it again.
        if let Some(a) = auth {
            if !urna_store::replay::remember(conn, &a.replay_key, a.expires_ms)? {
                return Err(ServiceError::Replay);
            }
            self.authorise(conn, header.cod_mittente.as_str(), &a.operator, op, now)?;
        }
        let istat = header.cod_mittente.as_str();
        let id_op = header.id_operazione_comune.as_str();
        let received_at = (now.unix_timestamp_nanos() / 1_000_000) as i64;
        let cn = caller.station.cn();
        {
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
                        operator: auth.map(|a| a.operator.as_str()),
                        auth_mode: if auth.is_some() { "wss-saml" } else { "tls" },
                    },
                )
            };
            // The audit entry, appended at the end of the same transaction.
            let audit = |outcome: Settled, id: i64, body: &str| AuditRecord {
                at_ms: received_at,
                operation: op.code(),
                outcome: Cow::Borrowed(outcome.as_str()),
                id_operazione_anpr: Some(id),
                comune: Some(istat.to_string()),
                station: cn.clone(),
                operator: auth.map(|a| a.operator.clone()),
                request_digest: digest.to_string(),
                response_digest: sha256_hex(body.as_bytes()),
            };
            // Idempotency (R-H1, R-H2).
            let plan = match operations::remembered(conn, istat, id_op)? {
                Some(r) if r.operation == op.code() && r.request_digest == digest => {
                    let id = log(conn, Settled::Replay, &[])?;
                    let pending = audit(Settled::Replay, id, &r.response);
                    return Ok((
                        Handled {
                            body: r.response,
                            id_operazione_anpr: id,
                            settled: Settled::Replay,
                            codes: vec![],
                        },
                        pending,
                    ));
                }
                Some(r) if r.operation != op.code() => Err(Unremembered(vec![Anomaly::new(
                    Code::EN079,
                    format!(
                        "idOperazioneComune {id_op} gia' utilizzato per il servizio {} (idOperazioneANPR {})",
                        r.operation, r.operation_id
                    ),
                )
                .field("idOperazioneComune")
                .value(id_op)])),
                Some(r) => Err(Unremembered(vec![Anomaly::new(
                    Code::EN148,
                    format!(
                        "idOperazioneComune {id_op} gia' utilizzato per una richiesta {} con contenuto diverso (idOperazioneANPR {}): per una nuova operazione usare un nuovo idOperazioneComune",
                        r.operation, r.operation_id
                    ),
                )
                .field("idOperazioneComune")
                .value(id_op)])),
                None => Ok(self.plan(conn, op, payload, header, now)?),
            };
            let (plan, remember) = match plan {
                Ok(p) => (p, true),
                Err(Unremembered(errors)) => (Plan::Ko(errors), false),
            };
            let (settled, codes) = match &plan {
                Plan::Ko(errs) => (
                    Settled::Ko,
                    errs.iter()
                        .map(|e| e.code.wire())
                        .chain(["EN527"])
                        .collect(),
                ),
                _ => (Settled::Ok, vec![]),
            };
            let id = log(conn, settled, &codes)?;
            let outcome = match plan {
                Plan::Ko(mut errs) => {
                    errs.push(Anomaly::support_entry(&support_time(now), &id.to_string()));
                    Outcome::Ko(errs)
                }
                Plan::Upsert(mut row) => {
                    row.last_operation = id;
                    sections::upsert(conn, &row)?;
                    Outcome::Done { warnings: vec![] }
                }
                Plan::Delete { istat, numero } => {
                    sections::delete(conn, &istat, &numero)?;
                    Outcome::Done { warnings: vec![] }
                }
                Plan::Sections(s) => Outcome::Sections(s),
                Plan::Elector { id: subject, state } => {
                    electors::put(
                        conn,
                        &electors::ElectorRow::from_state(&subject, &state, id, received_at),
                    )?;
                    Outcome::Done { warnings: vec![] }
                }
            };
            let body = messages::write_response(
                op,
                header,
                &ResponseMeta {
                    id_operazione_anpr: id.to_string(),
                },
                &outcome,
            );
            let pending = audit(settled, id, &body);
            if remember {
                operations::remember(
                    conn,
                    &Remembered {
                        comune_istat: istat.to_string(),
                        id_operazione_comune: id_op.to_string(),
                        operation: op.code().to_string(),
                        request_digest: digest.to_string(),
                        operation_id: id,
                        response: body.clone(),
                    },
                )?;
            }
            Ok((
                Handled {
                    body,
                    id_operazione_anpr: id,
                    settled,
                    codes,
                },
                pending,
            ))
        }
    }

    /// Evaluates header and business rules; reads only.
    fn plan(
        &self,
        conn: &mut AnyConnection,
        op: Operation,
        payload: &Element,
        header: &RequestHeader,
        now: OffsetDateTime,
    ) -> Result<Plan, ServiceError> {
        let today = now.date().to_string();
        let Some(comune) = comuni::active(conn, &header.cod_mittente, &today)? else {
            return Ok(Plan::Ko(vec![Anomaly::new(
                Code::EC090,
                format!(
                    "codMittente {} non e' un comune attivo alla data {today}",
                    header.cod_mittente
                ),
            )
            .field("codMittente")
            .value(&header.cod_mittente)]));
        };
        let errors = check_header(header, op.code(), op.is_registration(), now, &self.policy);
        if !errors.is_empty() {
            return Ok(Plan::Ko(errors));
        }
        let sender = SenderComune {
            istat: comune.istat.clone(),
            nome: comune.nome.clone(),
            sigla: comune.sigla.clone(),
        };
        match op {
            Operation::Mutazione5011 => self.plan_5011(conn, payload, &sender, now),
            Operation::Cancellazione2012 => plan_2012(conn, payload, &sender),
            Operation::Consultazione3008 => plan_3008(conn, payload, &sender),
            Operation::Mutazione5010 => plan_5010(conn, payload, header, &sender, &today),
        }
    }

    fn plan_5011(
        &self,
        conn: &mut AnyConnection,
        payload: &Element,
        sender: &SenderComune,
        now: OffsetDateTime,
    ) -> Result<Plan, ServiceError> {
        let Some(sezione) = payload.child("sezione") else {
            return Err(ServiceError::Corrupt(
                "schema-valid 5011 without sezione".into(),
            ));
        };
        let input = messages::section_input(sezione);
        let table = constituencies::for_comune(conn, &sender.istat)?;
        let errors = section::check_upsert(sender, &input, &table);
        if !errors.is_empty() {
            return Ok(Plan::Ko(errors));
        }
        let numero = input.number.unwrap_or_default();
        let stored = with_owner(sezione, sender);
        Ok(Plan::Upsert(sections::SectionRow {
            comune_istat: sender.istat.clone(),
            numero,
            denominazione: input.name,
            payload: stored.inner_xml(),
            updated_at: (now.unix_timestamp_nanos() / 1_000_000) as i64,
            last_operation: 0,
        }))
    }
}

fn plan_5010(
    conn: &mut AnyConnection,
    payload: &Element,
    header: &RequestHeader,
    sender: &SenderComune,
    today: &str,
) -> Result<Plan, ServiceError> {
    let m = messages::mutation_5010(
        payload,
        header.data_decorrenza.as_deref().unwrap_or_default(),
    );
    let subject = subjects::get(conn, &m.id_soggetto)?.map(|s| s.facts());
    let current = electors::get(conn, &m.id_soggetto)?;
    // Sections of the sender named by the request.
    let mut named: Vec<&str> = Vec::new();
    if let Some(l) = &m.liste {
        named.extend(l.generale.as_ref().map(|g| g.sezione.as_str()));
        if let Some(u) = &l.ue {
            named.extend(u.comunali_list.as_ref().map(|g| g.sezione.as_str()));
            named.extend(u.parlamento_list.as_ref().map(|g| g.sezione.as_str()));
        }
        if let Some(c) = &l.comreg {
            named.extend(c.list.as_ref().map(|g| g.sezione.as_str()));
        }
    }
    let mut existing = std::collections::HashSet::new();
    for n in named {
        if sections::get(conn, &sender.istat, n)?.is_some() {
            existing.insert(n.to_string());
        }
    }
    // Comuni the messages may name (the sender's was read by `plan`).
    let mut istats: Vec<String> = Vec::new();
    istats.extend(current.general.as_ref().map(|(l, _)| l.comune.clone()));
    istats.extend(current.ue_comunali.as_ref().map(|l| l.comune.clone()));
    istats.extend(current.ue_parlamento.as_ref().map(|l| l.comune.clone()));
    istats.extend(current.comreg.as_ref().map(|(_, l)| l.comune.clone()));
    istats.extend(current.cancelled.as_ref().map(|c| c.comune.clone()));
    istats.extend(current.first_load.clone());
    istats.extend(subject.as_ref().and_then(|s| s.residence.clone()));
    let mut world = ReadView::new(conn, sender, existing)?;
    world.learn_comuni(conn, istats, today)?;
    Ok(
        match apply_5010(sender, subject.as_ref(), &current, &m, &world) {
            Ok(state) => Plan::Elector {
                id: m.id_soggetto,
                state: Box::new(state),
            },
            Err(errors) => Plan::Ko(errors),
        },
    )
}

/// The KO for a 2012/3008 naming another comune than the sender (in
/// `block/comune`), if it does.
fn not_own_comune(block: Option<&Element>, sender: &SenderComune) -> Option<Plan> {
    let requested = block
        .and_then(|b| b.child("comune"))
        .map(messages::comune_ref)
        .unwrap_or_default();
    section::check_own_comune(sender, &requested).map(|e| Plan::Ko(vec![e]))
}

fn plan_2012(
    conn: &mut AnyConnection,
    payload: &Element,
    sender: &SenderComune,
) -> Result<Plan, ServiceError> {
    let dati = payload.child("datiSezione");
    if let Some(ko) = not_own_comune(dati, sender) {
        return Ok(ko);
    }
    let numero = dati
        .and_then(|d| d.text_of("sezioneelettoralenum"))
        .unwrap_or_default()
        .to_string();
    let target = match sections::get(conn, &sender.istat, &numero)? {
        None => DeleteTarget::Missing,
        Some(_) => DeleteTarget::Present {
            referencing_electors: electors::referencing(conn, &sender.istat, &numero)? as u64,
        },
    };
    let errors = section::check_delete(sender, &numero, target);
    if !errors.is_empty() {
        return Ok(Plan::Ko(errors));
    }
    Ok(Plan::Delete {
        istat: sender.istat.clone(),
        numero,
    })
}

fn plan_3008(
    conn: &mut AnyConnection,
    payload: &Element,
    sender: &SenderComune,
) -> Result<Plan, ServiceError> {
    let params = payload.child("parametriRicerca3008");
    if let Some(ko) = not_own_comune(params, sender) {
        return Ok(ko);
    }
    let tipo = params
        .and_then(|p| p.text_of("tipoRichiesta"))
        .unwrap_or_default();
    let number = params.and_then(|p| p.text_of("sezioneelettoralenum"));
    let query = match section::parse_query(tipo, number) {
        Ok(q) => q,
        Err(e) => return Ok(Plan::Ko(vec![e])),
    };
    let rows = match &query {
        SectionQuery::One(n) => sections::get(conn, &sender.istat, n)?.into_iter().collect(),
        SectionQuery::All => sections::list(conn, &sender.istat)?,
    };
    if rows.is_empty() {
        return Ok(Plan::Ko(vec![section::nothing_found(&query)]));
    }
    Ok(Plan::Sections(
        rows.into_iter().map(|r| r.payload).collect(),
    ))
}

/// The section as stored and returned by 3008: with its owning comune filled
/// in when the request left the optional `comune` out.
pub(crate) fn with_owner(sezione: &Element, sender: &SenderComune) -> Element {
    let mut s = sezione.clone();
    s.ns = None;
    s.name = "sezione".into();
    if s.child("comune").is_none() {
        let comune = Element::new("comune")
            .with_child(Element::leaf("nomeComune", &sender.nome))
            .with_child(Element::leaf("codiceIstat", &sender.istat))
            .with_child(Element::leaf("siglaProvinciaIstat", &sender.sigla));
        s.children.insert(0, comune);
    }
    s
}

/// EN527's date format: `yyyy-MM-dd HH:mm:ss` (UTC).
fn support_time(now: OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    now.format(&f).unwrap_or_default()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(data))
}
