//! SubmitFeedback stores rows durably, in a format `stance-train` reads.

use stance_model::Stance;
use stance_proto::v1::SubmitFeedbackRequest;
use stance_server::{Config, FeedbackConfig};
use tonic::Code;

use crate::common;

fn config(dir: &std::path::Path) -> Config {
    let mut config = Config::for_tests();
    config.feedback = Some(FeedbackConfig {
        dir: dir.to_owned(),
        api_key: None,
        max_file_bytes: 1 << 20,
    });
    config
}

#[tokio::test]
async fn acknowledged_rows_are_on_disk_and_train_ready() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = common::start(config(dir.path())).await;
    let mut client = server.client().await;
    let mut ids = Vec::new();
    for (text, stance) in [
        ("We urge restraint on all sides.", 3),
        ("We condemn the raid.", 1),
    ] {
        let ack = client
            .submit_feedback(SubmitFeedbackRequest {
                text: text.into(),
                stance,
                note: "checked".into(),
            })
            .await
            .expect("acknowledged")
            .into_inner();
        assert_eq!(
            ack.model_version,
            stance_model::StanceModel::builtin().version()
        );
        ids.push(ack.feedback_id);
    }
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1);
    let name = files[0].file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with("feedback-") && name.ends_with("-0.jsonl"),
        "{name}"
    );
    let content = std::fs::read_to_string(&files[0]).expect("readable");
    for id in &ids {
        assert!(content.contains(id.as_str()));
    }
    // The trainer's own loader accepts the file.
    let loaded =
        stance_model::data::load(&files, false).expect("stance-model reads feedback files");
    let labels: Vec<Stance> = loaded.examples.iter().map(|e| e.label).collect();
    assert_eq!(labels, [Stance::CallForCalm, Stance::Condemn]);
    server.stop().await;
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_full_disk_is_unavailable_and_not_acknowledged() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Today's first feedback file is a link to /dev/full: every write fails
    // with ENOSPC, also for root (permission bits would not stop root).
    let day: String =
        humantime::format_rfc3339(std::time::SystemTime::now()).to_string()[..10].replace('-', "");
    std::os::unix::fs::symlink(
        "/dev/full",
        dir.path().join(format!("feedback-{day}-0.jsonl")),
    )
    .expect("symlink");
    let server = common::start(config(dir.path())).await;
    let mut client = server.client().await;
    let err = client
        .submit_feedback(SubmitFeedbackRequest {
            text: "We call for calm.".into(),
            stance: 3,
            note: String::new(),
        })
        .await
        .expect_err("disk full");
    assert_eq!(err.code(), Code::Unavailable);
    server.stop().await;
}
