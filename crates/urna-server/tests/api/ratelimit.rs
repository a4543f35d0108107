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
    milano_is_served(&app, "RLM1").await;
}

/// Milano's station, untouched by Roma's quota, is served by `node`.
async fn milano_is_served(node: &TestApp, id: &str) {
    let milano = node.client_for("015146");
    let t = urna_wire::build::Testata::new(id, "015146", "3008", &crate::helpers::now());
    let r = node
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

/// Sends 10 requests of Roma's station alternately to `a` and `b`; only
/// `rate-limited` refusals are expected. Returns how many were admitted.
async fn admitted_across(a: &TestApp, b: &TestApp, prefix: &str, section: &str) -> usize {
    let c = a.client_for("058091");
    let mut admitted = 0;
    for i in 0..10 {
        let node = if i % 2 == 0 { a } else { b };
        let r = node
            .post_with(&c, P5000, create(&format!("{prefix}{i}"), section))
            .await;
        if r.is_fault() {
            assert_eq!(r.fault_reason(), Some("rate-limited"), "{}", r.body);
            assert!(r.body.contains("058091-PC-0001"), "{}", r.body);
        } else {
            admitted += 1;
        }
    }
    admitted
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
    let admitted = admitted_across(&a, &b, "RLN", "961").await;
    // The burst of 3 once (plus at most one refill at 0.2/s), not per node.
    assert!((3..=4).contains(&admitted), "{admitted} admitted");
}

/// The Redis of the test machine (`URNA_TEST_REDIS_URL`, default
/// 127.0.0.1:6379); None when it does not answer, unless
/// `URNA_REQUIRE_REDIS=1` (CI) makes that a failure.
fn test_redis() -> Option<String> {
    let url = std::env::var("URNA_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    let up = std::net::TcpStream::connect_timeout(
        &"127.0.0.1:6379".parse().unwrap(),
        std::time::Duration::from_secs(1),
    )
    .is_ok()
        || !url.contains("127.0.0.1:6379");
    if up {
        return Some(url);
    }
    assert!(
        std::env::var("URNA_REQUIRE_REDIS").as_deref() != Ok("1"),
        "URNA_REQUIRE_REDIS=1 but Redis does not answer at {url}"
    );
    eprintln!("Redis does not answer at {url}: Redis rate-limit test skipped");
    None
}

#[tokio::test]
async fn two_nodes_on_one_redis_share_the_quota_and_other_comuni_go_on() {
    let Some(redis) = test_redis() else {
        return;
    };
    // Keys of this run only, so parallel runs on one Redis do not meet.
    let prefix = format!("urna-test:{}:", uuid::Uuid::new_v4().simple());
    let on_redis = move |s: &mut urna_server::Settings| {
        tight(s);
        s.rate_limit.state = urna_server::ratelimit::Where::Redis;
        s.rate_limit.redis_url = redis.clone();
        s.rate_limit.redis_prefix = prefix.clone();
    };
    let a = spawn_app_with(TestDb::sqlite(), on_redis.clone()).await;
    let pki = a.pki.root.clone();
    let b = spawn_app_with(TestDb::sqlite(), move |s| {
        on_redis(s);
        s.tls.pki_dir = pki;
    })
    .await;
    let admitted = admitted_across(&a, &b, "RLR", "962").await;
    // The burst of 3 once (plus at most one refill at 0.2/s), not per node.
    assert!((3..=4).contains(&admitted), "{admitted} admitted");
    // Milano's station, on the other node, has its own quota.
    milano_is_served(&b, "RLRM1").await;
}

#[tokio::test]
async fn an_unreachable_redis_stops_start_up_with_its_cause() {
    let mut s = urna_server::Settings::default();
    s.rate_limit.state = urna_server::ratelimit::Where::Redis;
    s.rate_limit.redis_url = "redis://127.0.0.1:1".into();
    let db = TestDb::sqlite();
    let store = std::sync::Arc::new(urna_store::Store::open(&db.url, 1).unwrap());
    let err = urna_server::ratelimit::RateLimiter::new(&s.rate_limit, store)
        .err()
        .expect("refused");
    assert!(err.to_string().contains("does not answer"), "{err}");
}

/// A TCP relay to Redis that the test can cut: afterwards open connections
/// are shut down and new ones refused, as when Redis goes away.
struct Relay {
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    open: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Relay {
    fn to(target: std::net::SocketAddr) -> Relay {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let open = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (s, o) = (stop.clone(), open.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = std::net::TcpStream::connect(target) else {
                            continue;
                        };
                        let mut kept = o.lock().unwrap();
                        kept.push(client.try_clone().unwrap());
                        kept.push(server.try_clone().unwrap());
                        for (mut from, mut to) in [
                            (client.try_clone().unwrap(), server.try_clone().unwrap()),
                            (server, client),
                        ] {
                            std::thread::spawn(move || {
                                let _ = std::io::copy(&mut from, &mut to);
                                let _ = to.shutdown(std::net::Shutdown::Both);
                            });
                        }
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
            // The listener is dropped here: new connections are refused.
        });
        Relay { port, stop, open }
    }

    fn cut(&self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Redis answering at start-up and failing later: requests are refused with
/// `storage-unavailable` (the quota cannot be checked), never admitted
/// without one.
#[tokio::test]
async fn redis_failing_after_start_up_refuses_requests_instead_of_lifting_the_quota() {
    let Some(redis) = test_redis() else {
        return;
    };
    use std::net::ToSocketAddrs;
    let target = redis
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap()
        .to_socket_addrs()
        .unwrap()
        .next()
        .unwrap();
    let relay = Relay::to(target);
    let (port, prefix) = (
        relay.port,
        format!("urna-test:{}:", uuid::Uuid::new_v4().simple()),
    );
    let app = spawn_app_with(TestDb::sqlite(), move |s| {
        s.rate_limit.state = urna_server::ratelimit::Where::Redis;
        s.rate_limit.redis_url = format!("redis://127.0.0.1:{port}");
        s.rate_limit.redis_prefix = prefix.clone();
    })
    .await;
    let roma = app.client_for("058091");
    let r = send(&app, &roma, "RLX1").await;
    assert!(!r.is_fault(), "Redis answers: admitted. {}", r.body);
    relay.cut();
    let r = send(&app, &roma, "RLX2").await;
    assert_eq!(r.fault_reason(), Some("storage-unavailable"), "{}", r.body);
    assert!(r.body.contains("Redis"), "{}", r.body);
}

/// `/ready`: 200 while the database answers with every migration run and
/// the quotas' Redis answers; 503, saying which, when a migration this urna
/// expects is missing from the database (a node of another version).
#[tokio::test]
async fn ready_says_whether_the_database_and_the_quotas_answer() {
    let redis = test_redis();
    let prefix = format!("urna-test:{}:", uuid::Uuid::new_v4().simple());
    let on_redis = redis.is_some();
    let app = spawn_app_with(TestDb::sqlite(), move |s| {
        if let Some(url) = redis {
            s.rate_limit.state = urna_server::ratelimit::Where::Redis;
            s.rate_limit.redis_url = url;
            s.rate_limit.redis_prefix = prefix;
        }
    })
    .await;
    let http = app.client_for("058091").http;
    let ready = || async {
        let r = http.get(app.url("/ready")).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json::<serde_json::Value>().await.unwrap())
    };
    let (status, v) = ready().await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["ready"], true, "{v}");
    assert_eq!(v["database"]["detail"], "migrations current", "{v}");
    if on_redis {
        assert_eq!(v["quotas"]["state"], "redis", "{v}");
        assert_eq!(v["quotas"]["ok"], true, "{v}");
    }
    // The newest migration goes missing from the database.
    let path = app.db.url.strip_prefix("sqlite://").unwrap().to_string();
    let mut c = <diesel::SqliteConnection as diesel::Connection>::establish(&path).unwrap();
    diesel::RunQueryDsl::execute(
        diesel::sql_query(
            "DELETE FROM __diesel_schema_migrations WHERE version = (SELECT MAX(version) FROM __diesel_schema_migrations)",
        ),
        &mut c,
    )
    .unwrap();
    let (status, v) = ready().await;
    assert_eq!(status, 503, "{v}");
    assert_eq!(v["ready"], false, "{v}");
    assert_eq!(v["database"]["ok"], false, "{v}");
    assert_eq!(v["database"]["detail"], "1 migrations not run", "{v}");
}
