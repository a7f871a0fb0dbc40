//! Fitting: featurize, select features, fit a linfa classifier, read its weights out once,
//! calibrate, and assemble a [`StanceModel`].
//!
//! linfa's classifiers take dense matrices, so the features that reach them are bounded:
//! hashed ids seen in at least `min_df` rows, ranked by chi-squared against the labels, the
//! best `max_features` kept. Serving never builds a dense row: it scores the sparse vector
//! against the weights read out of the fitted linfa model (see [`crate::StanceModel::score`]).

use std::collections::{BTreeMap, HashMap};

use linfa::prelude::*;
use linfa_bayes::MultinomialNb;
use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::artifact::model_version;
use crate::data::{Example, data_hash, text_key};
use crate::error::{ModelError, Result};
use crate::features::{Featurizer, FeaturizerConfig, Scratch};
use crate::metrics::{Report, evaluate};
use crate::model::{ModelInfo, SlotTable, StanceModel, Weights, softmax_prediction, vectorize};
use crate::stance::Stance;

/// Float type of the dense matrices handed to linfa: f32 halves the memory of a fit.
pub type Float = f32;

/// The linfa algorithm that fits the weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// `linfa-logistic` multinomial logistic regression (L2).
    Logistic,
    /// `linfa-bayes` multinomial naive Bayes.
    NaiveBayes,
}

impl Algorithm {
    /// Name used on the command line and in the model file.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Logistic => "logistic",
            Algorithm::NaiveBayes => "naive_bayes",
        }
    }
}

impl std::str::FromStr for Algorithm {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "logistic" => Ok(Algorithm::Logistic),
            "naive_bayes" => Ok(Algorithm::NaiveBayes),
            _ => Err(ModelError::InvalidParam {
                name: "algorithm",
                message: format!("{s:?} is not one of logistic, naive_bayes"),
            }),
        }
    }
}

/// Checked training settings; build them with [`TrainParams`].
#[derive(Clone, Debug, PartialEq)]
pub struct ValidTrainParams {
    /// Which linfa algorithm fits.
    pub algorithm: Algorithm,
    /// L2 penalty of logistic regression.
    pub alpha: f64,
    /// Additive smoothing of naive Bayes.
    pub smoothing: f64,
    /// Iteration cap of the logistic solver (L-BFGS).
    pub max_iterations: u64,
    /// Features kept after chi-squared ranking.
    pub max_features: usize,
    /// Minimum rows a feature must occur in.
    pub min_df: u32,
    /// Whether a softmax temperature is fitted on a held-out tenth of the training rows.
    pub calibrate: bool,
    /// Seed of the calibration and cross-validation folds.
    pub seed: u64,
    /// Featurizer settings.
    pub featurizer: FeaturizerConfig,
}

/// Unchecked training settings (linfa's `Params` / `ValidParams` pattern).
///
/// | setting | default | range |
/// |---|---|---|
/// | algorithm | logistic | logistic, naive_bayes |
/// | alpha | 0.5 | > 0 |
/// | smoothing | 0.1 | > 0 |
/// | max_iterations | 300 | >= 1 |
/// | max_features | 6000 | 16..=200000 |
/// | min_df | 2 | >= 1 |
/// | calibrate | true | |
/// | seed | 42 | any |
#[derive(Clone, Debug, PartialEq)]
pub struct TrainParams(pub ValidTrainParams);

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams(ValidTrainParams {
            algorithm: Algorithm::Logistic,
            alpha: 0.5,
            smoothing: 0.1,
            max_iterations: 300,
            max_features: 6000,
            min_df: 2,
            calibrate: true,
            seed: 42,
            featurizer: FeaturizerConfig::default(),
        })
    }
}

impl TrainParams {
    /// Validates the settings.
    ///
    /// # Errors
    /// [`ModelError::InvalidParam`] naming the setting and its valid range.
    pub fn check(self) -> Result<ValidTrainParams> {
        let p = self.0;
        let bad = |name, message: &str| {
            Err(ModelError::InvalidParam {
                name,
                message: message.to_owned(),
            })
        };
        if !(p.alpha.is_finite() && p.alpha > 0.0) {
            return bad("alpha", "must be a finite number > 0");
        }
        if !(p.smoothing.is_finite() && p.smoothing > 0.0) {
            return bad("smoothing", "must be a finite number > 0");
        }
        if p.max_iterations == 0 {
            return bad("max_iterations", "must be >= 1");
        }
        if !(16..=200_000).contains(&p.max_features) {
            return bad("max_features", "must be in 16..=200000");
        }
        if p.min_df == 0 {
            return bad("min_df", "must be >= 1");
        }
        if !(12..=24).contains(&p.featurizer.hash_bits) {
            return bad("hash_bits", "must be in 12..=24");
        }
        if !(1..=3).contains(&p.featurizer.word_ngrams) {
            return bad("word_ngrams", "must be in 1..=3");
        }
        if p.featurizer.negation_scope > 10 {
            return bad("negation_scope", "must be in 0..=10");
        }
        Ok(p)
    }
}

