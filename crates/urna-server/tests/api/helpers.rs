use urna_service::demo::{self, DEMO_COMUNI};
use urna_wire::build::{self, Testata};
use urna_wire::Element;

pub fn now() -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::now_utc().format(&f).unwrap()
}

pub fn t(id: &str, op: &str) -> Testata {
    Testata::new(id, "058091", op, &now())
}

pub fn section(n: &str) -> Element {
    let mut s = demo::section_tree(&DEMO_COMUNI[0], 1);
    s.children
        .iter_mut()
        .find(|c| c.name == "sezioneelettoralenum")
        .unwrap()
        .text = n.into();
    s
}

pub fn roma() -> Element {
    build::comune("ROMA", "058091", "RM")
}

pub fn create(id: &str, n: &str) -> String {
    build::richiesta5011(&t(id, "5011"), &section(n))
}

/// Sends the 5011s `prefix0`… of sections `first`… from `client`, one
/// after the other; their replies.
pub async fn send_creates(
    app: &urna_testkit::TestApp,
    client: &impl urna_testkit::Sender,
    prefix: &str,
    ids: std::ops::Range<u32>,
    first: u32,
) -> Vec<urna_testkit::Reply> {
    let mut replies = Vec::new();
    for i in ids {
        let body = create(&format!("{prefix}{i}"), &(first + i).to_string());
        replies.push(app.post_with(client, urna_testkit::P5000, body).await);
    }
    replies
}

/// A peer program on PATH; CI (URNA_REQUIRE_PEERS=1) requires it.
pub fn peer(name: &str) -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("URNA_REQUIRE_PEERS").as_deref() != Ok("1"),
            "{name} is required (URNA_REQUIRE_PEERS=1) but not on PATH"
        );
        eprintln!("note: {name} not installed; interoperability check skipped");
    }
    found
}

/// Verifies the response signature of `envelope` (Timestamp and Body, by
/// their `wsu:Id`) with `xmlsec1`; its error output when it does not verify.
pub fn xmlsec1_verify(
    xmlsec1: &std::path::Path,
    service_cert: &std::path::Path,
    envelope: &[u8],
) -> Result<(), String> {
    const WSU: &str =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("response.xml");
    std::fs::write(&file, envelope).unwrap();
    let out = std::process::Command::new(xmlsec1)
        // xmlsec1 does not follow a SecurityTokenReference: it is given
        // the service certificate (the one in the BinarySecurityToken).
        .arg("--verify")
        .arg("--pubkey-cert-pem")
        .arg(service_cert)
        .args(["--id-attr:Id", &format!("{WSU}:Timestamp")])
        .args([
            "--id-attr:Id",
            "http://schemas.xmlsoap.org/soap/envelope/:Body",
        ])
        .arg(&file)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}
