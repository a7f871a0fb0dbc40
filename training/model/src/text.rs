//! Text normalisation and tokenisation: the only place that decides what a "word" is.

use unicode_normalization::UnicodeNormalization;

/// Normalises `text` into `out` (cleared first): NFKC, curly quotes and dashes folded to
/// ASCII, lowercased. ASCII input takes a fast path that skips NFKC.
pub fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    if text.is_ascii() {
        out.push_str(text);
        out.make_ascii_lowercase();
        return;
    }
    for c in text.nfkc() {
        match fold(c) {
            Some(f) => out.push(f),
            None => out.extend(c.to_lowercase()),
        }
    }
}

/// Convenience form of [`normalize_into`].
pub fn normalize(text: &str) -> String {
    let mut out = String::new();
    normalize_into(text, &mut out);
    out
}

fn fold(c: char) -> Option<char> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' | '\u{00B4}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{00AB}' | '\u{00BB}'
        | '\u{2033}' => '"',
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' => '-',
        '\u{00A0}' | '\u{2009}' | '\u{202F}' => ' ',
        _ => return None,
    })
}

/// What a token is, which decides how features treat it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// Letters and digits, with inner apostrophes, hyphens and dots kept ("don't", "so-called", "u.s").
    Word,
    /// A double quote: a sign of direct speech.
    Quote,
    /// Punctuation that ends a clause (, ; : . ! ? and brackets): ends negation scope.
    Break,
}

/// A token as a byte range of the normalised text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// Start byte offset.
    pub start: u32,
    /// End byte offset (exclusive).
    pub end: u32,
    /// Kind of token.
    pub kind: TokenKind,
}

impl Token {
    /// The token's text in `normalized`.
    pub fn text<'a>(&self, normalized: &'a str) -> &'a str {
        &normalized[self.start as usize..self.end as usize]
    }
}

/// Splits normalised text into tokens, appending to `out` (cleared first).
pub fn tokenize_into(normalized: &str, out: &mut Vec<Token>) {
    out.clear();
    let bytes = normalized.as_bytes();
    let is_word = |i: usize| -> bool {
        bytes
            .get(i)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b >= 0x80)
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if is_word(i) {
            let start = i;
            i += 1;
            loop {
                if is_word(i) {
                    i += 1;
                } else if matches!(bytes.get(i), Some(b'\'' | b'-' | b'.')) && is_word(i + 1) {
                    // Inner joiners keep "don't", "so-called", "u.s" and "3.5" whole.
                    i += 2;
                } else {
                    break;
                }
            }
            // A trailing dot of an abbreviation such as "u.s." stays outside the token.
            out.push(Token {
                start: start as u32,
                end: i as u32,
                kind: TokenKind::Word,
            });
            continue;
        }
        let kind = match b {
            b'"' => Some(TokenKind::Quote),
            b',' | b';' | b':' | b'.' | b'!' | b'?' | b'(' | b')' | b'[' | b']' => {
                Some(TokenKind::Break)
            }
            _ => None,
        };
        if let Some(kind) = kind {
            out.push(Token {
                start: i as u32,
                end: i as u32 + 1,
                kind,
            });
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let n = normalize(text);
        let mut toks = Vec::new();
        tokenize_into(&n, &mut toks);
        toks.iter().map(|t| t.text(&n).to_owned()).collect()
    }

    #[test]
    fn folds_quotes_dashes_and_case() {
        assert_eq!(
            normalize("\u{201C}Illegal\u{201D} \u{2014} Paris\u{2019}s VIEW"),
            "\"illegal\" - paris's view"
        );
        // NFKC folds compatibility forms such as the ligature and full-width letters.
        assert_eq!(normalize("\u{FB01}ne \u{FF21}"), "fine a");
    }

    #[test]
    fn keeps_contractions_hyphens_and_abbreviations() {
        assert_eq!(
            words("We don't accept this so-called vote, the U.S. said: \"No.\""),
            vec![
                "we",
                "don't",
                "accept",
                "this",
                "so-called",
                "vote",
                ",",
                "the",
                "u.s",
                ".",
                "said",
                ":",
                "\"",
                "no",
                ".",
                "\""
            ]
        );
        assert_eq!(
            words("3.5 per cent - de-escalate"),
            vec!["3.5", "per", "cent", "de-escalate"]
        );
    }
}
