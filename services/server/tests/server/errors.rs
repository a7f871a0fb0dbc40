//! Every error code of the contract, by cause.

use std::time::Duration;

use stance_proto::v1::{
    AnalyzeDocumentRequest, ClassifyBatchRequest, ClassifyRequest, GetModelInfoRequest,
    SubmitFeedbackRequest,
};
use stance_server::{Config, Hooks};
use tonic::Code;

use crate::common;

fn classify(text: &str) -> ClassifyRequest {
    ClassifyRequest { text: text.into() }
}

#[tokio::test]
async fn bad_texts_and_batches_are_invalid_arguments() {
    let mut config = Config::for_tests();
    config.limits.max_text_bytes = 100;
    config.limits.max_batch_size = 4;
    config.limits.max_document_bytes = 200;
    let server = common::start(config).await;
    let mut client = server.client().await;

    for text in ["", "   \n\t ", &"x".repeat(101)] {
        let err = client.classify(classify(text)).await.expect_err("rejected");
        assert_eq!(err.code(), Code::InvalidArgument, "{text:?}");
    }
    // Exactly at the limit is fine.
    client
        .classify(classify(&"y".repeat(100)))
        .await
        .expect("at the limit");

    let batches: [Vec<String>; 4] = [
        vec![],
        vec!["fine".into(); 5],
        vec!["fine".into(), String::new()],
        vec!["fine".into(), "z".repeat(101)],
    ];
    for texts in batches {
        let err = client
            .classify_batch(ClassifyBatchRequest { texts })
            .await
            .expect_err("rejected");
        assert_eq!(err.code(), Code::InvalidArgument);
    }

    for text in [String::new(), "d".repeat(201)] {
        let err = client
            .analyze_document(AnalyzeDocumentRequest { text })
            .await
            .expect_err("rejected");
        assert_eq!(err.code(), Code::InvalidArgument);
    }
    server.stop().await;
}

#[tokio::test]
async fn message_over_the_size_limit_gets_the_transport_code() {
    let mut config = Config::for_tests();
    config.limits.max_message_bytes = 4096;
    config.limits.max_text_bytes = 1 << 20;
    let server = common::start(config).await;
    let mut client = server.client().await;
    let err = client
        .classify(classify(&"w ".repeat(5000)))
        .await
        .expect_err("too large");
    assert_eq!(err.code(), Code::OutOfRange);
    // The connection stays usable.
    client
        .classify(classify("We support the talks."))
        .await
        .expect("small message passes");
    server.stop().await;
}

#[tokio::test]
async fn overload_is_resource_exhausted_at_once() {
    let mut config = Config::for_tests();
    config.limits.concurrency_limit = 1;
    let hooks = common::slow_hooks("SLOW", Duration::from_millis(1500));
    let started = hooks.slow_started.clone();
    let server = common::start_with(config, hooks).await;
    let mut slow_client = server.client().await;
    let entered = started.notified();
    let slow = tokio::spawn(async move { slow_client.classify(classify("SLOW statement")).await });
    entered.await;

    let mut client = server.client().await;
    let t0 = std::time::Instant::now();
    let err = client
        .classify(classify("We support the talks."))
        .await
        .expect_err("over the limit");
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(
        t0.elapsed() < Duration::from_millis(500),
        "rejected without queueing"
    );
    let err = client
        .classify_batch(ClassifyBatchRequest {
            texts: vec!["a b".into()],
        })
        .await
        .expect_err("over the limit");
    assert_eq!(err.code(), Code::ResourceExhausted);

    slow.await
        .expect("task")
        .expect("the admitted request still succeeds");
    client
        .classify(classify("We support the talks."))
        .await
        .expect("permit returned");
    server.stop().await;
}

