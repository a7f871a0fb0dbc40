//! The featurizer: text in, hashed sparse features out. Training and serving both call this.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use serde::{Deserialize, Serialize};

use crate::lexicon::{CUE_CLASSES, Cue, LEXICON, is_negator};
use crate::text::{Token, TokenKind, normalize_into, tokenize_into};

/// Settings of the featurizer. Stored in the model file, so a model always featurizes the way
/// it was trained.
///
/// | field | default | range |
/// |---|---|---|
/// | `hash_bits` | 20 | 12..=24 |
/// | `word_ngrams` | 3 | 1..=3 |
/// | `negation_scope` | 4 tokens | 0..=10 |
/// | `cues` | true | |
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeaturizerConfig {
    /// Width of the hashed feature space, as a power of two.
    pub hash_bits: u8,
    /// Longest word n-gram.
    pub word_ngrams: u8,
    /// How many words after a negator are marked as negated.
    pub negation_scope: u8,
    /// Whether cue-lexicon features are emitted.
    pub cues: bool,
}

impl Default for FeaturizerConfig {
    fn default() -> Self {
        FeaturizerConfig {
            hash_bits: 20,
            word_ngrams: 3,
            negation_scope: 4,
            cues: true,
        }
    }
}

/// Reusable buffers, so featurizing a statement allocates nothing once they have grown.
#[derive(Default)]
pub struct Scratch {
    normalized: String,
    tokens: Vec<Token>,
    word_hashes: Vec<u64>,
    negated: Vec<bool>,
    /// Hashed feature ids of the last call, with repeats.
    pub ids: Vec<u32>,
}

/// Turns text into hashed feature ids.
pub struct Featurizer {
    config: FeaturizerConfig,
    mask: u32,
    cues: AhoCorasick,
}

// Feature namespaces keep a word, a negated word, an n-gram and a cue apart in the hash space.
const NS_WORD: u64 = 0x9e37_79b9_7f4a_7c15;
const NS_NEG: u64 = 0xc2b2_ae3d_27d4_eb4f;
const NS_CUE: u64 = 0x1656_67b1_9e37_79f9;
const NS_CUE_NEG: u64 = 0x27d4_eb2f_1656_67c5;
const NS_CUE_FP: u64 = 0x85eb_ca77_c2b2_ae63;
const NS_QUOTE: u64 = 0x94d0_49bb_1331_11eb;

impl Featurizer {
    /// Builds a featurizer from its settings.
    ///
    /// # Panics
    /// Never for the built-in lexicon; the automaton is built from constant patterns.
    pub fn new(config: FeaturizerConfig) -> Self {
        let cues = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            // A DFA costs a few hundred KB once and is the fastest search per statement.
            .kind(Some(AhoCorasickKind::DFA))
            .build(LEXICON.iter().map(|(p, _)| p))
            .expect("the constant lexicon builds an automaton");
        let mask = if config.hash_bits >= 32 {
            u32::MAX
        } else {
            (1u32 << config.hash_bits) - 1
        };
        Featurizer { config, mask, cues }
    }

    /// The settings.
    pub fn config(&self) -> &FeaturizerConfig {
        &self.config
    }

    /// Size of the hashed feature space.
    pub fn dimension(&self) -> usize {
        self.mask as usize + 1
    }

