//! The four labels and their one spelling in files, logs and metrics.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// The stance a statement takes toward a crisis, following `LABELING.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    /// Denounces, criticises, rejects or holds a party responsible.
    Condemn,
    /// Backs, endorses, justifies or shows solidarity with a party's action.
    Support,
    /// Appeals for restraint, ceasefire, dialogue; welcomes talks; offers mediation.
    CallForCalm,
    /// None of the above.
    Neutral,
}

/// The label names in [`Stance::ALL`] order, for error messages.
pub const LABEL_NAMES: &str = "condemn, support, call_for_calm, neutral";

impl Stance {
    /// Every label, in the order used by every probability array.
    pub const ALL: [Stance; 4] = [
        Stance::Condemn,
        Stance::Support,
        Stance::CallForCalm,
        Stance::Neutral,
    ];

    /// The lowercase name used in data files, logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Stance::Condemn => "condemn",
            Stance::Support => "support",
            Stance::CallForCalm => "call_for_calm",
            Stance::Neutral => "neutral",
        }
    }

    /// Position of this label in [`Stance::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The label at `index` in [`Stance::ALL`].
    ///
    /// # Panics
    /// When `index >= 4`.
    pub fn from_index(index: usize) -> Stance {
        Stance::ALL[index]
    }
}

impl fmt::Display for Stance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stance {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stance::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| ModelError::UnknownLabel {
                found: s.to_owned(),
                allowed: LABEL_NAMES,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_order() {
        for (i, s) in Stance::ALL.into_iter().enumerate() {
            assert_eq!(s.index(), i);
            assert_eq!(s.as_str().parse::<Stance>().unwrap(), s);
        }
        assert!("Condemn".parse::<Stance>().is_err());
    }
}
