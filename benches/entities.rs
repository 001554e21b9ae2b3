//! Tokens per second of the whole entities stage (tokenisation, gazetteer
//! lookup, tagging, document-level grouping) on one core, on the example
//! article and on French WikiNEuRal sentences when ../shared is present.
//! The spaCy side (fr_core_news_md, tokenizer + NER) is
//! `benches/spacy_ner.py`, run on the same text by `benches/compare_spacy.sh`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use newsflow::pipeline::entities::{self, EntityModels};
use newsflow::pipeline::linking::Gazetteer;
use newsflow::pipeline::{clean, tokens};

/// The bench text: `NEWSFLOW_BENCH_TEXT` (a file) if set, else the example article.
fn bench_text() -> String {
    if let Ok(path) = std::env::var("NEWSFLOW_BENCH_TEXT") {
        return std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    }
    let raw = include_str!("../examples/kazakhstan-eu.jsonl");
    let v: serde_json::Value = serde_json::from_str(raw.lines().next().unwrap()).unwrap();
    clean::normalize(v["text"].as_str().unwrap())
}

fn bench(c: &mut Criterion) {
    let models = EntityModels::load().unwrap();
    let gaz = Gazetteer::load().unwrap();
    let text = bench_text();
    let n_tokens = tokens::analyze(&text, "fr").tokens.len() as u64;
    let mut g = c.benchmark_group("entities");
    g.throughput(Throughput::Elements(n_tokens));
    g.bench_function("stage", |b| {
        b.iter(|| {
            let doc = tokens::analyze(&text, "fr");
            entities::extract(&text, &doc, "fr", &models, &gaz)
        })
    });
    g.bench_function("tokenize", |b| b.iter(|| tokens::analyze(&text, "fr")));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
