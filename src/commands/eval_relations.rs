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
use crate::pipeline::relations::{self, RelationModels};
use crate::pipeline::tokens::{Document, Sentence, Token};
use crate::pipeline::{Article, Pipeline, Stages};
use anyhow::Context;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Detok {
    /// Natural spacing: no space before `,` `.` `'s` `)` ..., none after `(` `$` ....
    Natural,
    /// Tokens joined by single spaces.
    Spaces,
}

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
    let mut total = Counts::default();
    let mut per_type = vec![Counts::default(); RELATION_TYPES.len()];
    let mut langs: std::collections::BTreeMap<String, usize> = Default::default();
    // Entity mentions (PER, ORG, LOC) found end to end against gold.
    let mut mentions = Counts::default();
    let pipeline = if args.gold_entities {
        None
    } else {
        let mut p = Pipeline::load().context("loading the pipeline")?;
        if args.model.is_some() {
            p.set_relation_models(models.clone());
        }
        Some(p)
    };
    for (n, ex) in examples.iter().enumerate() {
        let predicted = match &pipeline {
            None => gold_entity_predictions(ex, &models),
            Some(p) => {
                let e2e = end_to_end_predictions(p, ex, n, &args)?;
                *langs
                    .entry(e2e.lang.unwrap_or_else(|| "none".into()))
                    .or_default() += 1;
                let gold: Vec<_> = ex
                    .entities
                    .iter()
                    .filter(|e| e.kind != EntityType::MISC)
                    .map(|e| (e.tokens.start, e.tokens.end, e.kind))
                    .collect();
                let found: Vec<_> = e2e
                    .mentions
                    .iter()
                    .copied()
                    .filter(|m| m.2 != EntityType::MISC)
                    .collect();
                let correct = found.iter().filter(|m| gold.contains(m)).count();
                mentions.add(Counts {
                    predicted: found.len(),
                    gold: gold.len(),
                    correct,
                });
                if args.errors {
                    let words = |(s, e, k): (usize, usize, EntityType)| {
                        format!("{}/{}", ex.tokens[s..e].join(" "), k.as_str())
                    };
                    for g in gold.iter().filter(|g| !found.contains(g)) {
                        println!("  ENT-MISSED   {}", words(*g));
                    }
                    for f in found.iter().filter(|f| !gold.contains(f)) {
                        println!("  ENT-SPURIOUS {}", words(*f));
                    }
                }
                e2e.relations
            }
        };
        let gold = conll04::strict_gold(ex);
        total.add(conll04::score(&predicted, &gold));
        for (t, counts) in per_type.iter_mut().enumerate() {
            let p: Vec<_> = predicted.iter().copied().filter(|r| r.0 == t).collect();
            let g: Vec<_> = gold.iter().copied().filter(|r| r.0 == t).collect();
            counts.add(conll04::score(&p, &g));
        }
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
    println!(
        "{:<12} {:>9} {:>7} {:>6} {:>6} {:>6}",
        "type", "precision", "recall", "F1", "gold", "pred"
    );
    for (i, c) in per_type.iter().enumerate() {
        print_row(RELATION_TYPES[i].0, c);
    }
    print_row("micro", &total);
    if mentions.gold > 0 {
        println!(
            "entity mentions (PER/ORG/LOC, strict, token-aligned): P {:.2} R {:.2} F1 {:.2}",
            100.0 * mentions.precision(),
            100.0 * mentions.recall(),
            100.0 * mentions.f1()
        );
    }
    eprintln!("{:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

fn print_row(name: &str, c: &Counts) {
    println!(
        "{name:<12} {:>9.2} {:>7.2} {:>6.2} {:>6} {:>6}",
        100.0 * c.precision(),
        100.0 * c.recall(),
        100.0 * c.f1(),
        c.gold,
        c.predicted
    );
}

fn print_errors(ex: &Example, predicted: &[StrictRelation], gold: &[StrictRelation]) {
    let words = |(s, e, _): (usize, usize, EntityType)| ex.tokens[s..e].join(" ");
    let mut shown = false;
    for g in gold.iter().filter(|g| !predicted.contains(g)) {
        println!(
            "  MISSED   {} ({} , {})",
            RELATION_TYPES[g.0].0,
            words(g.1),
            words(g.2)
        );
        shown = true;
    }
    for p in predicted.iter().filter(|p| !gold.contains(p)) {
        println!(
            "  SPURIOUS {} ({} , {})",
            RELATION_TYPES[p.0].0,
            words(p.1),
            words(p.2)
        );
        shown = true;
    }
    if shown {
        println!("    in: {}", ex.tokens.join(" "));
    }
}

/// The sentence as text, and each token's code point span in it.
pub fn detokenize(tokens: &[String], detok: Detok) -> (String, Vec<(usize, usize)>) {
    let no_space_before = |t: &str| {
        matches!(
            t,
            "," | "." | ";" | ":" | "!" | "?" | ")" | "]" | "}" | "%" | "''" | "'" | "n't" | "..."
        ) || t.starts_with('\'') && t.len() <= 3
    };
    let no_space_after = |t: &str| matches!(t, "(" | "[" | "{" | "$" | "``" | "`" | "#");
    let mut text = String::new();
    let mut spans = Vec::with_capacity(tokens.len());
    let mut pos = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 {
            let glue = detok == Detok::Natural && (no_space_before(t) || no_space_after(&tokens[i - 1]));
            if !glue {
                text.push(' ');
                pos += 1;
            }
        }
        let n = t.chars().count();
        spans.push((pos, pos + n));
        text.push_str(t);
        pos += n;
    }
    (text, spans)
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

/// What one sentence gave end to end, on gold token indices.
struct EndToEnd {
    relations: Vec<StrictRelation>,
    /// Every entity mention that maps onto gold tokens, with its type.
    mentions: Vec<(usize, usize, EntityType)>,
    lang: Option<String>,
}

/// The full pipeline on the detokenised sentence; relation mentions mapped
/// back to gold token spans (a mention that does not start and end on gold
/// token boundaries cannot match).
fn end_to_end_predictions(
    pipeline: &Pipeline,
    ex: &Example,
    n: usize,
    args: &Args,
) -> anyhow::Result<EndToEnd> {
    let (text, _) = detokenize(&ex.tokens, args.detok);
    let mut json = serde_json::json!({ "id": format!("conll04-{n}"), "text": text });
    if let Some(l) = &args.lang {
        json["lang"] = l.as_str().into();
    }
    let article = Article::from_json_value(json, None).map_err(|e| anyhow::anyhow!("sentence {n}: {e}"))?;
    let record = pipeline
        .enrich(&article, Stages::ALL)
        .map_err(|e| anyhow::anyhow!("sentence {n}: {e}"))?;
    // Gold tokens located in the record's text (the clean stage may have
    // changed spacing): a left-to-right search for each token.
    let spans = locate_tokens(&record.text, &ex.tokens);
    let token_starting = |c: usize| spans.iter().position(|s| s.is_some_and(|s| s.0 == c));
    let glued_period =
        |k: usize| !args.strict_boundaries && ex.tokens[k].len() > 1 && ex.tokens[k].ends_with('.');
    let token_ending = |c: usize| {
        (0..spans.len()).find(|&k| spans[k].is_some_and(|s| s.1 == c || (s.1 == c + 1 && glued_period(k))))
    };
    let kind_of = |id: &str| record.entities.iter().find(|e| e.id == id).map(|e| e.kind);
    let mentions = record
        .entities
        .iter()
        .flat_map(|e| e.mentions.iter().map(move |m| (m, e.kind)))
        .filter_map(|(m, k)| Some((token_starting(m.start)?, token_ending(m.end)? + 1, k)))
        .collect();
    let relations = record
        .relations
        .iter()
        .filter_map(|r| {
            let label = RELATION_TYPES.iter().position(|(name, _, _)| *name == r.kind)?;
            let arg = |m: crate::pipeline::record::Span, id: &str| {
                Some((token_starting(m.start)?, token_ending(m.end)? + 1, kind_of(id)?))
            };
            Some((
                label,
                arg(r.subject_mention, &r.subject)?,
                arg(r.object_mention, &r.object)?,
            ))
        })
        .collect();
    Ok(EndToEnd {
        relations,
        mentions,
        lang: record.lang,
    })
}

/// Code point spans of `tokens` in `text`, searched left to right.
fn locate_tokens(text: &str, tokens: &[String]) -> Vec<Option<(usize, usize)>> {
    let chars: Vec<char> = text.chars().collect();
    let mut pos = 0;
    tokens
        .iter()
        .map(|t| {
            let tc: Vec<char> = t.chars().collect();
            if tc.is_empty() {
                return None;
            }
            let found =
                (pos..chars.len().saturating_sub(tc.len() - 1)).find(|&i| chars[i..i + tc.len()] == tc[..]);
            found.map(|i| {
                pos = i + tc.len();
                (i, i + tc.len())
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn detokenisation_keeps_token_spans() {
        let t = toks("Smith 's office ( in Dallas , Texas ) said `` no '' .");
        let (text, spans) = detokenize(&t, Detok::Natural);
        assert_eq!(text, "Smith's office (in Dallas, Texas) said ``no''.");
        for (tok, (s, e)) in t.iter().zip(&spans) {
            assert_eq!(&text.chars().skip(*s).take(e - s).collect::<String>(), tok);
        }
        let (text, _) = detokenize(&t, Detok::Spaces);
        assert_eq!(text, t.join(" "));
    }

    #[test]
    fn tokens_are_located_after_respacing() {
        let spans = locate_tokens("Smith  said , no", &toks("Smith said , no"));
        assert_eq!(
            spans,
            vec![Some((0, 5)), Some((7, 11)), Some((12, 13)), Some((14, 16))]
        );
        assert_eq!(locate_tokens("abc", &toks("x")), vec![None]);
    }
}
