//! A graceful stop (what SIGTERM does) under load loses nothing: every
//! request the server answered OK is stored exactly once, none is answered
//! with a server error, and the others never reached it (a connection
//! error the client can resend).

use urna_store::testing::TestDb;
use urna_testkit::{spawn_app_on, Sender, P5000};

use crate::helpers::create;

#[tokio::test]
async fn a_graceful_stop_under_load_answers_what_it_took_and_loses_nothing() {
    let app = spawn_app_on(TestDb::sqlite()).await;
    let roma = app.client_for("058091");
    let n = 60;
    let bodies: Vec<String> = (0..n)
        .map(|i| roma.prepare(create(&format!("SD{i}"), &(700 + i).to_string())))
        .collect();
    let url = app.url(P5000);
    let tasks: Vec<_> = bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let (http, url) = (roma.http.clone(), url.clone());
            tokio::spawn(async move {
                // Spread over 600 ms; the stop comes at 300.
                tokio::time::sleep(std::time::Duration::from_millis(i as u64 * 10)).await;
                let sent = http
                    .post(url)
                    .header("Content-Type", "text/xml; charset=UTF-8")
                    .body(body)
                    .send()
                    .await;
                match sent {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let text = r.text().await.unwrap_or_default();
                        Some((i, status, text))
                    }
                    Err(_) => None,
                }
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.stop().await;
    let mut answered = Vec::new();
    for t in tasks {
        if let Some((i, status, text)) = t.await.unwrap() {
            assert_eq!(status, 200, "request {i} got {status}: {text}");
            assert!(
                text.contains("<esitoOperazione>0000</esitoOperazione>"),
                "{text}"
            );
            answered.push(format!("SD{i}"));
        }
    }
    assert!(
        !answered.is_empty() && answered.len() < n as usize,
        "the stop must fall inside the stream: {} of {n} answered",
        answered.len()
    );
    let store = urna_store::Store::open(&app.db.url, 1).unwrap();
    for id in &answered {
        let stored = store
            .read(|c| urna_store::operations::remembered(c, "058091", id))
            .unwrap();
        assert!(stored.is_some(), "{id} was answered but is not stored");
    }
    let report = store.read(|c| urna_store::audit::verify(c, &[])).unwrap();
    assert_eq!(report.first_broken, None);
}
