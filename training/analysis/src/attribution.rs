//! Speaker attribution: which actor makes each statement.
//!
//! News reports name the stance-taker as the grammatical subject ("Russia joined calls for
//! calm") or in an attribution clause ("..., Colonna said", "said the Kremlin", "according
//! to the State Department"). We do not parse; we find *candidates* and pick one:
//!
//! - **Candidates** (outside quotation marks only; words inside a quote are what was said,
//!   not who said it): gazetteer mentions (names, aliases, demonyms, capitals, seats,
//!   organisations); people introduced with a title ("French Foreign Minister Catherine
//!   Colonna", "Secretary of State Daniel Whitcombe", "the foreign minister of France");
//!   later mentions of a known person by surname ("Colonna said", "Mr. Colonna"); the
//!   pronouns he/she; nominal mentions ("the minister", "the ministry", "the government",
//!   "his office", "the two governments").
//! - **Masking**: a candidate that follows a preposition or any other lowercase word
//!   ("in Ankara", "against Armenia", "in a call with Putin", "urged Azerbaijan", "the
//!   people of Gaza") is an object or a place, not a subject; so is every candidate in a
//!   fronted subordinate clause ("After Azerbaijan attacked, France ..."). Candidates after
//!   determiners, conjunctions, commas, "by" (passive agent) and "according to" stay.
//! - **Choice**: an "according to X" candidate wins. Otherwise the first unmasked
//!   candidate wins if it comes before the first reporting verb (said, told, added, ...),
//!   or right after it in an inverted clause (`"...," said the Kremlin`). Candidates
//!   coordinated with the winner ("France and Germany condemned") are speakers too.
//! - **Resolution**: a person carries the state of their title ("French", "Russia's",
//!   "of India"); a person without one takes the state of a fronted "In Washington," or of
//!   the previous speaker in the same or previous paragraph, then the dateline's
//!   ("PARIS —"), and keeps it for later mentions. Pronouns go to the most recent person of
//!   that gender (learnt from the text: "Colonna said her ..." or a pronoun that follows
//!   her), nominal titles to the most recent person with that title, institutions and
//!   "the two governments" to the previous speakers.
//! - **Quotes without a speaker** (`"We will act."` after `"...," she said.`) continue the
//!   previous speaker.

use std::collections::HashMap;

use crate::gazetteer::{EntityId, EntityKind, Gazetteer, Mention};
use crate::split::{Quote, Sentence};

/// At most this many speakers per statement (coordinated subjects).
pub const MAX_SPEAKERS: usize = 4;

/// The speakers of one statement: up to [`MAX_SPEAKERS`] entity ids, without allocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Speakers {
    ids: [EntityId; MAX_SPEAKERS],
    len: u8,
}

impl Speakers {
    /// The speakers, in order of mention.
    pub fn as_slice(&self) -> &[EntityId] {
        &self.ids[..usize::from(self.len)]
    }

    /// Whether no speaker was found.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn push(&mut self, id: EntityId) {
        if usize::from(self.len) < MAX_SPEAKERS && !self.as_slice().contains(&id) {
            self.ids[usize::from(self.len)] = id;
            self.len += 1;
        }
    }
}

// ---- word classes -------------------------------------------------------------------------

const TITLE_HEAD: u32 = 1;
const TITLE_MOD: u32 = 1 << 1;
const REPORT_VERB: u32 = 1 << 2;
const VERB: u32 = 1 << 3;
const DETERMINER: u32 = 1 << 4;
const KEEP_BEFORE: u32 = 1 << 5;
const SUBORDINATOR: u32 = 1 << 6;
const INSTITUTION: u32 = 1 << 7;
const HE: u32 = 1 << 8;
const SHE: u32 = 1 << 9;
const FUNCTION_CAP: u32 = 1 << 10;
const PARTICLE: u32 = 1 << 11;
const GROUP: u32 = 1 << 12;
const TIME: u32 = 1 << 13;
const SPEAKER_NOUN: u32 = 1 << 14;

