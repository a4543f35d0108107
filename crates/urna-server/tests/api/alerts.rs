//! The alert rules run in the server: requests refused by the security
//! layer cross a rule's threshold, the alert is stored once and counted in
//! `urna_alerts_total{rule,severity}`.

use urna_store::testing::TestDb;
use urna_testkit::{spawn_app_with, P5000};

use crate::helpers::{create, send_creates};

#[tokio::test]
async fn refusals_above_a_threshold_raise_one_alert_counted_in_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("alerts.toml");
    std::fs::write(
        &rules,
        r#"
[[rule]]
id = "refusals"
description = "more than two refusals"
outcomes = ["FAULT:"]
by = "station"
measure = "count"
window_secs = 300
threshold = 2
severity = "critical"
block_secs = 600
"#,
    )
    .unwrap();
    let (hook, posted) = webhook().await;
    let app = spawn_app_with(TestDb::sqlite(), |s| {
        s.alerts.rules_file = Some(rules.clone());
        s.alerts.every_secs = 1;
        s.alerts.webhook_url = Some(hook);
    })
    .await;
    // Let the first evaluation set the cursor at the head of the log.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let unsigned = app.client_for("058091").http;
    for r in send_creates(&app, &unsigned, "AL", 0..4, 850).await {
        assert!(r.is_fault(), "{}", r.body);
    }
    let store = urna_store::Store::open(&app.db.url, 1).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let alerts = loop {
        let a = store
            .read(|c| urna_store::alerts::list(c, true, 10))
            .unwrap();
        if !a.is_empty() || std::time::Instant::now() > deadline {
            break a;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(
        (
            alerts[0].rule.as_str(),
            alerts[0].alert_key.as_str(),
            alerts[0].value
        ),
        ("refusals", "058091-PC-0001", 3)
    );
    assert_eq!(alerts[0].entries.split(',').count(), 3);
    // The webhook got it as JSON.
    let posted = tokio::time::timeout(std::time::Duration::from_secs(10), posted)
        .await
        .expect("the webhook is called")
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&posted).unwrap();
    assert_eq!(
        (&v["rule"], &v["severity"], &v["key"], &v["value"]),
        (
            &serde_json::json!("refusals"),
            &serde_json::json!("critical"),
            &serde_json::json!("058091-PC-0001"),
            &serde_json::json!(3)
        ),
        "{v}"
    );
    let metrics = unsigned
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The rule blocks the station: its signed requests are refused, other
    // stations are served, until the block is lifted.
    let signed = app.client_for("058091");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let refused = loop {
        let r = app.post_with(&signed, P5000, create("ALB1", "860")).await;
        if r.fault_reason() == Some("blocked") || std::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(refused.fault_reason(), Some("blocked"), "{}", refused.body);
    assert!(
        refused
            .body
            .contains("station 058091-PC-0001 is blocked until")
            && refused.body.contains("refusals"),
        "{}",
        refused.body
    );
    let milano = app.client_for("015146");
    let other = app
        .post_with(
            &milano,
            P5000,
            create("ALM1", "861").replace("058091", "015146"),
        )
        .await;
    assert_ne!(other.fault_reason(), Some("blocked"), "{}", other.body);
    let services = urna_service::Services::new(std::sync::Arc::new(store), Default::default());
    assert!(services
        .unblock(
            urna_domain::alerts::BlockKind::Station,
            "058091-PC-0001",
            "test"
        )
        .unwrap());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let served = loop {
        let r = app.post_with(&signed, P5000, create("ALB2", "862")).await;
        if r.fault_reason() != Some("blocked") || std::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(served.is_ok(), "{}", served.body);
    assert!(
        metrics.contains("urna_alerts_total{rule=\"refusals\",severity=\"critical\"} 1"),
        "{}",
        metrics
            .lines()
            .filter(|l| l.contains("alert"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A local HTTP endpoint that takes one POST: its URL, and the body it got.
async fn webhook() -> (String, tokio::sync::oneshot::Receiver<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = socket.read(&mut buf).await.unwrap();
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text[..end]
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                if got.len() >= end + 4 + length {
                    let body = text[end + 4..end + 4 + length].to_string();
                    socket
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .await
                        .unwrap();
                    let _ = tx.send(body);
                    return;
                }
            }
            if n == 0 {
                return;
            }
        }
    });
    (url, rx)
}
