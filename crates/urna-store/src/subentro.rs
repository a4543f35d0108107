//! Takeover jobs, their anomalies and the notifications they raise.

use diesel::prelude::*;

use crate::schema::{notifications, operations, subentro_anomalies, subentro_jobs, subentro_undo};
use crate::{AnyConnection, StoreError};

/// Where a takeover job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Loading, or stopped mid-way (a crash): the same file resumes it.
    Running,
    Done,
    /// The file was broken; what the job applied was rolled back.
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<JobState> {
        [JobState::Running, JobState::Done, JobState::Failed]
            .into_iter()
            .find(|j| j.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = subentro_jobs)]
pub struct Job {
    pub id: i64,
    pub comune_istat: String,
    pub kind: String,
    /// As stored; [`Job::state`] reads it.
    #[diesel(column_name = state)]
    state_code: String,
    pub file_sha256: String,
    pub declared: Option<i32>,
    pub records_done: i32,
    pub loaded: i32,
    pub anomalies: i32,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// Why the job failed (state `failed`).
    pub error: Option<String>,
}

impl Job {
    /// The job's state (a stored value urna did not write reads as failed).
    pub fn state(&self) -> JobState {
        JobState::parse(&self.state_code).unwrap_or(JobState::Failed)
    }
}

/// Jobs of a comune for a file kind, newest first.
pub fn jobs(conn: &mut AnyConnection, istat: &str, kind: &str) -> Result<Vec<Job>, StoreError> {
    Ok(subentro_jobs::table
        .filter(subentro_jobs::comune_istat.eq(istat))
        .filter(subentro_jobs::kind.eq(kind))
        .order(subentro_jobs::id.desc())
        .select(Job::as_select())
        .load(conn)?)
}

pub fn start(
    conn: &mut AnyConnection,
    istat: &str,
    kind: &str,
    sha: &str,
    now: i64,
) -> Result<i64, StoreError> {
    Ok(diesel::insert_into(subentro_jobs::table)
        .values((
            subentro_jobs::comune_istat.eq(istat),
            subentro_jobs::kind.eq(kind),
            subentro_jobs::state.eq(JobState::Running.as_str()),
            subentro_jobs::file_sha256.eq(sha),
            subentro_jobs::records_done.eq(0),
            subentro_jobs::loaded.eq(0),
            subentro_jobs::anomalies.eq(0),
            subentro_jobs::started_at.eq(now),
        ))
        .returning(subentro_jobs::id)
        .get_result(conn)?)
}

/// Records the checkpoint after a chunk (same transaction as the chunk).
pub fn checkpoint(
    conn: &mut AnyConnection,
    id: i64,
    done: i32,
    loaded: i32,
    anomalies: i32,
    declared: Option<i32>,
) -> Result<(), StoreError> {
    diesel::update(subentro_jobs::table.find(id))
        .set((
            subentro_jobs::records_done.eq(done),
            subentro_jobs::loaded.eq(loaded),
            subentro_jobs::anomalies.eq(anomalies),
            subentro_jobs::declared.eq(declared),
        ))
        .execute(conn)?;
    Ok(())
}