const TITLE_HEADS: &[&str] = &[
    "president",
    "vice-president",
    "minister",
    "secretary",
    "secretary-general",
    "chancellor",
    "premier",
    "king",
    "queen",
    "prince",
    "emir",
    "sultan",
    "sheikh",
    "ambassador",
    "envoy",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "representative",
    "leader",
    "general",
    "commander",
    "adviser",
    "advisor",
    "commissioner",
    "governor",
    "senator",
    "chairman",
    "chairwoman",
    "diplomat",
    "pope",
    "taoiseach",
    "mr",
    "mrs",
    "ms",
    "dr",
    "gen",
    "mme",
    "undersecretary",
    "under-secretary",
    "negotiator",
    "delegate",
    "chief",
    "official",
];
const TITLE_MODS: &[&str] = &[
    "foreign",
    "defence",
    "defense",
    "interior",
    "finance",
    "prime",
    "vice",
    "deputy",
    "acting",
    "transitional",
    "interim",
    "affairs",
    "external",
    "national",
    "security",
    "top",
    "senior",
    "special",
    "permanent",
    "high",
    "supreme",
    "crown",
    "cabinet",
    "trade",
    "home",
    "information",
    "justice",
    "state",
    "former",
    "new",
    "incoming",
    "outgoing",
    "assistant",
    "principal",
    "government",
    "chief",
    "presidential",
    "military",
    "health",
];
const REPORT_VERBS: &[&str] = &[
    "said",
    "says",
    "say",
    "told",
    "tells",
    "added",
    "adds",
    "stated",
    "declared",
    "announced",
    "wrote",
    "writes",
    "tweeted",
    "posted",
    "insisted",
    "noted",
    "explained",
    "argued",
    "claimed",
    "reported",
    "quoted",
    "replied",
    "remarked",
    "commented",
    "continued",
];
const VERBS: &[&str] = &[
    "urged",
    "urges",
    "called",
    "calls",
    "condemned",
    "condemns",
    "denounced",
    "denounces",
    "accused",
    "accuses",
    "welcomed",
    "welcomes",
    "backed",
    "backs",
    "supported",
    "supports",
    "voiced",
    "expressed",
    "joined",
    "rejected",
    "rejects",
    "deplored",
    "criticised",
    "criticized",
    "praised",
    "hailed",
    "branded",
    "described",
    "summoned",
    "demanded",
    "appealed",
    "pledged",
    "vowed",
    "offered",
    "pressed",
    "reiterated",
    "blamed",
    "protested",
    "recalled",
    "endorsed",
    "defended",
    "justified",
    "asked",
    "affirmed",
    "echoed",
    "lodged",
    "dismissed",
    "decried",
    "proposed",
    "ordered",
    "warned",
    "stressed",
    "threatened",
    "regretted",
    "reaffirmed",
    "cautioned",
    "sided",
    "stood",
    "stands",
    "denied",
    "denies",
    "issued",
    "invited",
    "hosted",
    "recognised",
    "recognized",
    "convened",
    "declined",
    "refused",
    "met",
    "received",
    "was",
    "were",
    "is",
    "are",
    "has",
    "have",
    "had",
    "would",
    "will",
    "could",
    "should",
    "did",
    "does",
    "spoke",
    "flew",
    "travelled",
    "traveled",
    "struck",
    "took",
    "went",
    "put",
    "followed",
    "insists",
    "wants",
    "wanted",
    "sought",
    "seeks",
    "hoped",
    "hopes",
    "believes",
    "believed",
    "considered",
    "considers",
    "regards",
    "regarded",
    "confirmed",
    "confirms",
    "suspended",
    "announced",
    "broke",
    "cut",
    "closed",
    "sent",
    "promised",
    "agreed",
    "opposed",
    "opposes",
    "favoured",
    "favored",
    "objected",
    "congratulated",
    "applauded",
    "lauded",
    "questioned",
    "slammed",
    "lambasted",
    "labelled",
    "labeled",
    "signalled",
    "signaled",
    "suggested",
    "implored",
    "encouraged",
    "advised",
    "rallied",
    "threw",
    "vetoed",
    "voted",
    "abstained",
    "withdrew",
    "expelled",
    "imposed",
];
const DETERMINERS: &[&str] = &[
    "the",
    "a",
    "an",
    "its",
    "his",
    "her",
    "their",
    "our",
    "both",
    "all",
    "neighbouring",
    "neighboring",
    "fellow",
];
const KEEP_BEFORE_WORDS: &[&str] = &[
    "and",
    "but",
    "or",
    "nor",
    "while",
    "whereas",
    "then",
    "also",
    "meanwhile",
    "however",
    "later",
    "earlier",
    "separately",
    "too",
    "so",
    "yet",
    "by",
    "instead",
    "likewise",
    "similarly",
];
const SUBORDINATORS: &[&str] = &[
    "after",
    "when",
    "while",
    "since",
    "because",
    "before",
    "following",
    "if",
    "although",
    "though",
    "as",
    "despite",
    "unlike",
    "amid",
    "once",
    "until",
    "whether",
];
const INSTITUTIONS: &[&str] = &[
    "ministry",
    "government",
    "presidency",
    "office",
    "statement",
    "embassy",
    "cabinet",
    "kingdom",
    "administration",
    "communique",
    "palace",
    "delegation",
];
/// Time words: "Later on Monday she condemned ..." keeps "she" a subject.
const TIME_WORDS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "morning",
    "afternoon",
    "evening",
    "night",
    "day",
    "week",
    "weekend",
    "today",
    "yesterday",
    "tonight",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
/// Nouns after a name or demonym that make it a speaker ("Israeli military said",
/// "Syrian state television"), beside titles and institutions.
const SPEAKER_NOUNS: &[&str] = &[
    "officials",
    "official",
    "authorities",
    "leaders",
    "leadership",
    "army",
    "military",
    "media",
    "television",
    "diplomats",
    "diplomat",
    "sources",
    "source",
    "regime",
    "junta",
    "parliament",
    "agency",
    "news",
    "mission",
];
/// Present-tense verbs of headlines ("Kinshasa blames Kigali").
const HEADLINE_VERBS: &[&str] = &[
    "blames",
    "presses",
    "warns",
    "slams",
    "demands",
    "appeals",
    "joins",
    "threatens",
    "vows",
    "hails",
    "praises",
    "criticises",
    "criticizes",
    "defends",
    "insists",
    "offers",
    "rallies",
    "denies",
    "recalls",
    "expels",
    "summons",
    "dismisses",
    "protest",
    "protests",
    "condemn",
    "denounce",
    "reject",
    "urge",
    "back",
    "back",
    "call",
    "trade",
    "split",
    "steps",
    "tries",
    "launches",
    "seeks",
    "pledges",
    "mediates",
    "brokers",
    "unites",
    "shuttles",
    "lodges",
    "accuse",
    "welcome",
    "support",
    "deplores",
    "deplore",
    "voices",
    "sides",
    "stands",
];

