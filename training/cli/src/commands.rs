//! The model commands: train, eval, cv, predict, promote.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use stance_model::data::{self, Example};
use stance_model::metrics::Report;
use stance_model::train::{self, Algorithm, TrainParams, ValidTrainParams};
use stance_model::{FeaturizerConfig, Stance, StanceModel};

use crate::DataArgs;

/// Settings of a fit, shared by `train` and `cv`.
#[derive(Args, Clone)]
pub(crate) struct FitArgs {
    /// linfa algorithm: logistic (multinomial logistic regression) or naive_bayes.
    #[arg(long, env = "STANCE_ALGORITHM", default_value = "logistic")]
    algorithm: String,
    /// L2 penalty of logistic regression (> 0).
    #[arg(long, env = "STANCE_ALPHA", default_value_t = 0.5)]
    alpha: f64,
    /// Additive smoothing of naive Bayes (> 0).
    #[arg(long, env = "STANCE_SMOOTHING", default_value_t = 0.1)]
    smoothing: f64,
    /// Iteration cap of the L-BFGS solver.
    #[arg(long, env = "STANCE_MAX_ITERATIONS", default_value_t = 300)]
    max_iterations: u64,
    /// Features kept after chi-squared ranking (16..=200000); bounds the dense matrix.
    #[arg(long, env = "STANCE_MAX_FEATURES", default_value_t = 6000)]
    max_features: usize,
    /// Minimum rows a feature must occur in.
    #[arg(long, env = "STANCE_MIN_DF", default_value_t = 2)]
    min_df: u32,
    /// Longest word n-gram (1..=3).
    #[arg(long, env = "STANCE_WORD_NGRAMS", default_value_t = 3)]
    word_ngrams: u8,
    /// Words after a negator marked as negated (0..=10).
    #[arg(long, env = "STANCE_NEGATION_SCOPE", default_value_t = 4)]
    negation_scope: u8,
    /// Turn the cue-lexicon features off (for comparison).
    #[arg(long, env = "STANCE_NO_CUES")]
    no_cues: bool,
    /// Skip temperature calibration.
    #[arg(long, env = "STANCE_NO_CALIBRATE")]
    no_calibrate: bool,
    /// Seed of the calibration and cross-validation folds.
    #[arg(long, env = "STANCE_SEED", default_value_t = 42)]
    seed: u64,
}

impl FitArgs {
    fn params(&self) -> Result<ValidTrainParams> {
        let mut p = TrainParams::default();
        p.0.algorithm = self.algorithm.parse::<Algorithm>()?;
        p.0.alpha = self.alpha;
        p.0.smoothing = self.smoothing;
        p.0.max_iterations = self.max_iterations;
        p.0.max_features = self.max_features;
        p.0.min_df = self.min_df;
        p.0.calibrate = !self.no_calibrate;
        p.0.seed = self.seed;
        p.0.featurizer = FeaturizerConfig {
            word_ngrams: self.word_ngrams,
            negation_scope: self.negation_scope,
            cues: !self.no_cues,
            ..FeaturizerConfig::default()
        };
        Ok(p.check()?)
    }
}

/// `stance-train train`.
#[derive(Args)]
pub(crate) struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Where to write the model file (written atomically).
    #[arg(long, env = "STANCE_OUT")]
    out: PathBuf,
    #[command(flatten)]
    fit: FitArgs,
    /// Training time to record (RFC 3339); defaults to now. Fix it to reproduce a file byte for byte.
    #[arg(long, env = "STANCE_TRAINED_AT")]
    trained_at: Option<String>,
    /// Print the scores as JSON instead of a table.
    #[arg(long, env = "STANCE_JSON")]
    json: bool,
    /// Fit on this many rows drawn with replacement from the training split (to measure
    /// fitting at scale); the test split is untouched.
    #[arg(long, env = "STANCE_RESAMPLE")]
    resample: Option<usize>,
}

fn spinner() -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed}] {msg}").expect("valid template"),
    );
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

fn load(data: &DataArgs) -> Result<Vec<Example>> {
    let loaded = data::load(&data.data, data.skip_invalid).context("reading training data")?;
    if !loaded.skipped.is_empty() {
        eprintln!("skipped {} invalid rows:", loaded.skipped.len());
        for e in loaded.skipped.iter().take(20) {
            eprintln!("  {e}");
        }
    }
    let (rows, dups, conflicts) = data::dedupe(loaded.examples);
    if dups + conflicts > 0 {
        eprintln!(
            "merged {dups} repeated rows and {conflicts} label conflicts (the later row wins)"
        );
    }
    Ok(rows)
}