/// Ends a job. A lists job keeps its before-images: they are what
/// [`reset_lists`] restores (only electors the job overwrote have one, so a
/// first load keeps few).
pub fn finish(
    conn: &mut AnyConnection,
    id: i64,
    state: JobState,
    now: i64,
) -> Result<(), StoreError> {
    diesel::update(subentro_jobs::table.find(id))
        .set((
            subentro_jobs::state.eq(state.as_str()),
            subentro_jobs::finished_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Keeps the before-images of electors a lists job is about to overwrite
/// (same transaction as the overwrite).
pub fn save_before_images(
    conn: &mut AnyConnection,
    job: i64,
    rows: &[&crate::electors::ElectorRow],
) -> Result<(), StoreError> {
    for r in rows {
        let image = serde_json::to_string(r).map_err(|e| StoreError::Data(e.to_string()))?;
        diesel::insert_into(subentro_undo::table)
            .values((
                subentro_undo::job_id.eq(job),
                subentro_undo::id_soggetto.eq(&r.id_soggetto),
                subentro_undo::before_image.eq(image),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Drops a job's before-images (the job is done, or was rolled back).
pub fn forget_undo(conn: &mut AnyConnection, job: i64) -> Result<(), StoreError> {
    diesel::delete(subentro_undo::table.filter(subentro_undo::job_id.eq(job))).execute(conn)?;
    Ok(())
}

/// Ends a job whose file turned out structurally broken: what it applied is
/// rolled back (the comune is left as before the upload, so a corrected file
/// can be sent as a new upload), and the job keeps the reason.
///
/// * `liste`: the electors first-loaded by the comune (none existed before
///   the job: a completed lists upload would have refused it), the job's
///   anomalies and notifications.
/// * `sezioni`: the comune's sections that no list references (before the
///   job the comune had none: R-T2 and R-T5 refused it otherwise).
pub fn fail_and_roll_back(
    conn: &mut AnyConnection,
    job: &Job,
    error: &str,
    now: i64,
) -> Result<(), StoreError> {
    use crate::schema::sections;
    match job.kind.as_str() {
        "liste" => {
            // Rows the job wrote carry last_operation = -job id; those that
            // existed before get their before-image back.
            crate::electors::delete_by_operation(conn, -job.id)?;
            let images: Vec<String> = subentro_undo::table
                .filter(subentro_undo::job_id.eq(job.id))
                .order(subentro_undo::id)
                .select(subentro_undo::before_image)
                .load(conn)?;
            for image in images {
                let row: crate::electors::ElectorRow = serde_json::from_str(&image)
                    .map_err(|e| StoreError::Data(format!("undo image of job {}: {e}", job.id)))?;
                crate::electors::put(conn, &row)?;
            }
        }
        _ => {
            let numbers: Vec<String> = sections::table
                .filter(sections::comune_istat.eq(&job.comune_istat))
                .select(sections::numero)
                .load(conn)?;
            for n in numbers {
                if crate::electors::referencing(conn, &job.comune_istat, &n)? == 0 {
                    crate::sections::delete(conn, &job.comune_istat, &n)?;
                }
            }
        }
    }
    diesel::delete(subentro_anomalies::table.filter(subentro_anomalies::job_id.eq(job.id)))
        .execute(conn)?;
    diesel::delete(notifications::table.filter(notifications::job_id.eq(Some(job.id))))
        .execute(conn)?;
    forget_undo(conn, job.id)?;
    diesel::update(subentro_jobs::table.find(job.id))
        .set((
            subentro_jobs::state.eq(JobState::Failed.as_str()),
            subentro_jobs::records_done.eq(0),
            subentro_jobs::loaded.eq(0),
            subentro_jobs::anomalies.eq(0),
            subentro_jobs::finished_at.eq(Some(now)),
            subentro_jobs::error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(())
}

/// One anomaly of the outcome report.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = subentro_anomalies)]
pub struct AnomalyRow {
    pub job_id: i64,
    pub record_no: i32,
    pub id_soggetto: Option<String>,
    pub code: String,
    pub field: Option<String>,
    pub value: Option<String>,
    pub text: String,
}

pub fn add_anomaly(conn: &mut AnyConnection, a: &AnomalyRow) -> Result<(), StoreError> {
    crate::per_backend!(conn, |c| diesel::insert_into(subentro_anomalies::table)
        .values(a)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

pub fn anomalies(conn: &mut AnyConnection, job: i64) -> Result<Vec<AnomalyRow>, StoreError> {
    Ok(subentro_anomalies::table
        .filter(subentro_anomalies::job_id.eq(job))
        .order((subentro_anomalies::record_no, subentro_anomalies::code))
        .select(AnomalyRow::as_select())
        .load(conn)?)
}

/// A notification (e.g. N017) to a comune.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: i64,
    pub code: String,
    pub comune_istat: String,
    pub id_soggetto: String,
    pub other_comune: String,
    pub job_id: Option<i64>,
    pub created_at: i64,
}

pub fn notify(
    conn: &mut AnyConnection,
    code: &str,
    to: &str,
    subject: &str,
    other: &str,
    job: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(notifications::table)
        .values((
            notifications::code.eq(code),
            notifications::comune_istat.eq(to),
            notifications::id_soggetto.eq(subject),
            notifications::other_comune.eq(other),
            notifications::job_id.eq(job),
            notifications::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn notifications_for(
    conn: &mut AnyConnection,
    istat: &str,
) -> Result<Vec<Notification>, StoreError> {
    Ok(notifications::table
        .filter(notifications::comune_istat.eq(istat))
        .order(notifications::id)
        .select(Notification::as_select())
        .load(conn)?)
}

/// Has the comune had an accepted operation of this code since `since` (ms)?
/// (R-T2: a 5011 disables the sections upload; R-T4: one 5011 and one 5010
/// after the takeover.)
pub fn accepted_since(
    conn: &mut AnyConnection,
    istat: &str,
    operation: &str,
    since: i64,
) -> Result<bool, StoreError> {
    let n: i64 = operations::table
        .filter(operations::comune_istat.eq(istat))
        .filter(operations::operation.eq(operation))
        .filter(operations::outcome.eq("OK"))
        .filter(operations::received_at.ge(since))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Test environments only: forgets a comune's lists upload: removes the
/// electors its jobs wrote (those still marked with a job, and those
/// first-loaded by the comune), gives those they overwrote their
/// before-image back, and forgets the jobs, their anomalies and
/// notifications. Sections are never deleted (R-T1). Returns the electors
/// removed.
pub fn reset_lists(conn: &mut AnyConnection, istat: &str) -> Result<usize, StoreError> {
    use crate::schema::electors;
    let mut job_ids: Vec<i64> = subentro_jobs::table
        .filter(subentro_jobs::comune_istat.eq(istat))
        .filter(subentro_jobs::kind.eq("liste"))
        .select(subentro_jobs::id)
        .load(conn)?;
    job_ids.sort_unstable();
    let mut removed = diesel::delete(electors::table.filter(electors::first_load_comune.eq(istat)))
        .execute(conn)?;
    for job in &job_ids {
        removed += crate::electors::delete_by_operation(conn, -job)?;
    }
    // Newest job first, each job's images in reverse order: what was there
    // before the first upload is what stays.
    for job in job_ids.iter().rev() {
        let images: Vec<String> = subentro_undo::table
            .filter(subentro_undo::job_id.eq(job))
            .order(subentro_undo::id.desc())
            .select(subentro_undo::before_image)
            .load(conn)?;
        for image in images {
            let row: crate::electors::ElectorRow = serde_json::from_str(&image)
                .map_err(|e| StoreError::Data(format!("undo image of job {job}: {e}")))?;
            crate::electors::put(conn, &row)?;
        }
    }
    diesel::delete(subentro_anomalies::table.filter(subentro_anomalies::job_id.eq_any(&job_ids)))
        .execute(conn)?;
    diesel::delete(notifications::table.filter(
        notifications::job_id.eq_any(job_ids.iter().map(|i| Some(*i)).collect::<Vec<_>>()),
    ))
    .execute(conn)?;
    diesel::delete(subentro_undo::table.filter(subentro_undo::job_id.eq_any(&job_ids)))
        .execute(conn)?;
    diesel::delete(subentro_jobs::table.filter(subentro_jobs::id.eq_any(&job_ids)))
        .execute(conn)?;
    Ok(removed)
}
