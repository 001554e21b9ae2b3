//! Training data for the NER tagger, assembled from `../shared/corpora`.
//!
//! | corpus | used as | supervision |
//! |---|---|---|
//! | `ner/conll2003-en/train.conllu` | train (en) | full |
//! | `ner/wikiann/{fr,en}/train.txt` | train | PER/ORG/LOC only: its `O` may be MISC (partial) |
//! | `ner/wikineural/<lang>/val.conllu` | 4 of every 5 sentences train, the 5th held out | full |
//! | `relations/conll04/conll04_train.json` | train (en) | Peop/Org/Loc → PER/ORG/LOC; `Other` (dates, numbers, misc) partial |
//!
//! The WikiNEuRal hold-out is deterministic (sentence index % 5 == 4), so
//! `newsflow eval ner --holdout` scores exactly the sentences the model never
//! saw. Dev splits (CoNLL-2003 dev, WikiANN dev, CoNLL04 dev) are never read here.

use super::conll::{self, Sentence};
use super::tagger::Example;
use crate::pipeline::linking::Gazetteer;
use crate::pipeline::record::EntityType;
use crate::pipeline::tokens::{Document, Sentence as TokSentence, Token};
use anyhow::Context;
use std::path::Path;

/// The tagger's labels, in model order.
pub const LABELS: [&str; 9] = [
    "O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC",
];

/// Every fifth WikiNEuRal sentence (index % 5 == 4) is held out.
pub fn is_holdout(index: usize) -> bool {
    index % 5 == 4
}

fn label_bit(tag: &str) -> u32 {
    1 << LABELS.iter().position(|l| *l == tag).unwrap_or(0)
}

/// Converts a sentence's tags (IOB1 or IOB2) to IOB2 over [`LABELS`].
pub fn to_iob2(tags: &[String]) -> Vec<&'static str> {
    let mut out = vec!["O"; tags.len()];
    for (s, e, ty) in conll::spans(tags) {
        let ty = match ty.as_str() {
            "PER" | "Peop" => "PER",
            "ORG" | "Org" => "ORG",
            "LOC" | "Loc" => "LOC",
            _ => "MISC",
        };
        for (k, slot) in out[s..e].iter_mut().enumerate() {
            *slot = LABELS
                .iter()
                .find(|l| l.ends_with(ty) && l.starts_with(if k == 0 { "B-" } else { "I-" }))
                .expect("label exists");
        }
    }
    out
}

/// A corpus sentence as a training example. `o_may_be_misc`: the corpus has
/// no MISC type, so its `O` tokens allow `O`, `B-MISC`, `I-MISC`.
pub fn example(s: &Sentence, lang: &str, o_may_be_misc: bool, gaz: Option<&Gazetteer>) -> Example {
    let misc = label_bit("O") | label_bit("B-MISC") | label_bit("I-MISC");
    let allowed = to_iob2(&s.tags)
        .iter()
        .map(|t| {
            if *t == "O" && o_may_be_misc {
                misc
            } else {
                label_bit(t)
            }
        })
        .collect();
    Example {
        tokens: s.tokens.clone(),
        allowed,
        lang: lang.to_string(),
        gaz: gaz.map(|g| gazetteer_tags(g, &s.tokens)).unwrap_or_default(),
    }
}

/// Gazetteer tags ([`TokenInfo::gaz`]) of pre-tokenised text: the tokens are
/// joined with spaces and the gazetteer run over that text.
pub fn gazetteer_tags(gaz: &Gazetteer, tokens: &[String]) -> Vec<u8> {
    let mut text = String::new();
    let mut toks = Vec::with_capacity(tokens.len());
    let mut cp = 0usize;
    for t in tokens {
        if !text.is_empty() {
            text.push(' ');
            cp += 1;
        }
        let n = t.chars().count();
        toks.push(Token {
            start: cp,
            end: cp + n,
            byte_start: text.len(),
            byte_end: text.len() + t.len(),
        });
        text.push_str(t);
        cp += n;
    }
    let doc = Document {
        sentences: vec![TokSentence {
            start: 0,
            end: cp,
            tokens: 0..toks.len(),
        }],
        tokens: toks,
    };
    let matches = gaz.find(&text, &doc);
    gazetteer_tags_for(&doc.tokens, &matches)
}

