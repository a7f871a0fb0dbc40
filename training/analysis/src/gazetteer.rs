//! The country and organisation gazetteer: names, aliases, demonyms, capitals and seats of
//! government, all mapped to one actor.
//!
//! The data lives in `data/gazetteer.tsv` (states), `data/organisations.tsv` and
//! `data/blocklist.txt`, embedded with `include_str!`. Every name becomes one pattern of a
//! single leftmost-longest Aho-Corasick automaton, so "Papua New Guinea" wins over "Guinea"
//! and "South Sudan" over "Sudan". Matching is case-sensitive (proper nouns are capitalised;
//! "US" must not match "us") and whole-word. Blocklisted names ("Latin America", "Indian
//! Ocean") are matched and then dropped, which is how they stop "America" or "Indian" from
//! matching inside them.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::collections::HashMap;

use crate::error::{AnalysisError, Result};

const STATES_TSV: &str = include_str!("../data/gazetteer.tsv");
const ORGANISATIONS_TSV: &str = include_str!("../data/organisations.tsv");
const BLOCKLIST_TXT: &str = include_str!("../data/blocklist.txt");

/// Index of an entity (state or organisation) in a [`Gazetteer`].
pub type EntityId = u16;

/// Sentinel entity id of a blocklisted pattern.
const BLOCKED: EntityId = EntityId::MAX;

/// Whether an entity is a state or an organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntityKind {
    /// A state with an ISO 3166-1 alpha-3 code (or `XKX` for Kosovo).
    State,
    /// An intergovernmental organisation or bloc; it has no code.
    Organisation,
}

/// How a name refers to its entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    /// The canonical name or an alias ("France", "French Republic", "UN").
    Name,
    /// A demonym ("French", "Turkish").
    Demonym,
    /// A capital city used as metonymy ("Paris", "Moscow").
    Capital,
    /// A seat of government or other metonym ("Elysee", "Kremlin", "State Department").
    Seat,
}

/// One state or organisation.
#[derive(Clone, Debug)]
pub struct Entity {
    /// Canonical name, e.g. "France" or "United Nations".
    pub name: String,
    /// ISO 3166-1 alpha-3 code for states, `None` for organisations.
    pub code: Option<String>,
    /// State or organisation.
    pub kind: EntityKind,
    /// The capitals listed for the entity (used to read datelines such as "PARIS —").
    pub capitals: Vec<String>,
}

/// One occurrence of a gazetteer name in a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mention {
    /// Byte offset of the first byte of the name.
    pub start: usize,
    /// Byte offset one past the name.
    pub end: usize,
    /// The entity named.
    pub entity: EntityId,
    /// How the name refers to the entity.
    pub kind: NameKind,
}

/// The gazetteer: entities plus one automaton over all their names.
#[derive(Clone, Debug)]
pub struct Gazetteer {
    entities: Vec<Entity>,
    automaton: AhoCorasick,
    /// Per automaton pattern: the entity (or [`BLOCKED`]) and the kind of name.
    patterns: Vec<(EntityId, NameKind)>,
    /// Upper-cased capitals ("PARIS") for datelines.
    dateline_capitals: HashMap<String, EntityId>,
    /// Exact names, for [`Gazetteer::lookup`].
    by_name: HashMap<String, EntityId>,
}

impl Gazetteer {
    /// The built-in gazetteer from the embedded data files.
    pub fn builtin() -> Self {
        Self::parse(STATES_TSV, ORGANISATIONS_TSV, BLOCKLIST_TXT)
            .expect("the embedded gazetteer is checked by unit tests")
    }