/// Fewest rows per label that training accepts.
pub const MIN_ROWS_PER_LABEL: usize = 5;

/// Fits a model on `examples`. `trained_at` is recorded as given so the same data, settings
/// and time give a byte-identical file; `progress` hears each stage.
///
/// # Errors
/// [`ModelError::BadData`] for data that cannot make a useful model (a missing label, too few
/// rows of one), [`ModelError::Fit`] when linfa fails.
pub fn fit(
    examples: &[Example],
    params: &ValidTrainParams,
    trained_at: &str,
    progress: &mut dyn FnMut(&str),
) -> Result<StanceModel> {
    check_data(examples)?;
    progress("featurizing");
    let featurizer = Featurizer::new(params.featurizer.clone());
    let docs = featurize_all(&featurizer, examples);
    progress("selecting features");
    let labels: Vec<usize> = examples.iter().map(|e| e.label.index()).collect();
    let (ids, idf) = select(&docs, &labels, params.max_features, params.min_df);
    if ids.is_empty() {
        return Err(ModelError::BadData(format!(
            "no feature occurs in {} or more rows; add rows or lower min_df",
            params.min_df
        )));
    }
    let slot_of = SlotTable::new(&ids).expect("selected ids are unique");

    let temperature = if params.calibrate {
        progress("fitting the calibration model");
        let (fit_rows, cal_rows): (Vec<usize>, Vec<usize>) =
            (0..examples.len()).partition(|&i| fold_of(&examples[i].text, params.seed, 10) != 0);
        let (coef, intercept) = fit_linear(
            params,
            dense(&docs, &fit_rows, &slot_of, &idf),
            &pick(&labels, &fit_rows),
        )?;
        let logits: Vec<[f32; 4]> = cal_rows
            .iter()
            .map(|&i| logits_of(&docs[i], &slot_of, &idf, &coef, intercept))
            .collect();
        fit_temperature(&logits, &pick(&labels, &cal_rows))
    } else {
        1.0
    };

    progress("fitting");
    let all: Vec<usize> = (0..examples.len()).collect();
    let (coef, intercept) = fit_linear(params, dense(&docs, &all, &slot_of, &idf), &labels)?;

    let weights = Weights {
        ids,
        idf,
        coef,
        intercept,
        temperature,
    };
    let mut info = ModelInfo {
        model_version: String::new(),
        trained_at: trained_at.to_owned(),
        algorithm: match params.algorithm {
            Algorithm::Logistic => "linfa-logistic multinomial logistic regression".into(),
            Algorithm::NaiveBayes => "linfa-bayes multinomial naive Bayes".into(),
        },
        hyperparameters: hyperparameters(params),
        labels: Stance::ALL.to_vec(),
        training_rows: examples.len() as u64,
        training_data_hash: data_hash(examples),
        metrics: BTreeMap::new(),
    };
    info.model_version = model_version(&info, &params.featurizer, &weights);
    StanceModel::from_parts(info, params.featurizer.clone(), weights)
}

impl StanceModel {
    /// The same model with `metrics` recorded (metrics do not change the model version).
    pub fn with_metrics(mut self, metrics: BTreeMap<String, f64>) -> Self {
        self.info.metrics = metrics;
        self
    }
}

/// Scores `model` on `examples`.
pub fn score(model: &StanceModel, examples: &[Example]) -> Report {
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let predictions = model.predict_batch(&texts);
    let truth: Vec<(Stance, &[Stance])> = examples
        .iter()
        .map(|e| (e.label, e.also.as_slice()))
        .collect();
    evaluate(&truth, &predictions)
}