const PARTICLES: &[&str] = &[
    "al", "bin", "bint", "ibn", "de", "del", "della", "da", "das", "do", "dos", "du", "van", "von",
    "der", "den", "la", "le", "el", "y", "abu", "di", "ter",
];
const FUNCTION_CAPS: &[&str] = &[
    "the",
    "a",
    "an",
    "he",
    "she",
    "it",
    "they",
    "we",
    "i",
    "his",
    "her",
    "its",
    "their",
    "in",
    "on",
    "at",
    "but",
    "and",
    "this",
    "that",
    "these",
    "those",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "after",
    "before",
    "speaking",
    "asked",
    "meanwhile",
    "however",
    "there",
    "of",
    "for",
    "to",
    "with",
    "as",
    "when",
    "while",
    "if",
    "earlier",
    "later",
    "state",
    "house",
    "council",
];

/// FNV-1a: the lexicon's keys are short lowercase words, where SipHash's setup dominates.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

type FnvMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

/// Word-class table built once.
#[derive(Clone, Debug)]
pub(crate) struct Lexicon {
    classes: FnvMap<&'static str, u32>,
}

impl Lexicon {
    pub(crate) fn new() -> Self {
        let mut classes: FnvMap<&'static str, u32> = FnvMap::default();
        let mut add = |words: &[&'static str], class: u32| {
            for w in words {
                *classes.entry(w).or_insert(0) |= class;
            }
        };
        add(TITLE_HEADS, TITLE_HEAD);
        add(TITLE_MODS, TITLE_MOD);
        add(REPORT_VERBS, REPORT_VERB | VERB);
        add(VERBS, VERB);
        add(DETERMINERS, DETERMINER);
        add(KEEP_BEFORE_WORDS, KEEP_BEFORE);
        add(SUBORDINATORS, SUBORDINATOR);
        add(INSTITUTIONS, INSTITUTION);
        add(&["he"], HE);
        add(&["she"], SHE);
        add(FUNCTION_CAPS, FUNCTION_CAP);
        add(PARTICLES, PARTICLE);
        add(&["governments", "sides", "countries"], GROUP);
        add(TIME_WORDS, TIME);
        add(SPEAKER_NOUNS, SPEAKER_NOUN);
        add(HEADLINE_VERBS, VERB);
        Self { classes }
    }

    fn class(&self, word: &str) -> u32 {
        let mut buf = [0u8; 32];
        if word.len() > buf.len() || !word.is_ascii() {
            return 0;
        }
        for (b, c) in buf.iter_mut().zip(word.bytes()) {
            *b = c.to_ascii_lowercase();
        }
        let lower = std::str::from_utf8(&buf[..word.len()]).expect("ascii");
        self.classes.get(lower).copied().unwrap_or(0)
    }
}

// ---- tokens -------------------------------------------------------------------------------

/// A word or a single punctuation character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) word: bool,
}

/// Tokenises `text` into words (alphanumeric runs joined by internal `-`, `'`, `’`, `.`) and
/// punctuation characters.
pub(crate) fn tokenize(text: &str, out: &mut Vec<Token>) {
    out.clear();
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c.is_whitespace() {
            continue;
        }
        if c.is_alphanumeric() {
            let mut end = i + c.len_utf8();
            loop {
                match it.peek() {
                    Some(&(j, d)) if d.is_alphanumeric() => {
                        end = j + d.len_utf8();
                        it.next();
                    }
                    Some(&(j, d)) if matches!(d, '-' | '\'' | '\u{2019}' | '.') => {
                        // Joiner only when a letter or digit follows.
                        let after = text[j + d.len_utf8()..].chars().next();
                        if after.is_some_and(char::is_alphanumeric) {
                            it.next();
                            end = j + d.len_utf8();
                        } else {
                            break;
                        }
                    }
                    _ => break,
                }
            }
            out.push(Token {
                start: i as u32,
                end: end as u32,
                word: true,
            });
        } else {
            out.push(Token {
                start: i as u32,
                end: (i + c.len_utf8()) as u32,
                word: false,
            });
        }
    }
}

// ---- document state -----------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gender {
    Male,
    Female,
}

#[derive(Clone, Debug)]
struct Person {
    /// Byte range of the surname (last name token) in the text.
    surname: (usize, usize),
    actor: Option<EntityId>,
    head: Option<&'static str>,
    /// The title is one that American wire style leaves unqualified for US officials
    /// ("President", "Secretary of State"); see [`DocAttribution::fallback_state`].
    us_style: bool,
    gender: Option<Gender>,
    last_seen: usize,
}

