//! Runs the real `stance-train` binary: bad data, the corpus check, the promotion gate, the
//! report, and the guarantee that the built-in model is what the committed corpus trains.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use stance_model::StanceModel;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stance-train"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn small_corpus() -> PathBuf {
    repo().join("training/model/tests/fixtures/small.jsonl")
}

fn run(cmd: &mut Command) -> (Output, String) {
    let out = cmd.output().expect("stance-train runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

fn train_small(out: &Path) {
    let (o, text) = run(bin()
        .args([
            "train",
            "--min-df",
            "1",
            "--max-features",
            "500",
            "--no-calibrate",
            "--data",
        ])
        .arg(small_corpus())
        .arg("--out")
        .arg(out));
    assert!(o.status.success(), "{text}");
}

#[test]
fn train_reports_a_bad_row_by_file_and_line_and_can_skip_it() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    let mut body = std::fs::read_to_string(small_corpus()).unwrap();
    body.push_str("{\"text\": \"The envoy spoke.\", \"label\": \"angry\"}\n");
    std::fs::write(&bad, body).unwrap();
    let out = dir.path().join("m.stance");
    let (o, text) = run(bin()
        .args(["train", "--min-df", "1", "--data"])
        .arg(&bad)
        .arg("--out")
        .arg(&out));
    assert!(!o.status.success());
    assert!(text.contains("bad.jsonl:49"), "{text}");
    assert!(
        text.contains("condemn, support, call_for_calm, neutral"),
        "{text}"
    );
    assert!(!out.exists());
    let (o, text) = run(bin()
        .args([
            "train",
            "--min-df",
            "1",
            "--max-features",
            "500",
            "--skip-invalid",
            "--data",
        ])
        .arg(&bad)
        .arg("--out")
        .arg(&out));
    assert!(o.status.success(), "{text}");
    assert!(text.contains("skipped 1 invalid rows"), "{text}");
    assert!(StanceModel::load(&out).is_ok());
}

#[test]
fn csv_data_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("rows.csv");
    let mut w = String::from("text,label\n");
    for line in std::fs::read_to_string(small_corpus()).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = v["text"].as_str().unwrap().replace('"', "\"\"");
        w.push_str(&format!("\"{text}\",{}\n", v["label"].as_str().unwrap()));
    }
    std::fs::write(&csv, w).unwrap();
    let out = dir.path().join("m.stance");
    let (o, text) = run(bin()
        .args(["train", "--min-df", "1", "--no-calibrate", "--data"])
        .arg(&csv)
        .arg("--out")
        .arg(&out));
    assert!(o.status.success(), "{text}");
}

#[test]
fn check_fails_on_duplicates_conflicts_near_duplicates_and_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.jsonl");
    std::fs::copy(small_corpus(), &good).unwrap();
    let (o, text) = run(bin().arg("check").arg(&good));
    assert!(o.status.success(), "{text}");
    assert!(text.contains("corpus check passed"));

    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        [
            r#"{"text": "Paris deplored the shelling of the port city on Monday.", "label": "condemn"}"#,
            r#"{"text": "Paris deplored the shelling of the port city on Monday.", "label": "condemn"}"#,
            r#"{"text": "The envoy will meet the rebels in Doha next week.", "label": "neutral"}"#,
            r#"{"text": "The envoy will meet the rebels in Doha next week.", "label": "call_for_calm"}"#,
            r#"{"text": "Rome deplored the shelling of the port city on Friday.", "label": "condemn"}"#,
            r#"{"text": "no label here"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let (o, text) = run(bin().arg("check").arg(&bad));
    assert!(!o.status.success());
    assert!(text.contains("DUPLICATE texts: 1"), "{text}");
    assert!(
        text.contains("CONFLICTING labels for the same text: 1"),
        "{text}"
    );
    assert!(text.contains("near-duplicates"), "{text}");
    assert!(text.contains("bad.jsonl:6"), "{text}");
    assert!(
        text.contains("bad.jsonl:1") && text.contains("bad.jsonl:2"),
        "{text}"
    );
}

