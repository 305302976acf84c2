//! Requests run to completion: one in flight when the server is told to stop, or whose client
//! goes away, still completes, and what it wrote is kept.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::time::Duration;

use crate::helpers::*;

#[tokio::test]
async fn in_flight_requests_finish_on_shutdown() {
    let mut app = spawn_app().await;
    let msp = msp(&app).await;
    let t = client(&msp, "Shutdown", unlimited()).await;

    // Hold the tenant's server-creation lock from outside, so the request waits mid-flight.
    let blocker = hold_server_lock(&app, &t).await;
    let request = create_waiting_on_lock(&app, &t, "late").await;

    app.shutdown();
    // Stopped accepting: a new connection is refused (soon; the accept loop ends on the signal).
    let mut refused = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(app.addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        refused,
        "the server still accepts connections after shutdown"
    );
    // The in-flight request is still alive; let it through.
    assert!(!request.is_finished());
    blocker.commit().await.unwrap();

    let created = request
        .await
        .unwrap()
        .expect("the in-flight request completes");
    assert_eq!(created.name, "late");
    let task = app.task.take().unwrap();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM servers WHERE id = $1")
        .bind(created.id)
        .fetch_one(&app.admin)
        .await
        .unwrap();
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn a_request_whose_client_goes_away_still_completes_and_leaves_no_open_transaction() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let t = client(&msp, "Gone away", unlimited()).await;

    let blocker = hold_server_lock(&app, &t).await;
    let request = create_waiting_on_lock(&app, &t, "orphan").await;

    // The client gives up: its connection closes while the server waits on the lock.
    request.abort();
    assert!(request.await.unwrap_err().is_cancelled());
    tokio::time::sleep(Duration::from_millis(200)).await;
    blocker.commit().await.unwrap();

    // The create is finished all the same (the answer had nobody to go to) ...
    let mut created = 0_i64;
    for _ in 0..100 {
        created = sqlx::query_scalar("SELECT count(*) FROM servers WHERE name = 'orphan'")
            .fetch_one(&app.admin)
            .await
            .unwrap();
        if created == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(created, 1, "the request was cut off halfway");
    // ... and no connection of the server's pool sits inside a transaction.
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
    )
    .fetch_one(&app.admin)
    .await
    .unwrap();
    assert_eq!(open, 0);
    // The client's data reads fine afterwards.
    assert_eq!(t.api.servers().await.unwrap().items.len(), 1);
}

#[tokio::test]
async fn a_request_whose_client_went_away_keeps_its_place_in_the_bound_until_it_ends() {
    let app = spawn_app_with(AppOptions {
        settings: mspdesk_server::Settings {
            max_concurrent_requests: 1,
            ..mspdesk_server::Settings::default()
        },
        ..AppOptions::default()
    })
    .await;
    let msp = msp(&app).await;
    let t = client(&msp, "Bounded", unlimited()).await;
    let blocker = hold_server_lock(&app, &t).await;
    let request = create_waiting_on_lock(&app, &t, "held").await;
    request.abort();
    assert!(request.await.unwrap_err().is_cancelled());
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The abandoned request still runs, so the one place is taken: 503 at once.
    let err = t.api.servers().await.unwrap_err();
    assert_eq!(
        err.code(),
        Some(mspdesk_api::ProblemCode::Unavailable),
        "{err}"
    );
    blocker.commit().await.unwrap();
    // Once it has ended, the place is free again.
    let mut listed = None;
    for _ in 0..100 {
        if let Ok(page) = t.api.servers().await {
            listed = Some(page);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let names: Vec<String> = listed
        .expect("the place was never freed")
        .items
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["held"]);
}
