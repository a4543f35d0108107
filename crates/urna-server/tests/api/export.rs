//! `GET /export/{istat}/{file}` over mTLS: the comune's own stations get
//! the takeover files (schema-valid, gzip) and the CSV, streamed; another
//! comune's station is refused; unknown files and comuni get precise
//! errors; every download is an audit entry.

use std::io::Read;

use urna_testkit::spawn_app;

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[tokio::test]
async fn a_comune_downloads_its_export_and_nobody_else_does() {
    let app = spawn_app().await;
    let roma = app.client_for("058091");
    let get = |path: String| {
        let c = roma.http.clone();
        let url = app.url(&path);
        async move { c.get(url).send().await.unwrap() }
    };

    let r = get("/export/058091/subentroSezioni-058091.xml.gz".into()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/gzip");
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"subentroSezioni-058091.xml.gz\""
    );
    let xml = gunzip(&r.bytes().await.unwrap());
    urna_security::gate::validate_document(&xml, "subentroSezioni.xsd").unwrap();

    let r = get("/export/058091/subentroListe-058091.xml.gz".into()).await;
    assert_eq!(r.status(), 200);
    let xml = gunzip(&r.bytes().await.unwrap());
    urna_security::gate::validate_document(&xml, "subentroListe.xsd").unwrap();
    let n = String::from_utf8_lossy(&xml)
        .matches("<listaSoggetto>")
        .count();
    assert!(n > 0);

    let r = get("/export/058091/elettori-058091.csv".into()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("id_soggetto,codice_fiscale,"), "{csv}");
    assert!(
        csv.lines().count() > n,
        "every listed elector, and the header"
    );

    // A file that is not an export's: the three names.
    let r = get("/export/058091/tutto.zip".into()).await;
    assert_eq!(r.status(), 404);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["files"][2], "elettori-058091.csv", "{v}");

    // Another comune's station.
    let milano = app.client_for("015146");
    let r = milano
        .http
        .get(app.url("/export/058091/elettori-058091.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["reason"], "identity-mismatch", "{v}");

    // Every download audited, with the station.
    let store = urna_store::Store::open(&app.db.url, 1).unwrap();
    let rows = store
        .read(|c| {
            urna_store::audit::list(
                c,
                &urna_store::audit::Filter {
                    operation: Some("export".into()),
                    limit: 100,
                    ..Default::default()
                },
            )
        })
        .unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows
        .iter()
        .all(|r| r.station == "058091-PC-0001" && r.auth_mode == "tls"));
    assert!(rows[0].outcome.starts_with("OK "), "{rows:?}");
}

#[tokio::test]
async fn a_comune_not_in_the_table_gets_not_found_before_any_byte() {
    let app = spawn_app().await;
    let nowhere = app.client_for("099999");
    let r = nowhere
        .http
        .get(app.url("/export/099999/elettori-099999.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(v["message"].as_str().unwrap().contains("099999"), "{v}");
}
