//! The verification page in a real browser: headless Chromium driven over
//! WebDriver (Debian's chromium and chromium-driver). The one white-box step
//! is reading the challenge's answer from the store.

use fantoccini::{ClientBuilder, Locator};
use urna_testkit::spawn_app;

use crate::verify_page::{answer_of, issue, render_first_page};

/// A chromedriver on a free port, stopped when dropped.
struct Driver {
    child: std::process::Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver; None (a skipped test) when Chromium or its driver
/// is missing, unless the peers are required (CI).
async fn driver() -> Option<Driver> {
    let missing = |what: &str| {
        assert!(
            std::env::var_os("URNA_REQUIRE_PEERS").is_none(),
            "{what} is missing (packages chromium, chromium-driver)"
        );
        eprintln!("note: {what} missing, browser test skipped");
        None
    };
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        return missing("/usr/bin/chromium");
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Ok(child) = std::process::Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    else {
        return missing("chromedriver");
    };
    let d = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some(d);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start on port {port}");
}

async fn browser(d: &Driver) -> fantoccini::Client {
    let caps = serde_json::json!({
        "acceptInsecureCerts": true,
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900"]
        }
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&d.url)
        .await
        .expect("a Chromium session")
}

/// Types `answer` into the challenge and presses «Conferma».
async fn answer_challenge(c: &fantoccini::Client, answer: &str) {
    c.find(Locator::Id("risposta"))
        .await
        .unwrap()
        .send_keys(answer)
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Waits until the page's heading reads `expected` (the form's answer
/// replaces the page: elements of the old one go stale meanwhile).
async fn heading_becomes(c: &fantoccini::Client, expected: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(h1) = c.find(Locator::Css("h1")).await {
            if let Ok(text) = h1.text().await {
                if text == expected {
                    return;
                }
                last = text;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the heading stayed {last:?}, expected {expected:?}");
}

/// axe-core (`conformance-tests/peers/axe`, `npm ci` there when missing);
/// None when it cannot be had and peers are not required.
fn axe_source() -> Option<String> {
    let dir = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../conformance-tests/peers/axe"
    ));
    let file = dir.join("node_modules/axe-core/axe.min.js");
    if !file.exists() {
        let _ = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(dir)
            .status();
    }
    match std::fs::read_to_string(&file) {
        Ok(src) => Some(src),
        Err(e) => {
            assert!(
                std::env::var_os("URNA_REQUIRE_PEERS").is_none(),
                "axe-core is missing ({}: {e}); run npm ci in {}",
                file.display(),
                dir.display()
            );
            None
        }
    }
}

/// The WCAG 2 A/AA violations axe-core finds on the current page.
async fn accessibility_violations(c: &fantoccini::Client, axe: &str) -> Vec<String> {
    let script = format!(
        "{axe}\n;const done = arguments[arguments.length - 1];\
         axe.run(document, {{ runOnly: ['wcag2a', 'wcag2aa'] }})\
           .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' (' + v.nodes.length + ')')))\
           .catch(e => done(['axe failed: ' + e]));"
    );
    let v = c.execute_async(&script, vec![]).await.expect("axe ran");
    serde_json::from_value(v).expect("a list of violations")
}

#[tokio::test]
async fn a_person_verifies_a_paper_certificate_in_chromium() {
    let Some(d) = driver().await else { return };
    let app = spawn_app().await;
    let (id, _code, pdf) = issue(&app).await;
    let c = browser(&d).await;
    let axe = axe_source();
    let row = urna_service::demo::subject_row(&urna_service::demo::DEMO_COMUNI[0], 0);

    // Smartphone flow: the QR code's URL, the challenge, "Conferma".
    let page = app.url(&format!("/verifica/{id}"));
    c.goto(&page).await.unwrap();
    if let Some(axe) = &axe {
        assert_eq!(
            accessibility_violations(&c, axe).await,
            Vec::<String>::new(),
            "the challenge page"
        );
    }
    let sfida = c
        .find(Locator::Css("input[name=sfida]"))
        .await
        .unwrap()
        .attr("value")
        .await
        .unwrap()
        .unwrap();
    let answer = answer_of(&app, &sfida, &id);
    answer_challenge(&c, &answer).await;
    let holder = c
        .wait()
        .for_element(Locator::Id("intestatario"))
        .await
        .unwrap();
    assert_eq!(
        holder.text().await.unwrap(),
        format!("{} {}", row.cognome, row.nome)
    );
    let seal = c
        .find(Locator::Id("sigillo"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(seal.starts_with("Sigillo valido"), "{seal}");

    // A wrong answer is refused.
    c.goto(&page).await.unwrap();
    answer_challenge(&c, "0").await;
    heading_becomes(&c, "Risposta non valida").await;

    // PC flow: a PNG of the printed certificate, uploaded, reaches the same
    // certificate's challenge.
    if let Some(png) = render_first_page(&pdf) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("certificato.png");
        std::fs::write(&file, png).unwrap();
        c.goto(&app.url("/verifica")).await.unwrap();
        if let Some(axe) = &axe {
            assert_eq!(
                accessibility_violations(&c, axe).await,
                Vec::<String>::new(),
                "the start page"
            );
        }
        c.find(Locator::Id("qr"))
            .await
            .unwrap()
            .send_keys(&file.display().to_string())
            .await
            .unwrap();
        c.find(Locator::Css("form[enctype] button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        // The upload answers with a redirect to the certificate's page.
        let mut url = c.current_url().await.unwrap();
        for _ in 0..100 {
            if url.path().ends_with(&id) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            url = c.current_url().await.unwrap();
        }
        assert!(url.path().ends_with(&id), "{url}");
        c.wait().for_element(Locator::Id("risposta")).await.unwrap();
    }
    c.close().await.unwrap();
}
