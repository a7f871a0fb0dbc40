//! Scores of a model on labelled rows: accuracy, macro-F1, per-class scores, confusion
//! matrix, expected calibration error and the reliability curve behind it.

use serde::Serialize;

use crate::model::Prediction;
use crate::stance::Stance;

/// Precision, recall and F1 of one label.
#[derive(Clone, Debug, Serialize)]
pub struct ClassScores {
    /// The label.
    pub label: Stance,
    /// Share of predictions of this label that were right.
    pub precision: f64,
    /// Share of rows of this label that were found.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Rows with this true label.
    pub support: u64,
}

/// One bin of the reliability curve.
#[derive(Clone, Debug, Serialize)]
pub struct Bin {
    /// Lower edge of predicted confidence.
    pub lo: f64,
    /// Upper edge.
    pub hi: f64,
    /// Rows in the bin.
    pub count: u64,
    /// Mean confidence of those rows.
    pub confidence: f64,
    /// Their accuracy.
    pub accuracy: f64,
}

/// Every score of one evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Rows scored.
    pub rows: u64,
    /// Share predicted exactly right.
    pub accuracy: f64,
    /// Share right when a row's `also` labels count as right too.
    pub accuracy_with_also: f64,
    /// Unweighted mean of the per-class F1.
    pub macro_f1: f64,
    /// Per label, in [`Stance::ALL`] order.
    pub per_class: Vec<ClassScores>,
    /// `confusion[true][predicted]`, labels in [`Stance::ALL`] order.
    pub confusion: [[u64; 4]; 4],
    /// Expected calibration error over 10 equal-width confidence bins.
    pub ece: f64,
    /// The bins behind `ece`.
    pub reliability: Vec<Bin>,
}

/// Scores `predictions` against `truth` (label and `also` labels per row).
///
/// # Panics
/// When the two slices differ in length.
pub fn evaluate(truth: &[(Stance, &[Stance])], predictions: &[Prediction]) -> Report {
    assert_eq!(truth.len(), predictions.len(), "one prediction per row");
    let mut confusion = [[0u64; 4]; 4];
    let mut right_also = 0u64;
    const BINS: usize = 10;
    let mut bins = [(0u64, 0f64, 0u64); BINS];
    for ((label, also), p) in truth.iter().zip(predictions) {
        confusion[label.index()][p.stance.index()] += 1;
        let right = p.stance == *label;
        if right || also.contains(&p.stance) {
            right_also += 1;
        }
        let b = ((p.confidence as f64 * BINS as f64) as usize).min(BINS - 1);
        bins[b].0 += 1;
        bins[b].1 += p.confidence as f64;
        bins[b].2 += right as u64;
    }
    let n = truth.len() as u64;
    let div = |a: f64, b: f64| if b == 0.0 { 0.0 } else { a / b };
    let per_class: Vec<ClassScores> = Stance::ALL
        .iter()
        .map(|&l| {
            let i = l.index();
            let tp = confusion[i][i] as f64;
            let predicted: u64 = (0..4).map(|t| confusion[t][i]).sum();
            let support: u64 = confusion[i].iter().sum();
            let precision = div(tp, predicted as f64);
            let recall = div(tp, support as f64);
            ClassScores {
                label: l,
                precision,
                recall,
                f1: div(2.0 * precision * recall, precision + recall),
                support,
            }
        })
        .collect();
    let correct: u64 = (0..4).map(|i| confusion[i][i]).sum();
    let reliability: Vec<Bin> = bins
        .iter()
        .enumerate()
        .map(|(i, &(count, conf, right))| Bin {
            lo: i as f64 / BINS as f64,
            hi: (i + 1) as f64 / BINS as f64,
            count,
            confidence: div(conf, count as f64),
            accuracy: div(right as f64, count as f64),
        })
        .collect();
    let ece = reliability
        .iter()
        .map(|b| div(b.count as f64, n as f64) * (b.accuracy - b.confidence).abs())
        .sum();
    Report {
        rows: n,
        accuracy: div(correct as f64, n as f64),
        accuracy_with_also: div(right_also as f64, n as f64),
        macro_f1: per_class.iter().map(|c| c.f1).sum::<f64>() / 4.0,
        per_class,
        confusion,
        ece,
        reliability,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: Stance, c: f32) -> Prediction {
        let mut probabilities = [(1.0 - c) / 3.0; 4];
        probabilities[s.index()] = c;
        Prediction {
            stance: s,
            confidence: c,
            probabilities,
        }
    }

    #[test]
    fn scores_a_small_case_by_hand() {
        use Stance::*;
        let truth = [
            (Condemn, &[][..]),
            (Condemn, &[Support][..]),
            (Support, &[][..]),
            (Neutral, &[][..]),
        ];
        let preds = [
            p(Condemn, 0.95),
            p(Support, 0.65),
            p(Support, 0.85),
            p(Neutral, 0.75),
        ];
        let r = evaluate(&truth, &preds);
        assert_eq!(r.accuracy, 0.75);
        assert_eq!(r.accuracy_with_also, 1.0);
        assert_eq!(r.confusion[0][1], 1);
        // condemn P=1 R=.5 F=2/3; support P=.5 R=1 F=2/3; calm 0; neutral 1.
        assert!((r.macro_f1 - (2.0 / 3.0 + 2.0 / 3.0 + 0.0 + 1.0) / 4.0).abs() < 1e-9);
        // Bins 9, 6, 8, 7: |1-.95| + |0-.65| + |1-.85| + |1-.75|, over 4.
        assert!(
            (r.ece - (0.05 + 0.65 + 0.15 + 0.25) / 4.0).abs() < 1e-6,
            "{}",
            r.ece
        );
    }
}
