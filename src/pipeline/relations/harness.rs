//! CoNLL04 sentences through the real pipeline, as plain text, and what
//! comes out aligned back onto the corpus tokens.
//!
//! One harness serves `newsflow eval relations` (end-to-end scores) and
//! `newsflow train relations` (training pairs over the entities the
//! pipeline really finds, so the classifier learns with the entity noise it
//! meets at run time). Both therefore see exactly what `newsflow enrich`
//! produces for a sentence given as `{"text": ...}` with no language hint.

use super::classifier::PairClassifier;
use super::conll04::{self, Counts, Example, StrictRelation, RELATION_TYPES};
use super::view::SentenceView;
use super::{sentence_views, UNDETERMINED};
use crate::pipeline::record::{EnrichedRecord, EntityType, Span};
use crate::pipeline::{tokens, Article, Pipeline, Stages};

/// How a sentence's tokens become plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Detok {
    /// Natural spacing: no space before `,` `.` `'s` `)` ..., none after `(` `$` ....
    Natural,
    /// Tokens joined by single spaces.
    Spaces,
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

/// Code point spans of `tokens` in `text`, searched left to right.
pub fn locate_tokens(text: &str, tokens: &[String]) -> Vec<Option<(usize, usize)>> {
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

/// How sentences are fed to the pipeline.
#[derive(Debug, Clone)]
pub struct Harness {
    pub detok: Detok,
    /// Language hint sent with each sentence (`None`: the pipeline detects it).
    pub lang: Option<String>,
    /// Require predicted mentions to end exactly where the gold token ends.
    /// Otherwise a mention may stop before the period that CoNLL04 glues to
    /// a sentence's last word ("Ethiopia." as one token), which no tokenizer
    /// of plain text reproduces.
    pub strict_boundaries: bool,
}

impl Default for Harness {
    fn default() -> Self {
        Harness {
            detok: Detok::Natural,
            lang: None,
            strict_boundaries: false,
        }
    }
}

/// One sentence's enriched record and the corpus tokens located in its text.
pub struct Run<'e> {
    pub example: &'e Example,
    pub record: EnrichedRecord,
    /// Code point span of each corpus token in `record.text` (the clean
    /// stage may have changed spacing).
    spans: Vec<Option<(usize, usize)>>,
    strict_boundaries: bool,
}

impl Harness {
    /// Runs sentence number `n` through `Pipeline::enrich`, all stages.
    pub fn run<'e>(&self, pipeline: &Pipeline, ex: &'e Example, n: usize) -> anyhow::Result<Run<'e>> {
        let (text, _) = detokenize(&ex.tokens, self.detok);
        let mut json = serde_json::json!({ "id": format!("conll04-{n}"), "text": text });
        if let Some(l) = &self.lang {
            json["lang"] = l.as_str().into();
        }
        let article =
            Article::from_json_value(json, None).map_err(|e| anyhow::anyhow!("sentence {n}: {e}"))?;
        let record = pipeline
            .enrich(&article, Stages::ALL)
            .map_err(|e| anyhow::anyhow!("sentence {n}: {e}"))?;
        let spans = locate_tokens(&record.text, &ex.tokens);
        Ok(Run {
            example: ex,
            record,
            spans,
            strict_boundaries: self.strict_boundaries,
        })
    }
}

