//! Analysing a ~1,000-word article with the built-in model (target: under 1 ms).

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use stance_analysis::Analyzer;
use stance_model::StanceModel;

const ARTICLE: &str = include_str!("../tests/fixtures/long_article.txt");

fn analyze(c: &mut Criterion) {
    let model = StanceModel::builtin();
    let analyzer = Analyzer::new();
    let words = ARTICLE.split_whitespace().count();
    c.bench_function(&format!("analyze_{words}_words"), |b| {
        b.iter(|| analyzer.analyze(&model, black_box(ARTICLE)))
    });
    c.bench_function(&format!("analyze_{words}_words_without_model"), |b| {
        b.iter(|| {
            analyzer.analyze_with(black_box(ARTICLE), |_| stance_model::Prediction {
                stance: stance_model::Stance::Neutral,
                confidence: 1.0,
                probabilities: [0.0, 0.0, 0.0, 1.0],
            })
        })
    });
}

// criterion's macro defines an undocumented pub fn.
#[allow(missing_docs)]
mod group {
    use super::*;
    criterion_group!(benches, analyze);
}
use group::benches;
criterion_main!(benches);