/// K-fold cross-validation: folds by a seeded hash of the text, one fit per fold, each
/// scored on its held-out fold.
///
/// # Errors
/// As [`fit`], for any fold.
pub fn cross_validate(
    examples: &[Example],
    params: &ValidTrainParams,
    folds: usize,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Report>> {
    if folds < 2 {
        return Err(ModelError::InvalidParam {
            name: "folds",
            message: "must be >= 2".into(),
        });
    }
    let mut reports = Vec::new();
    for k in 0..folds {
        progress(&format!("fold {}/{folds}", k + 1));
        let (test, train): (Vec<Example>, Vec<Example>) = examples
            .iter()
            .cloned()
            .partition(|e| fold_of(&e.text, params.seed, folds as u64) == k as u64);
        let model = fit(&train, params, "cv", &mut |_| {})?;
        reports.push(score(&model, &test));
    }
    Ok(reports)
}

fn check_data(examples: &[Example]) -> Result<()> {
    if examples.is_empty() {
        return Err(ModelError::BadData("no rows".into()));
    }
    let mut counts = [0usize; 4];
    for e in examples {
        counts[e.label.index()] += 1;
    }
    let thin: Vec<String> = Stance::ALL
        .iter()
        .filter(|l| counts[l.index()] < MIN_ROWS_PER_LABEL)
        .map(|l| format!("{} has {}", l, counts[l.index()]))
        .collect();
    if !thin.is_empty() {
        return Err(ModelError::BadData(format!(
            "every label needs at least {MIN_ROWS_PER_LABEL} rows: {}",
            thin.join(", ")
        )));
    }
    Ok(())
}

fn hyperparameters(p: &ValidTrainParams) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        m.insert(k.to_owned(), v);
    };
    put("algorithm", p.algorithm.as_str().into());
    match p.algorithm {
        Algorithm::Logistic => {
            put("alpha", p.alpha.to_string());
            put("max_iterations", p.max_iterations.to_string());
        }
        Algorithm::NaiveBayes => put("smoothing", p.smoothing.to_string()),
    }
    put("max_features", p.max_features.to_string());
    put("min_df", p.min_df.to_string());
    put("calibrate", p.calibrate.to_string());
    put("seed", p.seed.to_string());
    put("hash_bits", p.featurizer.hash_bits.to_string());
    put("word_ngrams", p.featurizer.word_ngrams.to_string());
    put("negation_scope", p.featurizer.negation_scope.to_string());
    put("cues", p.featurizer.cues.to_string());
    m
}

/// Seeded fold of a statement, stable under reordering.
fn fold_of(text: &str, seed: u64, folds: u64) -> u64 {
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    h.update(text_key(text).as_bytes());
    let d = h.finalize();
    u64::from_le_bytes(d[..8].try_into().expect("8 bytes")) % folds
}

fn featurize_all(featurizer: &Featurizer, examples: &[Example]) -> Vec<Vec<u32>> {
    examples
        .par_iter()
        .map_init(Scratch::default, |scratch, e| {
            featurizer.featurize(&e.text, scratch);
            scratch.ids.clone()
        })
        .collect()
}

/// Chi-squared feature selection over presence/absence x label, among ids with enough rows.
/// Returns the kept ids (ascending) and their idf.
fn select(
    docs: &[Vec<u32>],
    labels: &[usize],
    max_features: usize,
    min_df: u32,
) -> (Vec<u32>, Vec<f32>) {
    let n = docs.len() as f64;
    let mut class_n = [0f64; 4];
    for &l in labels {
        class_n[l] += 1.0;
    }
    let mut df: HashMap<u32, [u32; 4]> = HashMap::new();
    let mut uniq = Vec::new();
    for (doc, &l) in docs.iter().zip(labels) {
        uniq.clear();
        uniq.extend_from_slice(doc);
        uniq.sort_unstable();
        uniq.dedup();
        for &id in &uniq {
            df.entry(id).or_default()[l] += 1;
        }
    }
    let mut scored: Vec<(f64, u32, u32)> = df
        .iter()
        .filter_map(|(&id, per)| {
            let total: u32 = per.iter().sum();
            if total < min_df {
                return None;
            }
            let t = total as f64;
            let mut chi = 0.0;
            for c in 0..4 {
                let o = per[c] as f64;
                let e_in = t * class_n[c] / n;
                let e_out = (n - t) * class_n[c] / n;
                let o_out = class_n[c] - o;
                if e_in > 0.0 {
                    chi += (o - e_in).powi(2) / e_in;
                }
                if e_out > 0.0 {
                    chi += (o_out - e_out).powi(2) / e_out;
                }
            }
            Some((chi, id, total))
        })
        .collect();
    // Highest score first; ties by id so the choice never depends on hash-map order.
    scored.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.truncate(max_features);
    scored.sort_unstable_by_key(|s| s.1);
    let ids = scored.iter().map(|s| s.1).collect();
    let idf = scored
        .iter()
        .map(|&(_, _, d)| (((1.0 + n) / (1.0 + d as f64)).ln() + 1.0) as f32)
        .collect();
    (ids, idf)
}

