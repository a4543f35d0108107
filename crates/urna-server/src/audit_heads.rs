//! Signed heads of the audit chain, and their verification.
//!
//! The server signs the chain head with the service key at start-up (the
//! empty chain too, so a heads file always exists), every
//! `audit.sign_every_secs` or every `audit.sign_every_entries` entries,
//! whichever comes first, and at graceful shutdown; each head is appended
//! to `audit.heads_file` as one JSON line. With `audit.tsa_url` each head
//! also carries an RFC 3161 time-stamp from that authority, so that whoever
//! holds the database and urna's own key still cannot sign a rewritten
//! history with a past date.
//!
//! [`verify`] is what `urna audit verify` runs; docs/security.md gives the
//! threat model.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use urna_security::audit_head::SignedHead;
use urna_security::tsa::{self, TsaTrust};
use urna_security::wss::{b64, unb64, SigningKey};
use urna_store::Store;

use crate::config::AuditSettings;

/// The authority that time-stamps heads.
pub struct Tsa {
    pub url: String,
    /// Checks each token as it arrives, when the TSA certificate is set.
    pub trust: Option<TsaTrust>,
}

impl Tsa {
    pub fn from_settings(s: &AuditSettings) -> anyhow::Result<Option<Tsa>> {
        if s.tsa_url.is_empty() {
            return Ok(None);
        }
        let trust = match &s.tsa_cert {
            Some(p) => Some(
                TsaTrust::from_pem(
                    &std::fs::read(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
                )
                .map_err(|e| anyhow::anyhow!(e))?,
            ),
            None => None,
        };
        Ok(Some(Tsa {
            url: s.tsa_url.clone(),
            trust,
        }))
    }

    /// Asks the authority for a token over `imprint` (blocking: on the heads
    /// thread for a head, on the request thread for a certificate's seal
    /// when `certificates.timestamp` is on; never inside an async task, as it
    /// runs its own small runtime), checked against the trust when set.
    pub fn stamp(&self, imprint: &[u8; 32]) -> anyhow::Result<Vec<u8>> {
        let query = tsa::request(imprint, rand::random());
        // reqwest's rustls needs a process-wide provider even for http://.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let reply = rt.block_on(async {
            let r = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?
                .post(&self.url)
                .header("Content-Type", "application/timestamp-query")
                .body(query)
                .send()
                .await?
                .error_for_status()?;
            anyhow::Ok(r.bytes().await?)
        })?;
        let token = tsa::token_from_response(&reply).map_err(|e| anyhow::anyhow!(e))?;
        if let Some(trust) = &self.trust {
            tsa::verify_token(&token, imprint, trust).map_err(|e| anyhow::anyhow!(e))?;
        }
        Ok(token)
    }
}

/// Signs heads and appends them to the heads file.
pub struct HeadSigner {
    pub store: Arc<Store>,
    pub key: SigningKey,
    pub file: PathBuf,
    pub tsa: Option<Tsa>,
}

impl HeadSigner {
    /// Signs the head if it moved since `last` (always when `last` is None,
    /// the empty chain included), time-stamps it when an authority is
    /// configured (a head the authority could not stamp is still written,
    /// and `audit verify` reports it), appends it; returns the head's seq.
    pub fn export(&self, last: Option<i64>) -> anyhow::Result<i64> {
        let (seq, hash) = self.store.read(urna_store::audit::head)?;
        if last == Some(seq) {
            return Ok(seq);
        }
        let at =
            OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?;
        let mut head =
            SignedHead::sign(&self.key, seq, &hash, &at).map_err(|e| anyhow::anyhow!(e))?;
        if let Some(tsa) = &self.tsa {
            match tsa.stamp(&head.imprint()) {
                Ok(token) => head.tsa_token = Some(b64(&token)),
                Err(e) => {
                    tracing::error!(error = %e, url = %tsa.url, seq, "time-stamping the audit head failed")
                }
            }
        }
        if let Some(dir) = self.file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file)?;
        writeln!(f, "{}", serde_json::to_string(&head)?)?;
        f.sync_all()?;
        Ok(seq)
    }

    /// Signs the head now, then on its own thread every `every` or every
    /// `every_entries` entries, whichever comes first (0 turns either off);
    /// the handle signs a last head at shutdown.
    pub fn start(self, every: Duration, every_entries: u64) -> anyhow::Result<HeadsHandle> {
        let (tx, rx) = mpsc::channel::<mpsc::Sender<()>>();
        let (ready_tx, ready_rx) = mpsc::channel::<anyhow::Result<()>>();
        let thread = std::thread::Builder::new()
            .name("urna-audit-heads".into())
            .spawn(move || {
                let mut last = match self.export(None) {
                    Ok(s) => {
                        let _ = ready_tx.send(Ok(()));
                        Some(s)
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let mut signed_at = Instant::now();
                let tick = if every.is_zero() {
                    Duration::from_secs(1)
                } else {
                    every.min(Duration::from_secs(1))
                };
                loop {
                    match rx.recv_timeout(tick) {
                        Ok(done) => {
                            if let Err(e) = self.export(last) {
                                tracing::error!(error = %e, "signing the audit head at shutdown failed");
                            }
                            let _ = done.send(());
                            return;
                        }
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                    }
                    let due_by_time = !every.is_zero() && signed_at.elapsed() >= every;
                    let due = match self.store.read(urna_store::audit::head) {
                        Ok((seq, _)) => {
                            let behind = seq - last.unwrap_or(0);
                            behind > 0
                                && (due_by_time
                                    || (every_entries > 0 && behind as u64 >= every_entries))
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "reading the audit head failed");
                            false
                        }
                    };
                    if due {
                        match self.export(last) {
                            Ok(s) => last = Some(s),
                            Err(e) => tracing::error!(error = %e, "signing the audit head failed"),
                        }
                        signed_at = Instant::now();
                    } else if due_by_time {
                        signed_at = Instant::now();
                    }
                }
            })?;
        ready_rx
            .recv()
            .map_err(|_| anyhow::anyhow!("the audit heads thread ended at start-up"))??;
        Ok(HeadsHandle {
            tx,
            _thread: thread,
        })
    }
}

