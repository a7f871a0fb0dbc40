//! Errors of the server and the one table that maps them to gRPC codes.
//!
//! [`ServeError`] is what a request can fail with; `impl From<ServeError> for
//! Status` is an exhaustive `match` with no `_` arm, so a new variant must pick
//! its code here. [`StartupError`] and [`ConfigError`] stop the process before or
//! while it serves; [`ModelLoadError`] is a rejected model file (at start or on
//! hot reload).

use std::{io, net::SocketAddr, path::PathBuf};

use tonic::{Code, Status};

/// Result of a request handler before it meets the wire.
pub type Result<T, E = ServeError> = std::result::Result<T, E>;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// A text field is empty or whitespace only.
    #[error("{field} is empty")]
    EmptyText {
        /// Name of the field, e.g. `texts[3]`.
        field: String,
    },
    /// A text field is larger than its limit.
    #[error("{field} is {size} bytes, over the limit of {limit} bytes")]
    TextTooLarge {
        /// Name of the field.
        field: String,
        /// Its size in bytes.
        size: usize,
        /// The configured limit in bytes.
        limit: usize,
    },
    /// A batch has no texts.
    #[error("texts is empty")]
    EmptyBatch,
    /// A batch has more texts than allowed.
    #[error("texts has {size} entries, over the limit of {limit}")]
    BatchTooLarge {
        /// Number of texts sent.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A stance field is `STANCE_UNSPECIFIED` or not a known enum value.
    #[error(
        "{field} must be one of STANCE_CONDEMN, STANCE_SUPPORT, STANCE_CALL_FOR_CALM, STANCE_NEUTRAL (got {value})"
    )]
    InvalidStance {
        /// Name of the field.
        field: &'static str,
        /// The raw enum value sent.
        value: i32,
    },
    /// The process-wide concurrency limit is reached.
    #[error("server is at its concurrency limit of {limit} requests, retry later")]
    Overloaded {
        /// The configured limit.
        limit: usize,
    },
    /// No model is loaded yet.
    #[error("model is not loaded yet")]
    ModelNotReady,
    /// Shutdown has started; no new work is taken.
    #[error("server is shutting down")]
    ShuttingDown,
    /// The request ran past `--request-timeout`.
    #[error("request exceeded the server time limit of {limit_ms} ms")]
    DeadlineExceeded {
        /// The configured limit in milliseconds.
        limit_ms: u128,
    },
    /// SubmitFeedback is switched off (no `--feedback-dir`).
    #[error("feedback is disabled on this server")]
    FeedbackDisabled,
    /// SubmitFeedback needs an API key that was missing or wrong.
    #[error("missing or wrong x-api-key")]
    Unauthenticated,
    /// The feedback store could not write the row durably; nothing was acknowledged.
    #[error("feedback store cannot write: {kind}")]
    FeedbackStorage {
        /// What went wrong, e.g. "no space left on device" (no paths).
        kind: io::ErrorKind,
        /// The underlying error, logged in full.
        #[source]
        source: io::Error,
    },
    /// Work on a blocking thread panicked or was cancelled.
    #[error("internal worker failed")]
    Worker(#[source] tokio::task::JoinError),
}

impl From<ServeError> for Status {
    fn from(err: ServeError) -> Self {
        let code = match &err {
            ServeError::EmptyText { .. }
            | ServeError::TextTooLarge { .. }
            | ServeError::EmptyBatch
            | ServeError::BatchTooLarge { .. }
            | ServeError::InvalidStance { .. } => Code::InvalidArgument,
            ServeError::Overloaded { .. } => Code::ResourceExhausted,
            ServeError::ModelNotReady | ServeError::ShuttingDown => Code::Unavailable,
            ServeError::DeadlineExceeded { .. } => Code::DeadlineExceeded,
            ServeError::FeedbackDisabled => Code::FailedPrecondition,
            ServeError::Unauthenticated => Code::Unauthenticated,
            // A full or read-only disk is an operator problem the client can
            // retry after; UNAVAILABLE says "try again later", INTERNAL would
            // claim a server bug.
            ServeError::FeedbackStorage { .. } => Code::Unavailable,
            ServeError::Worker(_) => Code::Internal,
        };
        Status::new(code, err.to_string())
    }
}

