//! Operator profiles (docs/security.md, "Operators and profiles"): only a
//! registered operator with the electoral profile changes electoral data; an
//! unknown operator is refused unless the local-testing switch is on.
//! Refusals are ANPR's policy faults with a precise reason, audited, and
//! nothing is stored.

use urna_testkit::{spawn_app, spawn_app_with, P3000, P5000};
use urna_wire::build;

use crate::helpers::{create, roma, t};

const ANAGRAFE_ONLY: &str = "VRDGPP75C15H501P";
const ELETTORALE_ONLY: &str = "BNCLRA85M41F205C";
const UNKNOWN: &str = "MRNLCU90A01H501D";

fn read_section(id: &str) -> String {
    build::richiesta3008(&t(id, "3008"), &roma(), Some("1"), "1")
}

#[tokio::test]
async fn electoral_changes_need_the_electoral_profile() {
    let app = spawn_app().await;
    let anagrafe = app.client_as("058091", ANAGRAFE_ONLY);
    let r = app.post_with(&anagrafe, P5000, create("OP1", "990")).await;
    assert_eq!(
        r.fault_reason(),
        Some("operator-not-profiled"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Rejected by policy"), "{}", r.body);
    assert!(
        r.body.contains(ANAGRAFE_ONLY) && r.body.contains("elettorale"),
        "names the operator and the profile: {}",
        r.body
    );
    // Reading a section needs no profile.
    let r = app.post_with(&anagrafe, P3000, read_section("OP2")).await;
    assert!(r.is_ok(), "{}", r.body);
    // Reading a subject neither, but its electoral detail needs the
    // electoral profile: the flag only, and a warning (R-Q4).
    let cf = urna_service::demo::subject_row(&urna_service::demo::DEMO_COMUNI[0], 0).codice_fiscale;
    let subject = |id: &str| {
        build::richiesta3002(
            &t(id, "3002"),
            &[urna_wire::Element::leaf("codiceFiscale", cf.as_str())],
            None,
            &["18"],
        )
    };
    let r = app.post_with(&anagrafe, P3000, subject("OP3")).await;
    assert!(r.is_ok(), "{}", r.body);
    assert!(r.body.contains("<listaElettorale>"), "{}", r.body);
    assert!(!r.body.contains("<listaElettoraleCompleta>"), "{}", r.body);
    assert!(
        r.body.contains("<codiceErroreAnomalia>EN174</codiceErroreAnomalia><tipoErroreAnomalia>W</tipoErroreAnomalia>"),
        "{}",
        r.body
    );
    // The electoral operator goes through, with the same id: nothing was stored.
    let electoral = app.client_as("058091", ELETTORALE_ONLY);
    let r = app.post_with(&electoral, P5000, create("OP1", "990")).await;
    assert!(r.is_ok(), "{}", r.body);

    let r = app.post_with(&electoral, P3000, subject("OP4")).await;
    assert!(r.body.contains("<listaElettoraleCompleta>"), "{}", r.body);
    assert!(!r.body.contains("<listaAnomalie>"), "{}", r.body);

    // The refusal is in the audit log, with the operator.
    let store = urna_store::Store::open(&app.db.url, 1).unwrap();
    let refused: Vec<(String, Option<String>)> = store
        .read(|c| {
            use diesel::prelude::*;
            use urna_store::schema::audit_log::dsl::*;
            Ok(audit_log
                .filter(outcome.like("FAULT:operator%"))
                .select((outcome, operator))
                .load(c)?)
        })
        .unwrap();
    assert_eq!(
        refused,
        vec![(
            "FAULT:operator-not-profiled".to_string(),
            Some(ANAGRAFE_ONLY.to_string())
        )]
    );
}

#[tokio::test]
async fn unknown_operators_are_refused_unless_the_local_profile_allows_them() {
    let app = spawn_app().await;
    let stranger = app.client_as("058091", UNKNOWN);
    for (path, body) in [(P5000, create("OU1", "991")), (P3000, read_section("OU2"))] {
        let r = app.post_with(&stranger, path, body).await;
        assert_eq!(r.fault_reason(), Some("operator-unknown"), "{}", r.body);
        assert!(
            r.body.contains(UNKNOWN) && r.body.contains("058091"),
            "{}",
            r.body
        );
    }
    // Registered for Roma is not registered for Milano.
    let r = app
        .post_with(
            &app.client_as("015146", ANAGRAFE_ONLY),
            P3000,
            build::richiesta3008(
                &build::Testata::new("OU3", "015146", "3008", &crate::helpers::now()),
                &build::comune("MILANO", "015146", "MI"),
                Some("1"),
                "1",
            ),
        )
        .await;
    assert!(r.is_ok(), "a demo operator of Milano too: {}", r.body);

    let open = spawn_app_with(urna_store::testing::TestDb::sqlite(), |s| {
        s.security.allow_unknown_operators = true
    })
    .await;
    let r = open
        .post_with(
            &open.client_as("058091", UNKNOWN),
            P5000,
            create("OU4", "992"),
        )
        .await;
    assert!(r.is_ok(), "local-testing profile: {}", r.body);
    // A registered operator still needs its profile.
    let r = open
        .post_with(
            &open.client_as("058091", ANAGRAFE_ONLY),
            P5000,
            create("OU5", "993"),
        )
        .await;
    assert_eq!(
        r.fault_reason(),
        Some("operator-not-profiled"),
        "{}",
        r.body
    );
}