    /// Parses gazetteer data in the format of the embedded files.
    ///
    /// `states` has tab-separated columns code, name, aliases, demonyms, capitals, seats;
    /// `organisations` has name and aliases; list items are separated by `;`; lines starting
    /// with `#` are comments. `blocklist` has one name per line.
    ///
    /// # Errors
    /// [`AnalysisError::Gazetteer`] when a line is malformed, a code repeats, or one name
    /// would map to two different entities.
    pub fn parse(states: &str, organisations: &str, blocklist: &str) -> Result<Self> {
        let mut entities: Vec<Entity> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut patterns: Vec<(EntityId, NameKind)> = Vec::new();
        let mut seen: HashMap<String, EntityId> = HashMap::new();
        let mut codes: HashMap<String, usize> = HashMap::new();

        let mut add = |name: &str,
                       id: EntityId,
                       kind: NameKind,
                       names: &mut Vec<String>,
                       patterns: &mut Vec<(EntityId, NameKind)>|
         -> Result<()> {
            let name = name.trim();
            if name.is_empty() {
                return Ok(());
            }
            let mut variants = vec![name.to_string()];
            if name.contains('\'') {
                variants.push(name.replace('\'', "\u{2019}"));
            }
            for v in variants {
                match seen.get(&v) {
                    Some(&other) if other == id => continue,
                    Some(&other) => {
                        return Err(AnalysisError::Gazetteer {
                            line: 0,
                            message: format!("name {v:?} maps to two entities ({other} and {id})"),
                        });
                    }
                    None => {
                        seen.insert(v.clone(), id);
                        names.push(v);
                        patterns.push((id, kind));
                    }
                }
            }
            Ok(())
        };

        for (lineno, line) in states.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() != 6 {
                return Err(AnalysisError::Gazetteer {
                    line: lineno + 1,
                    message: format!("expected 6 tab-separated columns, found {}", cols.len()),
                });
            }
            let code = cols[0].trim();
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(AnalysisError::Gazetteer {
                    line: lineno + 1,
                    message: format!("bad code {code:?}"),
                });
            }
            if let Some(prev) = codes.insert(code.to_string(), lineno + 1) {
                return Err(AnalysisError::Gazetteer {
                    line: lineno + 1,
                    message: format!("code {code} already used on line {prev}"),
                });
            }
            let id = EntityId::try_from(entities.len()).expect("fewer than 65535 entities");
            let capitals: Vec<String> = list(cols[4]).map(str::to_string).collect();
            entities.push(Entity {
                name: cols[1].trim().to_string(),
                code: Some(code.to_string()),
                kind: EntityKind::State,
                capitals: capitals.clone(),
            });
            add(cols[1], id, NameKind::Name, &mut names, &mut patterns)?;
            for a in list(cols[2]) {
                add(a, id, NameKind::Name, &mut names, &mut patterns)?;
            }
            for a in list(cols[3]) {
                add(a, id, NameKind::Demonym, &mut names, &mut patterns)?;
            }
            for a in &capitals {
                add(a, id, NameKind::Capital, &mut names, &mut patterns)?;
            }
            for a in list(cols[5]) {
                add(a, id, NameKind::Seat, &mut names, &mut patterns)?;
            }
        }
        for (lineno, line) in organisations.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() != 2 {
                return Err(AnalysisError::Gazetteer {
                    line: lineno + 1,
                    message: format!("expected 2 tab-separated columns, found {}", cols.len()),
                });
            }
            let id = EntityId::try_from(entities.len()).expect("fewer than 65535 entities");
            entities.push(Entity {
                name: cols[0].trim().to_string(),
                code: None,
                kind: EntityKind::Organisation,
                capitals: Vec::new(),
            });
            add(cols[0], id, NameKind::Name, &mut names, &mut patterns)?;
            for a in list(cols[1]) {
                add(a, id, NameKind::Name, &mut names, &mut patterns)?;
            }
        }
        for line in blocklist.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            add(line, BLOCKED, NameKind::Name, &mut names, &mut patterns)?;
        }

        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&names)
            .map_err(|e| AnalysisError::Gazetteer {
                line: 0,
                message: e.to_string(),
            })?;
        let mut dateline_capitals = HashMap::new();
        let mut by_name = HashMap::new();
        for (i, e) in entities.iter().enumerate() {
            let id = i as EntityId;
            for c in &e.capitals {
                dateline_capitals.insert(c.to_uppercase(), id);
            }
            by_name.insert(e.name.clone(), id);
            if let Some(code) = &e.code {
                by_name.insert(code.clone(), id);
            }
        }
        for (name, &(id, _)) in names.iter().zip(&patterns) {
            if id != BLOCKED {
                by_name.entry(name.clone()).or_insert(id);
            }
        }
        Ok(Self {
            entities,
            automaton,
            patterns,
            dateline_capitals,
            by_name,
        })
    }

    /// All entities, states first, then organisations.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// The entity with this id.
    ///
    /// # Panics
    /// If `id` did not come from this gazetteer.
    pub fn entity(&self, id: EntityId) -> &Entity {
        &self.entities[usize::from(id)]
    }

    /// Number of states.
    pub fn state_count(&self) -> usize {
        self.entities
            .iter()
            .filter(|e| e.kind == EntityKind::State)
            .count()
    }

    /// The entity with this exact canonical name, alias, demonym, capital, seat or code.
    pub fn lookup(&self, name: &str) -> Option<EntityId> {
        self.by_name.get(name).copied()
    }

    /// The state whose capital, in capitals, opens a dateline ("PARIS", "WASHINGTON").
    pub fn dateline(&self, upper: &str) -> Option<EntityId> {
        self.dateline_capitals.get(upper).copied()
    }

    /// Appends every whole-word mention in `text` to `out`, in order, without blocklisted names.
    pub fn find_into(&self, text: &str, out: &mut Vec<Mention>) {
        let bytes = text.as_bytes();
        for m in self.automaton.find_iter(text) {
            let (id, kind) = self.patterns[m.pattern().as_usize()];
            if id == BLOCKED {
                continue;
            }
            let (s, e) = (m.start(), m.end());
            // Whole words only: "Oman" must not match inside "Romania".
            let before_ok = s == 0 || !is_word_char_before(text, s);
            let after_ok = e == bytes.len() || !is_word_char_at(text, e);
            if before_ok && after_ok {
                out.push(Mention {
                    start: s,
                    end: e,
                    entity: id,
                    kind,
                });
            }
        }
    }

    /// Every whole-word mention in `text`, in order.
    pub fn find(&self, text: &str) -> Vec<Mention> {
        let mut v = Vec::new();
        self.find_into(text, &mut v);
        v
    }
}

