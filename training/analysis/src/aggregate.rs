//! From statements to one stance per actor.
//!
//! **The rule.** For each actor, every statement attributed to it whose predicted stance is
//! not `neutral` and whose confidence is at least `min_confidence` casts a vote for its
//! stance, weighted by its confidence. The actor's stance is the stance with the largest
//! summed weight (a tie goes to the stance holding the single most confident statement);
//! its confidence is the highest confidence among the statements of that stance. An actor
//! with no such statement is `neutral`, with the highest neutral probability among its
//! statements as confidence. `statements` lists every statement of the actor, in text
//! order. Actors are listed in order of their first statement.
//!
//! Why a weighted vote rather than the single most confident statement: one misread
//! sentence (a fact taken for a condemnation) should not outvote two clear statements, and
//! for an actor with one non-neutral statement both rules agree.

use stance_model::Stance;

use crate::analyzer::{ActorStance, Statement};

/// Aggregates statements into one [`ActorStance`] per actor (see the module docs for the rule).
/// Statements without an actor are skipped.
pub fn aggregate(statements: &[Statement], min_confidence: f32) -> Vec<ActorStance> {
    let mut out: Vec<ActorStance> = Vec::new();
    let mut scores: Vec<[f32; 4]> = Vec::new();
    let mut best: Vec<[f32; 4]> = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        let Some(actor) = &s.actor else { continue };
        let k = match out.iter().position(|a| &a.actor == actor) {
            Some(k) => k,
            None => {
                out.push(ActorStance {
                    actor: actor.clone(),
                    stance: Stance::Neutral,
                    confidence: 0.0,
                    statements: Vec::new(),
                });
                scores.push([0.0; 4]);
                best.push([0.0; 4]);
                out.len() - 1
            }
        };
        out[k].statements.push(i);
        let p = &s.prediction;
        let idx = p.stance.index();
        if p.stance != Stance::Neutral && p.confidence >= min_confidence {
            scores[k][idx] += p.confidence;
            best[k][idx] = best[k][idx].max(p.confidence);
        }
        let n = Stance::Neutral.index();
        best[k][n] = best[k][n].max(p.probabilities[n]);
    }
    for (k, a) in out.iter_mut().enumerate() {
        let mut winner: Option<Stance> = None;
        for st in Stance::ALL {
            if st == Stance::Neutral || scores[k][st.index()] <= 0.0 {
                continue;
            }
            winner = match winner {
                None => Some(st),
                Some(w) => {
                    let (sw, ss) = (scores[k][w.index()], scores[k][st.index()]);
                    if ss > sw || (ss == sw && best[k][st.index()] > best[k][w.index()]) {
                        Some(st)
                    } else {
                        Some(w)
                    }
                }
            };
        }
        let stance = winner.unwrap_or(Stance::Neutral);
        a.stance = stance;
        a.confidence = best[k][stance.index()];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyzer::Actor;
    use stance_model::Prediction;

    fn st(actor: Option<&str>, stance: Stance, conf: f32) -> Statement {
        let mut probabilities = [(1.0 - conf) / 3.0; 4];
        probabilities[stance.index()] = conf;
        Statement {
            start: 0,
            end: 0,
            actor: actor.map(|n| Actor {
                name: n.to_string(),
                code: None,
            }),
            prediction: Prediction {
                stance,
                confidence: conf,
                probabilities,
            },
        }
    }

    #[test]
    fn weighted_vote_and_neutral_fallback() {
        let s = vec![
            st(Some("A"), Stance::Condemn, 0.6),
            st(Some("A"), Stance::Condemn, 0.5),
            st(Some("A"), Stance::Support, 0.9),
            st(None, Stance::Support, 0.9),
            st(Some("B"), Stance::Neutral, 0.8),
            st(Some("C"), Stance::CallForCalm, 0.3),
        ];
        let a = aggregate(&s, 0.0);
        assert_eq!(a.len(), 3);
        assert_eq!(a[0].stance, Stance::Condemn);
        assert!((a[0].confidence - 0.6).abs() < 1e-6);
        assert_eq!(a[0].statements, [0, 1, 2]);
        assert_eq!(a[1].stance, Stance::Neutral);
        assert!((a[1].confidence - 0.8).abs() < 1e-6);
        assert_eq!(a[2].stance, Stance::CallForCalm);
        // Below the threshold the weak statement no longer counts.
        let a = aggregate(&s, 0.4);
        assert_eq!(a[2].stance, Stance::Neutral);
    }
}
