//! The [`Analyzer`]: split, attribute, classify, aggregate.

use stance_model::{Prediction, StanceModel};

use crate::aggregate::aggregate;
use crate::attribution::{DocAttribution, Lexicon, Token, tokenize};
use crate::gazetteer::{EntityId, Gazetteer};
use crate::split::split;

/// Who made a statement: a state (with its ISO 3166-1 alpha-3 code) or an organisation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Actor {
    /// Canonical name, e.g. "France" or "United Nations".
    pub name: String,
    /// ISO alpha-3 code for states (`XKX` for Kosovo); `None` for organisations.
    pub code: Option<String>,
}

/// One statement of a document.
#[derive(Clone, Debug)]
pub struct Statement {
    /// Byte offset of the statement's first byte in the analysed text.
    pub start: usize,
    /// Byte offset one past its last byte: `&text[start..end]` is the statement.
    pub end: usize,
    /// The speaker, or `None` when no speaker was recognised. A statement with coordinated
    /// speakers ("France and Germany condemned ...") appears once per speaker, with the same
    /// offsets.
    pub actor: Option<Actor>,
    /// The model's prediction for the statement's text.
    pub prediction: Prediction,
}

impl Statement {
    /// The statement's text within `doc`, the text that was analysed.
    ///
    /// # Panics
    /// If `doc` is not the analysed text (offsets out of range).
    pub fn text<'t>(&self, doc: &'t str) -> &'t str {
        &doc[self.start..self.end]
    }
}

/// The stance an article gives one actor (see [`crate::aggregate`] for the rule).
#[derive(Clone, Debug)]
pub struct ActorStance {
    /// The actor.
    pub actor: Actor,
    /// Its stance in the document.
    pub stance: stance_model::Stance,
    /// Confidence of that stance: the highest confidence among the statements behind it.
    pub confidence: f32,
    /// Indexes into [`Analysis::statements`] of every statement by this actor.
    pub statements: Vec<usize>,
}

/// The result of [`Analyzer::analyze`].
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// Statements in text order.
    pub statements: Vec<Statement>,
    /// One entry per actor, in order of first statement.
    pub actors: Vec<ActorStance>,
}

/// Settings of an [`Analyzer`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AnalyzerOptions {
    /// A non-neutral statement counts toward its actor's stance only with at least this
    /// confidence. Default 0.0 (every non-neutral statement counts); range 0.0..=1.0.
    pub min_confidence: f32,
}

impl Default for AnalyzerOptions {
    fn default() -> Self {
        Self {
            min_confidence: 0.0,
        }
    }
}

/// Document analyser. Build once (it compiles the gazetteer automaton), share freely:
/// it is immutable and `Send + Sync`.
#[derive(Clone, Debug)]
pub struct Analyzer {
    gazetteer: Gazetteer,
    lexicon: Lexicon,
    actors: Vec<Actor>,
    options: AnalyzerOptions,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    /// An analyser with the built-in gazetteer and default options.
    pub fn new() -> Self {
        Self::with_options(AnalyzerOptions::default())
    }

    /// An analyser with the built-in gazetteer and the given options.
    pub fn with_options(options: AnalyzerOptions) -> Self {
        Self::with_gazetteer(Gazetteer::builtin(), options)
    }

    /// An analyser over a custom gazetteer.
    pub fn with_gazetteer(gazetteer: Gazetteer, options: AnalyzerOptions) -> Self {
        let actors = gazetteer
            .entities()
            .iter()
            .map(|e| Actor {
                name: e.name.clone(),
                code: e.code.clone(),
            })
            .collect();
        Self {
            gazetteer,
            lexicon: Lexicon::new(),
            actors,
            options,
        }
    }

    /// The gazetteer in use.
    pub fn gazetteer(&self) -> &Gazetteer {
        &self.gazetteer
    }

    /// The options in use.
    pub fn options(&self) -> AnalyzerOptions {
        self.options
    }

    /// The actor of a gazetteer entity.
    pub fn actor(&self, id: EntityId) -> &Actor {
        &self.actors[usize::from(id)]
    }

    /// Splits `text` into statements, attributes speakers, classifies each statement with
    /// `model` and aggregates one stance per actor. Never fails: text without a
    /// recognisable speaker yields statements with `actor: None`; empty text yields an
    /// empty analysis.
    pub fn analyze(&self, model: &StanceModel, text: &str) -> Analysis {
        self.analyze_with(text, |s| model.predict(s))
    }

    /// Like [`Analyzer::analyze`] with any classifier (used by tests and evaluation).
    pub fn analyze_with(
        &self,
        text: &str,
        mut predict: impl FnMut(&str) -> Prediction,
    ) -> Analysis {
        let parts = split(text);
        let mut tokens: Vec<Token> = Vec::with_capacity(text.len() / 5 + 8);
        tokenize(text, &mut tokens);
        let mut mentions = Vec::with_capacity(64);
        self.gazetteer.find_into(text, &mut mentions);
        let mut doc = DocAttribution::new(&self.gazetteer, &self.lexicon, text, &tokens, &mentions);
        let mut statements = Vec::with_capacity(parts.sentences.len() + 4);
        let mut q0 = 0usize;
        for (i, s) in parts.sentences.iter().enumerate() {
            while q0 < parts.quotes.len() && parts.quotes[q0].end <= s.start {
                q0 += 1;
            }
            let mut q1 = q0;
            while q1 < parts.quotes.len() && parts.quotes[q1].start < s.end {
                q1 += 1;
            }
            let speakers = doc.attribute(s, i, &parts.quotes[q0..q1]);
            let prediction = predict(&text[s.start..s.end]);
            if speakers.is_empty() {
                statements.push(Statement {
                    start: s.start,
                    end: s.end,
                    actor: None,
                    prediction,
                });
            }
            for &id in speakers.as_slice() {
                statements.push(Statement {
                    start: s.start,
                    end: s.end,
                    actor: Some(self.actor(id).clone()),
                    prediction,
                });
            }
        }
        let actors = aggregate(&statements, self.options.min_confidence);
        Analysis { statements, actors }
    }
}

const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Analyzer>();
};
