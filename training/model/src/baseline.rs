//! A keyword-matching baseline: the yardstick any trained model must beat.
//!
//! It counts a short list of obvious stance words per label and takes the label with most
//! hits, neutral when none match. No negation, no context: exactly what "keyword matching"
//! means when we compare.

use crate::model::Prediction;
use crate::stance::Stance;
use crate::text::normalize;

const KEYWORDS: [(Stance, &[&str]); 3] = [
    (
        Stance::Condemn,
        &[
            "condemn",
            "deplor",
            "denounc",
            "illegal",
            "unacceptable",
            "violation",
            "aggression",
            "atrocit",
            "crime",
            "reject",
            "protest",
            "outrag",
        ],
    ),
    (
        Stance::Support,
        &[
            "support",
            "backs",
            "backed",
            "solidarity",
            "stand with",
            "stands with",
            "right to defend",
            "self-defen",
            "endors",
            "welcom",
            "praise",
            "hail",
        ],
    ),
    (
        Stance::CallForCalm,
        &[
            "restraint",
            "calm",
            "ceasefire",
            "cease-fire",
            "de-escalat",
            "dialogue",
            "negotiat",
            "peaceful",
            "talks",
            "urge",
            "halt",
            "truce",
        ],
    ),
];

/// Labels `text` by keyword counts; the confidence is a plain share of the hits.
pub fn keyword_predict(text: &str) -> Prediction {
    let t = normalize(text);
    let mut hits = [0usize; 4];
    for (label, words) in KEYWORDS {
        hits[label.index()] = words.iter().map(|w| t.matches(w).count()).sum();
    }
    let total: usize = hits.iter().sum();
    if total == 0 {
        let mut probabilities = [0.0; 4];
        probabilities[Stance::Neutral.index()] = 1.0;
        return Prediction {
            stance: Stance::Neutral,
            confidence: 1.0,
            probabilities,
        };
    }
    // Ties go to the earlier label in Stance::ALL order.
    let best = (0..3).fold(0, |b, i| if hits[i] > hits[b] { i } else { b });
    let probabilities = hits.map(|h| h as f32 / total as f32);
    Prediction {
        stance: Stance::from_index(best),
        confidence: probabilities[best],
        probabilities,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_label_with_most_keywords() {
        assert_eq!(
            keyword_predict("We condemn this illegal attack").stance,
            Stance::Condemn
        );
        assert_eq!(
            keyword_predict("Both sides must show restraint and talk").stance,
            Stance::CallForCalm
        );
        assert_eq!(
            keyword_predict("The council met on Monday").stance,
            Stance::Neutral
        );
        // The baseline falls for the trap a model must not: a report about a condemnation.
        assert_eq!(
            keyword_predict("The condemnation came after the raid").stance,
            Stance::Condemn
        );
    }
}
