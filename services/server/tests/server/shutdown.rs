//! Graceful shutdown: drain in-flight work, refuse new work, bounded by the grace period.

use std::time::{Duration, Instant};

use stance_proto::v1::ClassifyRequest;
use stance_server::Config;

use crate::common;

#[tokio::test]
async fn shutdown_drains_a_slow_in_flight_request() {
    let hooks = common::slow_hooks("SLOW", Duration::from_millis(1000));
    let started = hooks.slow_started.clone();
    let server = common::start_with(Config::for_tests(), hooks).await;
    let addr = server.addr;
    let mut client = server.client().await;
    let entered = started.notified();
    let slow = tokio::spawn(async move {
        client
            .classify(ClassifyRequest {
                text: "SLOW but important".into(),
            })
            .await
    });
    entered.await;

    let t0 = Instant::now();
    server.shutdown.shutdown();
    server.wait().await.expect("clean stop");
    let answer = slow
        .await
        .expect("task")
        .expect("in-flight request finishes with OK");
    assert!(!answer.into_inner().model_version.is_empty());
    assert!(
        t0.elapsed() >= Duration::from_millis(500),
        "the server waited for the request"
    );

    // Afterwards nothing listens any more.
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).expect("uri");
    assert!(endpoint.connect().await.is_err());
}

#[tokio::test]
async fn grace_period_bounds_the_drain() {
    let mut config = Config::for_tests();
    config.shutdown_grace = Duration::from_millis(300);
    let hooks = common::slow_hooks("SLOW", Duration::from_secs(30));
    let started = hooks.slow_started.clone();
    let server = common::start_with(config, hooks).await;
    let mut client = server.client().await;
    let entered = started.notified();
    let slow = tokio::spawn(async move {
        client
            .classify(ClassifyRequest {
                text: "SLOW".into(),
            })
            .await
    });
    entered.await;

    let t0 = Instant::now();
    server.shutdown.shutdown();
    server.wait().await.expect("stops after the grace period");
    assert!(t0.elapsed() < Duration::from_secs(5));
    // In a real process the exit ends the cut-off request; in-process its
    // connection task outlives the server, so just drop the client.
    slow.abort();
}
