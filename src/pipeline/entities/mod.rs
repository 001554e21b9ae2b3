//! Stage `entities`: every mention of a person, organisation, place or
//! other named thing, grouped into one entity per referent, linked to a
//! canonical id.
//!
//! 1. [`tagger`]: an averaged-perceptron sequence tagger (BIO over PER, ORG,
//!    LOC, MISC) on the tokens of each sentence, with gazetteer membership
//!    and word clusters among its features ([`features`], [`clusters`]).
//! 2. [`document`]: the gazetteer's matches join the tagger's spans; types
//!    are made consistent across the article; missed repeats of a found name
//!    are added; mentions are grouped into referents (linked ids, person
//!    name parts, normalised names) and a demonym qualifying an office (`le
//!    président kazakh`) becomes a mention of its country.
//!
//! The model is trained by `newsflow train ner` ([`training`]) and scored by
//! `newsflow eval ner` ([`conll`]); see docs/ner.md and docs/MODEL_CARD.md.

pub mod clusters;
pub mod conll;
pub mod document;
pub mod features;
pub mod tagger;
pub mod training;

use crate::pipeline::linking::Gazetteer;
use crate::pipeline::record::{Entity, EntityType};
use crate::pipeline::tokens::Document;
use anyhow::Context;
use std::cell::RefCell;
use std::path::Path;
use tagger::{Scratch, TaggerModel};

/// The shipped model (see docs/MODEL_CARD.md): trained by `newsflow train ner`.
static EMBEDDED_MODEL: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/models/ner.bin"));

/// The loaded models of the stage; built once, shared read-only by workers.
#[derive(Debug, Clone)]
pub struct EntityModels {
    pub tagger: TaggerModel,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// A tagged span in token indices (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagSpan {
    pub start: usize,
    pub end: usize,
    pub kind: EntityType,
}

impl EntityModels {
    /// Loads the model embedded in the binary.
    pub fn load() -> anyhow::Result<EntityModels> {
        if EMBEDDED_MODEL.is_empty() {
            anyhow::bail!("this build has no NER model: run `newsflow train ner` and rebuild");
        }
        Ok(EntityModels {
            tagger: TaggerModel::from_bytes(EMBEDDED_MODEL)
                .context("the embedded NER model is unreadable")?,
        })
    }

    /// Loads a model file written by `newsflow train ner`.
    pub fn from_file(path: &Path) -> anyhow::Result<EntityModels> {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read model {}", path.display()))?;
        Ok(EntityModels {
            tagger: TaggerModel::from_bytes(&bytes).with_context(|| format!("in {}", path.display()))?,
        })
    }

    /// Tags pre-tokenised text with gazetteer tags (see
    /// [`training::gazetteer_tags`]); returns one IOB2 label per token.
    pub fn tag_tokens<'m>(&'m self, tokens: &[&str], gaz: &[u8], lang: &str) -> Vec<&'m str> {
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            self.tagger.prepare(tokens.iter().copied(), &mut s);
            for (info, &g) in s.infos.iter_mut().zip(gaz) {
                info.gaz = g;
            }
            self.tagger.decode(lang, &mut s);
            s.out
                .iter()
                .map(|&y| self.tagger.labels()[y as usize].as_str())
                .collect()
        })
    }

    /// Tags every sentence of `doc`; returns entity spans in token indices.
    pub fn tag_document(&self, text: &str, doc: &Document, gaz_tags: &[u8], lang: &str) -> Vec<TagSpan> {
        let labels = self.tagger.labels();
        let kinds: Vec<Option<(bool, EntityType)>> = labels.iter().map(|l| label_kind(l)).collect();
        let mut spans = Vec::new();
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            for sent in &doc.sentences {
                let range = sent.tokens.clone();
                self.tagger
                    .prepare(doc.tokens[range.clone()].iter().map(|t| t.text(text)), &mut s);
                for (info, &g) in s.infos.iter_mut().zip(&gaz_tags[range.clone()]) {
                    info.gaz = g;
                }
                self.tagger.decode(lang, &mut s);
                let mut open: Option<TagSpan> = None;
                for (k, &y) in s.out.iter().enumerate() {
                    let i = range.start + k;
                    match kinds[y as usize] {
                        Some((false, kind)) if open.is_some_and(|o| o.kind == kind) => {
                            if let Some(o) = open.as_mut() {
                                o.end = i + 1;
                            }
                        }
                        Some((_, kind)) => {
                            spans.extend(open.take());
                            open = Some(TagSpan {
                                start: i,
                                end: i + 1,
                                kind,
                            });
                        }
                        None => spans.extend(open.take()),
                    }
                }
                spans.extend(open.take());
            }
        });
        spans
    }
}

/// `(is_begin, type)` of a label; `None` for `O`.
fn label_kind(label: &str) -> Option<(bool, EntityType)> {
    let (prefix, ty) = label.split_once('-')?;
    let kind = match ty {
        "PER" => EntityType::PER,
        "ORG" => EntityType::ORG,
        "LOC" => EntityType::LOC,
        _ => EntityType::MISC,
    };
    Some((prefix == "B", kind))
}

/// The stage: entities of `text` (tokenised as `doc`), in order of first
/// mention. `lang` is the ISO 639-1 code (detected or hinted).
pub fn extract(
    text: &str,
    doc: &Document,
    lang: &str,
    models: &EntityModels,
    gazetteer: &Gazetteer,
) -> Vec<Entity> {
    if doc.tokens.is_empty() {
        return Vec::new();
    }
    let matches = gazetteer.find(text, doc);
    let gaz_tags = training::gazetteer_tags_for(&doc.tokens, &matches);
    let spans = models.tag_document(text, doc, &gaz_tags, lang);
    document::build(text, doc, lang, &spans, &matches, gazetteer)
}

/// What the pipeline holds for this stage: the tagger and the gazetteer,
/// loaded once and shared read-only by all workers.
pub struct EntityStage {
    pub models: EntityModels,
    pub gazetteer: Gazetteer,
    version: String,
}

impl std::fmt::Debug for EntityStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntityStage")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl EntityStage {
    /// Loads the embedded model and gazetteer (a fraction of a second).
    pub fn load() -> anyhow::Result<EntityStage> {
        let models = EntityModels::load()?;
        let gazetteer = Gazetteer::load().context("loading the gazetteer")?;
        let version = format!("ner={:016x}", features::hash_str_bytes(EMBEDDED_MODEL));
        Ok(EntityStage {
            models,
            gazetteer,
            version,
        })
    }

    /// The stage with a tagger model file written by `newsflow train ner`
    /// instead of the embedded one (to score a candidate model end to end
    /// before it is shipped).
    pub fn with_model_file(path: &Path) -> anyhow::Result<EntityStage> {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read model {}", path.display()))?;
        let models = EntityModels {
            tagger: TaggerModel::from_bytes(&bytes).with_context(|| format!("in {}", path.display()))?,
        };
        Ok(EntityStage {
            models,
            gazetteer: Gazetteer::load().context("loading the gazetteer")?,
            version: format!("ner={:016x}", features::hash_str_bytes(&bytes)),
        })
    }

    /// `ner=<hash of the model file>`, for provenance headers.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Tokenises `text` and extracts its entities. The document is returned
    /// too: the relations stage works on the same tokens.
    pub fn run(&self, text: &str, lang: &str) -> (Document, Vec<Entity>) {
        let doc = crate::pipeline::tokens::analyze(text, lang);
        let entities = extract(text, &doc, lang, &self.models, &self.gazetteer);
        (doc, entities)
    }
}