/// Fits on the training split of `rows`, scores on its test split, records the scores.
pub(crate) fn fit_and_score(
    rows: &[Example],
    params: &ValidTrainParams,
    trained_at: &str,
    resample: Option<usize>,
) -> Result<(StanceModel, Option<Report>)> {
    let (mut train_rows, test_rows) = data::split(rows);
    if let Some(n) = resample {
        train_rows = data::resample(&train_rows, n, params.seed);
    }
    let pb = spinner();
    let start = Instant::now();
    let model = train::fit(&train_rows, params, trained_at, &mut |stage| {
        pb.set_message(stage.to_owned())
    })?;
    let secs = start.elapsed().as_secs_f64();
    pb.finish_and_clear();
    eprintln!(
        "fitted on {} rows in {secs:.1} s ({:.0} rows/s); {} held out",
        train_rows.len(),
        train_rows.len() as f64 / secs,
        test_rows.len()
    );
    if test_rows.is_empty() {
        return Ok((model, None));
    }
    let report = train::score(&model, &test_rows);
    let mut m = BTreeMap::new();
    m.insert("test_rows".into(), test_rows.len() as f64);
    m.insert("test_accuracy".into(), report.accuracy);
    m.insert("test_macro_f1".into(), report.macro_f1);
    m.insert("test_ece".into(), report.ece);
    for c in &report.per_class {
        m.insert(format!("test_f1_{}", c.label), c.f1);
    }
    Ok((model.with_metrics(m), Some(report)))
}