fn pick<T: Copy>(v: &[T], rows: &[usize]) -> Vec<T> {
    rows.iter().map(|&i| v[i]).collect()
}

/// Dense `rows x features` matrix of the given rows, built row by row from the sparse vectors.
fn dense(docs: &[Vec<u32>], rows: &[usize], slot_of: &SlotTable, idf: &[f32]) -> Array2<Float> {
    let mut x = Array2::<Float>::zeros((rows.len(), idf.len()));
    let mut v = Vec::new();
    for (r, &i) in rows.iter().enumerate() {
        vectorize(slot_of, idf, &docs[i], &mut v);
        for &(s, val) in &v {
            x[[r, s as usize]] = val as Float;
        }
    }
    x
}

/// Fits the linfa model and reads its weights out as `[slot][label]` coefficients and
/// per-label intercepts.
fn fit_linear(
    params: &ValidTrainParams,
    x: Array2<Float>,
    labels: &[usize],
) -> Result<(Vec<f32>, [f32; 4])> {
    let k = x.ncols();
    let y = Array1::from(labels.to_vec());
    let dataset = Dataset::new(x, y);
    let mut coef = vec![0f32; k * 4];
    let mut intercept = [0f32; 4];
    match params.algorithm {
        Algorithm::Logistic => {
            let model = MultiLogisticRegression::<Float>::default()
                .alpha(params.alpha as Float)
                .max_iterations(params.max_iterations)
                .fit(&dataset)
                .map_err(|e| ModelError::Fit(e.to_string()))?;
            let w = model.params();
            for (col, &class) in model.classes().iter().enumerate() {
                intercept[class] = model.intercept()[col];
                for s in 0..k {
                    coef[s * 4 + class] = w[[s, col]];
                }
            }
        }
        Algorithm::NaiveBayes => {
            let model = MultinomialNb::<Float, usize>::params()
                .alpha(params.smoothing as Float)
                .fit(&dataset)
                .map_err(|e| ModelError::Fit(e.to_string()))?;
            for (class, prior, log_prob) in naive_bayes_weights(&model)? {
                intercept[class] = prior.ln();
                for (s, lp) in log_prob.into_iter().enumerate() {
                    coef[s * 4 + class] = lp;
                }
            }
        }
    }
    Ok((coef, intercept))
}

/// linfa-bayes keeps its fitted numbers private; its serde form is the stable way to read
/// them out once, as (class, prior, feature log-probabilities).
fn naive_bayes_weights(model: &MultinomialNb<Float, usize>) -> Result<Vec<(usize, f32, Vec<f32>)>> {
    let corrupt = |m: &str| ModelError::Fit(format!("unexpected linfa-bayes model layout: {m}"));
    let v = serde_json::to_value(model).map_err(|e| ModelError::Fit(e.to_string()))?;
    let info = v
        .get("class_info")
        .and_then(|c| c.as_object())
        .ok_or_else(|| corrupt("no class_info"))?;
    let mut out = Vec::new();
    for (class, hist) in info {
        let class: usize = class.parse().map_err(|_| corrupt("class key"))?;
        let prior = hist
            .get("prior")
            .and_then(|p| p.as_f64())
            .ok_or_else(|| corrupt("prior"))? as f32;
        let data = hist
            .get("feature_log_prob")
            .and_then(|a| a.get("data"))
            .and_then(|d| d.as_array())
            .ok_or_else(|| corrupt("feature_log_prob"))?;
        let lp = data
            .iter()
            .map(|x| x.as_f64().map(|x| x as f32))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| corrupt("feature_log_prob values"))?;
        out.push((class, prior, lp));
    }
    out.sort_by_key(|t| t.0);
    Ok(out)
}

fn logits_of(
    doc: &[u32],
    slot_of: &SlotTable,
    idf: &[f32],
    coef: &[f32],
    intercept: [f32; 4],
) -> [f32; 4] {
    let mut v = Vec::new();
    vectorize(slot_of, idf, doc, &mut v);
    let mut l = intercept;
    for (s, x) in v {
        for c in 0..4 {
            l[c] += x * coef[s as usize * 4 + c];
        }
    }
    l
}

