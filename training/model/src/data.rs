//! Labelled rows from JSON Lines and CSV files, the fixed test split, and the merge rule for
//! rows that repeat.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{ModelError, Result};
use crate::stance::{LABEL_NAMES, Stance};
use crate::text::normalize;

/// One labelled statement and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    /// The statement.
    pub text: String,
    /// Its label.
    pub label: Stance,
    /// Second labels that also count as right in evaluation.
    pub also: Vec<Stance>,
    /// Conflict or dispute slug, when the file gives one.
    pub topic: Option<String>,
    /// Marked as a hard case by the author.
    pub hard: bool,
    /// File of the row.
    pub path: PathBuf,
    /// 1-based line of the row.
    pub line: usize,
}

/// Rows read from files, plus the rows skipped under `skip_invalid`.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Valid rows in file order.
    pub examples: Vec<Example>,
    /// Errors of skipped rows.
    pub skipped: Vec<ModelError>,
}

#[derive(Deserialize)]
struct JsonRow {
    text: Option<serde_json::Value>,
    label: Option<serde_json::Value>,
    #[serde(default)]
    also: Vec<String>,
    #[serde(default)]
    topic: Option<String>,
    #[serde(default)]
    hard: bool,
}

/// Expands directories into their `.jsonl` and `.csv` files (sorted, not recursive) and keeps
/// files as given.
///
/// # Errors
/// A path that does not exist or a directory that cannot be read.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| ModelError::io(p, e))?;
        if meta.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| ModelError::io(p, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    matches!(
                        f.extension().and_then(|e| e.to_str()),
                        Some("jsonl" | "csv")
                    )
                })
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Reads every row of `paths` (files or directories). A malformed row is an error naming its
/// file and line, unless `skip_invalid`, which collects it in [`Loaded::skipped`].
///
/// # Errors
/// I/O errors, malformed rows (without `skip_invalid`), an empty file.
pub fn load(paths: &[PathBuf], skip_invalid: bool) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    for path in expand_paths(paths)? {
        let text = std::fs::read_to_string(&path).map_err(|e| ModelError::io(&path, e))?;
        let before = loaded.examples.len() + loaded.skipped.len();
        let is_csv = path.extension().and_then(|e| e.to_str()) == Some("csv");
        let rows = if is_csv {
            parse_csv(&path, &text)?
        } else {
            parse_jsonl(&path, &text)
        };
        for row in rows {
            match row {
                Ok(ex) => loaded.examples.push(ex),
                Err(e) if skip_invalid => loaded.skipped.push(e),
                Err(e) => return Err(e),
            }
        }
        if loaded.examples.len() + loaded.skipped.len() == before {
            return Err(ModelError::BadData(format!(
                "{} holds no rows",
                path.display()
            )));
        }
    }
    Ok(loaded)
}

fn bad(path: &Path, line: usize, message: impl Into<String>) -> ModelError {
    ModelError::BadRow {
        path: path.to_owned(),
        line,
        message: message.into(),
    }
}

fn parse_label(path: &Path, line: usize, field: &str, s: &str) -> Result<Stance> {
    s.parse::<Stance>().map_err(|_| {
        bad(
            path,
            line,
            format!("unknown {field} {s:?} (allowed: {LABEL_NAMES})"),
        )
    })
}

fn check_text(path: &Path, line: usize, text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(bad(path, line, "empty \"text\""));
    }
    Ok(())
}

fn parse_jsonl(path: &Path, text: &str) -> Vec<Result<Example>> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        out.push((|| {
            let row: JsonRow = serde_json::from_str(raw)
                .map_err(|e| bad(path, line, format!("not a JSON object: {e}")))?;
            let text = match row.text {
                Some(serde_json::Value::String(s)) => s,
                Some(_) => return Err(bad(path, line, "\"text\" is not a string")),
                None => return Err(bad(path, line, "missing \"text\"")),
            };
            check_text(path, line, &text)?;
            let label = match row.label {
                Some(serde_json::Value::String(s)) => parse_label(path, line, "label", &s)?,
                Some(_) => return Err(bad(path, line, "\"label\" is not a string")),
                None => {
                    return Err(bad(
                        path,
                        line,
                        format!("missing \"label\" (allowed: {LABEL_NAMES})"),
                    ));
                }
            };
            let also = row
                .also
                .iter()
                .map(|s| parse_label(path, line, "also label", s))
                .collect::<Result<Vec<_>>>()?;
            Ok(Example {
                text,
                label,
                also,
                topic: row.topic,
                hard: row.hard,
                path: path.to_owned(),
                line,
            })
        })());
    }
    out
}

