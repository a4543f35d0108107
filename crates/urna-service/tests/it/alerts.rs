//! The alert rules over a synthetic audit stream, on every backend: each
//! shipped rule fires once, at the entry that crosses its threshold, and
//! not below it; the first evaluation starts at the head of the log; two
//! nodes evaluating the same log store each alert once; a restarted node
//! does not raise again what was raised; alerts are listed and
//! acknowledged.

use urna_service::alerts::{Alerting, DEFAULT_RULES};
use urna_store::alerts as store;
use urna_store::audit::Entry;
use urna_store::testing::TestDb;
use urna_store::Store;

use crate::common;

/// 2025-01-07T09:00:00Z, a Tuesday at 10:00 in Rome.
const T0: i64 = 1_736_240_400_000;

struct Stream<'a> {
    store: &'a Store,
}

impl Stream<'_> {
    /// Appends entries; the seq of the last.
    fn append(
        &self,
        n: usize,
        at_ms: i64,
        operation: &str,
        outcome: &str,
        station: &str,
        operator: Option<&str>,
    ) -> i64 {
        self.store
            .write(|c| {
                let mut last = 0;
                for _ in 0..n {
                    last = urna_store::audit::append(
                        c,
                        &Entry {
                            at_ms,
                            operation,
                            outcome,
                            id_operazione_anpr: None,
                            comune: Some("058091"),
                            station,
                            operator,
                            auth_mode: "tls",
                            request_digest: "0",
                            response_digest: "0",
                        },
                    )?;
                }
                Ok::<_, urna_store::StoreError>(last)
            })
            .unwrap()
    }
}

fn rules_fired(store: &Store) -> Vec<(String, String, i64)> {
    let mut v: Vec<_> = store
        .read(|c| store::list(c, true, 1000))
        .unwrap()
        .into_iter()
        .map(|a| (a.rule, a.alert_key, a.seq))
        .collect();
    v.sort();
    v
}

#[test]
fn the_shipped_rules_fire_once_at_their_entry_across_nodes_and_restarts() {
    for db in TestDb::all() {
        let store = std::sync::Arc::new(Store::open(&db.url, 2).unwrap());
        let services = urna_service::Services::new(store.clone(), Default::default());
        let s = Stream { store: &store };
        // History before alerting existed raises nothing, however alarming.
        s.append(
            30,
            T0 - 1000,
            "unknown",
            "FAULT:signature-invalid",
            "058091-PC-0009",
            None,
        );
        let mut node_a = Alerting::from_toml(DEFAULT_RULES).unwrap();
        let mut node_b = Alerting::from_toml(DEFAULT_RULES).unwrap();
        assert!(
            services.evaluate_alerts(&mut node_a).unwrap().is_empty(),
            "{}",
            db.label
        );
        assert!(rules_fired(&store).is_empty());

        let op = Some("RSSMRA80A01H501U");
        let st = "058091-PC-0001";
        // A station and an operator not seen before.
        s.append(1, T0, "5011", "OK", st, op);
        // 20 security refusals from one station in 5 minutes: not above 20.
        s.append(
            20,
            T0 + 1000,
            "unknown",
            "FAULT:replay",
            "058091-PC-0002",
            None,
        );
        // 10 failed captchas from one address: not above 10.
        s.append(
            10,
            T0 + 2000,
            "certificate-view",
            "CAPTCHA-FAILED",
            "web:10.0.0.7",
            None,
        );
        let fired = services.evaluate_alerts(&mut node_b).unwrap();
        let mut rules: Vec<&str> = fired.iter().map(|f| f.rule.as_str()).collect();
        rules.sort();
        // Only first-seen (the station and operator, the refusing station;
        // not the web visitor): no threshold crossed.
        assert_eq!(
            rules,
            ["new-operator", "new-station", "new-station"],
            "{}: {fired:?}",
            db.label
        );

        // One more of each crosses; node A (behind) and node B race.
        let refusal = s.append(
            1,
            T0 + 3000,
            "unknown",
            "FAULT:replay",
            "058091-PC-0002",
            None,
        );
        let captcha = s.append(
            1,
            T0 + 4000,
            "certificate-view",
            "CAPTCHA-FAILED",
            "web:10.0.0.7",
            None,
        );
        // An export, and an operation at 22:00 in Rome.
        let export = s.append(1, T0 + 5000, "export", "OK", st, None);
        let night = s.append(1, T0 + 12 * 3_600_000, "5010", "OK", st, op);
        let a = services.evaluate_alerts(&mut node_a).unwrap();
        let b = services.evaluate_alerts(&mut node_b).unwrap();
        assert!(
            a.is_empty() || b.is_empty(),
            "{}: one node stores them: {a:?} {b:?}",
            db.label
        );
        let all = rules_fired(&store);
        for (rule, key, seq) in [
            ("security-refusals", "058091-PC-0002", refusal),
            ("captcha-failures", "10.0.0.7", captcha),
            ("bulk-download", st, export),
            ("off-hours-activity", "RSSMRA80A01H501U", night),
        ] {
            let hits: Vec<_> = all.iter().filter(|(r, _, _)| r == rule).collect();
            assert_eq!(hits.len(), 1, "{}: {rule}: {all:?}", db.label);
            assert_eq!(
                (hits[0].1.as_str(), hits[0].2),
                (key, seq),
                "{}: {rule}",
                db.label
            );
        }
        // More of the same within the window: quiet. A restarted node
        // neither repeats nor misses.
        s.append(
            5,
            T0 + 6000,
            "unknown",
            "FAULT:replay",
            "058091-PC-0002",
            None,
        );
        let mut restarted = Alerting::from_toml(DEFAULT_RULES).unwrap();
        assert!(
            services.evaluate_alerts(&mut restarted).unwrap().is_empty(),
            "{}",
            db.label
        );
        assert_eq!(rules_fired(&store), all);

        // Listed newest first, acknowledged once.
        let open = store.read(|c| store::list(c, false, 100)).unwrap();
        assert_eq!(open.len(), all.len());
        let id = open[0].id;
        assert!(services.ack_alert(id, "ufficio").unwrap());
        assert!(!services.ack_alert(id, "ufficio").unwrap());
        let acks = common::audited(&store, "alert-ack");
        assert_eq!(acks.len(), 1, "{}", db.label);
        assert_eq!(acks[0].station, "ufficio");
        assert_eq!(
            store.read(|c| store::list(c, false, 100)).unwrap().len(),
            all.len() - 1
        );
    }
}