pub(crate) fn train(a: TrainArgs) -> Result<ExitCode> {
    let params = a.fit.params()?;
    let rows = load(&a.data)?;
    let trained_at = a.trained_at.unwrap_or_else(|| {
        humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
    });
    let (model, report) = fit_and_score(&rows, &params, &trained_at, a.resample)?;
    model
        .save(&a.out)
        .with_context(|| format!("writing {}", a.out.display()))?;
    eprintln!(
        "wrote {} (model_version {})",
        a.out.display(),
        model.version()
    );
    match report {
        Some(r) => print_report(&r, "held-out test split", a.json)?,
        None => eprintln!("no row fell in the test split: no held-out scores"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `stance-train eval`.
#[derive(Args)]
pub(crate) struct EvalArgs {
    /// Model file; the built-in default model when omitted.
    #[arg(long, env = "STANCE_MODEL_PATH")]
    model: Option<PathBuf>,
    #[command(flatten)]
    data: DataArgs,
    /// Print JSON instead of a table.
    #[arg(long, env = "STANCE_JSON")]
    json: bool,
    /// Write a self-contained HTML page with the confusion heat map and reliability diagram.
    #[arg(long, env = "STANCE_REPORT")]
    report: Option<PathBuf>,
    /// Score only rows of the fixed test split (for our own corpus).
    #[arg(long, env = "STANCE_TEST_SPLIT")]
    test_split: bool,
    /// Score the keyword-matching baseline instead of a model.
    #[arg(long, env = "STANCE_BASELINE", conflicts_with = "model")]
    baseline: bool,
}

fn open_model(path: Option<&Path>) -> Result<StanceModel> {
    match path {
        Some(p) => StanceModel::load(p).with_context(|| format!("loading model {}", p.display())),
        None => Ok(StanceModel::builtin()),
    }
}

pub(crate) fn eval(a: EvalArgs) -> Result<ExitCode> {
    let model = open_model(a.model.as_deref())?;
    let mut rows = load(&a.data)?;
    if a.test_split {
        rows = data::split(&rows).1;
    }
    let (report, name) = if a.baseline {
        let predictions: Vec<_> = rows
            .iter()
            .map(|e| stance_model::baseline::keyword_predict(&e.text))
            .collect();
        let truth: Vec<(Stance, &[Stance])> =
            rows.iter().map(|e| (e.label, e.also.as_slice())).collect();
        (
            stance_model::metrics::evaluate(&truth, &predictions),
            "keyword baseline".to_owned(),
        )
    } else {
        (
            train::score(&model, &rows),
            format!("model {}", model.version()),
        )
    };
    print_report(&report, &name, a.json)?;
    if let Some(path) = a.report {
        let title = format!(
            "{name} on {}",
            a.data
                .data
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        std::fs::write(&path, crate::report::html(&title, &report))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `stance-train cv`.
#[derive(Args)]
pub(crate) struct CvArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Number of folds (>= 2).
    #[arg(long, env = "STANCE_FOLDS", default_value_t = 5)]
    folds: usize,
    #[command(flatten)]
    fit: FitArgs,
    /// Cross-validate on every row, test split included (default: the training split only).
    #[arg(long, env = "STANCE_CV_ALL_ROWS")]
    all_rows: bool,
    /// Print JSON instead of a table.
    #[arg(long, env = "STANCE_JSON")]
    json: bool,
}

pub(crate) fn cv(a: CvArgs) -> Result<ExitCode> {
    let params = a.fit.params()?;
    let mut rows = load(&a.data)?;
    if !a.all_rows {
        rows = data::split(&rows).0;
    }
    let pb = spinner();
    let reports = train::cross_validate(&rows, &params, a.folds, &mut |s| {
        pb.set_message(s.to_owned())
    })?;
    pb.finish_and_clear();
    let stat = |f: &dyn Fn(&Report) -> f64| {
        let v: Vec<f64> = reports.iter().map(f).collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>()
            / (v.len() as f64 - 1.0).max(1.0))
        .sqrt();
        (mean, sd)
    };
    let (f1, f1_sd) = stat(&|r| r.macro_f1);
    let (acc, acc_sd) = stat(&|r| r.accuracy);
    let (ece, ece_sd) = stat(&|r| r.ece);
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "folds": a.folds, "rows": rows.len(), "algorithm": params.algorithm.as_str(),
                "macro_f1": {"mean": f1, "sd": f1_sd}, "accuracy": {"mean": acc, "sd": acc_sd},
                "ece": {"mean": ece, "sd": ece_sd},
                "per_fold_macro_f1": reports.iter().map(|r| r.macro_f1).collect::<Vec<_>>(),
            })
        );
    } else {
        println!(
            "{}-fold cross-validation of {} on {} rows",
            a.folds,
            params.algorithm.as_str(),
            rows.len()
        );
        println!("  macro-F1  {f1:.4} ± {f1_sd:.4}");
        println!("  accuracy  {acc:.4} ± {acc_sd:.4}");
        println!("  ECE       {ece:.4} ± {ece_sd:.4}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `stance-train predict`.
#[derive(Args)]
pub(crate) struct PredictArgs {
    /// Model file; the built-in default model when omitted.
    #[arg(long, env = "STANCE_MODEL_PATH")]
    model: Option<PathBuf>,
    /// Statements to label.
    #[arg(required = true)]
    texts: Vec<String>,
}

pub(crate) fn predict(a: PredictArgs) -> Result<ExitCode> {
    let model = open_model(a.model.as_deref())?;
    for text in &a.texts {
        let p = model.predict(text);
        let probs: Vec<String> = Stance::ALL
            .iter()
            .map(|s| format!("{}={:.3}", s, p.probabilities[s.index()]))
            .collect();
        println!(
            "{}\t{:.3}\t{}\t{}",
            p.stance,
            p.confidence,
            probs.join(" "),
            text
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `stance-train promote`.
#[derive(Args)]
pub(crate) struct PromoteArgs {
    /// The newly trained model.
    #[arg(long, env = "STANCE_CANDIDATE")]
    candidate: PathBuf,
    /// The model now serving; when the file does not exist, the built-in default model is
    /// the one to beat.
    #[arg(long, env = "STANCE_CURRENT")]
    current: PathBuf,
    /// Evaluation rows both models are scored on.
    #[arg(long, env = "STANCE_EVAL_DATA", value_delimiter = ',', required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Score only the fixed test split of the evaluation rows.
    #[arg(long, env = "STANCE_TEST_SPLIT")]
    test_split: bool,
    /// Largest macro-F1 drop accepted.
    #[arg(long, env = "STANCE_PROMOTE_MARGIN", default_value_t = 0.01)]
    margin: f64,
    /// Where to install the candidate; defaults to --current.
    #[arg(long, env = "STANCE_PROMOTE_TARGET")]
    target: Option<PathBuf>,
}

pub(crate) fn promote(a: PromoteArgs) -> Result<ExitCode> {
    let candidate = StanceModel::load(&a.candidate)
        .with_context(|| format!("loading candidate {}", a.candidate.display()))?;
    let current = if a.current.exists() {
        StanceModel::load(&a.current)
            .with_context(|| format!("loading current model {}", a.current.display()))?
    } else {
        eprintln!(
            "{} does not exist: comparing with the built-in default model",
            a.current.display()
        );
        StanceModel::builtin()
    };
    let mut rows = data::load(&a.data, false)
        .context("reading evaluation data")?
        .examples;
    if a.test_split {
        rows = data::split(&rows).1;
    }
    if rows.is_empty() {
        bail!("no evaluation rows");
    }
    let verdict = gate(&candidate, &current, &rows, a.margin);
    println!(
        "candidate {} macro-F1 {:.4}, current {} macro-F1 {:.4} on {} rows (margin {})",
        candidate.version(),
        verdict.candidate_f1,
        current.version(),
        verdict.current_f1,
        rows.len(),
        a.margin
    );
    if let Some(reason) = verdict.refusal {
        eprintln!("refused: {reason}");
        return Ok(ExitCode::from(3));
    }
    let target = a.target.unwrap_or(a.current);
    candidate
        .save(&target)
        .with_context(|| format!("installing {}", target.display()))?;
    println!("promoted {} to {}", candidate.version(), target.display());
    Ok(ExitCode::SUCCESS)
}

/// Outcome of the promotion gate.
pub(crate) struct Verdict {
    pub(crate) candidate_f1: f64,
    pub(crate) current_f1: f64,
    pub(crate) refusal: Option<String>,
}

/// Refuses a candidate whose labels differ from the current model's or whose macro-F1 is
/// more than `margin` below it.
pub(crate) fn gate(
    candidate: &StanceModel,
    current: &StanceModel,
    rows: &[Example],
    margin: f64,
) -> Verdict {
    let candidate_f1 = train::score(candidate, rows).macro_f1;
    let current_f1 = train::score(current, rows).macro_f1;
    let refusal = if candidate.info().labels != current.info().labels {
        Some(format!(
            "labels differ: candidate {:?}, current {:?}",
            candidate.info().labels,
            current.info().labels
        ))
    } else if candidate_f1 < current_f1 - margin {
        Some(format!(
            "macro-F1 drops by {:.4}, more than the margin {margin}",
            current_f1 - candidate_f1
        ))
    } else {
        None
    };
    Verdict {
        candidate_f1,
        current_f1,
        refusal,
    }
}

fn print_report(r: &Report, what: &str, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    println!("{what}: {} rows", r.rows);
    println!("  accuracy            {:.4}", r.accuracy);
    println!("  accuracy (+also)    {:.4}", r.accuracy_with_also);
    println!("  macro-F1            {:.4}", r.macro_f1);
    println!("  calibration (ECE)   {:.4}", r.ece);
    println!(
        "  {:<14} {:>9} {:>9} {:>9} {:>8}",
        "label", "precision", "recall", "f1", "rows"
    );
    for c in &r.per_class {
        println!(
            "  {:<14} {:>9.4} {:>9.4} {:>9.4} {:>8}",
            c.label.as_str(),
            c.precision,
            c.recall,
            c.f1,
            c.support
        );
    }
    println!(
        "  confusion (rows = true, columns = predicted: condemn support call_for_calm neutral)"
    );
    for (i, row) in r.confusion.iter().enumerate() {
        println!(
            "  {:<14} {:>7} {:>7} {:>7} {:>7}",
            Stance::ALL[i].as_str(),
            row[0],
            row[1],
            row[2],
            row[3]
        );
    }
    Ok(())
}

/// `stance-train articles`.
#[derive(Args)]
pub(crate) struct ArticlesArgs {
    /// Model file; the built-in default model when omitted.
    #[arg(long, env = "STANCE_MODEL_PATH")]
    model: Option<PathBuf>,
    /// Article set (JSON Lines: id, title, text, actors with code and stance).
    #[arg(
        long,
        env = "STANCE_ARTICLES",
        default_value = "training/articles/articles.jsonl"
    )]
    data: PathBuf,
    /// Print JSON, with the per-article breakdown.
    #[arg(long, env = "STANCE_JSON")]
    json: bool,
}

pub(crate) fn articles(a: ArticlesArgs) -> Result<ExitCode> {
    let model = open_model(a.model.as_deref())?;
    let analyzer = stance_analysis::Analyzer::new();
    let eval = stance_analysis::evaluate_file(&analyzer, &model, &a.data)
        .with_context(|| format!("scoring {}", a.data.display()))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&eval)?);
    } else {
        println!(
            "model {} on {} articles ({})",
            model.version(),
            eval.articles,
            a.data.display()
        );
        println!(
            "  states: {} found right, {} found wrongly, {} missed",
            eval.true_positives, eval.false_positives, eval.false_negatives
        );
        println!("  actor precision   {:.4}", eval.precision);
        println!("  actor recall      {:.4}", eval.recall);
        println!("  actor F1          {:.4}", eval.f1);
        println!(
            "  stance accuracy   {:.4} ({} of {} matched states)",
            eval.stance_accuracy, eval.correct_stances, eval.true_positives
        );
    }
    Ok(ExitCode::SUCCESS)
}
