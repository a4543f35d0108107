//! The alert rules run in the server: requests refused by the security
//! layer cross a rule's threshold, the alert is stored once and counted in
//! `urna_alerts_total{rule,severity}`.

use urna_store::testing::TestDb;
use urna_testkit::{spawn_app_with, P5000};

use crate::helpers::create;

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
"#,
    )
    .unwrap();
    let app = spawn_app_with(TestDb::sqlite(), |s| {
        s.alerts.rules_file = Some(rules.clone());
        s.alerts.every_secs = 1;
    })
    .await;
    // Let the first evaluation set the cursor at the head of the log.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let unsigned = app.client_for("058091").http;
    for i in 0..4 {
        let r = app
            .post_with(
                &unsigned,
                P5000,
                create(&format!("AL{i}"), &(850 + i).to_string()),
            )
            .await;
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
    let metrics = unsigned
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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
