//! Stage `relations`: typed relations between the article's entities, each
//! with its evidence, rolled up into article-level events.
//!
//! Two extractors feed one list:
//! * patterns (French and English, [`patterns`]) over tokens and entity
//!   mentions, for the news relation types (holds_office, visit,
//!   communication, cooperation, presides, ...), precise by construction;
//! * a pair classifier ([`classifier`]) trained on CoNLL04 for its five
//!   types (Work_For, Live_In, Located_In, OrgBased_In, Kill), run on
//!   English text, the language it was trained on.
//!
//! See `docs/relations-schema.md` for every type with an example.

pub mod classifier;
pub mod conll04;
pub mod lexicon;
pub mod view;

use crate::pipeline::record::Span;
use classifier::PairClassifier;
use view::{normalize, Arg, SentenceView};

/// The loaded relation models.
#[derive(Debug, Clone, Default)]
pub struct RelationModels {
    /// The CoNLL04 pair classifier; `None` runs patterns only.
    pub classifier: Option<PairClassifier>,
}

/// Builds the view of a CoNLL04 sentence: tokens joined by single spaces,
/// every gold entity a mention of its own entity (index = entity order).
pub fn example_view(ex: &conll04::Example) -> SentenceView<'_> {
    let mut pos = 0;
    let spans: Vec<Span> = ex
        .tokens
        .iter()
        .map(|w| {
            let s = Span::new(pos, pos + w.chars().count());
            pos = s.end + 1;
            s
        })
        .collect();
    let args = ex
        .entities
        .iter()
        .enumerate()
        .map(|(i, e)| Arg {
            entity: i,
            tokens: e.tokens.clone(),
            kind: e.kind,
            subtype: None,
            span: Span::new(spans[e.tokens.start].start, spans[e.tokens.end - 1].end),
            demonym: false,
        })
        .collect();
    SentenceView {
        span: Span::new(0, pos.saturating_sub(1)),
        words: ex.tokens.iter().map(String::as_str).collect(),
        norm: ex.tokens.iter().map(|w| normalize(w)).collect(),
        spans,
        args,
    }
}
