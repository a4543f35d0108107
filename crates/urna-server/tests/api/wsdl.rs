use urna_testkit::{client, spawn_app, P2000, P3000, P5000};

#[tokio::test]
async fn wsdl_and_schemas_are_served_and_resolvable() {
    let app = spawn_app().await;
    let c = client(app.ca.cert_pem(), None).unwrap();
    for (path, op) in [
        (P5000, "mutazione_liste_sezioni"),
        (P3000, "consultazione_sezione"),
        (P2000, "cancellazione_sezione"),
    ] {
        let w = c
            .get(app.url(&format!("{path}?wsdl")))
            .send()
            .await
            .unwrap();
        assert_eq!(w.status(), 200);
        let text = w.text().await.unwrap();
        assert!(text.contains(op), "{path}");
        assert!(
            text.contains(&format!("location=\"{}{path}\"", app.base)),
            "{text}"
        );
        // Every schemaLocation resolves relative to the endpoint path.
        let dir = &path[..path.rfind('/').unwrap()];
        let mut pending: Vec<String> = locations(&text);
        let mut seen = std::collections::HashSet::new();
        while let Some(loc) = pending.pop() {
            if !seen.insert(loc.clone()) {
                continue;
            }
            let x = c
                .get(app.url(&format!("{dir}/{loc}")))
                .send()
                .await
                .unwrap();
            assert_eq!(x.status(), 200, "{dir}/{loc}");
            pending.extend(locations(&x.text().await.unwrap()));
        }
        assert!(seen.contains("tipoDato.xsd"), "{seen:?}");
    }
    let r = c
        .get(app.url("/ANPR5000ServiziMutazione/nope.xsd"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

fn locations(text: &str) -> Vec<String> {
    text.match_indices("schemaLocation=\"")
        .map(|(i, m)| {
            let s = &text[i + m.len()..];
            s[..s.find('"').unwrap()].to_string()
        })
        .collect()
}