fn parse_csv(path: &Path, text: &str) -> Result<Vec<Result<Example>>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| bad(path, 1, format!("unreadable CSV header: {e}")))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(ti), Some(li)) = (col("text"), col("label")) else {
        return Err(bad(
            path,
            1,
            "CSV header must name the columns \"text\" and \"label\"",
        ));
    };
    let mut out = Vec::new();
    for record in reader.records() {
        out.push(match record {
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                Err(bad(path, line, format!("unreadable CSV row: {e}")))
            }
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line() as usize);
                match (r.get(ti), r.get(li)) {
                    (Some(text), Some(label)) => check_text(path, line, text).and_then(|()| {
                        Ok(Example {
                            text: text.to_owned(),
                            label: parse_label(path, line, "label", label.trim())?,
                            also: Vec::new(),
                            topic: None,
                            hard: false,
                            path: path.to_owned(),
                            line,
                        })
                    }),
                    _ => Err(bad(path, line, "row has fewer columns than the header")),
                }
            }
        });
    }
    Ok(out)
}

/// Key under which rows count as the same statement: normalised text, whitespace folded.
pub fn text_key(text: &str) -> String {
    normalize(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Share of rows, in percent, that fall in the fixed test split.
pub const TEST_PERCENT: u64 = 15;

/// Whether a statement belongs to the fixed test split: decided by a hash of its normalised
/// text, so it never changes as files are added, reordered or merged.
pub fn is_test(text: &str) -> bool {
    let d = Sha256::digest(text_key(text).as_bytes());
    u64::from_le_bytes(d[..8].try_into().expect("8 bytes")) % 100 < TEST_PERCENT
}

/// Splits rows into (train, test) by [`is_test`].
pub fn split(examples: &[Example]) -> (Vec<Example>, Vec<Example>) {
    examples.iter().cloned().partition(|e| !is_test(&e.text))
}

/// Removes repeated statements. Rows are keyed by [`text_key`]; when the same statement
/// appears more than once, the **last** row wins, so files given later (feedback after the
/// corpus, a newer feedback file after an older one) correct earlier labels. Returns the rows
/// kept, in first-seen order, and how many duplicates and label conflicts were resolved.
pub fn dedupe(examples: Vec<Example>) -> (Vec<Example>, usize, usize) {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut kept: Vec<Example> = Vec::new();
    let (mut dups, mut conflicts) = (0, 0);
    for ex in examples {
        match index.get(&text_key(&ex.text)) {
            Some(&i) => {
                if kept[i].label == ex.label {
                    dups += 1;
                } else {
                    conflicts += 1;
                }
                kept[i] = ex;
            }
            None => {
                index.insert(text_key(&ex.text), kept.len());
                kept.push(ex);
            }
        }
    }
    (kept, dups, conflicts)
}

/// SHA-256 over the rows' texts and labels in order: names the data a model was trained on.
pub fn data_hash(examples: &[Example]) -> String {
    let mut h = Sha256::new();
    for e in examples {
        h.update(e.text.as_bytes());
        h.update([0]);
        h.update(e.label.as_str().as_bytes());
        h.update([b'\n']);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Draws `n` rows with replacement (seeded, reproducible): used to measure fitting at a
/// larger scale than the corpus.
pub fn resample(examples: &[Example], n: usize, seed: u64) -> Vec<Example> {
    if examples.is_empty() {
        return Vec::new();
    }
    // splitmix64: tiny, seeded, and the same on every platform.
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (0..n)
        .map(|_| examples[(next() % examples.len() as u64) as usize].clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(dir: &Path, name: &str, body: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        p
    }

    #[test]
    fn bad_rows_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(
            dir.path(),
            "a.jsonl",
            "{\"text\": \"Paris deplored the raid.\", \"label\": \"condemn\"}\n{\"text\": \"x\", \"label\": \"angry\"}\n",
        );
        let err = load(std::slice::from_ref(&p), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("a.jsonl:2"), "{err}");
        assert!(err.contains("call_for_calm"), "lists allowed labels: {err}");
        let loaded = load(&[p], true).unwrap();
        assert_eq!((loaded.examples.len(), loaded.skipped.len()), (1, 1));
    }

    #[test]
    fn csv_and_empty_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(
            dir.path(),
            "b.csv",
            "text,label\n\"Both sides must talk, he said.\",call_for_calm\n,neutral\n",
        );
        let err = load(std::slice::from_ref(&p), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("b.csv:3") && err.contains("empty"), "{err}");
        let e = file(dir.path(), "c.jsonl", "\n");
        assert!(matches!(load(&[e], false), Err(ModelError::BadData(_))));
        let h = file(dir.path(), "d.csv", "sentence,stance\nx,neutral\n");
        assert!(
            load(&[h], false)
                .unwrap_err()
                .to_string()
                .contains("d.csv:1")
        );
    }

    #[test]
    fn split_is_stable_and_dedupe_keeps_last() {
        assert_eq!(
            is_test("Ankara hailed the operation."),
            is_test("ANKARA  hailed the operation.")
        );
        let ex = |t: &str, l: Stance| Example {
            text: t.into(),
            label: l,
            also: vec![],
            topic: None,
            hard: false,
            path: PathBuf::new(),
            line: 1,
        };
        let (kept, dups, conflicts) = dedupe(vec![
            ex("A said B.", Stance::Neutral),
            ex("C.", Stance::Support),
            ex("a said b.", Stance::Condemn),
            ex("C.", Stance::Support),
        ]);
        assert_eq!((dups, conflicts), (1, 1));
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].label, Stance::Condemn);
    }
}