/// The running heads thread.
pub struct HeadsHandle {
    tx: mpsc::Sender<mpsc::Sender<()>>,
    _thread: std::thread::JoinHandle<()>,
}

impl HeadsHandle {
    /// Signs the head one last time (graceful shutdown) and stops the thread.
    pub fn finish(self) {
        let (done_tx, done_rx) = mpsc::channel();
        if self.tx.send(done_tx).is_ok() {
            let _ = done_rx.recv_timeout(Duration::from_secs(30));
        }
    }
}

/// What `audit verify` found.
#[derive(Debug, Default)]
pub struct Verification {
    pub entries: i64,
    pub last_hash: String,
    pub heads: usize,
    pub stamped: usize,
    /// Every mismatch, each a sentence; empty when the log is intact.
    pub problems: Vec<String>,
    pub notes: Vec<String>,
}

/// What [`verify`] checks against.
pub struct VerifyInputs<'a> {
    pub heads_file: &'a Path,
    pub service_cert: &'a openssl::x509::X509,
    /// When set, every head must carry a token of this authority.
    pub tsa: Option<&'a TsaTrust>,
    /// Largest accepted distance between a head's signing time and its
    /// token's time.
    pub tsa_max_skew_secs: i64,
    /// Entries no signed head covers may be at most this old (the signing
    /// interval and some slack); None turns the check off.
    pub max_unsigned_age: Option<Duration>,
    pub now: OffsetDateTime,
}

/// What heads are checked against, as the settings name it: the service
/// certificate (`cert`, else `security.signing_cert`, else the PKI's) and
/// the time-stamping authority (`audit.tsa_cert`).
pub struct Trusted {
    pub service_cert: openssl::x509::X509,
    pub tsa: Option<TsaTrust>,
}

impl Trusted {
    pub fn from_settings(
        settings: &crate::Settings,
        cert: Option<PathBuf>,
    ) -> anyhow::Result<Trusted> {
        let pki = urna_pki::PkiDir::new(&settings.tls.pki_dir);
        let cert_path = cert
            .or_else(|| settings.security.signing_cert.clone())
            .unwrap_or_else(|| pki.service_signer_cert());
        let service_cert = openssl::x509::X509::from_pem(
            &std::fs::read(&cert_path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", cert_path.display()))?,
        )?;
        let tsa = match &settings.audit.tsa_cert {
            Some(p) => {
                Some(TsaTrust::from_pem(&std::fs::read(p)?).map_err(|e| anyhow::anyhow!(e))?)
            }
            None => None,
        };
        Ok(Trusted { service_cert, tsa })
    }

    /// The inputs of [`verify`] for `heads_file`.
    pub fn inputs<'a>(
        &'a self,
        settings: &AuditSettings,
        heads_file: &'a Path,
        max_unsigned_age: Option<Duration>,
    ) -> VerifyInputs<'a> {
        VerifyInputs {
            heads_file,
            service_cert: &self.service_cert,
            tsa: self.tsa.as_ref(),
            tsa_max_skew_secs: settings.tsa_max_skew_secs,
            max_unsigned_age,
            now: OffsetDateTime::now_utc(),
        }
    }
}