fn list(col: &str) -> impl Iterator<Item = &str> {
    col.split(';').map(str::trim).filter(|s| !s.is_empty())
}

fn is_word_char_at(text: &str, i: usize) -> bool {
    text[i..].chars().next().is_some_and(char::is_alphanumeric)
}

fn is_word_char_before(text: &str, i: usize) -> bool {
    text[..i]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_every_state_with_unique_codes() {
        let g = Gazetteer::builtin();
        assert!(g.state_count() >= 195, "{}", g.state_count());
        let mut codes: Vec<&str> = g
            .entities()
            .iter()
            .filter_map(|e| e.code.as_deref())
            .collect();
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n, "duplicate codes");
        for c in [
            "USA", "RUS", "FRA", "GBR", "CHN", "VAT", "PSE", "TWN", "XKX", "SSD", "TUR",
        ] {
            assert!(g.lookup(c).is_some(), "{c}");
        }
    }

    #[test]
    fn conflicting_alias_is_rejected() {
        let states = "AAA\tAland\tX\t\t\t\nBBB\tBland\tX\t\t\t\n";
        assert!(matches!(
            Gazetteer::parse(states, "", ""),
            Err(AnalysisError::Gazetteer { .. })
        ));
    }

    #[test]
    fn duplicate_code_is_rejected() {
        let states = "AAA\tAland\t\t\t\t\nAAA\tBland\t\t\t\t\n";
        assert!(Gazetteer::parse(states, "", "").is_err());
    }

    fn codes(g: &Gazetteer, text: &str) -> Vec<String> {
        g.find(text)
            .iter()
            .map(|m| {
                let e = g.entity(m.entity);
                e.code.clone().unwrap_or_else(|| e.name.clone())
            })
            .collect()
    }

    #[test]
    fn longest_and_whole_word_matching() {
        let g = Gazetteer::builtin();
        assert_eq!(
            codes(&g, "Papua New Guinea and Guinea-Bissau"),
            ["PNG", "GNB"]
        );
        assert_eq!(codes(&g, "South Sudan, not Sudan"), ["SSD", "SDN"]);
        assert_eq!(codes(&g, "Romania and Oman"), ["ROU", "OMN"]);
        assert_eq!(codes(&g, "Nigeria and Niger"), ["NGA", "NER"]);
        assert_eq!(codes(&g, "trade with Latin America and America"), ["USA"]);
        assert_eq!(codes(&g, "let us go to the US"), ["USA"]);
        assert_eq!(codes(&g, "the Kremlin's line"), ["RUS"]);
    }

    #[test]
    fn metonyms_and_organisations() {
        let g = Gazetteer::builtin();
        assert_eq!(
            codes(
                &g,
                "the White House, the State Department, Downing Street, the Elysee, the Élysée"
            ),
            ["USA", "USA", "GBR", "FRA", "FRA"]
        );
        assert_eq!(
            codes(&g, "the Quai d\u{2019}Orsay and the Quai d'Orsay"),
            ["FRA", "FRA"]
        );
        assert_eq!(
            codes(
                &g,
                "NATO, the U.N. Security Council, ECOWAS and the African Union"
            ),
            [
                "North Atlantic Treaty Organization",
                "United Nations",
                "Economic Community of West African States",
                "African Union"
            ]
        );
        assert_eq!(
            g.dateline("WASHINGTON").map(|i| g.entity(i).name.as_str()),
            Some("United States")
        );
    }
}
