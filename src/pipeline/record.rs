//! The enriched record: what every front end (enrich, the Kafka runtime,
//! replay, eval) gets back from the core. Field names here are a public
//! contract (see README "Output"): add fields freely, never rename.
//!
//! All `start`/`end` values are Unicode code point offsets, end exclusive,
//! into the record's cleaned `text`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// A character span (code point offsets, end exclusive) into the cleaned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// One block the clean stage removed, with where it was in the *input*
/// (code point offsets into the input text, or into the HTML's extracted
/// text for HTML input) so every removal can be audited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoilerplateBlock {
    /// What kind of boilerplate: `comment_form`, `share`, `credit`,
    /// `category`, `newsletter`, `cookie`, `related`, `ad`, `navigation`, ...
    pub kind: String,
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// Page metadata found by the clean stage (HTML meta tags, Open Graph, JSON-LD).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

impl PageMetadata {
    pub fn is_empty(&self) -> bool {
        *self == PageMetadata::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EntityType {
    PER,
    ORG,
    LOC,
    MISC,
}

impl EntityType {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::PER => "PER",
            EntityType::ORG => "ORG",
            EntityType::LOC => "LOC",
            EntityType::MISC => "MISC",
        }
    }
}

/// One occurrence of an entity in the cleaned text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// One referent of the article, with all its mentions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Stable id: `wd:Q…` when linked, else derived from the normalised name.
    pub id: String,
    /// Canonical name.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: EntityType,
    /// Finer type where known: country, city, international_org, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtype: Option<String>,
    pub qid: Option<String>,
    pub mentions: Vec<Mention>,
    pub count: usize,
    /// Code point offset of the first mention.
    pub first: usize,
    pub salience: f32,
}

/// A typed relation between two entities of the article, with evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    #[serde(rename = "type")]
    pub kind: String,
    /// Entity id of the subject.
    pub subject: String,
    /// Entity id of the object.
    pub object: String,
    pub subject_mention: Span,
    pub object_mention: Span,
    /// office, surface title, date, modality (stated, intended, denied, reported), ...
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// The sentence the evidence comes from.
    pub evidence: Span,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Span>,
    pub confidence: f32,
    /// Which extractor produced it (`pattern:<name>`, `classifier`, ...).
    pub extractor: String,
}

/// An article-level event (CAMEO top-level code) resting on relations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// CAMEO top-level code, e.g. "03" (express intent to cooperate).
    pub code: String,
    pub name: String,
    /// Entity ids of the actors, source first.
    pub actors: Vec<String>,
    /// Indices into the record's `relations`.
    pub relations: Vec<usize>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

/// What the core returns for one article.
#[derive(Debug, Clone, Serialize)]
pub struct EnrichedRecord {
    pub id: String,
    /// The cleaned body (or the input text unchanged when `clean` is off).
    pub text: String,
    pub title: Option<String>,
    /// Language of `text` (ISO 639-1), from the hint or detected.
    pub lang: Option<String>,
    #[serde(skip_serializing_if = "PageMetadata::is_empty")]
    pub metadata: PageMetadata,
    pub boilerplate: Vec<BoilerplateBlock>,
    pub entities: Vec<Entity>,
    pub relations: Vec<Relation>,
    pub events: Vec<Event>,
    /// Which stages ran, in order.
    pub stages: Vec<&'static str>,
    pub pipeline_version: &'static str,
    /// Input fields the core does not interpret (url, source, published_at,
    /// anything else), carried through untouched.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// Wall time per stage, for metrics; not part of the output.
    #[serde(skip)]
    pub timings: Vec<(&'static str, Duration)>,
}
