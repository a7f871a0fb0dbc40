//! Command-line flags (each also an env var) and the validated [`Config`].
//!
//! [`Args`] is what clap parses; [`Args::into_config`] checks it once and turns
//! it into a plain [`Config`] that the rest of the server passes around. The
//! flag and env names are fixed: scripts and the Kubernetes manifests use them.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Parser, ValueEnum};

use crate::error::ConfigError;

/// Flags of `stance-server`. Every flag is also read from the env var named
/// beside it, e.g. `--model` from `STANCE_MODEL_PATH`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "stance-server",
    version,
    about = "Serve the Standpoint stance model over gRPC"
)]
pub struct Args {
    /// Address the gRPC server listens on.
    #[arg(long, env = "STANCE_LISTEN", default_value = "0.0.0.0:50051")]
    pub listen: SocketAddr,

    /// Model file to serve and watch for hot reload; unset serves the built-in default model.
    #[arg(long = "model", env = "STANCE_MODEL_PATH")]
    pub model: Option<PathBuf>,

    /// Address of the Prometheus endpoint (`GET /metrics`).
    #[arg(long, env = "STANCE_METRICS_LISTEN", default_value = "0.0.0.0:9090")]
    pub metrics_listen: SocketAddr,

    /// Largest statement accepted by Classify, ClassifyBatch and SubmitFeedback, in UTF-8 bytes.
    #[arg(long, env = "STANCE_MAX_TEXT_BYTES", default_value_t = 10_000)]
    pub max_text_bytes: usize,

    /// Most statements in one ClassifyBatch request.
    #[arg(long, env = "STANCE_MAX_BATCH_SIZE", default_value_t = 1024)]
    pub max_batch_size: usize,

    /// Largest AnalyzeDocument text, in UTF-8 bytes.
    #[arg(long, env = "STANCE_MAX_DOCUMENT_BYTES", default_value_t = 100_000)]
    pub max_document_bytes: usize,

    /// Largest encoded gRPC message accepted or sent, in bytes (larger requests get OUT_OF_RANGE).
    #[arg(long, env = "STANCE_MAX_MESSAGE_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_message_bytes: usize,

    /// Requests processed at once, process-wide; over it requests get RESOURCE_EXHAUSTED at once.
    #[arg(long, env = "STANCE_CONCURRENCY_LIMIT", default_value_t = 256)]
    pub concurrency_limit: usize,

    /// Time a request may take on the server before it fails with DEADLINE_EXCEEDED (e.g. 10s, 500ms).
    #[arg(long, env = "STANCE_REQUEST_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// Time in-flight requests get to finish after SIGTERM/SIGINT before the process exits.
    #[arg(long, env = "STANCE_SHUTDOWN_GRACE", default_value = "20s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,

    /// Age after which a client connection is asked to reconnect (GOAWAY), to rebalance; 0 = off.
    #[arg(long, env = "STANCE_MAX_CONNECTION_AGE", default_value = "300s", value_parser = parse_duration)]
    pub max_connection_age: Duration,

    /// Time a connection past its maximum age gets to finish its requests before it is closed.
    /// Accepted for the manifests but not enforced yet: tonic 0.14 cannot combine the graceful
    /// GOAWAY at the maximum age with a forced close after the grace, and the GOAWAY is kept.
    #[arg(long, env = "STANCE_MAX_CONNECTION_AGE_GRACE", default_value = "30s", value_parser = parse_duration)]
    pub max_connection_age_grace: Duration,

    /// How often the model file is checked for a new version (mtime, size, inode); 0 = never (SIGHUP still reloads).
    #[arg(long, env = "STANCE_MODEL_POLL_INTERVAL", default_value = "2s", value_parser = parse_duration)]
    pub model_poll_interval: Duration,

    /// Directory where SubmitFeedback appends JSONL files; unset disables SubmitFeedback (FAILED_PRECONDITION).
    #[arg(long, env = "STANCE_FEEDBACK_DIR")]
    pub feedback_dir: Option<PathBuf>,

    /// API key SubmitFeedback requires in the `x-api-key` metadata; unset = no key needed.
    #[arg(long, env = "STANCE_FEEDBACK_API_KEY", hide_env_values = true)]
    pub feedback_api_key: Option<String>,

    /// Size at which a feedback file is closed and the next one started, in bytes.
    #[arg(long, env = "STANCE_FEEDBACK_MAX_FILE_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub feedback_max_file_bytes: u64,

