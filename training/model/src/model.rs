//! The fitted model: featurizer settings, selected features, linear weights, and prediction.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::artifact;
use crate::error::{ModelError, Result};
use crate::features::{Featurizer, FeaturizerConfig, Scratch};
use crate::stance::Stance;

/// What a model says about one statement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    /// The most probable label.
    pub stance: Stance,
    /// Probability of `stance`.
    pub confidence: f32,
    /// Probability of every label, in [`Stance::ALL`] order; sums to 1.
    pub probabilities: [f32; 4],
}

/// Everything known about how a model was made, stored in the model file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Short hash of the model's content.
    pub model_version: String,
    /// RFC 3339 time of training (taken from the caller so that builds can be reproducible).
    pub trained_at: String,
    /// linfa algorithm that fitted the weights.
    pub algorithm: String,
    /// Every setting of the fit and the featurizer, as text.
    pub hyperparameters: BTreeMap<String, String>,
    /// Label order of the weights; always [`Stance::ALL`].
    pub labels: Vec<Stance>,
    /// Rows the model was fitted on.
    pub training_rows: u64,
    /// SHA-256 of the training rows (text and label, in order).
    pub training_data_hash: String,
    /// Held-out scores measured at training time, e.g. `test_macro_f1`.
    pub metrics: BTreeMap<String, f64>,
}

/// The fitted numbers: selected feature ids, their idf, and linear weights per label.
///
/// Logistic regression and multinomial naive Bayes both score as
/// `softmax((intercept + x · coef) / temperature)`, so one sparse scorer serves both.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    /// Hashed feature id of every selected feature, in slot order.
    pub ids: Vec<u32>,
    /// Inverse document frequency per slot.
    pub idf: Vec<f32>,
    /// Row-major `[slot][label]` coefficients.
    pub coef: Vec<f32>,
    /// Per-label intercept.
    pub intercept: [f32; 4],
    /// Softmax temperature fitted for calibration (1 = none).
    pub temperature: f32,
}

/// A loaded, immutable model. Cheap to share behind an `Arc`.
pub struct StanceModel {
    pub(crate) info: ModelInfo,
    pub(crate) featurizer: Featurizer,
    pub(crate) weights: Weights,
    /// Hashed id -> slot. Built at load, never stored.
    slot_of: SlotTable,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<StanceModel>();
};

thread_local! {
    static SCRATCH: RefCell<(Scratch, Vec<(u32, f32)>)> = RefCell::new((Scratch::default(), Vec::new()));
}

impl StanceModel {
    /// Assembles a model from its parts, checking that they fit together.
    ///
    /// # Errors
    /// [`ModelError::Corrupt`] when sizes disagree, [`ModelError::LabelMismatch`] when the
    /// labels are not the served four.
    pub fn from_parts(info: ModelInfo, config: FeaturizerConfig, weights: Weights) -> Result<Self> {
        if info.labels != Stance::ALL {
            return Err(ModelError::LabelMismatch {
                found: info.labels.iter().map(|l| l.as_str().to_owned()).collect(),
            });
        }
        if !(12..=24).contains(&config.hash_bits) {
            return Err(ModelError::Corrupt(format!(
                "hash_bits {} outside 12..=24",
                config.hash_bits
            )));
        }
        let k = weights.ids.len();
        if weights.idf.len() != k || weights.coef.len() != k * 4 {
            return Err(ModelError::Corrupt(format!(
                "{k} features but {} idf values and {} coefficients",
                weights.idf.len(),
                weights.coef.len()
            )));
        }
        let all_finite = weights
            .idf
            .iter()
            .chain(&weights.coef)
            .chain(&weights.intercept)
            .all(|x| x.is_finite());
        if !(all_finite && weights.temperature.is_finite() && weights.temperature > 0.0) {
            return Err(ModelError::Corrupt(
                "non-finite weights or temperature".into(),
            ));
        }
        let featurizer = Featurizer::new(config);
        if let Some(id) = weights
            .ids
            .iter()
            .find(|&&id| id as usize >= featurizer.dimension())
        {
            return Err(ModelError::Corrupt(format!(
                "feature id {id} outside the hash space"
            )));
        }
        let slot_of = SlotTable::new(&weights.ids)
            .ok_or_else(|| ModelError::Corrupt("a feature id is selected twice".into()))?;
        Ok(StanceModel {
            info,
            featurizer,
            weights,
            slot_of,
        })
    }

