//! Backup and restore of a store and its audit heads (annex 3 §2e;
//! docs/operations.md, "Backup and restore").
//!
//! A backup is a directory: the database copy (SQLite: `urna.sqlite`, a
//! `VACUUM INTO` copy; PostgreSQL: `urna.pgdump`, `pg_dump -Fc` in the
//! snapshot the counts were read in), the audit heads file as it was before
//! the copy (so every head it holds is covered by the copy), and
//! `manifest.json`: each file's size and SHA-256, the audit chain's head
//! and the row counts of the copy. Both are taken while the server serves.
//!
//! A restore checks the manifest against the files before it touches the
//! target, needs an empty target (a SQLite file that does not exist, a
//! PostgreSQL database without tables), and then checks the restored store:
//! the counts and the chain head of the manifest, and the whole chain
//! against the signed heads, as `urna audit verify` does. A SQLite restore
//! is checked before it is moved into place.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use urna_store::{backup as store_backup, Backend, Store};

use crate::audit_heads::{self, Trusted};
use crate::Settings;

pub const MANIFEST: &str = "manifest.json";
const SQLITE_COPY: &str = "urna.sqlite";
const PG_DUMP: &str = "urna.pgdump";
const HEADS: &str = "audit-heads.jsonl";
/// The manifest's format; a restore refuses another.
const FORMAT: u32 = 1;

/// What a backup holds and what its store looked like.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// When the copy was taken (RFC 3339, UTC).
    pub created_at: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub urna_version: String,
    pub files: Vec<FileEntry>,
    /// The audit chain's last entry in the copy.
    pub chain: ChainHead,
    /// Rows per table in the copy (`urna_store::backup::COUNTED`).
    pub counts: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub bytes: u64,
    /// Lower-case hex.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

fn file_entry(dir: &Path, name: &str) -> anyhow::Result<FileEntry> {
    let path = dir.join(name);
    let mut f = std::fs::File::open(&path).with_context(|| path.display().to_string())?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok(FileEntry {
        name: name.to_string(),
        bytes,
        sha256: hex::encode(h.finalize()),
    })
}

fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    match Backend::from_url(url)? {
        (Backend::Sqlite, path) => Ok(PathBuf::from(path)),
        _ => bail!("{url} is not a SQLite URL"),
    }
}

/// The counts and chain head of `store`, in one snapshot.
fn state(store: &Store) -> anyhow::Result<(BTreeMap<String, i64>, ChainHead)> {
    Ok(store.snapshot(|c| -> Result<_, urna_store::StoreError> {
        let counts = store_backup::counts(c)?;
        let (seq, hash) = urna_store::audit::head(c)?;
        Ok((counts, ChainHead { seq, hash }))
    })?)
}

/// Backs up the store at `settings.database.url` (open as `store`) and the
/// heads file into `to`, which must not exist or be empty.
pub fn backup(settings: &Settings, store: &Store, to: &Path) -> anyhow::Result<Manifest> {
    if to.exists() && std::fs::read_dir(to)?.next().is_some() {
        bail!(
            "{} is not empty: a backup goes into a new directory",
            to.display()
        );
    }
    std::fs::create_dir_all(to)?;
    // The heads first: each one it holds then names an entry the copy has.
    let heads = &settings.audit.heads_file;
    match std::fs::copy(heads, to.join(HEADS)) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::write(to.join(HEADS), b"")?;
        }
        Err(e) => return Err(anyhow!("{}: {e}", heads.display())),
    }
    let url = &settings.database.url;
    let (backend, copy, counts, chain) = match store.backend() {
        Backend::Sqlite => {
            let path = to.join(SQLITE_COPY);
            let target = path.to_string_lossy().into_owned();
            store.read(|c| store_backup::sqlite_copy(c, &target))?;
            // Counted in the copy itself, which is what a restore gets.
            let copy = Store::open(&format!("sqlite://{target}"), 1)?;
            let (counts, chain) = state(&copy)?;
            ("sqlite", SQLITE_COPY, counts, chain)
        }
        Backend::Postgres => {
            let path = to.join(PG_DUMP);
            let (counts, chain) = store.snapshot(|c| -> anyhow::Result<_> {
                let snapshot = store_backup::pg_export_snapshot(c)?;
                let counts = store_backup::counts(c)?;
                let (seq, hash) = urna_store::audit::head(c)?;
                // pg_dump reads the exported snapshot while this
                // transaction, which holds it, stays open.
                let out = Command::new("pg_dump")
                    .args(["--format=custom", "--no-owner", "--no-privileges"])
                    .arg(format!("--snapshot={snapshot}"))
                    .arg("--file")
                    .arg(&path)
                    .arg(format!("--dbname={url}"))
                    .output()
                    .context("pg_dump (PostgreSQL's client programs) is needed")?;
                if !out.status.success() {
                    bail!("pg_dump failed: {}", String::from_utf8_lossy(&out.stderr));
                }
                Ok((counts, ChainHead { seq, hash }))
            })?;
            ("postgres", PG_DUMP, counts, chain)
        }
    };
    let manifest = Manifest {
        format: FORMAT,
        created_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)?,
        backend: backend.into(),
        urna_version: env!("CARGO_PKG_VERSION").into(),
        files: vec![file_entry(to, copy)?, file_entry(to, HEADS)?],
        chain,
        counts,
    };
    std::fs::write(to.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;
    Ok(manifest)
}

