//! Scoring an analyser and a model on an article set.
//!
//! **Article file.** JSON Lines, one article per line:
//! `{"id": "...", "title": "...", "text": "...", "actors": [{"code": "FRA", "stance": "condemn"}, ...]}`.
//! The truth lists every *state* that makes at least one statement in the article, with the
//! stance the article gives it under `LABELING.md` (its dominant stance when it says
//! several things); a state whose statements are all neutral is listed as `neutral`. States
//! that are only mentioned (targets, places) are left out. Organisations are not scored.
//!
//! **Scores.** Per article, the predicted set is the states (actors with a code) that the
//! analyser gives a non-neutral stance, and the true set is the states the truth gives a
//! non-neutral stance. A true positive is a state in both sets. Precision, recall and F1
//! are pooled over all articles (micro-averaged); stance accuracy is the share of true
//! positives whose predicted stance equals the true stance. A state listed as neutral in
//! the truth and predicted non-neutral is a false positive, like an unlisted one.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use stance_model::{Stance, StanceModel};

use crate::analyzer::Analyzer;
use crate::error::{AnalysisError, Result};

/// One article of the evaluation set.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Article {
    /// Stable identifier.
    pub id: String,
    /// Headline (the text repeats it as its first line).
    #[serde(default)]
    pub title: String,
    /// The article text that is analysed.
    pub text: String,
    /// The true stance of every state that speaks in the article.
    pub actors: Vec<TruthActor>,
}

/// One state's true stance in an article.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TruthActor {
    /// ISO 3166-1 alpha-3 code.
    pub code: String,
    /// The stance the article gives the state.
    pub stance: Stance,
}

/// Scores on one article.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ArticleScore {
    /// The article's id.
    pub id: String,
    /// States predicted non-neutral and truly non-neutral.
    pub true_positives: usize,
    /// States predicted non-neutral but neutral or absent in the truth.
    pub false_positives: usize,
    /// States truly non-neutral but not predicted non-neutral.
    pub false_negatives: usize,
    /// True positives with the right stance.
    pub correct_stances: usize,
    /// Predicted non-neutral stance per state code.
    pub predicted: BTreeMap<String, Stance>,
    /// True non-neutral stance per state code.
    pub truth: BTreeMap<String, Stance>,
}

/// Scores on a whole article set.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ArticleEval {
    /// Number of articles.
    pub articles: usize,
    /// Pooled true positives.
    pub true_positives: usize,
    /// Pooled false positives.
    pub false_positives: usize,
    /// Pooled false negatives.
    pub false_negatives: usize,
    /// Pooled true positives with the right stance.
    pub correct_stances: usize,
    /// Actor-level precision, tp / (tp + fp); 0 when nothing was predicted.
    pub precision: f64,
    /// Actor-level recall, tp / (tp + fn); 0 when the truth is empty.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Stance accuracy on matched actors, correct / tp; 0 when nothing matched.
    pub stance_accuracy: f64,
    /// The model version evaluated (empty with [`evaluate_with`]).
    pub model_version: String,
    /// Per-article breakdown, in file order.
    pub per_article: Vec<ArticleScore>,
}

/// Reads an article file (JSON Lines; blank lines are skipped).
///
/// # Errors
/// [`AnalysisError::Io`] if the file cannot be read, [`AnalysisError::Article`] for a line
/// that is not a valid article.
pub fn load_articles(path: &Path) -> Result<Vec<Article>> {
    let text = std::fs::read_to_string(path).map_err(|source| AnalysisError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_articles(&text, path)
}

/// Parses article JSON Lines; `path` is only used in errors.
///
/// # Errors
/// [`AnalysisError::Article`] for a line that is not a valid article.
pub fn parse_articles(text: &str, path: &Path) -> Result<Vec<Article>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|source| AnalysisError::Article {
                path: path.to_path_buf(),
                line: i + 1,
                source,
            })
        })
        .collect()
}

/// Scores `analyzer` with `model` on `articles`.
pub fn evaluate(analyzer: &Analyzer, model: &StanceModel, articles: &[Article]) -> ArticleEval {
    let mut e = evaluate_with(analyzer, articles, |s| model.predict(s));
    e.model_version = model.version().to_string();
    e
}

/// Reads `path` and scores `analyzer` with `model` on it: the one call behind
/// `stance-train articles`.
///
/// # Errors
/// As [`load_articles`].
pub fn evaluate_file(analyzer: &Analyzer, model: &StanceModel, path: &Path) -> Result<ArticleEval> {
    Ok(evaluate(analyzer, model, &load_articles(path)?))
}

/// Like [`evaluate`] with any classifier.
pub fn evaluate_with(
    analyzer: &Analyzer,
    articles: &[Article],
    mut predict: impl FnMut(&str) -> stance_model::Prediction,
) -> ArticleEval {
    let mut per_article = Vec::with_capacity(articles.len());
    let (mut tp, mut fp, mut fn_, mut correct) = (0, 0, 0, 0);
    for a in articles {
        let analysis = analyzer.analyze_with(&a.text, &mut predict);
        let predicted: BTreeMap<String, Stance> = analysis
            .actors
            .iter()
            .filter(|s| s.stance != Stance::Neutral)
            .filter_map(|s| s.actor.code.clone().map(|c| (c, s.stance)))
            .collect();
        let truth: BTreeMap<String, Stance> = a
            .actors
            .iter()
            .filter(|t| t.stance != Stance::Neutral)
            .map(|t| (t.code.clone(), t.stance))
            .collect();
        let mut s = ArticleScore {
            id: a.id.clone(),
            true_positives: 0,
            false_positives: 0,
            false_negatives: 0,
            correct_stances: 0,
            predicted,
            truth,
        };
        for (code, st) in &s.predicted {
            match s.truth.get(code) {
                Some(t) => {
                    s.true_positives += 1;
                    if t == st {
                        s.correct_stances += 1;
                    }
                }
                None => s.false_positives += 1,
            }
        }
        s.false_negatives = s
            .truth
            .keys()
            .filter(|c| !s.predicted.contains_key(*c))
            .count();
        tp += s.true_positives;
        fp += s.false_positives;
        fn_ += s.false_negatives;
        correct += s.correct_stances;
        per_article.push(s);
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    ArticleEval {
        articles: articles.len(),
        true_positives: tp,
        false_positives: fp,
        false_negatives: fn_,
        correct_stances: correct,
        precision,
        recall,
        f1,
        stance_accuracy: ratio(correct, tp),
        model_version: String::new(),
        per_article,
    }
}