    /// Log line format.
    #[arg(long, env = "STANCE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Log filter in tracing's EnvFilter syntax, e.g. `info` or `stance_server=debug`.
    #[arg(long, env = "STANCE_LOG", default_value = "info")]
    pub log_level: String,
}

/// Format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Validated server settings. Build one with [`Args::into_config`] or
/// [`Config::for_tests`].
#[derive(Debug, Clone)]
pub struct Config {
    /// gRPC listen address; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Model file; `None` serves [`stance_model::StanceModel::builtin`] and disables hot reload.
    pub model_path: Option<PathBuf>,
    /// Prometheus endpoint address; port 0 picks a free port.
    pub metrics_listen: SocketAddr,
    /// Request size and concurrency limits.
    pub limits: Limits,
    /// Server-side time limit of one request.
    pub request_timeout: Duration,
    /// Time in-flight requests get after shutdown starts.
    pub shutdown_grace: Duration,
    /// Maximum connection age; `None` = unlimited.
    pub max_connection_age: Option<Duration>,
    /// Grace after the maximum connection age. Not enforced with tonic 0.14,
    /// which would replace the graceful GOAWAY at the maximum age with a hard
    /// close at age + grace; connections past their age drain without a bound.
    pub max_connection_age_grace: Duration,
    /// Model file poll interval; `None` = no polling.
    pub model_poll_interval: Option<Duration>,
    /// Feedback store settings; `None` = SubmitFeedback disabled.
    pub feedback: Option<FeedbackConfig>,
}

/// Request limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest statement in bytes.
    pub max_text_bytes: usize,
    /// Most statements per batch.
    pub max_batch_size: usize,
    /// Largest document in bytes (at most `u32::MAX`, since offsets are `uint32`).
    pub max_document_bytes: usize,
    /// Largest encoded gRPC message in bytes.
    pub max_message_bytes: usize,
    /// Requests processed at once.
    pub concurrency_limit: usize,
}

/// Settings of the feedback store.
#[derive(Debug, Clone)]
pub struct FeedbackConfig {
    /// Directory of the JSONL files; created if missing.
    pub dir: PathBuf,
    /// Required `x-api-key` value, if any.
    pub api_key: Option<String>,
    /// Rotation size of one file in bytes.
    pub max_file_bytes: u64,
}

impl Args {
    /// Checks the flags and derives the [`Config`].
    ///
    /// # Errors
    /// [`ConfigError`] names the flag whose value is out of range.
    pub fn into_config(self) -> Result<Config, ConfigError> {
        fn positive(flag: &'static str, value: usize) -> Result<usize, ConfigError> {
            if value == 0 {
                return Err(ConfigError::OutOfRange {
                    flag,
                    reason: "must be at least 1",
                });
            }
            Ok(value)
        }
        positive("--max-text-bytes", self.max_text_bytes)?;
        positive("--max-batch-size", self.max_batch_size)?;
        positive("--max-document-bytes", self.max_document_bytes)?;
        positive("--max-message-bytes", self.max_message_bytes)?;
        positive("--concurrency-limit", self.concurrency_limit)?;
        if u32::try_from(self.max_document_bytes).is_err() {
            return Err(ConfigError::OutOfRange {
                flag: "--max-document-bytes",
                reason: "must fit in 32 bits (statement offsets are uint32)",
            });
        }
        // tokio's semaphore caps its permits well below usize::MAX.
        if self.concurrency_limit > tokio::sync::Semaphore::MAX_PERMITS {
            return Err(ConfigError::OutOfRange {
                flag: "--concurrency-limit",
                reason: "too large",
            });
        }
        if self.request_timeout.is_zero() {
            return Err(ConfigError::OutOfRange {
                flag: "--request-timeout",
                reason: "must be above 0",
            });
        }
        if self.feedback_max_file_bytes == 0 {
            return Err(ConfigError::OutOfRange {
                flag: "--feedback-max-file-bytes",
                reason: "must be at least 1",
            });
        }
        if self.feedback_api_key.as_deref().is_some_and(str::is_empty) {
            return Err(ConfigError::OutOfRange {
                flag: "--feedback-api-key",
                reason: "must not be empty when set",
            });
        }
        if self.feedback_api_key.is_some() && self.feedback_dir.is_none() {
            return Err(ConfigError::OutOfRange {
                flag: "--feedback-api-key",
                reason: "needs --feedback-dir",
            });
        }
        Ok(Config {
            listen: self.listen,
            model_path: self.model,
            metrics_listen: self.metrics_listen,
            limits: Limits {
                max_text_bytes: self.max_text_bytes,
                max_batch_size: self.max_batch_size,
                max_document_bytes: self.max_document_bytes,
                max_message_bytes: self.max_message_bytes,
                concurrency_limit: self.concurrency_limit,
            },
            request_timeout: self.request_timeout,
            shutdown_grace: self.shutdown_grace,
            max_connection_age: non_zero(self.max_connection_age),
            max_connection_age_grace: self.max_connection_age_grace,
            model_poll_interval: non_zero(self.model_poll_interval),
            feedback: self.feedback_dir.map(|dir| FeedbackConfig {
                dir,
                api_key: self.feedback_api_key,
                max_file_bytes: self.feedback_max_file_bytes,
            }),
        })
    }
}

