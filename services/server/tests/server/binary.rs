//! The real `stance-server` binary: signals, exit codes, durability across SIGKILL.

use std::{
    io::{BufRead as _, BufReader},
    net::SocketAddr,
    path::Path,
    process::{Child, Command, ExitStatus, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use stance_proto::v1::{GetModelInfoRequest, SubmitFeedbackRequest};

use crate::common;

/// The binary running as a child process, on free ports.
struct Process {
    child: Child,
    addr: SocketAddr,
}

impl Process {
    fn spawn(args: &[&str]) -> Process {
        let mut child = Command::new(common::server_binary())
            .args([
                "--listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
                "--log-format",
                "json",
            ])
            .args(args)
            .env_remove("STANCE_LISTEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary starts");
        // The bound port is only known from the start-up log line.
        let stderr = child.stderr.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                    && let Some(addr) = v.get("grpc_addr").and_then(|a| a.as_str())
                {
                    let _ = tx.send(addr.parse::<SocketAddr>().expect("address"));
                }
                eprintln!("[stance-server] {line}");
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server logs its address");
        Process { child, addr }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Async, so this test's own client connections keep answering the
    /// server's GOAWAY/PING while it drains.
    async fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "process did not exit within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rows_in(dir: &Path) -> Vec<serde_json::Value> {
    let mut rows = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("file");
        rows.extend(
            text.lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("whole JSON line")),
        );
    }
    rows
}

#[tokio::test]
async fn acknowledged_feedback_survives_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let feedback_dir = dir.path().to_str().expect("utf-8 path");
    let mut acked = Vec::new();
    {
        let mut process = Process::spawn(&["--feedback-dir", feedback_dir]);
        common::wait_serving(process.addr, "").await;
        let mut client = common::connect(process.addr).await;
        for i in 0..25 {
            let ack = client
                .submit_feedback(SubmitFeedbackRequest {
                    text: format!("We call for calm, row {i}."),
                    stance: 3,
                    note: String::new(),
                })
                .await
                .expect("acknowledged")
                .into_inner();
            acked.push(ack.feedback_id);
        }
        process.child.kill().expect("SIGKILL");
        let status = process.wait_exit(Duration::from_secs(10)).await;
        assert!(!status.success());
    }
    // Restart on the same directory and keep appending.
    let process = Process::spawn(&["--feedback-dir", feedback_dir]);
    common::wait_serving(process.addr, "").await;
    let mut client = common::connect(process.addr).await;
    let ack = client
        .submit_feedback(SubmitFeedbackRequest {
            text: "After restart.".into(),
            stance: 4,
            note: "n".into(),
        })
        .await
        .expect("acknowledged")
        .into_inner();
    acked.push(ack.feedback_id);

    let rows = rows_in(dir.path());
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().expect("id")).collect();
    for id in &acked {
        assert_eq!(
            ids.iter().filter(|x| *x == id).count(),
            1,
            "row {id} is on disk once"
        );
    }
    assert_eq!(rows.len(), acked.len());
    assert!(
        rows.iter()
            .all(|r| r["label"].is_string() && r["text"].is_string())
    );
}

#[tokio::test]
async fn sigterm_drains_and_exits_zero() {
    let mut process = Process::spawn(&[]);
    common::wait_serving(process.addr, stance_proto::SERVICE_NAME).await;
    let mut client = common::connect(process.addr).await;
    client
        .get_model_info(GetModelInfoRequest {})
        .await
        .expect("serving");
    process.signal("TERM");
    let t0 = Instant::now();
    let status = process.wait_exit(Duration::from_secs(20)).await;
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "idle connections do not hold the drain"
    );
    assert_eq!(status.code(), Some(0), "graceful exit");
}

#[tokio::test]
async fn sighup_reloads_the_model_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("model.stance");
    common::install(&path, &common::builtin_bytes());
    let process = Process::spawn(&[
        "--model",
        path.to_str().expect("utf-8"),
        "--model-poll-interval",
        "0",
    ]);
    common::wait_serving(process.addr, "").await;
    let next = common::trained_bytes();
    common::install(&path, next);
    process.signal("HUP");
    let mut client = common::connect(process.addr).await;
    common::eventually(Duration::from_secs(10), || {
        let mut client = client.clone();
        async move {
            let info = client
                .get_model_info(GetModelInfoRequest {})
                .await
                .expect("info")
                .into_inner();
            (info.model_version == common::version_of(next)).then_some(())
        }
    })
    .await;
    let info = client
        .get_model_info(GetModelInfoRequest {})
        .await
        .expect("info")
        .into_inner();
    assert_eq!(info.reload_successes, 1);
}
