//! Conversions between `stance-model` / `stance-analysis` types and the wire types.
//!
//! Both sides are foreign to this crate, so the orphan rule forbids `From`
//! impls; these are free functions instead. Scores are always sent in enum
//! order (CONDEMN, SUPPORT, CALL_FOR_CALM, NEUTRAL), which is
//! [`Stance::ALL`] order.

use stance_model::{ModelInfo, Prediction, Stance};
use stance_proto::v1 as pb;

use crate::error::ServeError;

/// The wire enum of a model label.
pub fn stance_to_proto(stance: Stance) -> pb::Stance {
    match stance {
        Stance::Condemn => pb::Stance::Condemn,
        Stance::Support => pb::Stance::Support,
        Stance::CallForCalm => pb::Stance::CallForCalm,
        Stance::Neutral => pb::Stance::Neutral,
    }
}

/// The model label of a raw wire enum value.
///
/// # Errors
/// [`ServeError::InvalidStance`] for `STANCE_UNSPECIFIED` and unknown values.
pub fn stance_from_proto(field: &'static str, value: i32) -> Result<Stance, ServeError> {
    match pb::Stance::try_from(value) {
        Ok(pb::Stance::Condemn) => Ok(Stance::Condemn),
        Ok(pb::Stance::Support) => Ok(Stance::Support),
        Ok(pb::Stance::CallForCalm) => Ok(Stance::CallForCalm),
        Ok(pb::Stance::Neutral) => Ok(Stance::Neutral),
        Ok(pb::Stance::Unspecified) | Err(_) => Err(ServeError::InvalidStance { field, value }),
    }
}

/// One Classify answer.
pub fn classify_response(prediction: &Prediction, model_version: &str) -> pb::ClassifyResponse {
    pb::ClassifyResponse {
        stance: stance_to_proto(prediction.stance) as i32,
        confidence: prediction.confidence,
        scores: Stance::ALL
            .iter()
            .zip(prediction.probabilities)
            .map(|(&stance, probability)| pb::StanceScore {
                stance: stance_to_proto(stance) as i32,
                probability,
            })
            .collect(),
        model_version: model_version.to_owned(),
    }
}

/// The AnalyzeDocument answer for `analysis` of `text`.
///
/// Offsets fit in `u32` because the server caps documents at
/// `--max-document-bytes`, which is checked to fit in 32 bits; should that ever
/// break, offsets saturate rather than wrap.
pub fn analysis_response(
    text: &str,
    analysis: &stance_analysis::Analysis,
    model_version: &str,
) -> pb::AnalyzeDocumentResponse {
    let offset = |o: usize| u32::try_from(o).unwrap_or(u32::MAX);
    let statements = analysis
        .statements
        .iter()
        .map(|s| {
            let (actor, actor_code) = actor_fields(s.actor.as_ref());
            pb::Statement {
                text: text.get(s.start..s.end).unwrap_or_default().to_owned(),
                actor,
                actor_code,
                stance: stance_to_proto(s.prediction.stance) as i32,
                confidence: s.prediction.confidence,
                start: offset(s.start),
                end: offset(s.end),
            }
        })
        .collect();
    let actors = analysis
        .actors
        .iter()
        .map(|a| {
            let (actor, actor_code) = actor_fields(Some(&a.actor));
            pb::ActorStance {
                actor,
                actor_code,
                stance: stance_to_proto(a.stance) as i32,
                confidence: a.confidence,
            }
        })
        .collect();
    pb::AnalyzeDocumentResponse {
        statements,
        actors,
        model_version: model_version.to_owned(),
    }
}

fn actor_fields(actor: Option<&stance_analysis::Actor>) -> (String, String) {
    match actor {
        Some(a) => (a.name.clone(), a.code.clone().unwrap_or_default()),
        None => (String::new(), String::new()),
    }
}

/// The model half of a GetModelInfo answer; the reload fields are filled by the caller.
pub fn model_info_response(info: &ModelInfo) -> pb::GetModelInfoResponse {
    pb::GetModelInfoResponse {
        model_version: info.model_version.clone(),
        labels: info
            .labels
            .iter()
            .map(|&s| stance_to_proto(s) as i32)
            .collect(),
        algorithm: info.algorithm.clone(),
        training_examples: info.training_rows,
        trained_at: info.trained_at.clone(),
        hyperparameters: info
            .hyperparameters
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        metrics: info.metrics.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        training_data_hash: info.training_data_hash.clone(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stances_round_trip_and_unspecified_is_rejected() {
        for stance in Stance::ALL {
            let wire = stance_to_proto(stance) as i32;
            assert_eq!(stance_from_proto("stance", wire).unwrap(), stance);
        }
        assert!(stance_from_proto("stance", 0).is_err());
        assert!(stance_from_proto("stance", 99).is_err());
        assert!(stance_from_proto("stance", -1).is_err());
    }

    #[test]
    fn scores_are_in_enum_order() {
        let p = Prediction {
            stance: Stance::Support,
            confidence: 0.7,
            probabilities: [0.1, 0.7, 0.15, 0.05],
        };
        let r = classify_response(&p, "v1");
        let order: Vec<i32> = r.scores.iter().map(|s| s.stance).collect();
        assert_eq!(order, [1, 2, 3, 4]);
        assert_eq!(r.scores[1].probability, 0.7);
        assert_eq!(r.stance, pb::Stance::Support as i32);
        assert_eq!(r.model_version, "v1");
    }
}
