//! Golden output of the relations stage: what `relations::extract` returns
//! today must not change when its code is only made faster.
//!
//! The stage's inputs (text, tokens, entities, the classifier) come from
//! other stages and models that are retrained during development, so the
//! snapshots are taken over inputs that are pinned or fingerprinted:
//!
//! * the example article with its entities pinned in
//!   `tests/golden/relations-example.json` (text, language, entities and the
//!   expected relations and events, checked exactly);
//! * every CoNLL04 dev sentence (skipped with a message when `../shared` is
//!   absent) over its gold mentions, patterns only (no model involved: always
//!   compared), with the classifier (compared while the embedded classifier
//!   is the one the snapshot was taken with), and over the mentions the
//!   entities stage finds (the benchmark's input), compared sentence by
//!   sentence wherever those mentions are unchanged.
//!
//! `tests/golden/relations-conll04.tsv` holds, per case, a hash of the
//! input and a hash of the output (no corpus text). After an intended change
//! of output, regenerate both files with
//! `NEWSFLOW_BLESS=1 cargo test --no-default-features --test relations_golden`
//! and say why in the commit.

use newsflow::pipeline::entities::EntityStage;
use newsflow::pipeline::record::{Entity, EntityType, Event, Mention, Relation};
use newsflow::pipeline::relations::{self, conll04, RelationModels};
use newsflow::pipeline::{clean, tokens};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn blessing() -> bool {
    std::env::var_os("NEWSFLOW_BLESS").is_some_and(|v| v != "0")
}

/// FNV-1a, 64 bits: a stable fingerprint (the std hasher is not stable
/// across Rust releases).
fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn output_json(rels: &[Relation], events: &[Event]) -> String {
    serde_json::to_string(&(rels, events)).unwrap()
}

#[derive(Serialize, Deserialize)]
struct ExampleGolden {
    text: String,
    lang: String,
    entities: Vec<Entity>,
    relations: Vec<Relation>,
    events: Vec<Event>,
}

#[test]
fn example_article_output_is_unchanged() {
    let path = golden_dir().join("relations-example.json");
    let models = RelationModels::load().unwrap();
    if blessing() {
        let line = include_str!("../examples/kazakhstan-eu.jsonl");
        let v: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
        let text = clean::clean_text(v["text"].as_str().unwrap()).text;
        let (doc, entities) = EntityStage::load().unwrap().run(&text, "fr");
        let (relations, events) = relations::extract(&text, &doc, &entities, "fr", &models);
        let g = ExampleGolden {
            text,
            lang: "fr".into(),
            entities,
            relations,
            events,
        };
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&path, serde_json::to_string_pretty(&g).unwrap() + "\n").unwrap();
        eprintln!("blessed {}", path.display());
        return;
    }
    let g: ExampleGolden = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let doc = tokens::analyze(&g.text, &g.lang);
    let (rels, events) = relations::extract(&g.text, &doc, &g.entities, &g.lang, &models);
    assert!(!g.relations.is_empty(), "the snapshot holds relations");
    for (i, (got, want)) in rels.iter().zip(&g.relations).enumerate() {
        assert_eq!(got, want, "relation {i} differs");
    }
    assert_eq!(rels.len(), g.relations.len(), "number of relations");
    assert_eq!(events, g.events);
}

/// A CoNLL04 sentence's gold mentions as entities (one entity per mention)
/// in the text of its tokens joined by spaces.
fn gold_entities(ex: &conll04::Example) -> Vec<Entity> {
    let (spans, _) = relations::view::spaced_spans(&ex.tokens);
    ex.entities
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let (start, end) = (spans[e.tokens.start].start, spans[e.tokens.end - 1].end);
            let text = ex.tokens[e.tokens.clone()].join(" ");
            // A subtype for the places the lexicon knows, so that patterns
            // restricted to countries are exercised too.
            let norm = relations::view::normalize(&text);
            let subtype = (e.kind == EntityType::LOC)
                .then(|| relations::lexicon::place_class(&norm))
                .flatten()
                .map(|c| if c == "us_state" { "region" } else { c }.to_string());
            Entity {
                id: format!("e{i}"),
                name: text.clone(),
                kind: e.kind,
                subtype,
                qid: None,
                mentions: vec![Mention { start, end, text }],
                count: 1,
                first: start,
                salience: 0.0,
            }
        })
        .collect()
}

/// One line of the snapshot: case name, sentence, input and output hashes.
type Key = (String, usize);

