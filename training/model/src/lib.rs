//! `stance-model`: the one place that decides how text becomes features and how a model is
//! fitted, written to disk and read back.
//!
//! - [`Stance`]: the four labels.
//! - [`text`] and [`Featurizer`]: normalisation, tokens, hashed n-grams, negation scope, cues.
//! - [`train`]: feature selection and a linfa fit (multinomial logistic regression or
//!   multinomial naive Bayes) into a [`StanceModel`].
//! - [`StanceModel`]: the model file ([`artifact`]) and sparse prediction.
//! - [`data`] and [`metrics`]: labelled rows from JSONL/CSV, the fixed test split, scores.
//!
//! Training (`stance-train`) and serving (`stance-server`) both depend on this crate, so they
//! cannot featurize differently. It is plain synchronous code.

pub mod artifact;
pub mod baseline;
pub mod data;
mod error;
mod features;
pub mod lexicon;
pub mod metrics;
mod model;
mod stance;
pub mod text;
pub mod train;

pub use error::{ModelError, Result};
pub use features::{Featurizer, FeaturizerConfig, Scratch};
pub use model::{ModelInfo, Prediction, StanceModel, Weights};
pub use stance::{LABEL_NAMES, Stance};

/// The default model, trained by `stance-train` from `training/data` and embedded in every
/// binary so the server answers out of the box.
pub const DEFAULT_MODEL: &[u8] = include_bytes!("../assets/default.stance");