#[test]
fn check_refuses_evaluation_sentences_in_the_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    std::fs::copy(small_corpus(), &corpus).unwrap();
    let eval = dir.path().join("eval.jsonl");
    std::fs::write(&eval, "{\"text\": \"Two diplomats said the council could meet on Thursday.\", \"label\": \"neutral\"}\n").unwrap();
    let (o, text) = run(bin().arg("check").arg(&corpus).arg("--eval").arg(&eval));
    assert!(!o.status.success());
    assert!(text.contains("holds an evaluation sentence"), "{text}");
}

#[test]
fn promotion_gate_accepts_better_and_refuses_worse() {
    let dir = tempfile::tempdir().unwrap();
    let weak = dir.path().join("weak.stance");
    train_small(&weak);
    let strong = dir.path().join("strong.stance");
    StanceModel::builtin().save(&strong).unwrap();
    let serving = dir.path().join("serving.stance");
    std::fs::copy(&weak, &serving).unwrap();

    // Worse candidate: refused with exit code 3, serving file untouched.
    let (o, text) = run(bin()
        .args(["promote", "--candidate"])
        .arg(&weak)
        .arg("--current")
        .arg(&strong)
        .arg("--target")
        .arg(&serving)
        .arg("--data")
        .arg(fixture("holdout.jsonl")));
    assert_eq!(o.status.code(), Some(3), "{text}");
    assert!(text.contains("refused"), "{text}");
    assert_eq!(
        std::fs::read(&serving).unwrap(),
        std::fs::read(&weak).unwrap()
    );

    // Better candidate: installed at the serving path.
    let (o, text) = run(bin()
        .args(["promote", "--candidate"])
        .arg(&strong)
        .arg("--current")
        .arg(&serving)
        .arg("--data")
        .arg(fixture("holdout.jsonl")));
    assert!(o.status.success(), "{text}");
    assert_eq!(
        std::fs::read(&serving).unwrap(),
        std::fs::read(&strong).unwrap()
    );

    // A corrupt candidate is never installed.
    let corrupt = dir.path().join("corrupt.stance");
    std::fs::write(&corrupt, &std::fs::read(&strong).unwrap()[..100]).unwrap();
    let (o, _) = run(bin()
        .args(["promote", "--candidate"])
        .arg(&corrupt)
        .arg("--current")
        .arg(&serving)
        .arg("--data")
        .arg(fixture("holdout.jsonl")));
    assert!(!o.status.success());
    assert_eq!(
        std::fs::read(&serving).unwrap(),
        std::fs::read(&strong).unwrap()
    );
}

#[test]
fn eval_writes_json_and_an_html_report() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    let (o, text) = run(bin()
        .args(["eval", "--json", "--data"])
        .arg(fixture("holdout.jsonl"))
        .arg("--report")
        .arg(&html));
    assert!(o.status.success(), "{text}");
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["rows"], 20);
    assert!(json["macro_f1"].as_f64().unwrap() > 0.5);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && page.contains("Reliability diagram"));
}

/// The default model embedded in the binaries must be exactly what `stance-train train`
/// makes of the committed corpus, with the settings and time recorded in it.
#[test]
fn builtin_model_is_reproduced_by_retraining_the_committed_corpus() {
    let builtin = StanceModel::builtin();
    let info = builtin.info();
    let h = &info.hyperparameters;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("default.stance");
    let mut cmd = bin();
    cmd.arg("train")
        .arg("--data")
        .arg(repo().join("training/data"))
        .arg("--out")
        .arg(&out);
    cmd.args(["--trained-at", &info.trained_at]);
    for key in [
        "algorithm",
        "alpha",
        "smoothing",
        "max_iterations",
        "max_features",
        "min_df",
        "seed",
        "word_ngrams",
        "negation_scope",
    ] {
        if let Some(v) = h.get(key) {
            cmd.arg(format!("--{}", key.replace('_', "-"))).arg(v);
        }
    }
    if h.get("calibrate").map(String::as_str) == Some("false") {
        cmd.arg("--no-calibrate");
    }
    if h.get("cues").map(String::as_str) == Some("false") {
        cmd.arg("--no-cues");
    }
    let (o, text) = run(&mut cmd);
    assert!(o.status.success(), "{text}");
    let retrained = StanceModel::load(&out).unwrap();
    assert_eq!(
        retrained.version(),
        builtin.version(),
        "the committed corpus no longer trains the built-in model: retrain it (see README)"
    );
    assert_eq!(std::fs::read(&out).unwrap(), stance_model::DEFAULT_MODEL);
}
