//! GCRA in the database, on both backends: a burst, then a refusal with the
//! wait until the next admission, then admission again after that wait.

use urna_store::ratelimit::admit;
use urna_store::testing::TestDb;
use urna_store::Store;

#[test]
fn burst_refusal_and_refill() {
    for db in TestDb::all() {
        let store = Store::open(&db.url, 1).unwrap();
        // 1 per second, burst 3: interval 1000 ms, tolerance 2000 ms.
        let at = |now: i64| {
            store
                .read(|c| admit(c, "station:X", now, 1000, 2000))
                .unwrap()
        };
        let t0 = 1_000_000;
        assert_eq!(at(t0), None, "{}", db.label);
        assert_eq!(at(t0), None);
        assert_eq!(at(t0), None);
        let wait = at(t0).expect("the fourth at once is refused");
        assert_eq!(wait, 1000, "{}", db.label);
        assert!(at(t0 + 500).is_some());
        assert_eq!(at(t0 + 1000), None, "{}: refilled after the wait", db.label);
        // Another key is independent.
        assert_eq!(
            store
                .read(|c| admit(c, "station:Y", t0, 1000, 2000))
                .unwrap(),
            None
        );
    }
}
