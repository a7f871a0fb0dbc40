//! Document analysis for Standpoint: who said what in a news article, and each state's stance.
//!
//! [`Analyzer::analyze`] takes an article and a [`stance_model::StanceModel`] and returns an
//! [`Analysis`]: the article's [`Statement`]s (byte offsets that slice exactly, speaker,
//! prediction) and one [`ActorStance`] per speaker. The steps, one module each:
//!
//! - [`split`]: sentences and quotations, robust to abbreviations, initials, decimals,
//!   dotted acronyms, headlines and quotes that span sentences;
//! - [`gazetteer`]: every UN member and observer state plus Taiwan and Kosovo, with codes,
//!   aliases, demonyms, capitals and seats of government, and the intergovernmental
//!   organisations; data embedded from `data/`;
//! - [`attribution`]: speaker patterns, people and their titles, pronouns, metonymy;
//! - [`aggregate`]: the per-actor rule (a confidence-weighted vote of non-neutral statements);
//! - [`eval`]: actor-level precision, recall, F1 and stance accuracy on an article set.
//!
//! The crate is plain synchronous code beside `stance-model`; the server calls it from a
//! blocking task and the `stance-train` CLI calls [`eval::evaluate_file`].

pub mod aggregate;
mod analyzer;
pub mod attribution;
mod error;
pub mod eval;
pub mod gazetteer;
pub mod split;

pub use analyzer::{Actor, ActorStance, Analysis, Analyzer, AnalyzerOptions, Statement};
pub use error::{AnalysisError, Result};
pub use eval::{
    Article, ArticleEval, ArticleScore, TruthActor, evaluate, evaluate_file, load_articles,
};
pub use gazetteer::{Entity, EntityId, EntityKind, Gazetteer, Mention, NameKind};
pub use split::{Quote, Sentence, Split};
