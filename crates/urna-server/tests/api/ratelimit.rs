//! Quotas per station and per comune: a burst is admitted, then a policy
//! fault with Retry-After; another comune is not affected; two nodes on one
//! PostgreSQL admit the quota once in total.

use urna_store::testing::TestDb;
use urna_testkit::{spawn_app_with, TestApp, P5000};

use crate::helpers::create;

fn tight(s: &mut urna_server::Settings) {
    s.rate_limit.station.per_sec = 0.2;
    s.rate_limit.station.burst = 3;
}

async fn send(app: &TestApp, c: &urna_testkit::StationClient, id: &str) -> urna_testkit::Reply {
    app.post_with(c, P5000, create(id, "960")).await
}

#[tokio::test]
async fn a_station_over_its_quota_gets_retry_after_and_others_go_on() {
    let app = spawn_app_with(TestDb::sqlite(), tight).await;
    let roma = app.client_for("058091");
    for i in 0..3 {
        let r = send(&app, &roma, &format!("RL{i}")).await;
        assert!(!r.is_fault(), "request {i} within the burst: {}", r.body);
    }
    let over = roma
        .post(app.url(P5000))
        .header("Content-Type", "text/xml")
        .body(urna_testkit::Sender::prepare(&roma, create("RL3", "960")))
        .send()
        .await
        .unwrap();
    let retry = over
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let body = over.text().await.unwrap();
    assert!(body.contains("<u:reason>rate-limited</u:reason>"), "{body}");
    assert!(body.contains("Rejected by policy. (from client)"));
    assert!(retry.is_some_and(|s| (1..=5).contains(&s)), "{retry:?}");
    // Milano's station has its own quota.
    let milano = app.client_for("015146");
    let t = urna_wire::build::Testata::new("RLM1", "015146", "3008", &crate::helpers::now());
    let r = app
        .post_with(
            &milano,
            urna_testkit::P3000,
            urna_wire::build::richiesta3008(
                &t,
                &urna_wire::build::comune("MILANO", "015146", "MI"),
                None,
                "2",
            ),
        )
        .await;
    assert!(!r.is_fault(), "{}", r.body);
}

#[tokio::test]
async fn two_nodes_on_one_postgresql_share_the_quota() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let url = db.url.clone();
    let a = spawn_app_with(db, tight).await;
    let pki = a.pki.root.clone();
    let b = spawn_app_with(TestDb::sqlite(), move |s| {
        tight(s);
        s.database.url = url;
        s.tls.pki_dir = pki;
    })
    .await;
    let c = a.client_for("058091");
    let mut admitted = 0;
    for i in 0..10 {
        let node = if i % 2 == 0 { &a } else { &b };
        let r = node
            .post_with(&c, P5000, create(&format!("RLN{i}"), "961"))
            .await;
        if r.is_fault() {
            assert_eq!(r.fault_reason(), Some("rate-limited"), "{}", r.body);
        } else {
            admitted += 1;
        }
    }
    // The burst of 3 once (plus at most one refill at 0.2/s), not per node.
    assert!((3..=4).contains(&admitted), "{admitted} admitted");
}