#[tokio::test]
async fn server_time_limit_is_deadline_exceeded() {
    let mut config = Config::for_tests();
    config.request_timeout = Duration::from_millis(200);
    let server =
        common::start_with(config, common::slow_hooks("SLOW", Duration::from_secs(5))).await;
    let mut client = server.client().await;
    let err = client
        .classify(classify("SLOW statement"))
        .await
        .expect_err("too slow");
    assert_eq!(err.code(), Code::DeadlineExceeded);
    let err = client
        .analyze_document(AnalyzeDocumentRequest {
            text: "SLOW document.".into(),
        })
        .await
        .expect_err("too slow");
    assert_eq!(err.code(), Code::DeadlineExceeded);
    server.stop().await;
}

#[tokio::test]
async fn client_deadline_is_deadline_exceeded() {
    let server = common::start_with(
        Config::for_tests(),
        common::slow_hooks("SLOW", Duration::from_secs(5)),
    )
    .await;
    let mut client = server.client().await;
    let mut request = tonic::Request::new(classify("SLOW statement"));
    request.set_timeout(Duration::from_millis(300));
    let err = client
        .classify(request)
        .await
        .expect_err("past the client deadline");
    assert_eq!(err.code(), Code::DeadlineExceeded);
    server.stop().await;
}

#[tokio::test]
async fn requests_before_the_model_is_loaded_are_unavailable() {
    let hooks = Hooks {
        initial_load_delay: Duration::from_secs(1),
        ..Hooks::default()
    };
    let server = common::start_unready(Config::for_tests(), hooks).await;
    let mut client = server.client().await;
    let err = client
        .classify(classify("We support the talks."))
        .await
        .expect_err("not ready");
    assert_eq!(err.code(), Code::Unavailable);
    let err = client
        .get_model_info(GetModelInfoRequest {})
        .await
        .expect_err("not ready");
    assert_eq!(err.code(), Code::Unavailable);
    common::wait_serving(server.addr, stance_proto::SERVICE_NAME).await;
    client
        .classify(classify("We support the talks."))
        .await
        .expect("ready now");
    server.stop().await;
}

#[tokio::test]
async fn feedback_errors_have_their_codes() {
    // Disabled: no feedback directory.
    let server = common::start(Config::for_tests()).await;
    let mut client = server.client().await;
    let err = client
        .submit_feedback(SubmitFeedbackRequest {
            text: "t".into(),
            stance: 1,
            note: String::new(),
        })
        .await
        .expect_err("disabled");
    assert_eq!(err.code(), Code::FailedPrecondition);
    server.stop().await;

    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_tests();
    config.feedback = Some(stance_server::FeedbackConfig {
        dir: dir.path().to_owned(),
        api_key: Some("s3cret".into()),
        max_file_bytes: 1 << 20,
    });
    let server = common::start(config).await;
    let mut client = server.client().await;
    let valid = SubmitFeedbackRequest {
        text: "We call for calm.".into(),
        stance: 3,
        note: String::new(),
    };
    let with_key = |req: SubmitFeedbackRequest, key: &str| {
        let mut req = tonic::Request::new(req);
        req.metadata_mut()
            .insert("x-api-key", key.parse().expect("ascii"));
        req
    };

    let err = client
        .submit_feedback(valid.clone())
        .await
        .expect_err("no key");
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = client
        .submit_feedback(with_key(valid.clone(), "wrong"))
        .await
        .expect_err("bad key");
    assert_eq!(err.code(), Code::Unauthenticated);

    for bad in [
        SubmitFeedbackRequest {
            stance: 0,
            ..valid.clone()
        },
        SubmitFeedbackRequest {
            stance: 42,
            ..valid.clone()
        },
        SubmitFeedbackRequest {
            text: "  ".into(),
            ..valid.clone()
        },
    ] {
        let err = client
            .submit_feedback(with_key(bad, "s3cret"))
            .await
            .expect_err("invalid");
        assert_eq!(err.code(), Code::InvalidArgument);
    }
    client
        .submit_feedback(with_key(valid.clone(), "s3cret"))
        .await
        .expect("accepted with the key");
    server.stop().await;
}