/// Reads the manifest in `from` and checks every file it lists.
pub fn check(from: &Path) -> anyhow::Result<Manifest> {
    let path = from.join(MANIFEST);
    let m: Manifest = serde_json::from_slice(
        &std::fs::read(&path).with_context(|| format!("no manifest: {}", path.display()))?,
    )
    .with_context(|| format!("{} is not a manifest", path.display()))?;
    if m.format != FORMAT {
        bail!("manifest format {} (this urna reads {FORMAT})", m.format);
    }
    for f in &m.files {
        let found = file_entry(from, &f.name)?;
        if found != *f {
            bail!(
                "{} does not match the manifest: {} bytes, SHA-256 {}; the manifest says {} bytes, SHA-256 {}",
                f.name,
                found.bytes,
                found.sha256,
                f.bytes,
                f.sha256
            );
        }
    }
    Ok(m)
}

/// Restores the backup in `from` into the empty store at
/// `settings.database.url` and its heads file, then checks it. The
/// restored store's counts and verification.
pub fn restore(
    settings: &Settings,
    from: &Path,
) -> anyhow::Result<(Manifest, audit_heads::Verification)> {
    let m = check(from)?;
    let url = &settings.database.url;
    let heads = &settings.audit.heads_file;
    if std::fs::metadata(heads).is_ok_and(|md| md.len() > 0) {
        bail!(
            "{} exists: a restore writes the backup's heads there (move it aside)",
            heads.display()
        );
    }
    let trusted = Trusted::from_settings(settings, None)?;
    let v = match (Backend::from_url(url)?.0, m.backend.as_str()) {
        (Backend::Sqlite, "sqlite") => {
            let target = sqlite_path(url)?;
            if target.exists() {
                bail!(
                    "{} exists: a restore needs an empty target",
                    target.display()
                );
            }
            // Checked beside the target, then moved into place.
            let dir = target.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)?;
            let staged = dir.join(format!(
                ".{}.restoring",
                target
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            ));
            std::fs::copy(from.join(SQLITE_COPY), &staged)?;
            let staged_url = format!("sqlite://{}", staged.display());
            let verified = Store::open(&staged_url, 1)
                .map_err(anyhow::Error::from)
                .and_then(|s| verify_store(&s, &m, &trusted, settings, &from.join(HEADS)));
            let v = match verified {
                Ok(v) => v,
                Err(e) => {
                    let _ = std::fs::remove_file(&staged);
                    return Err(e);
                }
            };
            std::fs::rename(&staged, &target)?;
            std::fs::copy(from.join(HEADS), heads)?;
            v
        }
        (Backend::Postgres, "postgres") => {
            let tables = store_backup::pg_table_count(url)?;
            if tables > 0 {
                bail!("the database at {url} has {tables} tables: a restore needs an empty database (createdb)");
            }
            let out = Command::new("pg_restore")
                .args([
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                ])
                .arg(format!("--dbname={url}"))
                .arg(from.join(PG_DUMP))
                .output()
                .context("pg_restore (PostgreSQL's client programs) is needed")?;
            if !out.status.success() {
                bail!(
                    "pg_restore failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::fs::copy(from.join(HEADS), heads)?;
            verify_store(&Store::open(url, 1)?, &m, &trusted, settings, heads)?
        }
        (b, other) => bail!("a {other} backup cannot be restored into {b:?} ({url})"),
    };
    Ok((m, v))
}

/// The restored store against the manifest and its signed heads.
fn verify_store(
    store: &Store,
    m: &Manifest,
    trusted: &Trusted,
    settings: &Settings,
    heads: &Path,
) -> anyhow::Result<audit_heads::Verification> {
    let (counts, chain) = state(store)?;
    if chain != m.chain {
        bail!(
            "the restored audit chain ends at entry {} ({}), the manifest says {} ({})",
            chain.seq,
            chain.hash,
            m.chain.seq,
            m.chain.hash
        );
    }
    for (table, n) in &m.counts {
        let found = counts.get(table).copied().unwrap_or(-1);
        if found != *n {
            bail!("the restored {table} has {found} rows, the manifest says {n}");
        }
    }
    // The copy may end long after its last signed head: no age limit.
    let v = audit_heads::verify(store, &trusted.inputs(&settings.audit, heads, None))?;
    if !v.problems.is_empty() {
        bail!(
            "the restored audit log does not verify: {}",
            v.problems.join("; ")
        );
    }
    Ok(v)
}
