//! Sentence and quote splitting.
//!
//! A statement is a sentence, with one exception: a quotation that spans several sentences
//! stays whole, together with its attribution (`"It is illegal. It is unacceptable," she
//! said.` is one statement), because the attribution clause is what names its speaker.
//!
//! Rules, in order:
//! - Lines are blocks: a headline or dateline line without final punctuation ends where its
//!   line ends. A line ending in a lowercase letter or comma followed by a line starting in
//!   lowercase is taken as a hard wrap and joined.
//! - `.`, `!`, `?` and `…`, followed by closing quotes or brackets, whitespace and an
//!   uppercase letter, digit or opening quote end a sentence, unless the period belongs to an
//!   abbreviation (titles such as Mr., Gen., Sen.; months such as Jan.; US state
//!   abbreviations such as Colo.), an initial ("George W. Bush"), or a dotted acronym
//!   ("U.S.", "U.N.") that is not followed by a typical sentence opener ("The", "He", ...).
//! - Decimals ("3.5") never split because no whitespace follows the period.
//! - A period inside a closed quotation does not split, except right before the closing
//!   mark. An unclosed quotation (the news convention for a quote continuing into the next
//!   paragraph) is ignored for splitting.

/// One sentence (statement span) of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sentence {
    /// Byte offset of the first byte (never whitespace).
    pub start: usize,
    /// Byte offset one past the last byte (never whitespace); `&text[start..end]` is the sentence.
    pub end: usize,
    /// 0-based index of the block (line or paragraph) the sentence is in.
    pub block: usize,
}

/// A quoted span: from the opening mark to one past the closing mark (or to the end of
/// its block when the quotation is not closed there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
    /// Byte offset of the opening mark.
    pub start: usize,
    /// Byte offset one past the closing mark.
    pub end: usize,
    /// Whether a closing mark was found in the block.
    pub closed: bool,
}

/// Sentences and quotations of a text.
#[derive(Clone, Debug, Default)]
pub struct Split {
    /// Sentences in text order.
    pub sentences: Vec<Sentence>,
    /// Quotations in text order.
    pub quotes: Vec<Quote>,
}

/// Splits `text` into sentences and quotations.
pub fn split(text: &str) -> Split {
    let mut out = Split::default();
    split_into(text, &mut out);
    out
}

/// Like [`split`], reusing the vectors of `out` (cleared first).
pub fn split_into(text: &str, out: &mut Split) {
    out.sentences.clear();
    out.quotes.clear();
    for (block, (bs, be)) in blocks(text).enumerate() {
        let q0 = out.quotes.len();
        find_quotes(text, bs, be, &mut out.quotes);
        split_block(text, bs, be, block, &out.quotes[q0..], &mut out.sentences);
    }
}

/// Yields (start, end) of non-empty blocks: lines, with hard-wrapped lines joined.
fn blocks(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = text.as_bytes();
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        loop {
            if pos >= bytes.len() {
                return None;
            }
            let start = pos;
            let mut end;
            loop {
                end = memchr_nl(bytes, pos);
                pos = (end + 1).min(bytes.len());
                // Join a hard wrap: this line ends in [a-z,] and the next starts in [a-z].
                let line = text[start..end].trim_end();
                let last = line.bytes().last();
                let next = text[pos.min(bytes.len())..].bytes().next();
                let wrap = matches!(last, Some(b'a'..=b'z' | b',' | b';'))
                    && matches!(next, Some(b'a'..=b'z'));
                if !(wrap && end < bytes.len()) {
                    break;
                }
            }
            let (s, e) = trim(text, start, end);
            if s < e {
                return Some((s, e));
            }
        }
    })
}

fn memchr_nl(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| from + p)
}

fn trim(text: &str, mut s: usize, mut e: usize) -> (usize, usize) {
    let t = &text[s..e];
    let lead = t.len() - t.trim_start().len();
    s += lead;
    let t = &text[s..e];
    e = s + t.trim_end().len();
    (s, e)
}

fn is_open_quote(c: char) -> bool {
    matches!(c, '\u{201C}' | '\u{00AB}' | '\u{201E}')
}

fn is_close_quote(c: char) -> bool {
    matches!(c, '\u{201D}' | '\u{00BB}')
}

/// Finds quotations in one block. Straight double quotes alternate open/close; curly and
/// guillemet marks are directional.
fn find_quotes(text: &str, bs: usize, be: usize, out: &mut Vec<Quote>) {
    let mut open: Option<usize> = None;
    for (i, c) in text[bs..be].char_indices() {
        let at = bs + i;
        match c {
            '"' => match open {
                Some(s) => {
                    out.push(Quote {
                        start: s,
                        end: at + 1,
                        closed: true,
                    });
                    open = None;
                }
                None => open = Some(at),
            },
            c if is_open_quote(c) && open.is_none() => open = Some(at),
            c if is_close_quote(c) => {
                if let Some(s) = open.take() {
                    out.push(Quote {
                        start: s,
                        end: at + c.len_utf8(),
                        closed: true,
                    });
                }
            }
            _ => {}
        }
    }
    if let Some(s) = open {
        out.push(Quote {
            start: s,
            end: be,
            closed: false,
        });
    }
}

