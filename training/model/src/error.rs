//! The one error type of this crate.

use std::path::PathBuf;

/// Result with [`ModelError`].
pub type Result<T, E = ModelError> = std::result::Result<T, E>;

/// Everything that can go wrong when reading data, training, or loading a model file.
#[non_exhaustive]
#[derive(thiserror::Error, Debug)]
pub enum ModelError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file does not start with the model magic bytes.
    #[error("not a stance model file (bad magic header)")]
    BadMagic,
    /// The file was written by a format this build does not know.
    #[error("unsupported model format version {found} (this build reads version {supported})")]
    UnsupportedVersion {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// The file is shorter than its header says.
    #[error("truncated model file: expected {expected} bytes, found {found}")]
    Truncated {
        /// Bytes the header promises.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// The payload does not match its checksum.
    #[error("model file checksum mismatch")]
    ChecksumMismatch,
    /// The payload passed the checksum but cannot be decoded or is inconsistent.
    #[error("corrupt model file: {0}")]
    Corrupt(String),
    /// The model's labels are not the four this API serves.
    #[error(
        "model labels {found:?} do not match the served labels [{}]",
        crate::stance::LABEL_NAMES
    )]
    LabelMismatch {
        /// Labels found in the file.
        found: Vec<String>,
    },
    /// A label string is not one of the four names.
    #[error("unknown label {found:?} (allowed: {allowed})")]
    UnknownLabel {
        /// The string given.
        found: String,
        /// The allowed names.
        allowed: &'static str,
    },
    /// A data row is malformed.
    #[error("{path}:{line}: {message}")]
    BadRow {
        /// File of the row.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The data as a whole cannot train a useful model.
    #[error("unusable training data: {0}")]
    BadData(String),
    /// Hyper-parameters out of range.
    #[error("invalid parameter {name}: {message}")]
    InvalidParam {
        /// Parameter name.
        name: &'static str,
        /// What is wrong, with the valid range.
        message: String,
    },
    /// The linfa fit failed.
    #[error("fitting failed: {0}")]
    Fit(String),
}

impl ModelError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::Io {
            path: path.into(),
            source,
        }
    }
}
