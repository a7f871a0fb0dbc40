//! Prometheus metrics and the tiny HTTP endpoint that serves them.
//!
//! Each server owns its own [`prometheus::Registry`] (no global recorder), so
//! several servers can run in one test process. Label children are resolved
//! once at start-up: the request path only touches atomics, never the
//! registry's lock.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `stance_requests_total` | counter | `method`, `code` |
//! | `stance_request_duration_seconds` | histogram | `method` |
//! | `stance_statements_classified_total` | counter | `label` |
//! | `stance_model_info` | gauge (always 1) | `version`, `algorithm`, `trained_at` |
//! | `stance_model_reloads_total` | counter | – |
//! | `stance_model_reload_failures_total` | counter | – |
//! | `stance_feedback_rows_total` | counter | – |
//!
//! Requests rejected by the transport before a handler runs (for example a
//! message over `--max-message-bytes`) are not counted.

use std::{sync::Arc, time::Duration};

use prometheus::{
    Encoder as _, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec,
    Opts, Registry, TextEncoder,
};
use stance_model::{ModelInfo, Stance};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::{TcpListener, TcpStream},
};
use tonic::Code;

/// The RPCs of `stance.v1.StanceService`, as metric and log labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `Classify`.
    Classify,
    /// `ClassifyBatch`.
    ClassifyBatch,
    /// `AnalyzeDocument`.
    AnalyzeDocument,
    /// `GetModelInfo`.
    GetModelInfo,
    /// `SubmitFeedback`.
    SubmitFeedback,
}

impl Method {
    const ALL: [Method; 5] = [
        Method::Classify,
        Method::ClassifyBatch,
        Method::AnalyzeDocument,
        Method::GetModelInfo,
        Method::SubmitFeedback,
    ];

    /// The RPC name, e.g. `ClassifyBatch`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Classify => "Classify",
            Method::ClassifyBatch => "ClassifyBatch",
            Method::AnalyzeDocument => "AnalyzeDocument",
            Method::GetModelInfo => "GetModelInfo",
            Method::SubmitFeedback => "SubmitFeedback",
        }
    }
}

/// The canonical upper-case name of a gRPC code, e.g. `INVALID_ARGUMENT`.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

// tonic's codes are 0..=16 in this order.
const CODES: usize = 17;

struct MethodMetrics {
    duration: Histogram,
    by_code: [IntCounter; CODES],
}