/// Recomputes the chain and checks every signed head: its signature, its
/// time-stamp, that the chain has its hash at its entry; that the heads
/// file exists; that no entry older than the signing interval lies beyond
/// the last signed head.
pub fn verify(store: &Store, inputs: &VerifyInputs<'_>) -> anyhow::Result<Verification> {
    let mut v = Verification::default();
    let file = inputs.heads_file;
    let mut signed: Vec<SignedHead> = Vec::new();
    match std::fs::read_to_string(file) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => v.problems.push(format!(
            "no heads file at {}: without signed heads a rewritten or cut chain cannot be told from an intact one (the server writes one at start-up)",
            file.display()
        )),
        Err(e) => return Err(anyhow::anyhow!("{}: {e}", file.display())),
        Ok(text) => {
            for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                let at = format!("{} line {}", file.display(), i + 1);
                let h = match serde_json::from_str::<SignedHead>(line) {
                    Ok(h) => h,
                    Err(e) => {
                        v.problems.push(format!("{at}: {e}"));
                        continue;
                    }
                };
                if let Err(e) = h.verify(inputs.service_cert) {
                    v.problems.push(format!("{at}: {e}"));
                    continue;
                }
                check_stamp(&h, inputs, &at, &mut v);
                signed.push(h);
            }
        }
    }
    let at: Vec<i64> = signed.iter().map(|h| h.seq).collect();
    let report = store.read(|c| urna_store::audit::verify(c, &at))?;
    v.entries = report.entries;
    v.last_hash = report.last_hash.clone();
    v.heads = signed.len();
    if let Some((seq, why)) = &report.first_broken {
        v.problems.push(format!("entry {seq}: {why}"));
    }
    for h in &signed {
        let recomputed = if h.seq == 0 {
            Some(urna_store::audit::GENESIS.to_string())
        } else {
            report
                .hashes_at
                .iter()
                .find(|(s, _)| *s == h.seq)
                .and_then(|(_, x)| x.clone())
        };
        match recomputed {
            Some(x) if x == h.hash => {}
            Some(x) => v.problems.push(format!(
                "signed head {} (at {}) has hash {}, the recomputed chain has {x}: entries up to {} were rewritten",
                h.seq, h.at, h.hash, h.seq
            )),
            None => v.problems.push(format!(
                "signed head {} (at {}) names an entry the table no longer has ({} entries): the tail was cut",
                h.seq, h.at, report.entries
            )),
        }
    }
    // The tail no head covers.
    let covered = signed.iter().map(|h| h.seq).max().unwrap_or(0);
    if report.entries > covered {
        if let Some(max_age) = inputs.max_unsigned_age {
            let first = covered + 1;
            if let Some(at_ms) = store.read(|c| urna_store::audit::at_ms_of(c, first))? {
                let age_ms = (inputs.now.unix_timestamp_nanos() / 1_000_000) as i64 - at_ms;
                if age_ms > max_age.as_millis() as i64 {
                    v.problems.push(format!(
                        "entries {first}..{} are covered by no signed head and the oldest was written {} s ago, longer than the signing interval allows ({} s): they may have been cut or rewritten (a server that crashed leaves such a tail; its next start signs it)",
                        report.entries,
                        age_ms / 1000,
                        max_age.as_secs()
                    ));
                }
            }
        }
        v.notes.push(format!(
            "entries {}..{} are not yet covered by a signed head",
            covered + 1,
            report.entries
        ));
    }
    Ok(v)
}

fn check_stamp(h: &SignedHead, inputs: &VerifyInputs<'_>, at: &str, v: &mut Verification) {
    let Some(trust) = inputs.tsa else {
        if h.tsa_token.is_some() {
            v.notes.push(format!("{at}: a time-stamp is present but no TSA certificate is configured to check it (audit.tsa_cert)"));
        }
        return;
    };
    let Some(token) = &h.tsa_token else {
        v.problems.push(format!(
            "{at}: head {} has no time-stamp from the authority (audit.tsa_url)",
            h.seq
        ));
        return;
    };
    let Some(token) = unb64(token) else {
        v.problems.push(format!(
            "{at}: the time-stamp of head {} is not base64",
            h.seq
        ));
        return;
    };
    match tsa::verify_token(&token, &h.imprint(), trust) {
        Err(e) => v
            .problems
            .push(format!("{at}: the time-stamp of head {}: {e}", h.seq)),
        Ok(stamp) => {
            let signed_at =
                OffsetDateTime::parse(&h.at, &time::format_description::well_known::Rfc3339);
            match signed_at {
                Ok(t) if (stamp.gen_time - t).whole_seconds().abs() <= inputs.tsa_max_skew_secs => {
                    v.stamped += 1
                }
                Ok(_) => v.problems.push(format!(
                    "{at}: head {} says it was signed at {}, its time-stamp says {}: it was signed at another time than it claims",
                    h.seq, h.at, stamp.gen_time
                )),
                Err(e) => v.problems.push(format!("{at}: head {} has a bad time {}: {e}", h.seq, h.at)),
            }
        }
    }
}