    /// Featurizes `text` into `scratch.ids` (hashed ids, repeated once per occurrence).
    pub fn featurize(&self, text: &str, scratch: &mut Scratch) {
        let Scratch {
            normalized,
            tokens,
            word_hashes,
            negated,
            ids,
        } = scratch;
        ids.clear();
        normalize_into(text, normalized);
        tokenize_into(normalized, tokens);
        let norm = normalized.as_str();

        // Negation scope: words after a negator, up to the scope length or a clause break.
        negated.clear();
        let mut remaining = 0u8;
        for t in tokens.iter() {
            match t.kind {
                TokenKind::Break => {
                    remaining = 0;
                    negated.push(false);
                }
                TokenKind::Quote => negated.push(false),
                TokenKind::Word => {
                    let w = t.text(norm);
                    negated.push(remaining > 0);
                    remaining = remaining.saturating_sub(1);
                    if w == "but" {
                        remaining = 0;
                    }
                    if is_negator(w) || w.ends_with("n't") {
                        remaining = self.config.negation_scope;
                    }
                }
            }
        }

        word_hashes.clear();
        let mut quote = false;
        for (t, &neg) in tokens.iter().zip(negated.iter()) {
            match t.kind {
                TokenKind::Word => {
                    let h = hash_bytes(t.text(norm).as_bytes());
                    word_hashes.push(h);
                    let ns = if neg { NS_NEG } else { NS_WORD };
                    ids.push(self.bucket(mix(ns, h)));
                }
                TokenKind::Quote => quote = true,
                TokenKind::Break => {}
            }
        }
        if quote {
            ids.push(self.bucket(NS_QUOTE));
        }
        // Word n-grams run over words only, across punctuation: short statements lose too much
        // if every comma cuts a phrase.
        let n = self.config.word_ngrams as usize;
        for len in 2..=n {
            for w in word_hashes.windows(len) {
                let mut h = len as u64;
                for &x in w {
                    h = mix(h, x);
                }
                ids.push(self.bucket(h));
            }
        }

        if self.config.cues {
            let mut seen = [0u8; CUE_CLASSES];
            let mut first_person = false;
            let bytes = norm.as_bytes();
            for m in self.cues.find_overlapping_iter(norm) {
                let start = m.start();
                if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
                    continue;
                }
                let cue = LEXICON[m.pattern().as_usize()].1;
                if cue == Cue::FirstPerson {
                    first_person = true;
                    continue;
                }
                // The token holding the match decides whether the cue is negated.
                let ti = tokens.partition_point(|t| (t.end as usize) <= start);
                let neg = negated.get(ti).copied().unwrap_or(false);
                let c = cue as u8;
                seen[c as usize] |= if neg { 2 } else { 1 };
            }
            for (c, &flags) in seen.iter().enumerate() {
                let c = c as u64 + 1;
                if flags & 1 != 0 {
                    ids.push(self.bucket(mix(NS_CUE, c)));
                    if first_person {
                        ids.push(self.bucket(mix(NS_CUE_FP, c)));
                    }
                }
                if flags & 2 != 0 {
                    ids.push(self.bucket(mix(NS_CUE_NEG, c)));
                }
            }
            if first_person {
                ids.push(self.bucket(mix(NS_CUE_FP, 0)));
            }
        }
    }

    fn bucket(&self, h: u64) -> u32 {
        (h ^ (h >> 29)) as u32 & self.mask
    }
}

/// FNV-1a: stable across platforms and releases, which the model file relies on.
fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn mix(a: u64, b: u64) -> u64 {
    let mut h = a ^ b
        .wrapping_add(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(a << 6)
        .wrapping_add(a >> 2);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(f: &Featurizer, text: &str) -> Vec<u32> {
        let mut s = Scratch::default();
        f.featurize(text, &mut s);
        let mut v = s.ids.clone();
        v.sort_unstable();
        v
    }

    #[test]
    fn same_text_same_features_and_case_folded() {
        let f = Featurizer::new(FeaturizerConfig::default());
        assert_eq!(
            ids(&f, "France condemned the strikes"),
            ids(&f, "FRANCE condemned the strikes")
        );
        assert_eq!(
            ids(&f, "\u{201C}Unacceptable,\u{201D} she said"),
            ids(&f, "\"Unacceptable,\" she said")
        );
    }

    #[test]
    fn negation_changes_features() {
        let f = Featurizer::new(FeaturizerConfig::default());
        let plain = ids(&f, "the minister condemned the attack");
        let negated = ids(&f, "the minister refused to condemn the attack");
        let cue_neg = f.bucket(mix(NS_CUE_NEG, Cue::Denounce as u64 + 1));
        assert!(negated.contains(&cue_neg));
        assert!(!plain.contains(&cue_neg));
        // A clause break ends the scope.
        let broken = ids(&f, "we did not hesitate, we condemn this");
        let cue_pos = f.bucket(mix(NS_CUE, Cue::Denounce as u64 + 1));
        assert!(broken.contains(&cue_pos));
    }

    #[test]
    fn cue_needs_word_start_and_first_person_is_marked() {
        let f = Featurizer::new(FeaturizerConfig::default());
        let judge = f.bucket(mix(NS_CUE, Cue::Judge as u64 + 1));
        // "unjustifiable" must not fire the Justify stem "justifi" but fires Judge.
        assert!(ids(&f, "an unjustifiable act").contains(&judge));
        let fp = f.bucket(mix(NS_CUE_FP, 0));
        assert!(ids(&f, "My delegation deplores the shelling").contains(&fp));
        assert!(!ids(&f, "The delegate deplored the shelling").contains(&fp));
    }

    #[test]
    fn ngram_counts() {
        let cfg = FeaturizerConfig {
            cues: false,
            ..FeaturizerConfig::default()
        };
        let f = Featurizer::new(cfg);
        // 4 words: 4 unigrams + 3 bigrams + 2 trigrams.
        assert_eq!(ids(&f, "urged all sides restraint").len(), 9);
    }
}