/// A flag value out of range.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The flag's value is not allowed.
    #[error("{flag} {reason}")]
    OutOfRange {
        /// The long flag, e.g. `--max-batch-size`.
        flag: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Why a model file was rejected. The server keeps serving the model it has.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelLoadError {
    /// The file could not be inspected (missing, unreadable).
    #[error("cannot read model file {path}: {source}")]
    Stat {
        /// The model path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// `stance-model` rejected the file (magic, version, checksum, labels, ...).
    #[error("model file {path} rejected: {source}")]
    Model {
        /// The model path.
        path: PathBuf,
        /// The model crate's error.
        #[source]
        source: stance_model::ModelError,
    },
    /// The model's labels are not the four labels of the API, in API order.
    #[error("model labels {found:?} do not match the API labels")]
    Labels {
        /// Labels the file declares.
        found: Vec<String>,
    },
    /// The file changed while it was being loaded; it is retried on the next poll.
    #[error("model file {path} changed while loading")]
    Changed {
        /// The model path.
        path: PathBuf,
    },
    /// The loader thread panicked.
    #[error("model loader panicked")]
    Panicked,
}

/// Why the server could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The initial model could not be loaded.
    #[error(transparent)]
    Model(#[from] ModelLoadError),
    /// The feedback directory could not be prepared.
    #[error("cannot use feedback directory {path}: {source}")]
    FeedbackDir {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The reflection service could not be built from the descriptor set.
    #[error("cannot build the reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The gRPC transport failed.
    #[error("grpc transport failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// A signal handler could not be installed.
    #[error("cannot install signal handler: {0}")]
    Signal(#[source] io::Error),
}

/// `err` and its `source()` chain joined with `": "`, for logs and
/// `GetModelInfo`. A source whose text its parent already shows is skipped, so
/// errors that format their source (`"...: {source}"`) are not repeated.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(source) = next {
        let part = source.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = source.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_table() {
        let cases = [
            (
                ServeError::EmptyText {
                    field: "text".into(),
                },
                Code::InvalidArgument,
            ),
            (
                ServeError::TextTooLarge {
                    field: "text".into(),
                    size: 11,
                    limit: 10,
                },
                Code::InvalidArgument,
            ),
            (ServeError::EmptyBatch, Code::InvalidArgument),
            (
                ServeError::BatchTooLarge { size: 2, limit: 1 },
                Code::InvalidArgument,
            ),
            (
                ServeError::InvalidStance {
                    field: "stance",
                    value: 0,
                },
                Code::InvalidArgument,
            ),
            (ServeError::Overloaded { limit: 1 }, Code::ResourceExhausted),
            (ServeError::ModelNotReady, Code::Unavailable),
            (ServeError::ShuttingDown, Code::Unavailable),
            (
                ServeError::DeadlineExceeded { limit_ms: 1 },
                Code::DeadlineExceeded,
            ),
            (ServeError::FeedbackDisabled, Code::FailedPrecondition),
            (ServeError::Unauthenticated, Code::Unauthenticated),
            (
                ServeError::FeedbackStorage {
                    kind: io::ErrorKind::StorageFull,
                    source: io::Error::from(io::ErrorKind::StorageFull),
                },
                Code::Unavailable,
            ),
        ];
        for (err, code) in cases {
            assert_eq!(Status::from(err).code(), code);
        }
    }

    #[test]
    fn too_large_message_names_size_and_limit() {
        let status = Status::from(ServeError::TextTooLarge {
            field: "text".into(),
            size: 12,
            limit: 10,
        });
        assert_eq!(
            status.message(),
            "text is 12 bytes, over the limit of 10 bytes"
        );
    }
}
