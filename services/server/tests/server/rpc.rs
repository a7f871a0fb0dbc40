//! Every RPC answers, with the model version and all four scores.

use stance_model::{Stance, StanceModel};
use stance_proto::v1::{
    self as pb, AnalyzeDocumentRequest, ClassifyBatchRequest, ClassifyRequest, GetModelInfoRequest,
};
use stance_server::Config;

use crate::common;

#[tokio::test]
async fn classify_answers_with_four_scores_in_enum_order() {
    let server = common::start(Config::for_tests()).await;
    let mut client = server.client().await;
    let answer = client
        .classify(ClassifyRequest {
            text: "We strongly condemn the attack on the hospital.".into(),
        })
        .await
        .expect("classify succeeds")
        .into_inner();

    let expected =
        StanceModel::builtin().predict("We strongly condemn the attack on the hospital.");
    assert_eq!(
        answer.stance,
        stance_server::convert::stance_to_proto(expected.stance) as i32
    );
    assert_eq!(answer.model_version, StanceModel::builtin().version());
    let order: Vec<i32> = answer.scores.iter().map(|s| s.stance).collect();
    assert_eq!(order, [1, 2, 3, 4], "scores are in enum order");
    let sum: f32 = answer.scores.iter().map(|s| s.probability).sum();
    assert!(
        (sum - 1.0).abs() < 1e-3,
        "probabilities sum to 1, got {sum}"
    );
    let top = &answer.scores[usize::try_from(answer.stance - 1).unwrap()];
    assert_eq!(top.probability, answer.confidence);
    server.stop().await;
}

#[tokio::test]
async fn classify_batch_keeps_request_order_inline_and_offloaded() {
    let server = common::start(Config::for_tests()).await;
    let mut client = server.client().await;
    let model = StanceModel::builtin();
    let base = [
        "We condemn the shelling of the port.",
        "We support the peace agreement.",
        "We call on both sides to show restraint.",
        "The summit takes place next week.",
    ];
    // 3 texts run inline, 40 go to the blocking pool: both keep the order.
    for n in [3usize, 40] {
        let texts: Vec<String> = (0..n)
            .map(|i| format!("{} ({i})", base[i % base.len()]))
            .collect();
        let answer = client
            .classify_batch(ClassifyBatchRequest {
                texts: texts.clone(),
            })
            .await
            .expect("batch succeeds")
            .into_inner();
        assert_eq!(answer.results.len(), n);
        for (text, result) in texts.iter().zip(&answer.results) {
            let expected = model.predict(text);
            assert_eq!(
                result.stance,
                stance_server::convert::stance_to_proto(expected.stance) as i32
            );
            assert!((result.confidence - expected.confidence).abs() < 1e-6);
            assert_eq!(result.scores.len(), 4);
            assert_eq!(result.model_version, model.version());
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn analyze_document_returns_statements_with_offsets() {
    let server = common::start(Config::for_tests()).await;
    let mut client = server.client().await;
    let text = "France condemned the missile strike on Monday. \"We call on all sides to show restraint,\" \
                the UN Secretary-General said. Germany said it supports the ceasefire plan.";
    let answer = client
        .analyze_document(AnalyzeDocumentRequest { text: text.into() })
        .await
        .expect("analysis succeeds")
        .into_inner();
    assert_eq!(answer.model_version, StanceModel::builtin().version());
    assert!(!answer.statements.is_empty());
    for s in &answer.statements {
        let (start, end) = (s.start as usize, s.end as usize);
        assert!(start < end && end <= text.len());
        assert_eq!(
            &text[start..end],
            s.text,
            "text is the slice between the offsets"
        );
        assert_ne!(s.stance, pb::Stance::Unspecified as i32);
    }
    for a in &answer.actors {
        assert!(!a.actor.is_empty());
        assert_ne!(a.stance, pb::Stance::Unspecified as i32);
    }
    server.stop().await;
}

#[tokio::test]
async fn model_info_describes_the_builtin_model() {
    let server = common::start(Config::for_tests()).await;
    let mut client = server.client().await;
    let info = client
        .get_model_info(GetModelInfoRequest {})
        .await
        .expect("info")
        .into_inner();
    let model = StanceModel::builtin();
    assert_eq!(info.model_version, model.version());
    assert_eq!(info.labels, [1, 2, 3, 4]);
    assert_eq!(info.algorithm, model.info().algorithm);
    assert_eq!(info.training_examples, model.info().training_rows);
    assert_eq!(info.trained_at, model.info().trained_at);
    assert_eq!(info.training_data_hash, model.info().training_data_hash);
    assert_eq!(info.metrics.len(), model.info().metrics.len());
    assert_eq!(
        info.hyperparameters.len(),
        model.info().hyperparameters.len()
    );
    assert_eq!(info.model_source, "builtin");
    assert!(!info.loaded_at.is_empty());
    assert!(info.last_reload_error.is_empty());
    assert_eq!((info.reload_successes, info.reload_failures), (0, 0));
    assert_eq!(Stance::ALL.len(), info.labels.len());
    server.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_labels_and_model() {
    let server = common::start(Config::for_tests()).await;
    let mut client = server.client().await;
    client
        .classify(ClassifyRequest {
            text: "We support the plan.".into(),
        })
        .await
        .expect("ok");
    let _ = client
        .classify(ClassifyRequest { text: " ".into() })
        .await
        .expect_err("empty");
    let text = common::scrape(server.metrics_addr).await;
    assert!(
        text.contains(r#"stance_requests_total{code="OK",method="Classify"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"stance_requests_total{code="INVALID_ARGUMENT",method="Classify"} 1"#));
    assert!(text.contains("stance_request_duration_seconds_bucket{method=\"Classify\""));
    assert!(text.contains("stance_statements_classified_total{label="));
    let version_line = format!("version=\"{}\"", StanceModel::builtin().version());
    assert!(
        text.lines()
            .any(|l| l.starts_with("stance_model_info{") && l.contains(&version_line))
    );
    assert!(text.contains("stance_model_reload_failures_total 0"));
    server.stop().await;
}
