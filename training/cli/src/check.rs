//! `stance-train check`: the corpus check that guards `training/data`.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use stance_model::Stance;
use stance_model::data::{self, Example, text_key};

/// `stance-train check`.
#[derive(Args)]
pub(crate) struct CheckArgs {
    /// Corpus files or directories.
    #[arg(
        env = "STANCE_CHECK_PATHS",
        value_delimiter = ',',
        default_value = "training/data"
    )]
    paths: Vec<PathBuf>,
    /// Evaluation files whose sentences must not appear in the corpus (checked when given).
    #[arg(long, env = "STANCE_CHECK_EVAL", value_delimiter = ',')]
    eval: Vec<PathBuf>,
    /// How many offending rows to list per problem.
    #[arg(long, env = "STANCE_CHECK_SHOW", default_value_t = 20)]
    show: usize,
}

/// Masks what varies between template copies: capitalised words, numbers; lowercases the rest.
pub(crate) fn skeleton(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut lowered = Vec::new();
    for raw in
        text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '"' | '(' | ')'))
    {
        let w = raw.trim_matches(|c: char| !c.is_alphanumeric());
        if w.is_empty() {
            continue;
        }
        let masked = w.chars().next().is_some_and(|c| c.is_uppercase())
            || w.chars().any(|c| c.is_ascii_digit());
        if masked {
            if out.last() != Some(&"#") {
                out.push("#");
            }
        } else {
            lowered.push(w.to_lowercase());
            out.push("");
        }
    }
    let mut it = lowered.into_iter();
    out.into_iter()
        .map(|s| {
            if s.is_empty() {
                it.next().unwrap_or_default()
            } else {
                s.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn place(e: &Example) -> String {
    format!("{}:{}", e.path.display(), e.line)
}

pub(crate) fn run(a: CheckArgs) -> Result<ExitCode> {
    let loaded = data::load(&a.paths, true).context("reading the corpus")?;
    let rows = &loaded.examples;
    let mut failures = 0usize;

    println!(
        "corpus: {} rows in {}",
        rows.len(),
        a.paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut per_label = [0usize; 4];
    let mut per_file: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    let mut topics: BTreeMap<&str, usize> = BTreeMap::new();
    let mut hard = 0;
    for e in rows {
        per_label[e.label.index()] += 1;
        per_file.entry(e.path.display().to_string()).or_default()[e.label.index()] += 1;
        if let Some(t) = &e.topic {
            *topics.entry(t.as_str()).or_default() += 1;
        }
        hard += e.hard as usize;
    }
    println!("\nper label:");
    for l in Stance::ALL {
        println!("  {:<14} {:>6}", l.as_str(), per_label[l.index()]);
    }
    let width = per_file.keys().map(|f| f.len()).max().unwrap_or(0).max(8);
    println!(
        "\n  {:<width$} condemn support call_for_calm neutral",
        "per file"
    );
    for (f, c) in &per_file {
        println!(
            "  {f:<width$} {:>7} {:>7} {:>13} {:>7}",
            c[0], c[1], c[2], c[3]
        );
    }
    let (train_rows, test_rows) = data::split(rows);
    println!(
        "\ntopics: {}   hard cases: {} ({:.1}%)   test split: {} rows, train split: {} rows",
        topics.len(),
        hard,
        100.0 * hard as f64 / rows.len().max(1) as f64,
        test_rows.len(),
        train_rows.len()
    );

    let mut lengths: Vec<usize> = rows
        .iter()
        .map(|e| e.text.split_whitespace().count())
        .collect();
    lengths.sort_unstable();
    if !lengths.is_empty() {
        let q = |p: f64| lengths[((lengths.len() - 1) as f64 * p).round() as usize];
        println!(
            "length in words: min {} p10 {} median {} p90 {} max {}",
            q(0.0),
            q(0.1),
            q(0.5),
            q(0.9),
            q(1.0)
        );
        let buckets = [
            (1, 4),
            (5, 9),
            (10, 19),
            (20, 29),
            (30, 49),
            (50, 70),
            (71, usize::MAX),
        ];
        let hist: Vec<String> = buckets
            .iter()
            .map(|&(lo, hi)| {
                let n = lengths.iter().filter(|&&l| l >= lo && l <= hi).count();
                if hi == usize::MAX {
                    format!(">{}: {n}", lo - 1)
                } else {
                    format!("{lo}-{hi}: {n}")
                }
            })
            .collect();
        println!("  {}", hist.join("  "));
    }
    let out_of_range: Vec<&Example> = rows
        .iter()
        .filter(|e| !(5..=70).contains(&e.text.split_whitespace().count()))
        .collect();

    // Malformed rows.
    if !loaded.skipped.is_empty() {
        failures += loaded.skipped.len();
        println!("\nMALFORMED rows: {}", loaded.skipped.len());
        for e in loaded.skipped.iter().take(a.show) {
            println!("  {e}");
        }
    }

    // Exact duplicates and conflicts.
    let mut by_key: HashMap<String, Vec<&Example>> = HashMap::new();
    for e in rows {
        by_key.entry(text_key(&e.text)).or_default().push(e);
    }
    let mut groups: Vec<&Vec<&Example>> = by_key.values().filter(|g| g.len() > 1).collect();
    groups.sort_by_key(|g| (g[0].path.clone(), g[0].line));
    let (conflicts, dups): (Vec<_>, Vec<_>) = groups
        .into_iter()
        .partition(|g| g.iter().any(|e| e.label != g[0].label));
    for (name, list) in [
        ("DUPLICATE texts", &dups),
        ("CONFLICTING labels for the same text", &conflicts),
    ] {
        if !list.is_empty() {
            failures += list.len();
            println!("\n{name}: {}", list.len());
            for g in list.iter().take(a.show) {
                let places: Vec<String> = g
                    .iter()
                    .map(|e| format!("{} ({})", place(e), e.label))
                    .collect();
                println!("  {}  {:?}", places.join(", "), g[0].text);
            }
        }
    }

    // Near-duplicates: same skeleton, different text.
    let mut by_skeleton: HashMap<String, Vec<&Example>> = HashMap::new();
    for e in rows {
        by_skeleton.entry(skeleton(&e.text)).or_default().push(e);
    }
    let mut near: Vec<&Vec<&Example>> = by_skeleton
        .values()
        .filter(|g| g.len() > 1 && g.iter().any(|e| text_key(&e.text) != text_key(&g[0].text)))
        .collect();
    near.sort_by_key(|g| (g[0].path.clone(), g[0].line));
    let near_rows: usize = near.iter().map(|g| g.len()).sum();
    println!(
        "\nnear-duplicates (same skeleton once names and numbers are masked): {} groups, {} rows ({:.2}% of rows)",
        near.len(),
        near_rows,
        100.0 * near_rows as f64 / rows.len().max(1) as f64
    );
    if !near.is_empty() {
        failures += near.len();
        for g in near.iter().take(a.show) {
            let places: Vec<String> = g.iter().map(|e| place(e)).collect();
            println!("  {}  {:?}", places.join(", "), g[0].text);
        }
    }

    if !out_of_range.is_empty() {
        println!("\nnote: {} rows outside 5-70 words:", out_of_range.len());
        for e in out_of_range.iter().take(a.show) {
            println!("  {}  {:?}", place(e), e.text);
        }
    }

    // Evaluation sentences must never be in the corpus.
    if !a.eval.is_empty() {
        let eval = data::load(&a.eval, true).context("reading evaluation files")?;
        let keys: HashMap<String, &Example> = eval
            .examples
            .iter()
            .map(|e| (text_key(&e.text), e))
            .collect();
        let leaked: Vec<&Example> = rows
            .iter()
            .filter(|e| keys.contains_key(&text_key(&e.text)))
            .collect();
        println!(
            "\nevaluation overlap with {} evaluation rows: {}",
            eval.examples.len(),
            leaked.len()
        );
        if !leaked.is_empty() {
            failures += leaked.len();
            for e in leaked.iter().take(a.show) {
                println!("  {} holds an evaluation sentence", place(e));
            }
        }
    }

    if failures > 0 {
        println!("\ncorpus check FAILED: {failures} problems");
        Ok(ExitCode::FAILURE)
    } else {
        println!("\ncorpus check passed");
        Ok(ExitCode::SUCCESS)
    }
}

#[cfg(test)]
mod tests {
    use super::skeleton;

    #[test]
    fn skeleton_masks_names_and_numbers() {
        assert_eq!(
            skeleton("France condemned the 2022 attack on Kyiv, officials said."),
            skeleton("Germany condemned the 1999 attack on Belgrade, officials said.")
        );
        assert_ne!(
            skeleton("France condemned the attack."),
            skeleton("France welcomed the truce.")
        );
        assert_eq!(skeleton("The U.N. Secretary-General spoke"), "# spoke");
    }
}