/// Per-token gazetteer tags from matches (code point spans).
pub fn gazetteer_tags_for(tokens: &[Token], matches: &[crate::pipeline::linking::GazetteerMatch]) -> Vec<u8> {
    let mut tags = vec![0u8; tokens.len()];
    let mut ti = 0;
    for m in matches {
        let ty = match m.kind {
            EntityType::PER => 0,
            EntityType::ORG => 1,
            EntityType::LOC => 2,
            EntityType::MISC => 3,
        } + if m.is_demonym { 4 } else { 0 };
        while ti < tokens.len() && tokens[ti].end <= m.start {
            ti += 1;
        }
        let mut first = true;
        let mut k = ti;
        while k < tokens.len() && tokens[k].start < m.end {
            tags[k] = 1 + 2 * ty + u8::from(!first);
            first = false;
            k += 1;
        }
    }
    tags
}

/// Which corpora to train on.
#[derive(Debug, Clone)]
pub struct CorpusSelection {
    /// WikiNEuRal languages to include (fr, en, de, ...).
    pub wikineural_langs: Vec<String>,
    pub wikiann: bool,
    pub conll2003: bool,
    pub conll04: bool,
    /// How many times each CoNLL04 train sentence is fed per epoch: its 922
    /// sentences are 0.7% of the mix, yet they are the only news text in
    /// the CoNLL04 conventions (titles, `City, State`, companies) the
    /// relations stage is scored in.
    pub conll04_repeat: usize,
    /// `(f, n)`: leave out the CoNLL04 train sentences whose index is `f`
    /// modulo `n`, for a model that finds mentions in sentences it never
    /// saw (the relations stage calibrates its thresholds on those).
    pub conll04_holdout: Option<(usize, usize)>,
}

/// Loads the training examples from `corpora` (`../shared/corpora`).
pub fn load(
    corpora: &Path,
    sel: &CorpusSelection,
    gaz: Option<&Gazetteer>,
    mut log: impl FnMut(&str, usize),
) -> anyhow::Result<Vec<Example>> {
    let mut out = Vec::new();
    let ner = corpora.join("ner");
    if sel.conll2003 {
        let s = conll::read_conll(&ner.join("conll2003-en/train.conllu"))?;
        log("conll2003-en/train", s.len());
        out.extend(s.iter().map(|s| example(s, "en", false, gaz)));
    }
    if sel.wikiann {
        for lang in ["fr", "en"] {
            let s = conll::read_conll(&ner.join(format!("wikiann/{lang}/train.txt")))?;
            log(&format!("wikiann/{lang}/train"), s.len());
            out.extend(s.iter().map(|s| example(s, lang, true, gaz)));
        }
    }
    for lang in &sel.wikineural_langs {
        let s = conll::read_conll(&ner.join(format!("wikineural/{lang}/val.conllu")))?;
        let kept: Vec<&Sentence> = s
            .iter()
            .enumerate()
            .filter(|(i, _)| !is_holdout(*i))
            .map(|p| p.1)
            .collect();
        log(&format!("wikineural/{lang}/val (4/5)"), kept.len());
        out.extend(kept.into_iter().map(|s| example(s, lang, false, gaz)));
    }
    if sel.conll04 {
        let s = read_conll04(&corpora.join("relations/conll04/conll04_train.json"))?;
        let s: Vec<Sentence> = match sel.conll04_holdout {
            Some((f, n)) => s
                .into_iter()
                .enumerate()
                .filter(|(i, _)| i % n != f)
                .map(|p| p.1)
                .collect(),
            None => s,
        };
        log("conll04/train", s.len());
        for sent in &s {
            let mut ex = example(sent, "en", false, gaz);
            // `Other` (dates, numbers, titles of works) is not MISC in the
            // CoNLL-2003 sense: leave those tokens to the model.
            let misc = label_bit("O") | label_bit("B-MISC") | label_bit("I-MISC");
            for (a, t) in ex.allowed.iter_mut().zip(&sent.tags) {
                if t.ends_with("Other") {
                    *a = misc;
                }
            }
            for _ in 1..sel.conll04_repeat {
                out.push(ex.clone());
            }
            out.push(ex);
        }
    }
    Ok(out)
}

/// Reads CoNLL04 JSON (`tokens`, BILOU `tags`) as tagged sentences.
pub fn read_conll04(path: &Path) -> anyhow::Result<Vec<Sentence>> {
    #[derive(serde::Deserialize)]
    struct Row {
        tokens: Vec<String>,
        tags: Vec<String>,
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let rows: Vec<Row> =
        serde_json::from_str(&text).with_context(|| format!("bad CoNLL04 JSON in {}", path.display()))?;
    Ok(rows
        .into_iter()
        .map(|r| Sentence {
            tokens: r.tokens,
            tags: r.tags,
        })
        .collect())
}