/// Titles that English-language wire copy (AP style) gives US officials without a
/// nationality, while foreign ones are qualified ("Turkish President ...").
const US_STYLE_TITLES: &[&str] = &[
    "president",
    "vice president",
    "secretary of state",
    "national security adviser",
    "defense secretary",
    "secretary of defense",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CandKind {
    Entity(EntityId),
    Person(usize),
    Pronoun(Gender),
    /// "the minister": a title head that may name a known person.
    Title(&'static str),
    /// "the ministry", "his office", "the two governments": the previous speakers.
    Previous,
}

#[derive(Clone, Copy, Debug)]
struct Cand {
    tok: usize,
    end_tok: usize,
    kind: CandKind,
    masked: bool,
    /// Masked because it modifies a noun that cannot speak ("Iraqi tanks").
    adjectival: bool,
    according: bool,
}

/// Per-document attribution state; one per `analyze` call.
pub(crate) struct DocAttribution<'a> {
    gaz: &'a Gazetteer,
    text: &'a str,
    tokens: &'a [Token],
    mentions: &'a [Mention],
    persons: Vec<Person>,
    prev: Speakers,
    prev_block: Option<usize>,
    dateline: Option<EntityId>,
    cands: Vec<Cand>,
    /// Word class of each token, looked up once.
    classes: Vec<u32>,
    /// Per token: 1 + index of the mention starting there, or 0.
    mention_at: Vec<u32>,
}

impl<'a> DocAttribution<'a> {
    pub(crate) fn new(
        gaz: &'a Gazetteer,
        lex: &'a Lexicon,
        text: &'a str,
        tokens: &'a [Token],
        mentions: &'a [Mention],
    ) -> Self {
        let dateline = find_dateline(gaz, text, tokens);
        let classes = tokens
            .iter()
            .map(|t| {
                if t.word {
                    lex.class(strip_possessive(&text[t.start as usize..t.end as usize]))
                } else {
                    0
                }
            })
            .collect();
        let mut mention_at = vec![0u32; tokens.len()];
        for (mi, m) in mentions.iter().enumerate() {
            let k = tokens.partition_point(|t| (t.start as usize) < m.start);
            if k < tokens.len() && tokens[k].start as usize == m.start {
                mention_at[k] = mi as u32 + 1;
            }
        }
        Self {
            classes,
            mention_at,
            gaz,
            text,
            tokens,
            mentions,
            persons: Vec::new(),
            prev: Speakers::default(),
            prev_block: None,
            dateline,
            cands: Vec::with_capacity(16),
        }
    }

    fn tok(&self, i: usize) -> &'a str {
        let t = self.tokens[i];
        &self.text[t.start as usize..t.end as usize]
    }

    fn class(&self, i: usize) -> u32 {
        self.classes[i]
    }

    /// The mention starting at token `i`.
    fn mention_at(&self, i: usize) -> Option<&Mention> {
        match self.mention_at.get(i) {
            Some(&k) if k > 0 => Some(&self.mentions[k as usize - 1]),
            _ => None,
        }
    }

    fn is_cap(&self, i: usize) -> bool {
        self.tokens[i].word && self.tok(i).chars().next().is_some_and(char::is_uppercase)
    }

    /// Attributes one sentence. `sent_idx` counts sentences in the document.
    pub(crate) fn attribute(
        &mut self,
        sent: &Sentence,
        sent_idx: usize,
        quotes: &[Quote],
    ) -> Speakers {
        let (t0, t1) = token_range(self.tokens, sent.start, sent.end);
        let in_quote = |pos: u32| {
            quotes
                .iter()
                .any(|q| q.start <= pos as usize && (pos as usize) < q.end)
        };
        let starts_with_quote = t0 < t1 && in_quote(self.tokens[t0].start);
        self.collect_candidates(t0, t1, sent_idx, &in_quote);

        // The first reporting verb outside quotes.
        let verb = (t0..t1).find(|&i| {
            !in_quote(self.tokens[i].start) && self.class(i) & REPORT_VERB != 0 && !self.is_cap(i)
        });
        let any_verb = (t0..t1).find(|&i| {
            !in_quote(self.tokens[i].start) && self.class(i) & VERB != 0 && !self.is_cap(i)
        });

        let mut chosen: Option<usize> = self.cands.iter().position(|c| c.according);
        if chosen.is_none()
            && let Some(ci) = self.cands.iter().position(|c| !c.masked)
        {
            let c = self.cands[ci];
            let ok = match verb {
                None => true,
                Some(v) if c.tok < v => true,
                Some(v) => {
                    // Inverted attribution: `"...," said X` or `..., said X.`
                    let inverted =
                        v == t0 || !self.tokens[v - 1].word || in_quote(self.tokens[v - 1].start);
                    inverted
                        && (v + 1..c.tok)
                            .all(|k| self.class(k) & (DETERMINER | TITLE_MOD | TITLE_HEAD) != 0)
                }
            };
            if ok {
                chosen = Some(ci);
            }
        }

        let mut speakers = Speakers::default();
        if let Some(ci) = chosen {
            let c = self.cands[ci];
            // Coordinated subjects: "France and Germany condemned", "Mali, Chad and Niger
            // said". A list only counts once an "and" closes it, so the appositive in
            // "China, North Korea's main ally, urged" is not a second speaker.
            let mut end = c.end_tok;
            let mut coord = [0usize; MAX_SPEAKERS];
            let (mut n_coord, mut n_pending) = (0usize, 0usize);
            for (di, d) in self.cands.iter().enumerate().skip(ci + 1) {
                let mut has_and = false;
                let glue = (end..d.tok).all(|k| {
                    let w = self.tok(k);
                    has_and |= w.eq_ignore_ascii_case("and");
                    w == "," || w.eq_ignore_ascii_case("and") || self.class(k) & DETERMINER != 0
                });
                if !glue
                    || d.tok == end
                    || n_coord + n_pending == MAX_SPEAKERS
                    || d.masked && !has_and
                {
                    break;
                }
                coord[n_coord + n_pending] = di;
                n_pending += 1;
                end = d.end_tok;
                if has_and {
                    n_coord += n_pending;
                    n_pending = 0;
                }
            }
            // "American and British forces crossed ...": the list modifies a noun that
            // cannot speak when its last member does.
            let things = n_coord > 0 && self.cands[coord[n_coord - 1]].adjectival;
            if !things {
                self.resolve_into(c, sent, sent_idx, t0, &mut speakers);
                for &di in &coord[..n_coord] {
                    let d = self.cands[di];
                    self.resolve_into(d, sent, sent_idx, t0, &mut speakers);
                }
            }
            // An appositive person ("The Kuwaiti ambassador, Sheikh Nasser al-Sabah, said")
            // belongs to the speaker's state.
            if let (CandKind::Entity(e), Some(&first)) = (c.kind, speakers.as_slice().first()) {
                let limit = any_verb.unwrap_or(t1);
                for k in 0..self.cands.len() {
                    if let CandKind::Person(p) = self.cands[k].kind
                        && self.cands[k].tok < limit
                        && self.persons[p].actor.is_none()
                    {
                        self.persons[p].actor = Some(first);
                    }
                }
                let _ = e;
            }
        }
        if speakers.is_empty() && starts_with_quote && self.prev_in_reach(sent.block) {
            speakers = self.prev;
        }
        self.learn_gender(t0, t1, &speakers, sent_idx);
        if !speakers.is_empty() {
            self.prev = speakers;
            self.prev_block = Some(sent.block);
        }
        speakers
    }

    /// The most recently seen person with a known actor that `matches`.
    fn latest_person(&self, matches: impl Fn(&Person) -> bool) -> Option<usize> {
        self.persons
            .iter()
            .enumerate()
            .filter(|(_, p)| p.actor.is_some() && matches(p))
            .max_by_key(|(_, p)| p.last_seen)
            .map(|(i, _)| i)
    }

    /// Repeats the previous statement's speakers.
    fn push_prev(&self, out: &mut Speakers) {
        for &e in self.prev.as_slice() {
            out.push(e);
        }
    }

    fn prev_same_block(&self, block: usize) -> bool {
        !self.prev.is_empty() && self.prev_block == Some(block)
    }

    fn prev_in_reach(&self, block: usize) -> bool {
        !self.prev.is_empty() && self.prev_block.is_some_and(|b| block <= b + 1)
    }

    fn resolve_into(
        &mut self,
        c: Cand,
        sent: &Sentence,
        sent_idx: usize,
        t0: usize,
        out: &mut Speakers,
    ) {
        match c.kind {
            CandKind::Entity(e) => out.push(e),
            CandKind::Person(p) => {
                self.persons[p].last_seen = sent_idx;
                if let Some(e) = self.persons[p].actor {
                    out.push(e);
                } else if let Some(e) = self.fallback_state(sent, t0, self.persons[p].us_style) {
                    self.persons[p].actor = Some(e);
                    out.push(e);
                }
            }
            CandKind::Pronoun(g) => {
                // The most recent person not known to be of the other gender: news
                // pronouns nearly always point at the last-named person.
                let best = self.latest_person(|p| p.gender.is_none_or(|pg| pg == g));
                if let Some(p) = best {
                    self.persons[p].gender.get_or_insert(g);
                    self.persons[p].last_seen = sent_idx;
                    out.push(self.persons[p].actor.expect("filtered"));
                } else if self.prev_in_reach(sent.block) {
                    self.push_prev(out);
                }
            }
            CandKind::Title(head) => {
                let best = self.latest_person(|p| p.head == Some(head));
                if let Some(e) = self.fronted_location(t0) {
                    out.push(e);
                } else if let Some(p) = best {
                    self.persons[p].last_seen = sent_idx;
                    out.push(self.persons[p].actor.expect("filtered"));
                } else if self.prev_same_block(sent.block) {
                    self.push_prev(out);
                }
            }
            CandKind::Previous => {
                if let Some(e) = self.fronted_location(t0) {
                    out.push(e);
                } else if self.prev_same_block(sent.block) {
                    self.push_prev(out);
                }
            }
        }
    }

    /// A fronted location: "In Washington, Secretary of State X said ...".
    fn fronted_location(&self, t0: usize) -> Option<EntityId> {
        if self.tok(t0) != "In" {
            return None;
        }
        let m = self.mention_at(t0 + 1)?;
        (self.gaz.entity(m.entity).kind == EntityKind::State).then_some(m.entity)
    }

    /// A state right after the first reporting verb: "X said the United States was shocked",
    /// the speaker's usual way of naming its own government.
    fn after_verb_state(&self, t0: usize, t1: usize) -> Option<EntityId> {
        let v = (t0..t1).find(|&k| self.class(k) & REPORT_VERB != 0)?;
        let skip = |mut k: usize| {
            while k < t1 && matches!(self.tok(k), "the" | "that") {
                k += 1;
            }
            k
        };
        let is_state_at = |k: usize| {
            self.mention_at(k)
                .filter(|m| self.gaz.entity(m.entity).kind == EntityKind::State)
                .map(|m| m.entity)
        };
        if let Some(e) = is_state_at(skip(v + 1)) {
            return Some(e);
        }
        // "told a crowd that Egypt was ...": the subject of the reported clause.
        let t = (v + 1..(v + 9).min(t1)).find(|&k| self.tok(k) == "that")?;
        let k = skip(t + 1);
        is_state_at(k)
    }

    /// State for a person whose title names none, in order: a fronted location ("In
    /// Washington, ..."); the previous speaker in the same paragraph; a state named right
    /// after "said" ("said the United States was shocked"); the United States for the
    /// titles US wire style leaves unqualified ("President X", "Secretary of State X");
    /// the dateline's state ("LONDON — Prime Minister X"); the previous paragraph's speaker.
    fn fallback_state(&self, sent: &Sentence, t0: usize, us_style: bool) -> Option<EntityId> {
        let (_, t1) = token_range(self.tokens, sent.start, sent.end);
        self.fronted_location(t0)
            .or_else(|| {
                self.prev_same_block(sent.block)
                    .then(|| self.prev.as_slice().first().copied())
                    .flatten()
            })
            .or_else(|| self.after_verb_state(t0, t1))
            .or_else(|| us_style.then(|| self.gaz.lookup("USA")).flatten())
            .or(self.dateline)
            .or_else(|| {
                self.prev_in_reach(sent.block)
                    .then(|| self.prev.as_slice().first().copied())
                    .flatten()
            })
    }

    /// Learns a person's gender from pronouns in the sentence that names them.
    fn learn_gender(&mut self, t0: usize, t1: usize, speakers: &Speakers, sent_idx: usize) {
        let Some(&first) = speakers.as_slice().first() else {
            return;
        };
        let (mut he, mut she) = (false, false);
        for i in t0..t1 {
            let w = self.tok(i);
            match w {
                "he" | "He" | "his" | "His" | "him" => he = true,
                "she" | "She" | "her" | "Her" => she = true,
                _ => {}
            }
        }
        if he == she {
            return;
        }
        let g = if he { Gender::Male } else { Gender::Female };
        if let Some(p) = self
            .persons
            .iter_mut()
            .filter(|p| p.last_seen == sent_idx && p.actor == Some(first) && p.gender.is_none())
            .last()
        {
            p.gender = Some(g);
        }
    }

    fn collect_candidates(
        &mut self,
        t0: usize,
        t1: usize,
        sent_idx: usize,
        in_quote: &dyn Fn(u32) -> bool,
    ) {
        self.cands.clear();
        let mut mi = self.mentions.partition_point(|m| {
            m.start < self.tokens.get(t0).map_or(usize::MAX, |t| t.start as usize)
        });
        // Candidates in a fronted subordinate clause ("After Azerbaijan attacked, ...") are masked.
        let mut sub_clause = false;
        let mut i = t0;
        while i < t1 {
            let tk = self.tokens[i];
            if !tk.word {
                if self.tok(i) == "," {
                    sub_clause = false;
                }
                i += 1;
                continue;
            }
            if in_quote(tk.start) {
                i += 1;
                continue;
            }
            if (i == t0 || self.tok(i - 1) == ",") && self.class(i) & SUBORDINATOR != 0 {
                sub_clause = true;
            }
            while mi < self.mentions.len() && self.mentions[mi].start < tk.start as usize {
                mi += 1;
            }
            let according = i >= 2
                && self.tok(i - 1).eq_ignore_ascii_case("to")
                && self.tok(i - 2).eq_ignore_ascii_case("according")
                || i >= 3
                    && self.class(i - 1) & DETERMINER != 0
                    && self.tok(i - 2).eq_ignore_ascii_case("to")
                    && self.tok(i - 3).eq_ignore_ascii_case("according");
            let start_tok = i;
            let mut adjectival = false;
            let mut kind: Option<CandKind> = None;
            let mut end_tok = i + 1;

            if mi < self.mentions.len() && self.mentions[mi].start == tk.start as usize {
                let m = self.mentions[mi];
                mi += 1;
                let mut j = i;
                while j < t1 && (self.tokens[j].start as usize) < m.end {
                    j += 1;
                }
                // "French Foreign Minister Catherine Colonna", "Russia's foreign minister, Sergei Lavrov".
                let (after, person) = self.title_chain_and_name(j, t1, Some(m.entity), sent_idx);
                if after > j && person.is_none() {
                    // "Catherine Colonna, France's foreign minister, said ..."
                    let head = self.chain_head(j, after);
                    self.register_name_before(i, t0, m.entity, head, sent_idx);
                }
                end_tok = after.max(j);
                kind = Some(CandKind::Entity(m.entity));
                if after <= j && self.adjectival(i, j, t1, m.end) {
                    adjectival = true;
                }
            } else if self.class(i) & TITLE_HEAD != 0 || self.class(i) & TITLE_MOD != 0 {
                let (after, person) = self.title_chain_and_name(i, t1, None, sent_idx);
                if after > i {
                    end_tok = after;
                    if let Some(p) = person {
                        kind = Some(CandKind::Person(p));
                    } else if let Some(e) = self.of_mention(after, t1) {
                        // "the foreign minister of France"
                        kind = Some(CandKind::Entity(e));
                        end_tok = after + 2;
                    } else if i > t0 && self.class(i - 1) & DETERMINER != 0 {
                        let head = self.chain_head(i, after);
                        kind = head.map(CandKind::Title);
                    }
                }
            } else if let Some(p) = self.known_person(i) {
                kind = Some(CandKind::Person(p));
            } else if self.class(i) & HE != 0 {
                kind = Some(CandKind::Pronoun(Gender::Male));
            } else if self.class(i) & SHE != 0 {
                kind = Some(CandKind::Pronoun(Gender::Female));
            } else if i > t0
                && (self.class(i) & INSTITUTION != 0
                    && self.class(self.skip_back(i, TITLE_MOD, t0)) & DETERMINER != 0
                    && self.of_mention(i + 1, t1).is_none()
                    || self.class(i) & GROUP != 0
                        && matches!(self.tok(i - 1), "two" | "both" | "Both" | "three"))
            {
                kind = Some(CandKind::Previous);
            }

            if let Some(kind) = kind {
                let masked = sub_clause || adjectival || self.masked_before(start_tok, t0);
                self.cands.push(Cand {
                    tok: start_tok,
                    end_tok,
                    kind,
                    masked: masked && !according,
                    adjectival,
                    according,
                });
                i = end_tok.max(i + 1);
            } else {
                i += 1;
            }
        }
    }

    /// Whether a mention (tokens `[i, j)`, ending at byte `m_end`) modifies a noun that
    /// cannot speak: "Iraqi tanks", "U.S. warships", "Azerbaijan's forces pushed". A name
    /// followed by a verb, an adverb, a title, an institution or punctuation speaks.
    fn adjectival(&self, i: usize, j: usize, t1: usize, m_end: usize) -> bool {
        let possessive = self.tokens[j - 1].end as usize > m_end
            && strip_possessive(self.tok(j - 1)).len() < self.tok(j - 1).len();
        let speaks =
            |k: usize| self.class(k) & (TITLE_HEAD | TITLE_MOD | INSTITUTION | SPEAKER_NOUN) != 0;
        if possessive {
            return !(j..(j + 3).min(t1)).any(speaks);
        }
        if j >= t1 || !self.tokens[j].word || self.is_cap(j) {
            return false;
        }
        let _ = i;
        let w = self.tok(j);
        let c = self.class(j);
        if c & (VERB | REPORT_VERB | KEEP_BEFORE) != 0 || speaks(j) {
            return false;
        }
        if w.ends_with("ed") || w.ends_with("ly") {
            return false;
        }
        // "The Swedish civil defence minister": a title within the next few words.
        !(j + 1..(j + 4).min(t1))
            .take_while(|&k| self.tokens[k].word)
            .any(speaks)
    }

    /// The first token before `i` (not before `t0`) that is not of `class`.
    fn skip_back(&self, i: usize, class: u32, t0: usize) -> usize {
        let mut k = i - 1;
        while k > t0 && self.class(k) & class != 0 {
            k -= 1;
        }
        k
    }

    /// "of" + a gazetteer mention at token `i`.
    fn of_mention(&self, i: usize, t1: usize) -> Option<EntityId> {
        if i + 1 < t1 && self.tok(i) == "of" {
            return self.mention_at(i + 1).map(|m| m.entity);
        }
        None
    }

    /// The head word of a title chain in tokens `[i, after)`.
    fn chain_head(&self, i: usize, after: usize) -> Option<&'static str> {
        (i..after).rev().find_map(|k| {
            let w = strip_possessive(self.tok(k));
            TITLE_HEADS
                .iter()
                .copied()
                .find(|h| h.eq_ignore_ascii_case(w))
        })
    }

    /// Parses a title chain at `i` ("Foreign Minister", "secretary of state", "Mr.") and the
    /// name after it. Returns the token after what was consumed (`i` if no chain) and the
    /// person, registered or found, if a name followed.
    fn title_chain_and_name(
        &mut self,
        i: usize,
        t1: usize,
        state: Option<EntityId>,
        sent_idx: usize,
    ) -> (usize, Option<usize>) {
        let mut j = i;
        // A possessive on the mention ("Russia's") is part of the mention token already.
        let mut has_head = false;
        while j < t1 {
            let c = self.class(j);
            if c & (TITLE_HEAD | TITLE_MOD | INSTITUTION) != 0 && self.tokens[j].word {
                has_head |= c & TITLE_HEAD != 0;
                j += 1;
                // "Mr." / "Gen."
                if j < t1 && self.tok(j) == "." {
                    j += 1;
                }
            } else if (self.tok(j) == "of" || self.tok(j) == "for")
                && j + 1 < t1
                && self.class(j + 1) & (TITLE_HEAD | TITLE_MOD) != 0
            {
                j += 1;
            } else {
                break;
            }
        }
        if !has_head {
            return (i, None);
        }
        let head = self.chain_head(i, j);
        // Optional comma before the name: "the foreign minister, Andriy Kovalchuk,".
        let mut n = j;
        if n < t1 && self.tok(n) == "," {
            n += 1;
        }
        let name_start = n;
        let mut name_end = n;
        let mut k = n;
        while k < t1 && k - name_start < 6 {
            let is_mention_start = self.mention_at(k).is_some();
            if self.is_cap(k)
                && !is_mention_start
                && self.class(k) & (FUNCTION_CAP | TITLE_HEAD | TITLE_MOD) == 0
            {
                k += 1;
                name_end = k;
            } else if self.tokens[k].word
                && self.class(k) & PARTICLE != 0
                && k + 1 < t1
                && self.is_cap(k + 1)
                && k > name_start
            {
                k += 1;
            } else {
                break;
            }
        }
        if name_end == name_start {
            return (j, None);
        }
        // "Prime Minister Narendra Modi of India"
        let state = state.or_else(|| self.of_mention(name_end, t1));
        let sur_tok = name_end - 1;
        let sur = self.tok(sur_tok);
        let surname = strip_possessive(sur);
        let surname_range = (
            self.tokens[sur_tok].start as usize,
            self.tokens[sur_tok].start as usize + surname.len(),
        );
        let existing = self
            .persons
            .iter()
            .position(|p| &self.text[p.surname.0..p.surname.1] == surname);
        let p = match existing {
            Some(p) => {
                if self.persons[p].actor.is_none() {
                    self.persons[p].actor = state;
                }
                self.persons[p].last_seen = sent_idx;
                p
            }
            None => {
                let chain: Vec<String> = (i..j).map(|k| self.tok(k).to_ascii_lowercase()).collect();
                let chain = chain.join(" ");
                self.persons.push(Person {
                    surname: surname_range,
                    actor: state,
                    head,
                    us_style: US_STYLE_TITLES.contains(&chain.as_str()),
                    gender: None,
                    last_seen: sent_idx,
                });
                self.persons.len() - 1
            }
        };
        let mut after = name_end;
        if after < t1 && self.tok(after) == "," {
            // keep the comma for coordination checks
        } else if state.is_some() && self.of_mention(name_end, t1).is_some() {
            after += 2;
        }
        (after, Some(p))
    }

    /// Registers a name that precedes its appositive title: tokens `Name Name ,` (or
    /// `Name Name , the`) right before the mention at token `i`.
    fn register_name_before(
        &mut self,
        i: usize,
        t0: usize,
        entity: EntityId,
        head: Option<&'static str>,
        sent_idx: usize,
    ) {
        let mut k = i;
        if k > t0 && self.tok(k - 1).eq_ignore_ascii_case("the") {
            k -= 1;
        }
        if k < t0 + 3 || self.tok(k - 1) != "," {
            return;
        }
        let name_end = k - 1;
        let mut name_start = name_end;
        while name_start > t0
            && self.is_cap(name_start - 1)
            && self.mention_at(name_start - 1).is_none()
            && self.class(name_start - 1) & (FUNCTION_CAP | TITLE_HEAD | TITLE_MOD) == 0
        {
            name_start -= 1;
        }
        let at_clause_start = name_start == t0 || !self.tokens[name_start - 1].word;
        if name_end - name_start < 2 || !at_clause_start {
            return;
        }
        let sur = self.tokens[name_end - 1];
        let surname = (sur.start as usize, sur.end as usize);
        let text = &self.text[surname.0..surname.1];
        if self
            .persons
            .iter()
            .any(|p| &self.text[p.surname.0..p.surname.1] == text)
        {
            return;
        }
        self.persons.push(Person {
            surname,
            actor: Some(entity),
            head,
            us_style: false,
            gender: None,
            last_seen: sent_idx,
        });
    }

    fn known_person(&self, i: usize) -> Option<usize> {
        if !self.is_cap(i) {
            return None;
        }
        let w = strip_possessive(self.tok(i));
        self.persons
            .iter()
            .position(|p| &self.text[p.surname.0..p.surname.1] == w)
    }

    /// Whether the word before a candidate makes it an object or a place.
    fn masked_before(&self, tok: usize, t0: usize) -> bool {
        let mut k = tok;
        let mut after_time = false;
        while k > t0 {
            k -= 1;
            if !self.tokens[k].word {
                // Comma, colon, dash, bracket or quote: a clause or appositive boundary.
                return false;
            }
            let c = self.class(k);
            if c & DETERMINER != 0 && self.tok(k) != "her" {
                continue;
            }
            if c & TIME != 0 {
                after_time = true;
                continue;
            }
            if c & (TITLE_MOD | INSTITUTION) != 0 {
                // Inside the noun phrase: "Foreign ministry spokesman Zhao ...".
                continue;
            }
            if after_time
                && matches!(
                    self.tok(k),
                    "on" | "On"
                        | "in"
                        | "In"
                        | "late"
                        | "Late"
                        | "early"
                        | "Early"
                        | "last"
                        | "Last"
                        | "this"
                        | "This"
                        | "that"
                        | "Later"
                        | "later"
                        | "Earlier"
                        | "earlier"
                        | "Then"
                )
            {
                continue;
            }
            if c & (KEEP_BEFORE | REPORT_VERB) != 0 {
                // "..., said the Kremlin": whether a candidate after "said" speaks is decided
                // by the inverted-attribution rule in `attribute`.
                return false;
            }
            if k == t0 && self.is_cap(k) {
                // Sentence-initial word: "Meanwhile Russia", "Neighbouring Chad"; but "In
                // Moscow", "After Russia ..." are places and clauses.
                let lower = self.tok(k).to_ascii_lowercase();
                return MASKING_PREPOSITIONS.contains(&lower.as_str()) || c & SUBORDINATOR != 0;
            }
            if self.tok(k) == "of" && k > t0 && self.class(k - 1) & (TITLE_HEAD | INSTITUTION) != 0
            {
                return false;
            }
            return true;
        }
        false
    }
}