    /// Reads and checks a model file.
    ///
    /// # Errors
    /// I/O errors, and every check of [`StanceModel::from_bytes`].
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| ModelError::io(path, e))?;
        Self::from_bytes(&bytes)
    }

    /// Decodes and checks a model file held in memory.
    ///
    /// # Errors
    /// Wrong magic, unknown format version, truncation, checksum mismatch, undecodable
    /// payload, a `model_version` that does not match the content, or foreign labels.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        artifact::decode(bytes)
    }

    /// The default model shipped inside the binary, trained by `stance-train` from the
    /// committed corpus.
    ///
    /// # Panics
    /// Never in a tested build: a test loads the embedded bytes.
    pub fn builtin() -> Self {
        Self::from_bytes(crate::DEFAULT_MODEL).expect("the embedded default model is valid")
    }

    /// Writes the model file: to a temporary file beside `path`, fsynced, then renamed over
    /// `path`, so a reader never sees a half-written model.
    ///
    /// # Errors
    /// I/O errors, naming the file.
    pub fn save(&self, path: &Path) -> Result<()> {
        artifact::write_atomic(path, &self.to_bytes())
    }

    /// The model file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        artifact::encode(&self.info, self.featurizer.config(), &self.weights)
    }

    /// Metadata of the model.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Short content hash naming this model.
    pub fn version(&self) -> &str {
        &self.info.model_version
    }

    /// The featurizer this model was trained with.
    pub fn featurizer(&self) -> &Featurizer {
        &self.featurizer
    }

    /// The fitted weights.
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// Labels one statement. Allocates nothing once the thread's buffers have grown.
    pub fn predict(&self, text: &str) -> Prediction {
        SCRATCH.with(|cell| {
            let (scratch, vector) = &mut *cell.borrow_mut();
            self.featurizer.featurize(text, scratch);
            vectorize(&self.slot_of, &self.weights.idf, &scratch.ids, vector);
            self.score(vector)
        })
    }

    /// Labels many statements, answers in input order; large batches run on rayon's pool.
    pub fn predict_batch<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Vec<Prediction> {
        if texts.len() < 64 {
            texts.iter().map(|t| self.predict(t.as_ref())).collect()
        } else {
            texts
                .par_iter()
                .with_min_len(32)
                .map(|t| self.predict(t.as_ref()))
                .collect()
        }
    }

    /// Sparse tf-idf vector of `text` over the selected slots, as training builds it.
    pub fn vector(&self, text: &str) -> Vec<(u32, f32)> {
        let mut scratch = Scratch::default();
        let mut out = Vec::new();
        self.featurizer.featurize(text, &mut scratch);
        vectorize(&self.slot_of, &self.weights.idf, &scratch.ids, &mut out);
        out
    }

    /// Scores a sparse vector: softmax of the linear logits over the temperature.
    pub fn score(&self, vector: &[(u32, f32)]) -> Prediction {
        let w = &self.weights;
        let mut logits = w.intercept;
        for &(slot, x) in vector {
            let row = &w.coef[slot as usize * 4..slot as usize * 4 + 4];
            for (l, c) in logits.iter_mut().zip(row) {
                *l += x * c;
            }
        }
        softmax_prediction(logits, w.temperature)
    }
}

pub(crate) fn softmax_prediction(logits: [f32; 4], temperature: f32) -> Prediction {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut p = [0f32; 4];
    let mut sum = 0.0;
    for (pi, l) in p.iter_mut().zip(logits) {
        *pi = ((l - max) / temperature).exp();
        sum += *pi;
    }
    let mut best = 0;
    for i in 0..4 {
        p[i] /= sum;
        if p[i] > p[best] {
            best = i;
        }
    }
    Prediction {
        stance: Stance::from_index(best),
        confidence: p[best],
        probabilities: p,
    }
}

/// Hashed ids (with repeats) -> sorted `(slot, value)` pairs: sublinear tf times idf, L2
/// normalised. The one definition of a feature vector, for fitting and for serving.
pub(crate) fn vectorize(slot_of: &SlotTable, idf: &[f32], ids: &[u32], out: &mut Vec<(u32, f32)>) {
    out.clear();
    for &id in ids {
        if let Some(slot) = slot_of.get(id) {
            out.push((slot, 1.0));
        }
    }
    out.sort_unstable_by_key(|&(s, _)| s);
    // Merge runs of the same slot into counts.
    let mut w = 0;
    for r in 0..out.len() {
        if w > 0 && out[w - 1].0 == out[r].0 {
            out[w - 1].1 += 1.0;
        } else {
            out[w] = out[r];
            w += 1;
        }
    }
    out.truncate(w);
    let mut norm = 0.0f32;
    for (slot, v) in out.iter_mut() {
        // Most counts are 1, and ln(1) = 0: skip the logarithm for them.
        let tf = if *v == 1.0 { 1.0 } else { 1.0 + v.ln() };
        *v = tf * idf[*slot as usize];
        norm += *v * *v;
    }
    if norm > 0.0 {
        let inv = norm.sqrt().recip();
        for (_, v) in out.iter_mut() {
            *v *= inv;
        }
    }
}

/// Open-addressing map from hashed feature id to slot. A few thousand selected ids fit in a
/// table small enough to stay in cache, where a direct table over the whole 2^20 hash space
/// would miss cache on nearly every lookup.
pub(crate) struct SlotTable {
    mask: usize,
    keys: Vec<u32>,
    slots: Vec<u32>,
}

const EMPTY: u32 = u32::MAX;

impl SlotTable {
    /// Builds the table; `None` when an id repeats. Ids are hash values, so their low bits
    /// are already well spread.
    pub(crate) fn new(ids: &[u32]) -> Option<Self> {
        let cap = (ids.len() * 2 + 16).next_power_of_two();
        let mut t = SlotTable {
            mask: cap - 1,
            keys: vec![EMPTY; cap],
            slots: vec![0; cap],
        };
        for (slot, &id) in ids.iter().enumerate() {
            let mut i = id as usize & t.mask;
            while t.keys[i] != EMPTY {
                if t.keys[i] == id {
                    return None;
                }
                i = (i + 1) & t.mask;
            }
            t.keys[i] = id;
            t.slots[i] = slot as u32;
        }
        Some(t)
    }

    #[inline]
    pub(crate) fn get(&self, id: u32) -> Option<u32> {
        let mut i = id as usize & self.mask;
        loop {
            let k = self.keys[i];
            if k == id {
                return Some(self.slots[i]);
            }
            if k == EMPTY {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }
}