impl Config {
    /// The documented defaults of every flag, except: gRPC and metrics on
    /// `127.0.0.1:0`, a 50 ms model poll interval and a 5 s shutdown grace.
    /// Built without reading `STANCE_*` env vars, so tests are not affected by
    /// the environment. Meant for tests and embedding.
    pub fn for_tests() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            model_path: None,
            metrics_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            limits: Limits {
                max_text_bytes: 10_000,
                max_batch_size: 1024,
                max_document_bytes: 100_000,
                max_message_bytes: 16 * 1024 * 1024,
                concurrency_limit: 256,
            },
            request_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
            max_connection_age: Some(Duration::from_secs(300)),
            max_connection_age_grace: Duration::from_secs(30),
            model_poll_interval: Some(Duration::from_millis(50)),
            feedback: None,
        }
    }
}

fn non_zero(d: Duration) -> Option<Duration> {
    (!d.is_zero()).then_some(d)
}

/// Parses `10s`, `500ms`, `1m 30s` (humantime) and a bare `0`.
fn parse_duration(s: &str) -> Result<Duration, String> {
    if s.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(s).map_err(|err| format!("{err} (examples: 10s, 500ms, 2m)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn clap_definition_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn defaults_match_the_documented_table() {
        let config = Args::parse_from(["stance-server"]).into_config().unwrap();
        assert_eq!(config.listen, "0.0.0.0:50051".parse().unwrap());
        assert_eq!(config.metrics_listen, "0.0.0.0:9090".parse().unwrap());
        assert_eq!(config.limits.max_text_bytes, 10_000);
        assert_eq!(config.limits.max_batch_size, 1024);
        assert_eq!(config.limits.max_document_bytes, 100_000);
        assert_eq!(config.limits.max_message_bytes, 16 * 1024 * 1024);
        assert_eq!(config.limits.concurrency_limit, 256);
        assert_eq!(config.request_timeout, Duration::from_secs(10));
        assert_eq!(config.shutdown_grace, Duration::from_secs(20));
        assert_eq!(config.max_connection_age, Some(Duration::from_secs(300)));
        assert_eq!(config.max_connection_age_grace, Duration::from_secs(30));
        assert_eq!(config.model_poll_interval, Some(Duration::from_secs(2)));
        assert!(config.model_path.is_none());
        assert!(config.feedback.is_none());
        // for_tests() spells the same limits out by hand.
        let test = Config::for_tests();
        assert_eq!(format!("{:?}", test.limits), format!("{:?}", config.limits));
        assert_eq!(test.request_timeout, config.request_timeout);
    }

    #[test]
    fn zero_durations_switch_features_off() {
        let config = Args::parse_from([
            "stance-server",
            "--max-connection-age",
            "0",
            "--model-poll-interval",
            "0",
        ])
        .into_config()
        .unwrap();
        assert_eq!(config.max_connection_age, None);
        assert_eq!(config.model_poll_interval, None);
    }

    #[test]
    fn out_of_range_values_are_rejected() {
        for args in [
            &["stance-server", "--max-batch-size", "0"][..],
            &["stance-server", "--concurrency-limit", "0"],
            &["stance-server", "--request-timeout", "0"],
            &["stance-server", "--max-document-bytes", "5000000000"],
            &["stance-server", "--feedback-api-key", "k"],
        ] {
            assert!(Args::parse_from(args).into_config().is_err(), "{args:?}");
        }
        assert!(Args::try_parse_from(["stance-server", "--request-timeout", "soon"]).is_err());
    }
}