impl Run<'_> {
    /// The corpus token range `[start, end)` a code point span covers
    /// exactly, if it starts and ends on token boundaries.
    pub fn token_range(&self, span: Span) -> Option<(usize, usize)> {
        let tokens = &self.example.tokens;
        let start = self
            .spans
            .iter()
            .position(|s| s.is_some_and(|s| s.0 == span.start))?;
        let glued = |k: usize| !self.strict_boundaries && tokens[k].len() > 1 && tokens[k].ends_with('.');
        let end = (start..self.spans.len())
            .find(|&k| self.spans[k].is_some_and(|s| s.1 == span.end || (s.1 == span.end + 1 && glued(k))))?;
        Some((start, end + 1))
    }

    fn kind_of(&self, id: &str) -> Option<EntityType> {
        self.record.entities.iter().find(|e| e.id == id).map(|e| e.kind)
    }

    /// The CoNLL04 relations of the record in strict form.
    pub fn relations(&self) -> Vec<StrictRelation> {
        self.record
            .relations
            .iter()
            .filter_map(|r| {
                let label = RELATION_TYPES.iter().position(|(name, _, _)| *name == r.kind)?;
                let arg = |m: Span, id: &str| {
                    let (s, e) = self.token_range(m)?;
                    Some((s, e, self.kind_of(id)?))
                };
                Some((
                    label,
                    arg(r.subject_mention, &r.subject)?,
                    arg(r.object_mention, &r.object)?,
                ))
            })
            .collect()
    }

    /// Every entity mention that maps onto corpus tokens, with its type.
    pub fn mentions(&self) -> Vec<(usize, usize, EntityType)> {
        self.record
            .entities
            .iter()
            .flat_map(|e| e.mentions.iter().map(move |m| (m, e.kind)))
            .filter_map(|(m, k)| {
                let (s, e) = self.token_range(Span::new(m.start, m.end))?;
                Some((s, e, k))
            })
            .collect()
    }

    /// The sentence views the relations stage built for this record (the
    /// same tokenisation and mentions, rebuilt).
    pub fn views(&self) -> Vec<SentenceView<'_>> {
        let text = &self.record.text;
        let doc = tokens::analyze(text, self.record.lang.as_deref().unwrap_or(UNDETERMINED));
        sentence_views(text, &doc, &self.record.entities)
    }

    /// The gold entity (index) whose tokens and type a code point span
    /// matches.
    pub fn gold_entity(&self, span: Span, kind: EntityType) -> Option<usize> {
        let (s, e) = self.token_range(span)?;
        self.example
            .entities
            .iter()
            .position(|g| g.tokens == (s..e) && g.kind == kind)
    }
}

/// Strict counts, micro and per relation type.
#[derive(Debug, Clone)]
pub struct Scores {
    pub total: Counts,
    pub per_type: Vec<Counts>,
}

impl Default for Scores {
    fn default() -> Self {
        Scores {
            total: Counts::default(),
            per_type: vec![Counts::default(); RELATION_TYPES.len()],
        }
    }
}

impl Scores {
    /// Adds one sentence's predictions against its gold relations.
    pub fn add(&mut self, predicted: &[StrictRelation], gold: &[StrictRelation]) {
        self.total.add(conll04::score(predicted, gold));
        for (t, counts) in self.per_type.iter_mut().enumerate() {
            let p: Vec<_> = predicted.iter().copied().filter(|r| r.0 == t).collect();
            let g: Vec<_> = gold.iter().copied().filter(|r| r.0 == t).collect();
            counts.add(conll04::score(&p, &g));
        }
    }

    /// A table: one row per type, then the micro average.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<12} {:>9} {:>7} {:>6} {:>6} {:>6}\n",
            "type", "precision", "recall", "F1", "gold", "pred"
        );
        let rows = self
            .per_type
            .iter()
            .enumerate()
            .map(|(i, c)| (RELATION_TYPES[i].0, c))
            .chain([("micro", &self.total)]);
        for (name, c) in rows {
            out.push_str(&format!(
                "{name:<12} {:>9.2} {:>7.2} {:>6.2} {:>6} {:>6}\n",
                100.0 * c.precision(),
                100.0 * c.recall(),
                100.0 * c.f1(),
                c.gold,
                c.predicted
            ));
        }
        out
    }
}

/// The classifier alone on the gold mentions of `examples` (each mention its
/// own entity): strict scores.
pub fn gold_entity_scores(model: &PairClassifier, examples: &[Example]) -> Scores {
    let mut scores = Scores::default();
    for ex in examples {
        let view = super::example_view(ex);
        let key = |a: usize| {
            let e = &ex.entities[a];
            (e.tokens.start, e.tokens.end, e.kind)
        };
        let predicted: Vec<_> = model
            .predict(&view)
            .into_iter()
            .map(|p| (p.label, key(p.subject.0), key(p.object.0)))
            .collect();
        scores.add(&predicted, &conll04::strict_gold(ex));
    }
    scores
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

    #[test]
    fn scores_split_by_type() {
        let per = (0, 2, EntityType::PER);
        let org = (3, 4, EntityType::ORG);
        let loc = (5, 6, EntityType::LOC);
        let mut s = Scores::default();
        s.add(&[(0, per, org), (1, per, loc)], &[(0, per, org)]);
        assert_eq!((s.total.predicted, s.total.correct), (2, 1));
        assert_eq!((s.per_type[0].correct, s.per_type[1].predicted), (1, 1));
        assert!(s.table().lines().last().unwrap().starts_with("micro"));
    }
}
