//! What the `urna` command tests share.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use urna_store::testing::TestDb;

/// Runs `urna ARGS` in `dir` on `db`, with the PKI and the heads file under
/// `dir` and `env` on top; whether it succeeded and what it printed.
pub fn urna(db: &TestDb, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_urna"))
        .args(args)
        .env("URNA_DATABASE_URL", &db.url)
        .env("URNA_TLS__PKI_DIR", dir.join("pki"))
        .env("URNA_AUDIT__HEADS_FILE", dir.join("heads.jsonl"))
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
