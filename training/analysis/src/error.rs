//! The crate's one error type.

use std::path::PathBuf;

/// Errors of `stance-analysis`. Analysis itself never fails; these come from loading data.
#[non_exhaustive]
#[derive(thiserror::Error, Debug)]
pub enum AnalysisError {
    /// The gazetteer data is malformed (only reachable with custom data: the embedded data is
    /// checked by unit tests).
    #[error("gazetteer line {line}: {message}")]
    Gazetteer {
        /// 1-based line number, or 0 when the error is not tied to a line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An article file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An article line is not valid JSON of the expected shape.
    #[error("{path}:{line}: invalid article")]
    Article {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
}

/// Result with [`AnalysisError`].
pub type Result<T> = std::result::Result<T, AnalysisError>;
