//! Retention: what urna keeps only for a while, deleted by one sweeper, each
//! kind's deletions an audit entry (`retention-<kind>`, outcome
//! `DELETED <n>`) in the transaction that deletes them
//! (docs/operations.md, "Retention"):
//!
//! * the remembered requests and replies of past operations (idempotency,
//!   3003, 4005 `elencoRisposte`), after `idempotency` (default 180 days,
//!   the window 4005 and 3003 serve);
//! * the verification page's challenges, once expired;
//! * the replay-protection keys, once their Timestamp has expired;
//! * takeover upload files a stopped node left behind, after `uploads`.
//!
//! Issued certificates (after their validity) and 4001 extractions (after
//! `extraction.keep_days`) have their own sweepers, which audit each
//! deletion. The audit log is never deleted by urna.

use std::path::PathBuf;

use urna_store::StoreError;

use crate::{AuditRecord, Services};

/// How long each kind is kept (`None`: forever).
#[derive(Debug, Clone)]
pub struct RetentionSettings {
    pub idempotency_ms: Option<i64>,
    /// Where takeover uploads are written, and how long a file left there
    /// is kept.
    pub upload_dir: PathBuf,
    pub uploads_ms: Option<i64>,
}

/// What one sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub idempotency: usize,
    pub captchas: usize,
    pub replay_keys: usize,
    pub uploads: usize,
}

impl Services {
    /// Deletes what is past its retention; each kind with deletions is an
    /// audit entry.
    pub fn sweep_retention(&self, s: &RetentionSettings) -> Result<Swept, StoreError> {
        let now = self.now_ms();
        let mut swept = self.store.write(|c| {
            let swept = Swept {
                idempotency: match s.idempotency_ms {
                    Some(keep) => urna_store::operations::forget_before(c, now - keep)?,
                    None => 0,
                },
                captchas: urna_store::captchas::sweep(c, now)?,
                replay_keys: urna_store::replay::prune(c, now)?,
                uploads: 0,
            };
            for (kind, n) in [
                ("retention-idempotency", swept.idempotency),
                ("retention-captchas", swept.captchas),
                ("retention-replay-keys", swept.replay_keys),
            ] {
                audit_deleted(c, now, kind, n)?;
            }
            Ok::<_, StoreError>(swept)
        })?;
        if let Some(keep) = s.uploads_ms {
            swept.uploads = delete_old_uploads(&s.upload_dir, now - keep);
            if swept.uploads > 0 {
                self.store
                    .write(|c| audit_deleted(c, now, "retention-uploads", swept.uploads))?;
            }
        }
        Ok(swept)
    }
}

fn audit_deleted(
    c: &mut urna_store::AnyConnection,
    now: i64,
    kind: &'static str,
    n: usize,
) -> Result<(), StoreError> {
    if n == 0 {
        return Ok(());
    }
    let entry = AuditRecord::event(now, kind, format!("DELETED {n}"), "urna", "system", kind);
    urna_store::audit::append(c, &entry.entry())?;
    Ok(())
}

/// Deletes the `.upload` files in `dir` last written before `before_ms`;
/// how many. A file that cannot be read or deleted is logged and left.
fn delete_old_uploads(dir: &std::path::Path, before_ms: i64) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut n = 0;
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().is_none_or(|x| x != "upload") {
            continue;
        }
        let written_ms = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64);
        if written_ms.is_some_and(|w| w < before_ms) {
            match std::fs::remove_file(&path) {
                Ok(()) => n += 1,
                Err(err) => {
                    tracing::warn!(file = %path.display(), error = %err, "a left-over upload could not be deleted")
                }
            }
        }
    }
    n
}