fn read_snapshot(path: &Path) -> (BTreeMap<String, String>, BTreeMap<Key, (u64, u64)>) {
    let mut header = BTreeMap::new();
    let mut cases = BTreeMap::new();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with NEWSFLOW_BLESS=1 cargo test --test relations_golden",
            path.display()
        )
    });
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            [k, v] => {
                header.insert(k.to_string(), v.to_string());
            }
            [case, i, input, output] => {
                let hex = |s: &str| u64::from_str_radix(s, 16).unwrap();
                cases.insert((case.to_string(), i.parse().unwrap()), (hex(input), hex(output)));
            }
            _ => panic!("{}: bad line {line:?}", path.display()),
        }
    }
    (header, cases)
}

#[test]
fn conll04_dev_output_is_unchanged() {
    let dev =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/relations/conll04/conll04_dev.json");
    let examples = match conll04::read(&dev) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("SKIPPED: CoNLL04 dev not readable ({e:#}); the golden test needs ../shared");
            return;
        }
    };
    let models = RelationModels::load().unwrap();
    let no_classifier = RelationModels { classifier: None };
    let stage = EntityStage::load().unwrap();
    // The classifier's model file enters the input hash of the cases that
    // run it: a retrained model makes them incomparable, not failing. Its
    // code does not: a change to `classifier.rs` that changes the output
    // fails here, and is blessed on purpose or fixed.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = std::fs::read(root.join("models/relations-conll04.bin")).unwrap();
    let model_hash = fnv(&model);

    // (case, sentence) -> (input hash, output, output hash)
    let mut got: BTreeMap<Key, (u64, String)> = BTreeMap::new();
    for (i, ex) in examples.iter().enumerate() {
        let text = ex.tokens.join(" ");
        let gold = gold_entities(ex);
        let gold_json = serde_json::to_string(&gold).unwrap();
        for lang in ["en", "xx"] {
            let doc = tokens::analyze(&text, lang);
            for (case, m, salt) in [("patterns", &no_classifier, 0), ("full", &models, model_hash)] {
                let (rels, events) = relations::extract(&text, &doc, &gold, lang, m);
                let input = fnv(format!("{lang}\n{text}\n{gold_json}\n{salt:x}").as_bytes());
                got.insert(
                    (format!("gold-{lang}-{case}"), i),
                    (input, output_json(&rels, &events)),
                );
            }
        }
        // The benchmark's input: the entities stage's own mentions.
        let (doc, found) = stage.run(&text, "en");
        let (rels, events) = relations::extract(&text, &doc, &found, "en", &models);
        let input = fnv(format!(
            "en\n{text}\n{}\n{model_hash:x}",
            serde_json::to_string(&found).unwrap()
        )
        .as_bytes());
        got.insert(
            ("predicted-en-full".into(), i),
            (input, output_json(&rels, &events)),
        );
    }

    let path = golden_dir().join("relations-conll04.tsv");
    if blessing() {
        let mut out = String::from(
            "# relations stage output over CoNLL04 dev (tests/relations_golden.rs): case, sentence, \
             FNV-1a of the input, FNV-1a of the output JSON\n",
        );
        out.push_str(&format!("sentences\t{}\n", examples.len()));
        for ((case, i), (input, output)) in &got {
            out.push_str(&format!(
                "{case}\t{i}\t{input:016x}\t{:016x}\n",
                fnv(output.as_bytes())
            ));
        }
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&path, out).unwrap();
        eprintln!("blessed {}", path.display());
        return;
    }

    let (header, want) = read_snapshot(&path);
    assert_eq!(
        header.get("sentences").map(String::as_str),
        Some(examples.len().to_string().as_str()),
        "the snapshot was taken over another version of CoNLL04 dev"
    );
    let mut compared: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut differing = Vec::new();
    for (key, (input, output)) in &got {
        let &(want_input, want_output) = want
            .get(key)
            .unwrap_or_else(|| panic!("{key:?} missing from {}", path.display()));
        let c = compared.entry(key.0.clone()).or_default();
        c.1 += 1;
        if want_input != *input {
            continue;
        }
        c.0 += 1;
        if fnv(output.as_bytes()) != want_output {
            differing.push(format!("{} sentence {}: now {output}", key.0, key.1));
        }
    }
    for (case, (same_input, total)) in &compared {
        eprintln!("{case}: {same_input} of {total} sentences with the snapshot's input compared");
        if same_input < total {
            eprintln!(
                "  {} inputs changed (retrained entities model or classifier): not compared; \
                 rebless after checking the stage itself is unchanged",
                total - same_input
            );
        }
    }
    assert_eq!(
        compared["gold-en-patterns"].0,
        examples.len(),
        "the patterns-only cases depend on no model: their inputs must all match"
    );
    assert!(
        differing.is_empty(),
        "{} outputs differ from the snapshot:\n{}",
        differing.len(),
        differing.join("\n")
    );
}
