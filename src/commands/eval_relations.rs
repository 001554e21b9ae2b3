//! `newsflow eval relations FILE`: strict micro precision, recall and F1 of
//! relation extraction on CoNLL04-format JSON.
//!
//! Strict, as in the literature (SpERT, ASP): a predicted relation counts
//! when its type and both arguments' token spans and entity types equal a
//! gold relation's. Only the five CoNLL04 types are scored.
//!
//! Two settings:
//! * end to end (default): each sentence is detokenised into plain text and
//!   run through the real pipeline (`Pipeline::enrich`, all stages: clean,
//!   tokens, entities, relations), and the relations' mention spans are
//!   mapped back onto the gold tokens. Entity spans and types must be found
//!   by the entities stage: this is the number a user gets.
//! * `--gold-entities`: the relations stage alone, on the corpus tokens with
//!   the gold mentions as entities (each mention its own entity).

use crate::pipeline::record::{Entity, EntityType, Mention};
use crate::pipeline::relations::conll04::{self, Counts, Example, StrictRelation, RELATION_TYPES};
use crate::pipeline::relations::harness::{detokenize, Detok, Harness, Scores};
use crate::pipeline::relations::{self, RelationModels};
use crate::pipeline::tokens::{Document, Sentence, Token};
use crate::pipeline::Pipeline;
use anyhow::Context;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// CoNLL04 JSON file (e.g. ../shared/corpora/relations/conll04/conll04_dev.json).
    pub file: PathBuf,
    /// Score the relations stage alone, given the gold entities.
    #[arg(long)]
    pub gold_entities: bool,
    /// How sentences become plain text in the end-to-end setting.
    #[arg(long, value_enum, default_value = "natural")]
    pub detok: Detok,
    /// Language hint sent with each sentence (default: none, the pipeline detects it).
    #[arg(long)]
    pub lang: Option<String>,
    /// A classifier file to use instead of the embedded one.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// An NER model file to use instead of the embedded one.
    #[arg(long)]
    pub ner_model: Option<PathBuf>,
    /// Require predicted mentions to end exactly where the gold token ends.
    /// By default a mention may stop before the period that CoNLL04 glues
    /// to a sentence's last word ("Ethiopia." as one token), which no
    /// tokenizer of plain text reproduces.
    #[arg(long)]
    pub strict_boundaries: bool,
    /// Print every missed and spurious relation.
    #[arg(long)]
    pub errors: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let examples = conll04::read(&args.file)?;
    let models = match &args.model {
        Some(p) => RelationModels::from_classifier_bytes(
            &std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
        )?,
        None => RelationModels::load()?,
    };
    let started = Instant::now();
    let mut scores = Scores::default();
    let mut langs: std::collections::BTreeMap<String, usize> = Default::default();
    // Entity mentions (PER, ORG, LOC) found end to end against gold.
    let mut mentions = Counts::default();
    // Gold relations whose two arguments were both found (span and type):
    // the ceiling the entities stage leaves to the relation extractors.
    let mut reachable = 0usize;
    let harness = Harness {
        detok: args.detok,
        lang: args.lang.clone(),
        strict_boundaries: args.strict_boundaries,
    };
    let pipeline = if args.gold_entities {
        None
    } else {
        Some(match (&args.model, &args.ner_model) {
            (None, None) => Pipeline::load().context("loading the pipeline")?,
            // Not `Pipeline::load`: it refuses a stale embedded classifier.
            _ => Pipeline {
                entities: super::train_relations::entity_stage(args.ner_model.as_deref())?,
                relations: models.clone(),
            },
        })
    };
    for (n, ex) in examples.iter().enumerate() {
        let gold = conll04::strict_gold(ex);
        let predicted = match &pipeline {
            None => gold_entity_predictions(ex, &models),
            Some(p) => {
                let run = harness.run(p, ex, n)?;
                *langs
                    .entry(run.record.lang.clone().unwrap_or_else(|| "none".into()))
                    .or_default() += 1;
                let gold_mentions: Vec<_> = ex
                    .entities
                    .iter()
                    .filter(|e| e.kind != EntityType::MISC)
                    .map(|e| (e.tokens.start, e.tokens.end, e.kind))
                    .collect();
                let found: Vec<_> = run
                    .mentions()
                    .into_iter()
                    .filter(|m| m.2 != EntityType::MISC)
                    .collect();
                let correct = found.iter().filter(|m| gold_mentions.contains(m)).count();
                mentions.add(Counts {
                    predicted: found.len(),
                    gold: gold_mentions.len(),
                    correct,
                });
                reachable += gold
                    .iter()
                    .filter(|g| found.contains(&g.1) && found.contains(&g.2))
                    .count();
                if args.errors {
                    let words = |(s, e, k): (usize, usize, EntityType)| {
                        format!("{}/{}", ex.tokens[s..e].join(" "), k.as_str())
                    };
                    for g in gold_mentions.iter().filter(|g| !found.contains(g)) {
                        println!("  ENT-MISSED   {}", words(*g));
                    }
                    for f in found.iter().filter(|f| !gold_mentions.contains(f)) {
                        println!("  ENT-SPURIOUS {}", words(*f));
                    }
                }
                run.relations()
            }
        };
        scores.add(&predicted, &gold);
        if args.errors {
            print_errors(ex, &predicted, &gold);
        }
    }
    let setting = if args.gold_entities {
        "gold entities (relations stage alone)".to_string()
    } else {
        format!(
            "end to end (newsflow enrich on {:?}-detokenised sentences)",
            args.detok
        )
        .to_lowercase()
    };
    println!("{}: {} sentences, {setting}", args.file.display(), examples.len());
    if !langs.is_empty() {
        println!("detected languages: {langs:?}");
    }
    print!("{}", scores.table());
    if mentions.gold > 0 {
        println!(
            "entity mentions (PER/ORG/LOC, strict, token-aligned): P {:.2} R {:.2} F1 {:.2}",
            100.0 * mentions.precision(),
            100.0 * mentions.recall(),
            100.0 * mentions.f1()
        );
        println!(
            "gold relations with both arguments found: {reachable} of {} ({:.1}%)",
            scores.total.gold,
            100.0 * reachable as f64 / scores.total.gold.max(1) as f64
        );
    }
    eprintln!("{:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

fn print_errors(ex: &Example, predicted: &[StrictRelation], gold: &[StrictRelation]) {
    let words = |(s, e, _): (usize, usize, EntityType)| ex.tokens[s..e].join(" ");
    let mut shown = false;
    let lists = [("MISSED  ", gold, predicted), ("SPURIOUS", predicted, gold)];
    for (label, these, others) in lists {
        for r in these.iter().filter(|r| !others.contains(r)) {
            println!(
                "  {label} {} ({} , {})",
                RELATION_TYPES[r.0].0,
                words(r.1),
                words(r.2)
            );
            shown = true;
        }
    }
    if shown {
        println!("    in: {}", ex.tokens.join(" "));
    }
}

/// The relations stage alone on gold mentions.
fn gold_entity_predictions(ex: &Example, models: &RelationModels) -> Vec<StrictRelation> {
    let (text, spans) = detokenize(&ex.tokens, Detok::Spaces);
    let byte_of: Vec<usize> = text.char_indices().map(|(b, _)| b).chain([text.len()]).collect();
    let tokens: Vec<Token> = spans
        .iter()
        .map(|&(s, e)| Token {
            start: s,
            end: e,
            byte_start: byte_of[s],
            byte_end: byte_of[e],
        })
        .collect();
    let doc = Document {
        sentences: vec![Sentence {
            start: 0,
            end: spans.last().map_or(0, |s| s.1),
            tokens: 0..tokens.len(),
        }],
        tokens,
    };
    let entities: Vec<Entity> = ex
        .entities
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let (s, e) = (spans[g.tokens.start].0, spans[g.tokens.end - 1].1);
            Entity {
                id: format!("e{i}"),
                name: ex.tokens[g.tokens.clone()].join(" "),
                kind: g.kind,
                subtype: None,
                qid: None,
                mentions: vec![Mention {
                    start: s,
                    end: e,
                    text: text.chars().skip(s).take(e - s).collect(),
                }],
                count: 1,
                first: s,
                salience: 0.0,
            }
        })
        .collect();
    let (rels, _) = relations::extract(&text, &doc, &entities, "en", models);
    let key = |id: &str| {
        let i: usize = id[1..].parse().expect("ids are e<index>");
        let g = &ex.entities[i];
        (g.tokens.start, g.tokens.end, g.kind)
    };
    rels.iter()
        .filter_map(|r| {
            let label = RELATION_TYPES.iter().position(|(n, _, _)| *n == r.kind)?;
            Some((label, key(&r.subject), key(&r.object)))
        })
        .collect()
}
