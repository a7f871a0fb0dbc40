//! The cue lexicon: stems and phrases grouped into classes of meaning.
//!
//! Word n-grams only know the words they were trained on. Cue classes let one strong feature
//! stand for many rare words ("heinous", "barbaric", "an affront to"), which is what carries a
//! model from our news-style corpus over to other registers such as UN speeches. Patterns are
//! matched on normalised text at the start of a word; a pattern is a stem unless it ends with a
//! space, so "condemn" also finds "condemned" and "condemnation".

/// A class of cue, emitted as features `c:<class>`, `cn:<class>` (negated), `cf:<class>`
/// (in a first-person sentence).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Cue {
    /// Verbs and nouns of denouncing.
    Denounce,
    /// Negative judgement of an act.
    Judge,
    /// Holding someone responsible.
    Blame,
    /// Backing, solidarity, praise, aid.
    Back,
    /// Justification, rights, struggle.
    Justify,
    /// Appeals and demands.
    Appeal,
    /// De-escalation, ceasefire, talks, mediation.
    Deescalate,
    /// Concern, alarm.
    Concern,
    /// Reporting frames, facts, schedules.
    Report,
    /// Nouns naming a reaction ("the condemnation came after").
    ReactionNoun,
    /// Ceremony and procedure of speeches.
    Procedure,
    /// Violence and force words, stance-free on their own.
    Force,
    /// First person of a speech ("we", "my delegation").
    FirstPerson,
}

/// Number of cue classes.
pub const CUE_CLASSES: usize = 13;

/// Names of the cue classes, for feature names and reports.
pub const CUE_NAMES: [&str; CUE_CLASSES] = [
    "denounce", "judge", "blame", "back", "justify", "appeal", "deescalate", "concern", "report",
    "reaction_noun", "procedure", "force", "first_person",
];

use Cue::*;

