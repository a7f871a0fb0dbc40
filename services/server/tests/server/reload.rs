//! Hot reload: swaps under load without a failed request, bad files rejected.

use std::{
    collections::BTreeSet,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use stance_proto::v1::{
    ClassifyBatchRequest, ClassifyRequest, GetModelInfoRequest, GetModelInfoResponse,
};
use stance_server::Config;

use crate::common;

async fn info(server: &common::TestServer) -> GetModelInfoResponse {
    server
        .client()
        .await
        .get_model_info(GetModelInfoRequest {})
        .await
        .expect("info")
        .into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_swaps_under_load_fail_no_request() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("model.stance");
    let models = [common::builtin_bytes(), common::trained_bytes().to_vec()];
    let versions: BTreeSet<String> = models.iter().map(|m| common::version_of(m)).collect();
    assert_eq!(versions.len(), 2);
    common::install(&path, &models[0]);
    let mut config = common::config_with_model(&path);
    config.model_poll_interval = Some(Duration::from_millis(10));
    let server = common::start(config).await;

    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for worker in 0..2 {
        let mut client = server.client().await;
        let stop = Arc::clone(&stop);
        load.push(tokio::spawn(async move {
            let (mut seen, mut failures, mut requests) = (BTreeSet::new(), Vec::new(), 0u32);
            // Bounded: at most 200k requests or until told to stop.
            while !stop.load(Ordering::Relaxed) && requests < 200_000 {
                requests += 1;
                if worker == 0 {
                    match client
                        .classify(ClassifyRequest {
                            text: "We urge restraint.".into(),
                        })
                        .await
                    {
                        Ok(r) => {
                            seen.insert(r.into_inner().model_version);
                        }
                        Err(status) => failures.push(status.code()),
                    }
                } else {
                    let texts = vec!["We condemn the raid.".to_owned(); 20];
                    match client.classify_batch(ClassifyBatchRequest { texts }).await {
                        Ok(r) => {
                            let batch: BTreeSet<String> = r
                                .into_inner()
                                .results
                                .into_iter()
                                .map(|x| x.model_version)
                                .collect();
                            assert_eq!(batch.len(), 1, "one batch is answered by one model");
                            seen.extend(batch);
                        }
                        Err(status) => failures.push(status.code()),
                    }
                }
            }
            (seen, failures, requests)
        }));
    }

    for swap in 1..=20usize {
        let bytes = &models[swap % 2];
        common::install(&path, bytes);
        let want = common::version_of(bytes);
        common::eventually(Duration::from_secs(10), || {
            let want = want.clone();
            let server = &server;
            async move { (info(server).await.model_version == want).then_some(()) }
        })
        .await;
    }
    stop.store(true, Ordering::Relaxed);

    let mut total = 0;
    for task in load {
        let (seen, failures, requests) = task.await.expect("load task");
        assert!(failures.is_empty(), "failed requests: {failures:?}");
        assert!(
            seen.is_subset(&versions),
            "{seen:?} not within {versions:?}"
        );
        total += requests;
    }
    assert!(
        total > 40,
        "the load kept going during the swaps ({total} requests)"
    );
    let status = info(&server).await;
    assert_eq!(status.reload_successes, 20);
    assert_eq!(status.reload_failures, 0);
    assert_eq!(status.model_source, "file");
    server.stop().await;
}

#[tokio::test]
async fn bad_files_are_rejected_and_the_old_model_keeps_serving() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("model.stance");
    let good = common::builtin_bytes();
    let good_version = common::version_of(&good);
    common::install(&path, &good);
    let server = common::start(common::config_with_model(&path)).await;
    let mut client = server.client().await;

    let mut corrupt = good.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff;
    let truncated = good[..good.len() / 2].to_vec();
    let mut wrong_version = good.clone();
    wrong_version[8..12].copy_from_slice(&99u32.to_le_bytes());
    let not_a_model = b"hello, I am not a model file".to_vec();

    for (n, bad) in [corrupt, truncated, wrong_version, not_a_model]
        .iter()
        .enumerate()
    {
        common::install(&path, bad);
        let status = common::eventually(Duration::from_secs(10), || {
            let server = &server;
            async move {
                let i = info(server).await;
                (i.reload_failures == n as u64 + 1).then_some(i)
            }
        })
        .await;
        assert!(
            !status.last_reload_error.is_empty(),
            "case {n}: the error is shown"
        );
        assert!(!status.last_reload_time.is_empty());
        assert_eq!(
            status.model_version, good_version,
            "case {n}: old model still named"
        );
        let answer = client
            .classify(ClassifyRequest {
                text: "We support the talks.".into(),
            })
            .await
            .expect("still serving")
            .into_inner();
        assert_eq!(answer.model_version, good_version);
    }
    let metrics = common::scrape(server.metrics_addr).await;
    assert!(
        metrics.contains("stance_model_reload_failures_total 4"),
        "{metrics}"
    );

    // A good file afterwards is picked up and clears the error.
    let next = common::trained_bytes();
    common::install(&path, next);
    let status = common::eventually(Duration::from_secs(10), || {
        let server = &server;
        async move {
            let i = info(server).await;
            (i.model_version == common::version_of(next)).then_some(i)
        }
    })
    .await;
    assert!(status.last_reload_error.is_empty());
    assert_eq!(status.reload_successes, 1);
    server.stop().await;
}

#[tokio::test]
async fn a_missing_model_file_fails_start_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = common::config_with_model(&dir.path().join("absent.stance"));
    let running = stance_server::Server::new(config)
        .start()
        .await
        .expect("listeners bind");
    let err = running.wait().await.expect_err("no model, no server");
    assert!(matches!(err, stance_server::StartupError::Model(_)));
}

#[tokio::test]
async fn manual_trigger_reloads_without_polling() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("model.stance");
    common::install(&path, &common::builtin_bytes());
    let mut config: Config = common::config_with_model(&path);
    config.model_poll_interval = None;
    let server = common::start(config).await;
    let next = common::trained_bytes();
    common::install(&path, next);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_ne!(
        info(&server).await.model_version,
        common::version_of(next),
        "no polling"
    );
    assert!(server.reload.reload());
    common::eventually(Duration::from_secs(10), || {
        let server = &server;
        async move { (info(server).await.model_version == common::version_of(next)).then_some(()) }
    })
    .await;
    server.stop().await;
}
