//! Public-API tests of stance-model: round trip, determinism, corrupt files, bad data.

use std::path::PathBuf;

use stance_model::artifact::{FORMAT_VERSION, MAGIC};
use stance_model::data::{self, Example};
use stance_model::train::{self, TrainParams};
use stance_model::{ModelError, Stance, StanceModel};

fn fixture() -> Vec<Example> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small.jsonl");
    data::load(&[p], false).expect("fixture loads").examples
}

fn small_params() -> stance_model::train::ValidTrainParams {
    let mut p = TrainParams::default();
    p.0.min_df = 1;
    p.0.max_features = 500;
    p.0.calibrate = false;
    p.check().expect("valid")
}

fn fit_small() -> StanceModel {
    train::fit(
        &fixture(),
        &small_params(),
        "2026-01-01T00:00:00Z",
        &mut |_| {},
    )
    .expect("fits")
}

#[test]
fn fits_the_fixture_and_learns_it() {
    let model = fit_small();
    let report = train::score(&model, &fixture());
    assert!(
        report.accuracy > 0.9,
        "training accuracy {}",
        report.accuracy
    );
    assert_eq!(model.info().labels, Stance::ALL.to_vec());
    assert_eq!(model.info().training_rows, 48);
    let p = model.predict("We urge both sides to exercise restraint and return to talks.");
    assert_eq!(p.stance, Stance::CallForCalm);
    assert!((p.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-5);
}

#[test]
fn save_and_load_give_the_same_model() {
    let model = fit_small();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.stance");
    model.save(&path).unwrap();
    let loaded = StanceModel::load(&path).unwrap();
    assert_eq!(loaded.info(), model.info());
    assert_eq!(loaded.to_bytes(), model.to_bytes());
    for e in fixture() {
        assert_eq!(loaded.predict(&e.text), model.predict(&e.text));
    }
    // Batch answers equal single answers, in order, above the parallel threshold too.
    let texts: Vec<String> = (0..200)
        .map(|i| format!("{} {i}", fixture()[i % 48].text))
        .collect();
    let batch = loaded.predict_batch(&texts);
    for (t, p) in texts.iter().zip(batch) {
        assert_eq!(loaded.predict(t), p);
    }
}

#[test]
fn same_data_settings_and_time_give_identical_bytes() {
    assert_eq!(fit_small().to_bytes(), fit_small().to_bytes());
    let other = train::fit(
        &fixture(),
        &small_params(),
        "2026-01-02T00:00:00Z",
        &mut |_| {},
    )
    .unwrap();
    // The training time is metadata: same version, different file.
    assert_eq!(other.version(), fit_small().version());
    assert_ne!(other.to_bytes(), fit_small().to_bytes());
}

#[test]
fn corrupt_files_are_typed_errors_never_panics() {
    let bytes = fit_small().to_bytes();
    // Every truncation.
    for len in 0..bytes.len() {
        let err = StanceModel::from_bytes(&bytes[..len])
            .err()
            .expect("truncated file refused");
        assert!(
            matches!(err, ModelError::Truncated { .. }),
            "len {len}: {err:?}"
        );
    }
    // Wrong magic.
    let mut b = bytes.clone();
    b[0] = b'X';
    assert!(matches!(
        StanceModel::from_bytes(&b),
        Err(ModelError::BadMagic)
    ));
    assert!(matches!(
        StanceModel::from_bytes(b"{\"json\": true}"),
        Err(ModelError::BadMagic)
    ));
    // Unknown version.
    let mut b = bytes.clone();
    b[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    assert!(matches!(
        StanceModel::from_bytes(&b),
        Err(ModelError::UnsupportedVersion { found, .. }) if found == FORMAT_VERSION + 1
    ));
    // A flipped byte anywhere in the payload.
    for i in (52..bytes.len()).step_by(97) {
        let mut b = bytes.clone();
        b[i] ^= 0x40;
        assert!(
            matches!(
                StanceModel::from_bytes(&b),
                Err(ModelError::ChecksumMismatch)
            ),
            "byte {i}"
        );
    }
    // Trailing garbage.
    let mut b = bytes.clone();
    b.push(0);
    assert!(matches!(
        StanceModel::from_bytes(&b),
        Err(ModelError::Corrupt(_))
    ));
    assert_eq!(&bytes[..8], MAGIC);
}

#[test]
fn unusable_data_is_a_clear_error() {
    let rows = fixture();
    let one_label: Vec<Example> = rows
        .iter()
        .filter(|e| e.label == Stance::Condemn)
        .cloned()
        .collect();
    let err = train::fit(&one_label, &small_params(), "t", &mut |_| {})
        .err()
        .unwrap();
    assert!(matches!(err, ModelError::BadData(_)));
    assert!(err.to_string().contains("support has 0"), "{err}");
    let mut thin: Vec<Example> = rows
        .iter()
        .filter(|e| e.label != Stance::Support)
        .cloned()
        .collect();
    thin.extend(
        rows.iter()
            .filter(|e| e.label == Stance::Support)
            .take(3)
            .cloned(),
    );
    assert!(train::fit(&thin, &small_params(), "t", &mut |_| {}).is_err());
    assert!(matches!(
        train::fit(&[], &small_params(), "t", &mut |_| {}),
        Err(ModelError::BadData(_))
    ));
}

#[test]
fn load_of_a_missing_file_names_it() {
    let err = StanceModel::load(std::path::Path::new("/nonexistent/model.stance"))
        .err()
        .unwrap();
    assert!(err.to_string().contains("/nonexistent/model.stance"));
}

#[test]
fn builtin_model_loads_and_answers() {
    let m = StanceModel::builtin();
    assert_eq!(m.info().labels, Stance::ALL.to_vec());
    assert!(m.info().training_rows > 1000);
    assert!(m.info().metrics.contains_key("test_macro_f1"));
    let p = m.predict("We call upon both parties to exercise restraint and return to dialogue.");
    assert_eq!(p.stance, Stance::CallForCalm);
}

#[test]
fn model_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<StanceModel>();
}