#[test]
fn many_distinct_subjects_fire_for_their_operator() {
    let db = TestDb::sqlite();
    let store = std::sync::Arc::new(Store::open(&db.url, 2).unwrap());
    let services = urna_service::Services::new(store.clone(), Default::default());
    let rules = r#"
        [[rule]]
        id = "many"
        description = "many subjects"
        operations = ["3002"]
        by = "operator"
        measure = "distinct-subjects"
        window_secs = 3600
        threshold = 2
        severity = "warning"
    "#;
    let mut node = Alerting::from_toml(rules).unwrap();
    services.evaluate_alerts(&mut node).unwrap();
    // Operations naming their subject, and their audit entries.
    for (i, subject) in ["A", "A", "B", "C"].iter().enumerate() {
        consult(&store, i, subject);
    }
    let fired = services.evaluate_alerts(&mut node).unwrap();
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(
        (fired[0].value, fired[0].key.as_str()),
        (3, "RSSMRA80A01H501U")
    );
    assert_eq!(fired[0].entries.len(), 4);
}

#[test]
fn a_bad_rule_file_says_why() {
    assert!(Alerting::from_toml("[[rule]]\nid = \"x\"")
        .unwrap_err()
        .contains("missing field"));
    let e = Alerting::from_toml(
        "[[rule]]\nid = \"x\"\ndescription = \"d\"\nby = \"station\"\nmeasure = \"count\"\nseverity = \"info\"",
    )
    .unwrap_err();
    assert!(e.contains("window_secs"), "{e}");
}

#[test]
fn a_changed_audit_entry_raises_one_critical_alert() {
    use diesel::connection::SimpleConnection;
    use urna_service::alerts::{ChainCheck, CHAIN_RULE};
    let db = TestDb::sqlite();
    let store = std::sync::Arc::new(Store::open(&db.url, 2).unwrap());
    let services = urna_service::Services::new(store.clone(), Default::default());
    let s = Stream { store: &store };
    let hour = std::time::Duration::from_secs(3600);
    let mut check = ChainCheck::default();
    s.append(8, T0, "5011", "OK", "058091-PC-0001", None);
    assert_eq!(services.check_audit_chain(&mut check, hour).unwrap(), None);
    // New entries are checked from where the last check ended; one of them
    // is changed behind urna's back.
    let last = s.append(2, T0 + 1, "5011", "OK", "058091-PC-0001", None);
    store
        .write(|c| {
            c.batch_execute(&format!(
                "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET outcome = 'KO' WHERE seq = {};",
                last - 1
            ))
            .map_err(urna_store::StoreError::from)
        })
        .unwrap();
    let fired = services
        .check_audit_chain(&mut check, hour)
        .unwrap()
        .unwrap();
    assert_eq!((fired.rule.as_str(), fired.seq), (CHAIN_RULE, last - 1));
    assert!(
        fired.description.contains("does not match its hash"),
        "{}",
        fired.description
    );
    // Found again, stored once.
    assert_eq!(services.check_audit_chain(&mut check, hour).unwrap(), None);
    let stored = store.read(|c| store::list(c, true, 10)).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].severity.as_str(), stored[0].seq),
        ("critical", last - 1)
    );
}