/// All metrics of one server.
pub struct Metrics {
    registry: Registry,
    methods: [MethodMetrics; 5],
    classified: [IntCounter; 4],
    model_info: IntGaugeVec,
    reloads: IntCounter,
    reload_failures: IntCounter,
    feedback_rows: IntCounter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Registers every metric in a fresh registry.
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "stance_requests_total",
                "gRPC requests handled, by method and status code",
            ),
            &["method", "code"],
        )
        .expect("valid metric definition");
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "stance_request_duration_seconds",
                "Time from handler start to answer, by method",
            )
            .buckets(vec![
                0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05,
                0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method"],
        )
        .expect("valid metric definition");
        let classified = IntCounterVec::new(
            Opts::new(
                "stance_statements_classified_total",
                "Statements classified, by predicted label",
            ),
            &["label"],
        )
        .expect("valid metric definition");
        let model_info = IntGaugeVec::new(
            Opts::new("stance_model_info", "The serving model; always 1"),
            &["version", "algorithm", "trained_at"],
        )
        .expect("valid metric definition");
        let reloads = IntCounter::new(
            "stance_model_reloads_total",
            "Model files loaded and swapped in after start-up",
        )
        .expect("valid metric definition");
        let reload_failures = IntCounter::new(
            "stance_model_reload_failures_total",
            "Model files rejected on hot reload (the old model kept serving)",
        )
        .expect("valid metric definition");
        let feedback_rows = IntCounter::new(
            "stance_feedback_rows_total",
            "Feedback rows written durably and acknowledged",
        )
        .expect("valid metric definition");
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(duration.clone()),
            Box::new(classified.clone()),
            Box::new(model_info.clone()),
            Box::new(reloads.clone()),
            Box::new(reload_failures.clone()),
            Box::new(feedback_rows.clone()),
        ] {
            registry.register(c).expect("metric names are unique");
        }
        let methods = Method::ALL.map(|m| MethodMetrics {
            duration: duration.with_label_values(&[m.as_str()]),
            by_code: std::array::from_fn(|i| {
                let code = Code::from_i32(i32::try_from(i).expect("i < 17"));
                requests.with_label_values(&[m.as_str(), code_name(code)])
            }),
        });
        let classified = Stance::ALL.map(|s| classified.with_label_values(&[s.as_str()]));
        Metrics {
            registry,
            methods,
            classified,
            model_info,
            reloads,
            reload_failures,
            feedback_rows,
        }
    }

    /// Counts one finished request.
    pub fn observe_request(&self, method: Method, code: Code, elapsed: Duration) {
        let m = &self.methods[method as usize];
        m.duration.observe(elapsed.as_secs_f64());
        m.by_code[code as usize].inc();
    }

    /// Counts one classified statement.
    pub fn observe_label(&self, stance: Stance) {
        self.classified[stance.index()].inc();
    }

    /// Replaces the model info series with the given model's.
    pub fn set_model(&self, info: &ModelInfo) {
        self.model_info.reset();
        self.model_info
            .with_label_values(&[&info.model_version, &info.algorithm, &info.trained_at])
            .set(1);
    }

    /// Counts a successful hot reload.
    pub fn reload_succeeded(&self) {
        self.reloads.inc();
    }

    /// Counts a rejected model file.
    pub fn reload_failed(&self) {
        self.reload_failures.inc();
    }

    /// Counts an acknowledged feedback row.
    pub fn feedback_stored(&self) {
        self.feedback_rows.inc();
    }

    /// The registry in Prometheus text format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(buf).expect("the text encoder writes UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Serves `GET /metrics` on `listener` until `shutdown` resolves.
///
/// A deliberately tiny HTTP/1.0-style responder (one request per connection,
/// `Connection: close`): Prometheus needs nothing more, and it keeps hyper and
/// axum out of the server's dependencies.
pub async fn serve_metrics(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    tracing::warn!(error = %err, "metrics endpoint accept failed");
                    // Out of file descriptors and the like: back off, don't spin.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            if let Err(err) = answer(stream, &metrics).await {
                tracing::debug!(%peer, error = %err, "metrics request failed");
            }
        });
    }
}

async fn answer(mut stream: TcpStream, metrics: &Metrics) -> std::io::Result<()> {
    const MAX_HEAD: usize = 8 * 1024;
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    let read_head = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        Ok::<_, std::io::Error>(())
    };
    if tokio::time::timeout(Duration::from_secs(5), read_head)
        .await
        .is_err()
    {
        return Ok(());
    }
    let request_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut parts = request_line.split(|&b| b == b' ');
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let path = target.split(|&b| b == b'?').next().unwrap_or_default();
    let (status, content_type, body) = match (method, path) {
        (b"GET", b"/metrics") => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            metrics.render(),
        ),
        (b"GET", _) => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "see /metrics\n".to_owned(),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "GET only\n".to_owned(),
        ),
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(header.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_series() {
        let m = Metrics::new();
        m.observe_request(
            Method::ClassifyBatch,
            Code::Unauthenticated,
            Duration::from_millis(1),
        );
        m.observe_label(Stance::CallForCalm);
        let text = m.render();
        assert!(
            text.contains(
                r#"stance_requests_total{code="UNAUTHENTICATED",method="ClassifyBatch"} 1"#
            )
        );
        assert!(text.contains(r#"stance_statements_classified_total{label="call_for_calm"} 1"#));
        for code in 0..17 {
            assert_eq!(Code::from_i32(code) as i32, code);
        }
    }
}
