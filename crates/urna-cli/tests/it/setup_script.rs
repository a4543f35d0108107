//! `scripts/setup.sh`, the set-up `make run`, `make test` and CI call first:
//! it installs exactly the missing Debian packages as root, and otherwise
//! names the one command to run and fails. Run against stand-ins for
//! dpkg-query, id and apt-get, so the machine is not touched.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A folder of stand-in commands: dpkg-query knows every package but
/// `missing`; id says `uid`; apt-get records its arguments.
fn stand_ins(dir: &Path, missing: &[&str], uid: u32) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let write = |name: &str, body: String| {
        let p = bin.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    let cases: String = missing
        .iter()
        .map(|m| format!("  {m}) exit 1;;\n"))
        .collect();
    write(
        "dpkg-query",
        format!("for last; do :; done\ncase \"$last\" in\n{cases}  *) printf 'install ok installed';;\nesac"),
    );
    write("id", format!("echo {uid}"));
    write(
        "apt-get",
        format!("echo \"$@\" >> {}", dir.join("apt.log").display()),
    );
    bin
}

fn setup(bin: &Path, profile: &str) -> (i32, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/setup.sh");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg(script)
        .arg(profile)
        .env("PATH", path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn a_user_is_told_the_one_command_and_the_script_fails() {
    let dir = tempfile::tempdir().unwrap();
    let bin = stand_ins(dir.path(), &["libclang-dev"], 1000);
    let (code, err) = setup(&bin, "run");
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("apt-get update && apt-get install -y --no-install-recommends libclang-dev"),
        "{err}"
    );
    assert!(!dir.path().join("apt.log").exists(), "nothing installed");
}

#[test]
fn root_installs_exactly_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let bin = stand_ins(dir.path(), &["libclang-dev", "xmlsec1"], 0);
    // `run` needs the build packages only.
    let (code, err) = setup(&bin, "run");
    assert_eq!(code, 0, "{err}");
    let log = std::fs::read_to_string(dir.path().join("apt.log")).unwrap();
    assert!(
        log.contains("install -y -qq --no-install-recommends libclang-dev\n"),
        "{log}"
    );
    // `test` adds what the tests and peers need.
    std::fs::remove_file(dir.path().join("apt.log")).unwrap();
    let (code, err) = setup(&bin, "test");
    assert_eq!(code, 0, "{err}");
    let log = std::fs::read_to_string(dir.path().join("apt.log")).unwrap();
    assert!(
        log.contains("--no-install-recommends libclang-dev xmlsec1\n"),
        "{log}"
    );
}

#[test]
fn nothing_missing_is_nothing_done() {
    let dir = tempfile::tempdir().unwrap();
    let bin = stand_ins(dir.path(), &[], 0);
    let (code, err) = setup(&bin, "test");
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(!dir.path().join("apt.log").exists());
}