/// Titles, months and other abbreviations after which a period does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "Mr", "Mrs", "Ms", "Dr", "Gen", "Lt", "Col", "Maj", "Capt", "Sgt", "Cpl", "Pvt", "Adm", "Gov",
    "Sen", "Rep", "Rev", "Prof", "St", "Jr", "Sr", "Amb", "Brig", "Cmdr", "Cdr", "Pres", "Hon",
    "Mt", "Ft", "No", "Nos", "Vol", "vs", "Inc", "Ltd", "Co", "Corp", "Messrs", "Mme", "Mlle",
    "Dept", "Govt", "Sec", "Gens", "Supt", "Insp", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug",
    "Sep", "Sept", "Oct", "Nov", "Dec", "Ala", "Ariz", "Ark", "Calif", "Colo", "Conn", "Del",
    "Fla", "Ga", "Ill", "Ind", "Kan", "Ky", "La", "Md", "Mass", "Mich", "Minn", "Miss", "Mo",
    "Mont", "Neb", "Nev", "Okla", "Ore", "Pa", "Tenn", "Tex", "Va", "Vt", "Wash", "Wis", "Wyo",
    "approx", "est", "cf", "e.g", "i.e", "Ave", "Blvd", "Fig",
];

/// Words that typically open a sentence; after a dotted acronym ("U.S.") they signal that
/// the acronym ended the sentence.
const SENTENCE_OPENERS: &[&str] = &[
    "The",
    "A",
    "An",
    "He",
    "She",
    "It",
    "They",
    "We",
    "I",
    "You",
    "This",
    "That",
    "These",
    "Those",
    "His",
    "Her",
    "Its",
    "Their",
    "Our",
    "But",
    "And",
    "In",
    "On",
    "At",
    "After",
    "Before",
    "Meanwhile",
    "However",
    "There",
    "Officials",
    "Some",
    "Many",
    "Most",
    "No",
    "Asked",
    "Earlier",
    "Later",
    "Separately",
    "While",
    "When",
    "As",
    "If",
    "Since",
    "Speaking",
];

fn split_block(
    text: &str,
    bs: usize,
    be: usize,
    block: usize,
    quotes: &[Quote],
    out: &mut Vec<Sentence>,
) {
    let bytes = text.as_bytes();
    let mut sent_start = bs;
    let mut iter = text[bs..be].char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let at = bs + i;
        if !matches!(c, '.' | '!' | '?' | '\u{2026}') {
            continue;
        }
        // Swallow repeated terminators ("?!", "...") and closing quotes or brackets.
        let mut j = at + c.len_utf8();
        while j < be {
            let ch = text[j..].chars().next().expect("j < be is a char boundary");
            if matches!(ch, '.' | '!' | '?' | '\u{2026}' | '"' | '\'' | ')' | ']')
                || is_close_quote(ch)
                || ch == '\u{2019}'
            {
                j += ch.len_utf8();
            } else {
                break;
            }
        }
        // Need whitespace, then an uppercase letter, digit, opening quote or bracket.
        let mut k = j;
        while k < be && (bytes[k] == b' ' || bytes[k] == b'\t') {
            k += 1;
        }
        if k == j || k >= be {
            continue;
        }
        let next = text[k..].chars().next().expect("k < be");
        if !(next.is_uppercase()
            || next.is_ascii_digit()
            || next == '"'
            || next == '('
            || is_open_quote(next)
            || next == '\u{2018}')
        {
            continue;
        }
        if c == '.' && !period_ends_sentence(text, bs, at, k) {
            continue;
        }
        // Inside a closed quotation, only a terminator right before the closing mark splits.
        if quotes
            .iter()
            .any(|q| q.closed && q.start < at && at < q.end && j < q.end)
        {
            continue;
        }
        let (s, e) = trim(text, sent_start, j);
        if s < e {
            out.push(Sentence {
                start: s,
                end: e,
                block,
            });
        }
        sent_start = k;
        // Skip the iterator past j.
        while iter.peek().is_some_and(|&(ii, _)| bs + ii < k) {
            iter.next();
        }
    }
    let (s, e) = trim(text, sent_start, be);
    if s < e {
        out.push(Sentence {
            start: s,
            end: e,
            block,
        });
    }
}