const MASKING_PREPOSITIONS: &[&str] = &[
    "in", "on", "at", "to", "into", "against", "with", "for", "over", "toward", "towards",
    "between", "across", "near", "inside", "outside", "within", "about", "from", "of", "via",
    "through", "under", "upon", "like", "than", "among", "around", "beyond",
];

fn strip_possessive(w: &str) -> &str {
    w.strip_suffix("'s")
        .or_else(|| w.strip_suffix("\u{2019}s"))
        .unwrap_or(w)
}

/// Token index range covering bytes `[start, end)`.
pub(crate) fn token_range(tokens: &[Token], start: usize, end: usize) -> (usize, usize) {
    let a = tokens.partition_point(|t| (t.start as usize) < start);
    let b = tokens.partition_point(|t| (t.start as usize) < end);
    (a, b)
}

/// "PARIS —" or "WASHINGTON, Aug. 2 —" at the start of one of the first two lines.
fn find_dateline(gaz: &Gazetteer, text: &str, tokens: &[Token]) -> Option<EntityId> {
    let mut line_starts = vec![0usize];
    for (i, b) in text.bytes().enumerate().take(2000) {
        if b == b'\n' {
            line_starts.push(i + 1);
        }
    }
    for &ls in line_starts.iter().take(6) {
        let (a, _) = token_range(tokens, ls, text.len());
        let mut words = Vec::new();
        let mut k = a;
        while k < tokens.len() && words.len() < 4 {
            let t = tokens[k];
            let w = &text[t.start as usize..t.end as usize];
            if t.word && w.len() > 1 && w.chars().all(|c| !c.is_lowercase()) {
                words.push(w);
                k += 1;
            } else {
                break;
            }
        }
        if words.is_empty() {
            continue;
        }
        let joined = words.join(" ");
        if let Some(e) = gaz.dateline(&joined) {
            return Some(e);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_keeps_names_and_acronyms_together() {
        let t = "U.S. envoy al-Sabah's Kishida-Sato 3.5, \u{201C}ok\u{201D}";
        let mut v = Vec::new();
        tokenize(t, &mut v);
        let words: Vec<&str> = v
            .iter()
            .map(|k| &t[k.start as usize..k.end as usize])
            .collect();
        assert_eq!(
            words,
            [
                "U.S",
                ".",
                "envoy",
                "al-Sabah's",
                "Kishida-Sato",
                "3.5",
                ",",
                "\u{201C}",
                "ok",
                "\u{201D}"
            ]
        );
    }

    #[test]
    fn lexicon_is_case_insensitive() {
        let l = Lexicon::new();
        assert_ne!(l.class("Minister") & TITLE_HEAD, 0);
        assert_ne!(l.class("said") & REPORT_VERB, 0);
        assert_eq!(l.class("Zzz"), 0);
    }
}