/// Temperature that minimises the negative log-likelihood of held-out rows (golden-section
/// search over log T in [ln 0.05, ln 20]).
fn fit_temperature(logits: &[[f32; 4]], labels: &[usize]) -> f32 {
    if logits.is_empty() {
        return 1.0;
    }
    let nll = |log_t: f64| -> f64 {
        let t = log_t.exp() as f32;
        logits
            .iter()
            .zip(labels)
            .map(|(l, &y)| -(softmax_prediction(*l, t).probabilities[y].max(1e-12) as f64).ln())
            .sum()
    };
    let (mut a, mut b) = ((0.05f64).ln(), (20f64).ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..60 {
        let c = b - g * (b - a);
        let d = a + g * (b - a);
        if nll(c) < nll(d) {
            b = d;
        } else {
            a = c;
        }
    }
    // Rounded so tiny float differences between machines cannot change the model file.
    (((a + b) / 2.0).exp() as f32 * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_checked() {
        let mut p = TrainParams::default();
        p.0.alpha = 0.0;
        assert!(matches!(
            p.check(),
            Err(ModelError::InvalidParam { name: "alpha", .. })
        ));
        let mut p = TrainParams::default();
        p.0.max_features = 3;
        assert!(p.check().is_err());
        assert!("svm".parse::<Algorithm>().is_err());
    }

    #[test]
    fn temperature_sharpens_underconfident_logits() {
        // Always right but only mildly confident: the best temperature is below 1.
        let logits = vec![[1.0, 0.0, 0.0, 0.0]; 50];
        let labels = vec![0; 50];
        assert!(fit_temperature(&logits, &labels) < 0.5);
    }
}

#[cfg(test)]
mod sparse_equals_dense {
    //! The serving path (sparse features against weights read out of linfa) must give the
    //! probabilities linfa itself gives on the dense matrix.
    use super::*;
    use crate::data;
    use linfa_bayes::NaiveBayes;

    fn setup(algorithm: Algorithm) -> (ValidTrainParams, Vec<Example>) {
        let p =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small.jsonl");
        let rows = data::load(&[p], false).unwrap().examples;
        let mut params = TrainParams::default();
        params.0.algorithm = algorithm;
        params.0.min_df = 1;
        params.0.max_features = 400;
        params.0.calibrate = false;
        (params.check().unwrap(), rows)
    }

    fn dense_of(model: &StanceModel, rows: &[Example]) -> Array2<Float> {
        let mut x = Array2::<Float>::zeros((rows.len(), model.weights().ids.len()));
        for (r, e) in rows.iter().enumerate() {
            for (s, v) in model.vector(&e.text) {
                x[[r, s as usize]] = v;
            }
        }
        x
    }

    #[test]
    fn logistic() {
        let (params, rows) = setup(Algorithm::Logistic);
        let model = fit(&rows, &params, "t", &mut |_| {}).unwrap();
        let x = dense_of(&model, &rows);
        let y = Array1::from(rows.iter().map(|e| e.label.index()).collect::<Vec<_>>());
        let linfa_model = MultiLogisticRegression::<Float>::default()
            .alpha(params.alpha as Float)
            .max_iterations(params.max_iterations)
            .fit(&Dataset::new(x.clone(), y))
            .unwrap();
        let dense = linfa_model.predict_probabilities(&x);
        for (r, e) in rows.iter().enumerate() {
            let sparse = model.predict(&e.text).probabilities;
            for (c, p) in sparse.iter().enumerate() {
                let col = linfa_model.classes().iter().position(|&k| k == c).unwrap();
                assert!((p - dense[[r, col]]).abs() < 1e-4, "row {r} class {c}");
            }
        }
    }

    #[test]
    fn naive_bayes() {
        let (params, rows) = setup(Algorithm::NaiveBayes);
        let model = fit(&rows, &params, "t", &mut |_| {}).unwrap();
        let x = dense_of(&model, &rows);
        let y = Array1::from(rows.iter().map(|e| e.label.index()).collect::<Vec<_>>());
        let nb = MultinomialNb::<Float, usize>::params()
            .alpha(params.smoothing as Float)
            .fit(&Dataset::new(x.clone(), y))
            .unwrap();
        let (log_proba, classes) = nb.predict_log_proba(x.view());
        for (r, e) in rows.iter().enumerate() {
            let sparse = model.predict(&e.text).probabilities;
            for (col, &&c) in classes.iter().enumerate() {
                assert!(
                    (sparse[c] - log_proba[[r, col]].exp()).abs() < 1e-4,
                    "row {r} class {c}"
                );
            }
        }
    }
}
