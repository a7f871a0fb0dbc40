//! Featurize + predict speed, batch throughput, and model load time.
#![allow(missing_docs)] // criterion macros generate undocumented items

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stance_model::{DEFAULT_MODEL, Featurizer, FeaturizerConfig, Scratch, StanceModel};
use std::hint::black_box;

const STATEMENT: &str = "The foreign minister told reporters that the overnight strikes on the port \
     were a flagrant breach of international law and urged both sides to halt the fighting.";

fn bench(c: &mut Criterion) {
    let model = StanceModel::builtin();
    c.bench_function("predict_one_25_words", |b| {
        b.iter(|| model.predict(black_box(STATEMENT)))
    });

    // Where the time of one prediction goes: featurizing alone, with and without cues.
    let mut scratch = Scratch::default();
    c.bench_function("featurize_one_25_words", |b| {
        b.iter(|| {
            model
                .featurizer()
                .featurize(black_box(STATEMENT), &mut scratch)
        })
    });
    let no_cues = Featurizer::new(FeaturizerConfig {
        cues: false,
        ..model.featurizer().config().clone()
    });
    c.bench_function("featurize_one_25_words_no_cues", |b| {
        b.iter(|| no_cues.featurize(black_box(STATEMENT), &mut scratch))
    });

    let batch: Vec<String> = (0..1000).map(|i| format!("{STATEMENT} ({i})")).collect();
    let mut g = c.benchmark_group("batch");
    g.throughput(Throughput::Elements(batch.len() as u64));
    g.bench_function("predict_batch_1000", |b| {
        b.iter(|| model.predict_batch(black_box(&batch)))
    });
    g.finish();

    c.bench_function("load_default_model", |b| {
        b.iter(|| StanceModel::from_bytes(black_box(DEFAULT_MODEL)).expect("valid"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
