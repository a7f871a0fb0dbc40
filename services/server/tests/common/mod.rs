//! Helpers shared by the server's integration tests: start the real server on
//! `127.0.0.1:0`, connect generated clients, make model files.

#![allow(dead_code, unreachable_pub)]

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::OnceLock,
    time::{Duration, Instant},
};

use stance_model::StanceModel;
use stance_proto::v1::stance_service_client::StanceServiceClient;
use stance_server::{Config, Hooks, ReloadTrigger, RunningServer, Server, ShutdownTrigger};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tonic::transport::Channel;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// A server running in this process.
pub struct TestServer {
    pub addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    pub shutdown: ShutdownTrigger,
    pub reload: ReloadTrigger,
    running: Option<RunningServer>,
}

impl TestServer {
    /// A new client on a new connection.
    pub async fn client(&self) -> StanceServiceClient<Channel> {
        connect(self.addr).await
    }

    pub async fn health(&self) -> HealthClient<Channel> {
        HealthClient::new(channel(self.addr).await)
    }

    /// Shuts down gracefully and waits; panics if the server failed.
    pub async fn stop(mut self) {
        let running = self.running.take().expect("not stopped yet");
        running.shutdown().await.expect("server stops cleanly");
    }

    /// Waits for the server to end (after a shutdown started elsewhere).
    pub async fn wait(mut self) -> Result<(), stance_server::StartupError> {
        self.running.take().expect("not stopped yet").wait().await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(running) = &self.running {
            running.begin_shutdown();
        }
    }
}

/// Starts a server and waits until it reports SERVING.
pub async fn start(config: Config) -> TestServer {
    start_with(config, Hooks::default()).await
}

/// Starts a server with hooks and waits until it reports SERVING.
pub async fn start_with(config: Config, hooks: Hooks) -> TestServer {
    let server = start_unready(config, hooks).await;
    wait_serving(server.addr, "").await;
    server
}

/// Starts a server without waiting for the model.
pub async fn start_unready(config: Config, hooks: Hooks) -> TestServer {
    let running = Server::new(config)
        .with_hooks(hooks)
        .start()
        .await
        .expect("server starts");
    TestServer {
        addr: running.grpc_addr(),
        metrics_addr: running.metrics_addr(),
        shutdown: running.shutdown_trigger(),
        reload: running.reload_trigger(),
        running: Some(running),
    }
}

pub async fn channel(addr: SocketAddr) -> Channel {
    tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("valid uri")
        .connect()
        .await
        .expect("connects")
}

pub async fn connect(addr: SocketAddr) -> StanceServiceClient<Channel> {
    StanceServiceClient::new(channel(addr).await).max_decoding_message_size(64 * 1024 * 1024)
}

pub async fn health_status(addr: SocketAddr, service: &str) -> ServingStatus {
    let mut health = HealthClient::new(channel(addr).await);
    let answer = health
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .expect("health check answers")
        .into_inner();
    ServingStatus::try_from(answer.status).expect("known status")
}

pub async fn wait_serving(addr: SocketAddr, service: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while health_status(addr, service).await != ServingStatus::Serving {
        assert!(Instant::now() < deadline, "server did not become SERVING");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Polls `check` every 10 ms until it returns `Some` or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "condition not met within {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `GET /metrics` body.
pub async fn scrape(addr: SocketAddr) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("metrics port open");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("request sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("response read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
        .split_once("\r\n\r\n")
        .expect("has a body")
        .1
        .to_owned()
}

/// The built-in model's file bytes.
pub fn builtin_bytes() -> Vec<u8> {
    StanceModel::builtin().to_bytes()
}

/// A second, different model: trained from `tests/fixtures/train.jsonl`
/// (once per test process).
pub fn trained_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/train.jsonl");
        let loaded = stance_model::data::load(&[path], false).expect("fixture loads");
        let params = stance_model::train::TrainParams::default()
            .check()
            .expect("default params are valid");
        let model = stance_model::train::fit(
            &loaded.examples,
            &params,
            "2025-01-01T00:00:00Z",
            &mut |_| {},
        )
        .expect("fixture trains");
        assert_ne!(model.version(), StanceModel::builtin().version());
        model.to_bytes()
    })
}

/// The version recorded in a model file's bytes.
pub fn version_of(bytes: &[u8]) -> String {
    StanceModel::from_bytes(bytes)
        .expect("valid model")
        .version()
        .to_owned()
}

/// Writes `bytes` to `path` the way a well-behaved writer does: a temporary
/// file in the same directory, then a rename.
pub fn install(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).expect("temp file written");
    std::fs::rename(&tmp, path).expect("renamed into place");
}

/// A config serving the model file at `path`.
pub fn config_with_model(path: &Path) -> Config {
    let mut config = Config::for_tests();
    config.model_path = Some(path.to_owned());
    config
}

/// A hook set that makes texts containing `marker` sleep for `delay`.
pub fn slow_hooks(marker: &str, delay: Duration) -> Hooks {
    Hooks {
        slow_marker: Some(marker.to_owned()),
        slow_delay: delay,
        ..Hooks::default()
    }
}

/// Path of the `stance-server` binary built for these tests.
pub fn server_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_stance-server"))
}