/// Whether the period at `at` ends a sentence, given that the next word starts at `next`.
fn period_ends_sentence(text: &str, block_start: usize, at: usize, next: usize) -> bool {
    // The word before the period: back to whitespace or an opening mark.
    let before = &text[block_start..at];
    let word_start = before
        .char_indices()
        .rev()
        .find(|&(_, ch)| ch.is_whitespace() || ch == '(' || ch == '"' || is_open_quote(ch))
        .map_or(0, |(i, ch)| i + ch.len_utf8());
    let word = &before[word_start..];
    if word.is_empty() {
        return true;
    }
    if ABBREVIATIONS.contains(&word) {
        return false;
    }
    let mut chars = word.chars();
    let first = chars.next().expect("non-empty");
    // An initial: "W." in "George W. Bush".
    if first.is_uppercase() && chars.next().is_none() {
        return false;
    }
    // A dotted acronym such as "U.S" or "a.m": split only before a typical opener.
    if word.contains('.') && word.split('.').all(|p| p.chars().count() <= 2) {
        let next_word: &str = text[next..]
            .split(|ch: char| !ch.is_alphanumeric())
            .next()
            .unwrap_or("");
        return SENTENCE_OPENERS.contains(&next_word);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<&str> {
        split(text)
            .sentences
            .iter()
            .map(|s| &text[s.start..s.end])
            .collect()
    }

    #[test]
    fn abbreviations_titles_and_initials_do_not_split() {
        let t = "Mr. Smith met Gen. Ortiz and Sen. Lee on Jan. 5 in Washington, D.C. The talks \
                 ended. George W. Bush spoke later.";
        assert_eq!(
            texts(t),
            [
                "Mr. Smith met Gen. Ortiz and Sen. Lee on Jan. 5 in Washington, D.C.",
                "The talks ended.",
                "George W. Bush spoke later."
            ]
        );
    }

    #[test]
    fn dotted_acronyms_split_only_before_an_opener() {
        let t = "The U.S. Secretary of State spoke to the U.N. Security Council. He left for \
                 the U.S. The talks resumed.";
        assert_eq!(
            texts(t),
            [
                "The U.S. Secretary of State spoke to the U.N. Security Council.",
                "He left for the U.S.",
                "The talks resumed."
            ]
        );
    }

    #[test]
    fn decimals_and_numbers() {
        let t = "Growth was 3.5 percent. 12 people died.";
        assert_eq!(texts(t), ["Growth was 3.5 percent.", "12 people died."]);
    }

    #[test]
    fn quote_spanning_sentences_stays_whole() {
        let t = "\u{201C}This is illegal. It is unacceptable,\u{201D} she said. Talks went on.";
        assert_eq!(
            texts(t),
            [
                "\u{201C}This is illegal. It is unacceptable,\u{201D} she said.",
                "Talks went on."
            ]
        );
        let t = "\"We condemn it. We reject it,\" Colonna said. \"We will act.\" Talks went on.";
        assert_eq!(
            texts(t),
            [
                "\"We condemn it. We reject it,\" Colonna said.",
                "\"We will act.\"",
                "Talks went on."
            ]
        );
    }

    #[test]
    fn headlines_and_datelines_are_their_own_blocks() {
        let t = "France condemns offensive\n\nPARIS \u{2014} France spoke. It was late\nOther line";
        let s = split(t);
        assert_eq!(
            texts(t),
            [
                "France condemns offensive",
                "PARIS \u{2014} France spoke.",
                "It was late",
                "Other line"
            ]
        );
        assert_eq!(s.sentences[0].block, 0);
        assert_eq!(s.sentences[1].block, 1);
        assert_eq!(s.sentences[3].block, 2);
    }

    #[test]
    fn hard_wrapped_lines_are_joined() {
        let t = "The minister said the strikes\nwere illegal. Then he left.";
        assert_eq!(
            texts(t),
            [
                "The minister said the strikes\nwere illegal.",
                "Then he left."
            ]
        );
    }

    #[test]
    fn offsets_slice_exactly_with_multibyte_text() {
        let t = "  Türkiye\u{2019}s président spoke. « Non. » Élysée said. \n";
        let s = split(t);
        for x in &s.sentences {
            let slice = &t[x.start..x.end];
            assert_eq!(slice, slice.trim());
            assert!(!slice.is_empty());
        }
        // French spacing inside guillemets ("Non. »") keeps the quote with what follows.
        assert_eq!(s.sentences.len(), 2);
        assert_eq!(s.quotes.len(), 1);
    }

    #[test]
    fn unclosed_quote_does_not_swallow_the_paragraph() {
        let t = "\u{201C}We will not stop. Never. The fight goes on.";
        assert_eq!(texts(t).len(), 3);
        assert!(!split(t).quotes[0].closed);
    }
}