#[test]
fn a_blocking_rule_blocks_its_station_until_lifted_audited() {
    use urna_domain::alerts::BlockKind;
    for db in TestDb::all() {
        let store = std::sync::Arc::new(Store::open(&db.url, 2).unwrap());
        let services = urna_service::Services::new(store.clone(), Default::default())
            .with_clock(|| time::OffsetDateTime::from_unix_timestamp(T0 / 1000).unwrap());
        let rules = r#"
            [[rule]]
            id = "refusals"
            description = "refusals"
            outcomes = ["FAULT:"]
            by = "station"
            measure = "count"
            window_secs = 300
            threshold = 1
            severity = "critical"
            block_secs = 600
        "#;
        let mut node = Alerting::from_toml(rules).unwrap();
        services.evaluate_alerts(&mut node).unwrap();
        let s = Stream { store: &store };
        let at = s.append(2, T0, "unknown", "FAULT:replay", "058091-PC-0002", None);
        assert_eq!(services.evaluate_alerts(&mut node).unwrap()[0].seq, at);
        let blocks = services.active_blocks().unwrap();
        assert_eq!(blocks.len(), 1, "{}", db.label);
        assert_eq!(
            (
                blocks[0].kind.as_str(),
                blocks[0].block_key.as_str(),
                blocks[0].until_ms
            ),
            ("station", "058091-PC-0002", T0 + 600_000)
        );
        let audited = |op: &str| common::audited(&store, op);
        assert_eq!(audited("block")[0].station, "station:058091-PC-0002");
        assert!(services
            .unblock(BlockKind::Station, "058091-PC-0002", "ufficio")
            .unwrap());
        assert!(!services
            .unblock(BlockKind::Station, "058091-PC-0002", "ufficio")
            .unwrap());
        assert!(services.active_blocks().unwrap().is_empty());
        assert_eq!(audited("unblock").len(), 1, "{}", db.label);
    }
    // Only a station or an address can be blocked.
    let e = Alerting::from_toml(
        "[[rule]]\nid = \"x\"\ndescription = \"d\"\nby = \"operator\"\nmeasure = \"count\"\nwindow_secs = 1\nseverity = \"info\"\nblock_secs = 5",
    )
    .unwrap_err();
    assert!(e.contains("block_secs"), "{e}");
}

/// A 3002 of Roma's operator about `subject` (an id or a codice fiscale):
/// its operation record and audit entry, `i` ms after T0.
fn consult(store: &Store, i: usize, subject: &str) {
    store
        .write(|c| {
            let id = urna_store::operations::insert(
                c,
                &urna_store::operations::NewOperation {
                    comune_istat: "058091",
                    id_operazione_comune: &format!("S{i}"),
                    operation: "3002",
                    station_cn: "058091-PC-0001",
                    correlation_id: "c",
                    received_at: T0 + i as i64,
                    outcome: "OK",
                    codes: "",
                    request_digest: "0",
                    operator: Some("RSSMRA80A01H501U"),
                    auth_mode: "wss-saml",
                    subject_key: Some(subject),
                },
            )?;
            urna_store::audit::append(
                c,
                &Entry {
                    at_ms: T0 + i as i64,
                    operation: "3002",
                    outcome: "OK",
                    id_operazione_anpr: Some(id),
                    comune: Some("058091"),
                    station: "058091-PC-0001",
                    operator: Some("RSSMRA80A01H501U"),
                    auth_mode: "wss-saml",
                    request_digest: "0",
                    response_digest: "0",
                },
            )?;
            Ok::<_, urna_store::StoreError>(())
        })
        .unwrap();
}

#[test]
fn consultations_of_other_comuni_electors_fire_above_their_share() {
    use urna_service::demo::{self, DEMO_COMUNI};
    for db in TestDb::all() {
        let store = common::demo_store(&db);
        let services = urna_service::Services::new(store.clone(), Default::default());
        let rules = r#"
            [[rule]]
            id = "others"
            description = "others"
            operations = ["3002"]
            by = "operator"
            measure = "other-comune-share"
            window_secs = 3600
            threshold = 50
            min_entries = 4
            severity = "warning"
        "#;
        let mut node = Alerting::from_toml(rules).unwrap();
        services.evaluate_alerts(&mut node).unwrap();
        let (roma, milano) = (&DEMO_COMUNI[0], &DEMO_COMUNI[2]);
        let milano_cf = demo::subject_row(milano, 1).codice_fiscale;
        // Roma, Milano, Roma, Milano (by codice fiscale): 50%, not above.
        consult(&store, 0, &demo::subject_id(roma, 0));
        consult(&store, 1, &demo::subject_id(milano, 0));
        consult(&store, 2, &demo::subject_id(roma, 1));
        consult(&store, 3, &milano_cf);
        assert!(
            services.evaluate_alerts(&mut node).unwrap().is_empty(),
            "{}",
            db.label
        );
        // A non-elector is not counted; a third Milano elector makes 60%.
        consult(&store, 4, "99999999999");
        consult(&store, 5, &demo::subject_id(milano, 2));
        let fired = services.evaluate_alerts(&mut node).unwrap();
        assert_eq!(fired.len(), 1, "{}: {fired:?}", db.label);
        assert_eq!(fired[0].value, 60, "{}", db.label);
        assert_eq!(fired[0].entries.len(), 5);
    }
}
