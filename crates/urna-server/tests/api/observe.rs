//! Every route gets a correlation id (header `X-Correlation-Id`) and its
//! metrics, not only the SOAP endpoints: the takeover status, the WSDL and
//! health calls alike; a SOAP fault carries the same id as its header.

use urna_testkit::{spawn_app, P5000};

#[tokio::test]
async fn every_route_has_a_correlation_id_and_metrics() {
    let app = spawn_app().await;
    let c = app.client_for("058091");
    let mut ids = std::collections::HashSet::new();
    for path in [
        "/health".to_string(),
        format!("{P5000}?wsdl"),
        "/subentro/058091".to_string(),
    ] {
        let r = c.get(app.url(&path)).send().await.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        let id = r
            .headers()
            .get("x-correlation-id")
            .unwrap_or_else(|| panic!("{path}: no correlation id"))
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(id.len(), 32, "{path}: {id}");
        assert!(ids.insert(id), "{path}: a fresh id per request");
    }
    // A SOAP fault names the id its header carries.
    let r = c
        .post(app.url(P5000))
        .header("Content-Type", "text/xml")
        .body("not xml")
        .send()
        .await
        .unwrap();
    let id = r
        .headers()
        .get("x-correlation-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let body = r.text().await.unwrap();
    assert!(
        body.contains(&format!("<u:correlationId>{id}</u:correlationId>")),
        "{id}: {body}"
    );

    let m = c
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for route in ["/health", "/subentro/{istat}", P5000] {
        assert!(
            m.contains(&format!(
                "urna_http_requests_total{{route=\"{route}\",status=\"200\"}}"
            )) || m.contains(&format!(
                "urna_http_requests_total{{route=\"{route}\",status=\"500\"}}"
            )),
            "{route}: {m}"
        );
    }
    assert!(
        m.contains("urna_http_request_duration_seconds_bucket{route=\"/health\""),
        "{m}"
    );
}
