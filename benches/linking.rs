//! Throughput of the gazetteer matcher (`Gazetteer::find`) in tokens per
//! second on one core, with the tokenizer on the same text as the baseline
//! of the same run; plus `link` per mention and the one-off `load`.
//!
//! Texts: the example article, and (when ../shared is present) the first
//! 3,000 sentences of French WikiNEuRal (a gazetteer-dense Wikipedia text)
//! re-joined with spaces.
//!
//!   cargo bench --no-default-features --bench linking

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use newsflow::pipeline::linking::Gazetteer;
use newsflow::pipeline::record::EntityType;
use newsflow::pipeline::tokens;
use std::time::Duration;

fn example() -> String {
    let raw = include_str!("../examples/kazakhstan-eu.jsonl");
    let v: serde_json::Value = serde_json::from_str(raw.lines().next().unwrap()).unwrap();
    v["text"].as_str().unwrap().to_owned()
}

/// French WikiNEuRal sentences as running text, or None without ../shared.
fn wikineural_fr(max_sentences: usize) -> Option<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpora/ner/wikineural/fr/val.conllu"
    );
    let raw = std::fs::read_to_string(path).ok()?;
    let mut out = String::new();
    let mut n = 0;
    for line in raw.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() >= 2 {
            out.push_str(cols[1]);
            out.push(' ');
        } else if line.trim().is_empty() && !out.ends_with('\n') {
            out.push('\n');
            n += 1;
            if n >= max_sentences {
                break;
            }
        }
    }
    Some(out)
}

fn bench(c: &mut Criterion) {
    let gaz = Gazetteer::load().unwrap();
    let mut texts = vec![("example", example())];
    match wikineural_fr(3000) {
        Some(t) => texts.push(("wikineural-fr", t)),
        None => eprintln!("../shared absent: benchmarking the example article only"),
    }
    let mut g = c.benchmark_group("linking");
    g.measurement_time(Duration::from_secs(5));
    for (name, text) in &texts {
        let doc = tokens::analyze(text, "fr");
        eprintln!(
            "{name}: {} tokens, {} gazetteer matches",
            doc.tokens.len(),
            gaz.find(text, &doc).len()
        );
        g.throughput(Throughput::Elements(doc.tokens.len() as u64));
        g.bench_with_input(BenchmarkId::new("tokenize (baseline)", name), text, |b, t| {
            b.iter(|| tokens::analyze(t, "fr"))
        });
        g.bench_with_input(BenchmarkId::new("find", name), text, |b, t| {
            b.iter(|| gaz.find(t, &doc))
        });
    }
    g.finish();

    let mentions = [
        ("Bruxelles", EntityType::LOC),
        ("l'Union européenne", EntityType::ORG),
        ("Moukhtar Tleouberdi", EntityType::PER),
        ("OTSC", EntityType::ORG),
        ("la Belgique", EntityType::LOC),
        ("Conseil de coopération Kazakhstan-UE", EntityType::ORG),
    ];
    let mut g = c.benchmark_group("linking");
    g.throughput(Throughput::Elements(mentions.len() as u64));
    g.bench_function("link (6 mentions)", |b| {
        b.iter(|| mentions.iter().filter_map(|(n, k)| gaz.link(n, *k, "fr")).count())
    });
    g.finish();

    let mut g = c.benchmark_group("linking");
    g.sample_size(10);
    g.bench_function("load", |b| b.iter(|| Gazetteer::load().unwrap()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