/// The lexicon. Written for this project; extend it where a class misses common wordings.
pub const LEXICON: &[(&str, Cue)] = &[
    // Denounce
    ("condemn", Denounce), ("deplor", Denounce), ("denounc", Denounce), ("decry", Denounce),
    ("decries", Denounce), ("decried", Denounce), ("repudiat", Denounce), ("censur", Denounce),
    ("protest", Denounce), ("outrag", Denounce), ("rebuk", Denounce), ("slam", Denounce),
    ("lambast", Denounce), ("castigat", Denounce), ("criticis", Denounce), ("criticiz", Denounce),
    ("reject", Denounce), ("abhor", Denounce), ("object to", Denounce), ("objects to", Denounce),
    ("summoned the ambassador", Denounce), ("summoned the envoy", Denounce), ("recalled its ambassador", Denounce),
    ("expel", Denounce), ("will never recogni", Denounce), ("not recogni", Denounce), ("refuse to recogni", Denounce),
    ("deeply regret", Denounce), ("regrettable", Denounce), ("dismay", Denounce), ("indignat", Denounce),
    ("cannot be tolerated", Denounce), ("will not be tolerated", Denounce), ("cannot remain silent", Denounce),
    ("strongly oppose", Denounce), ("oppose", Denounce), ("accus", Denounce), ("blast", Denounce),
    ("revulsion", Denounce), ("disgust", Denounce), ("shock", Denounce), ("appall", Denounce),
    ("appal", Denounce), ("horrif", Denounce), ("vilif", Denounce), ("warn", Denounce),
    // Judge
    ("illegal", Judge), ("unlawful", Judge), ("illegitimate", Judge), ("unacceptable", Judge),
    ("unjustifi", Judge), ("inadmissible", Judge), ("intolerable", Judge), ("inexcusable", Judge),
    ("barbar", Judge), ("heinous", Judge), ("atroci", Judge), ("brutal", Judge), ("savage", Judge),
    ("criminal", Judge), ("war crime", Judge), ("crimes against humanity", Judge), ("genocid", Judge),
    ("ethnic cleansing", Judge), ("flagrant", Judge), ("blatant", Judge), ("violation", Judge),
    ("violates", Judge), ("violated", Judge), ("breach", Judge), ("aggression", Judge),
    ("aggressor", Judge), ("so-called", Judge), ("sham", Judge), ("null and void", Judge),
    ("cowardly", Judge), ("coward", Judge), ("terroris", Judge), ("massacre", Judge),
    ("despicable", Judge), ("reprehensible", Judge), ("shameful", Judge), ("disgrace", Judge),
    ("irresponsible", Judge), ("reckless", Judge), ("provocat", Judge), ("occupation", Judge),
    ("occupier", Judge), ("occupying", Judge), ("annex", Judge), ("apartheid", Judge),
    ("colonial", Judge), ("imperialis", Judge), ("racis", Judge), ("hegemon", Judge),
    ("expansionis", Judge), ("invader", Judge), ("usurp", Judge), ("affront", Judge),
    ("outrageous", Judge), ("abominable", Judge), ("wanton", Judge), ("indiscriminate", Judge),
    ("ruthless", Judge), ("vicious", Judge), ("murderous", Judge), ("lawless", Judge),
    ("contrary to international law", Judge), ("against international law", Judge),
    ("in defiance of", Judge), ("defian", Judge), ("unprovoked", Judge), ("oppressi", Judge),
    ("repressi", Judge), ("persecut", Judge), ("injustice", Judge), ("unjust", Judge),
    ("domination", Judge), ("subjugat", Judge), ("plunder", Judge), ("exploitation", Judge),
    ("coup", Judge), ("putsch", Judge), ("usurpation", Judge), ("tyrann", Judge), ("dictator", Judge),
    // Blame
    ("responsib", Blame), ("accountab", Blame), ("answer for", Blame), ("to justice", Blame),
    ("impunity", Blame), ("culpab", Blame), ("to blame", Blame), ("the blame", Blame),
    ("sanction", Blame), ("punish", Blame), ("consequences", Blame), ("pay a price", Blame),
    ("pay a heavy price", Blame), ("perpetrator", Blame),
    // Back
    ("support", Back), ("backing", Back), ("backed", Back), ("backs ", Back), ("endors", Back),
    ("stand with", Back), ("stands with", Back), ("stood with", Back), ("standing with", Back),
    ("stand by", Back), ("stands by", Back), ("shoulder to shoulder", Back), ("side by side", Back),
    ("solidarity", Back), ("side with", Back), ("sided with", Back), ("champion", Back),
    ("in favour of", Back), ("in favor of", Back), ("welcom", Back), ("hail", Back), ("prais", Back),
    ("applaud", Back), ("commend", Back), ("salut", Back), ("pay tribute", Back), ("pays tribute", Back),
    ("pledg", Back), ("weapons to", Back), ("arms to", Back), ("military aid", Back),
    ("assistance to", Back), ("ally", Back), ("allies", Back), ("alliance", Back), ("friend", Back),
    ("brotherly", Back), ("fraternal", Back), ("recogni", Back), ("admir", Back), ("grateful to", Back),
    ("unwavering", Back), ("steadfast", Back), ("unconditional", Back), ("wholehearted", Back),
    ("firmly behind", Back), ("weight behind", Back), ("rally behind", Back), ("rallied behind", Back),
    ("bolster", Back), ("reinforc", Back), ("will not abandon", Back), ("not alone", Back),
    ("approv", Back), ("cooperat", Back), ("partner", Back), ("success", Back), ("victor", Back),
    // Justify
    ("right to defend", Justify), ("right to self-defen", Justify), ("self-defen", Justify),
    ("right of self-defen", Justify), ("legitimate", Justify), ("justified", Justify),
    ("justifiable", Justify), ("necessary", Justify), ("had no choice", Justify), ("no other choice", Justify),
    ("no alternative", Justify), ("forced to", Justify), ("in response to", Justify), ("protect", Justify),
    ("liberat", Justify), ("just struggle", Justify), ("just cause", Justify), ("self-determination", Justify),
    ("independence", Justify), ("freedom fighter", Justify), ("heroic", Justify), ("inalienable", Justify),
    ("rightful", Justify), ("sovereign right", Justify), ("every right", Justify), ("entitled to", Justify),
    ("defend itself", Justify), ("defend themselves", Justify), ("defend ourselves", Justify),
    ("defend their", Justify), ("legitimate struggle", Justify), ("struggle", Justify), ("restore order", Justify),
    ("restore constitutional", Justify), ("security operation", Justify), ("counter-terror", Justify),
    ("neutralis", Justify), ("neutraliz", Justify), ("preempt", Justify), ("pre-empt", Justify),
    ("proportionate", Justify), ("measured response", Justify), ("deterr", Justify),
    // Appeal
    ("urge", Appeal), ("urging", Appeal), ("call on", Appeal), ("call upon", Appeal), ("calls on", Appeal),
    ("calls upon", Appeal), ("called on", Appeal), ("called upon", Appeal), ("calling on", Appeal),
    ("calling upon", Appeal), ("calls for", Appeal), ("called for", Appeal), ("call for", Appeal),
    ("appeal", Appeal), ("implor", Appeal), ("exhort", Appeal), ("plead", Appeal), ("beseech", Appeal),
    ("encourag", Appeal), ("invite", Appeal), ("we hope", Appeal), ("hope that", Appeal),
    ("must ", Appeal), ("should ", Appeal), ("request", Appeal), ("demand", Appeal), ("insist", Appeal),
    ("press both", Appeal), ("pressed both", Appeal), ("pressing both", Appeal), ("all parties", Appeal),
    ("all sides", Appeal), ("both sides", Appeal), ("both parties", Appeal), ("the parties", Appeal),
    ("let us", Appeal), ("it is time", Appeal), ("we ask", Appeal), ("asked both", Appeal),
    // Deescalate
    ("restraint", Deescalate), ("de-escalat", Deescalate), ("deescalat", Deescalate), ("escalat", Deescalate),
    ("ceasefire", Deescalate), ("cease-fire", Deescalate), ("cease fire", Deescalate), ("cessation", Deescalate),
    ("truce", Deescalate), ("armistice", Deescalate), ("halt", Deescalate), ("stop the", Deescalate),
    ("end the fighting", Deescalate), ("end to the", Deescalate), ("end to hostilities", Deescalate),
    ("lay down", Deescalate), ("silence the guns", Deescalate), ("calm", Deescalate), ("tranquil", Deescalate),
    ("peaceful", Deescalate), ("peacefully", Deescalate), ("dialogue", Deescalate), ("negotiat", Deescalate),
    ("talks", Deescalate), ("diplomac", Deescalate), ("diplomatic solution", Deescalate),
    ("diplomatic means", Deescalate), ("mediat", Deescalate), ("good offices", Deescalate),
    ("political solution", Deescalate), ("political settlement", Deescalate), ("peace process", Deescalate),
    ("reconcil", Deescalate), ("compromise", Deescalate), ("humanitarian pause", Deescalate),
    ("humanitarian corridor", Deescalate), ("moderation", Deescalate), ("step back", Deescalate),
    ("pull back", Deescalate), ("withdraw", Deescalate), ("negotiating table", Deescalate),
    ("peaceful settlement", Deescalate), ("peaceful means", Deescalate), ("peaceful resolution", Deescalate),
    ("settle", Deescalate), ("defuse", Deescalate), ("ease tension", Deescalate), ("reduce tension", Deescalate),
    ("lower tension", Deescalate), ("cool", Deescalate), ("stand down", Deescalate), ("hold fire", Deescalate),
    ("stop fighting", Deescalate), ("end the violence", Deescalate), ("end the war", Deescalate),
    ("avoid", Deescalate), ("refrain", Deescalate), ("peace", Deescalate), ("conciliat", Deescalate),
    // Concern
    ("concern", Concern), ("worr", Concern), ("alarm", Concern), ("troubl", Concern), ("disturb", Concern),
    ("anxi", Concern), ("apprehens", Concern), ("uneas", Concern), ("monitor", Concern),
    ("watching closely", Concern), ("follow closely", Concern), ("following closely", Concern),
    ("closely following", Concern), ("preoccup", Concern), ("fear", Concern), ("distress", Concern),
    // Report
    ("according to", Report), ("officials said", Report), ("killed", Report), ("wounded", Report),
    ("injured", Report), ("casualt", Report), ("death toll", Report), ("will meet", Report),
    ("is due to", Report), ("are due to", Report), ("scheduled", Report), ("postpone", Report),
    ("declined to comment", Report), ("no comment", Report), ("travel", Report), ("arrived", Report),
    ("convened", Report), ("will visit", Report), ("reported", Report), ("figures", Report),
    ("on monday", Report), ("on tuesday", Report), ("on wednesday", Report), ("on thursday", Report),
    ("on friday", Report), ("on saturday", Report), ("on sunday", Report), ("statistics", Report),
    ("percent", Report), ("per cent", Report), ("million", Report), ("estimated", Report),
    ("troops", Report), ("crossed", Report), ("announced", Report), ("confirmed", Report),
    ("nothing to add", Report), ("would not say", Report), ("did not say", Report),
    // Reaction nouns
    ("condemnation", ReactionNoun), ("criticism", ReactionNoun), ("outcry", ReactionNoun),
    ("backlash", ReactionNoun), ("reaction", ReactionNoun), ("reactions", ReactionNoun),
    ("drew", ReactionNoun), ("came after", ReactionNoun), ("prompted", ReactionNoun),
    ("sparked", ReactionNoun), ("fell in", ReactionNoun), ("poll", ReactionNoun),
    // Procedure
    ("congratulat", Procedure), ("thank", Procedure), ("gratitude", Procedure), ("assembly", Procedure),
    ("agenda", Procedure), ("session", Procedure), ("development", Procedure), ("econom", Procedure),
    ("climate", Procedure), ("sustainable", Procedure), ("election of", Procedure), ("presidency", Procedure),
    ("report of", Procedure), ("item", Procedure), ("delegation", Procedure), ("meeting", Procedure),
    // Force
    ("attack", Force), ("strike", Force), ("strikes", Force), ("bomb", Force), ("shell", Force),
    ("invasion", Force), ("invad", Force), ("offensive", Force), ("military", Force), ("operation", Force),
    ("war", Force), ("raid", Force), ("missile", Force), ("rocket", Force), ("airstrike", Force),
    ("air strike", Force), ("incursion", Force), ("assault", Force), ("shelling", Force), ("fighting", Force),
    // First person
    ("we ", FirstPerson), ("we'", FirstPerson), ("my delegation", FirstPerson), ("my country", FirstPerson),
    ("my government", FirstPerson), ("our government", FirstPerson), ("our country", FirstPerson),
    ("our delegation", FirstPerson), ("i ", FirstPerson), ("us ", FirstPerson), ("our ", FirstPerson),
];

/// Whether a word opens a negation or refusal scope ("not", "refused to", "stopped short of").
pub fn is_negator(word: &str) -> bool {
    matches!(
        word,
        "not" | "no" | "never" | "nor" | "neither" | "without" | "cannot" | "refused" | "refuses" | "refuse" | "refusing" | "declined" | "declines" | "decline" | "declining" | "failed" | "fails" | "fail" | "short" | "reluctant" | "unwilling" | "avoided" | "avoids" | "avoiding" | "resisted" | "hesitated" | "hesitant" | "rather" | "instead" | "far" | "little" | "nothing" | "none" | "barely" | "hardly" | "withheld" | "shied" | "balked"
    )
}
