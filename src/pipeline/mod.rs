//! The pure core: one raw article in, one enriched record out.
//!
//! No Kafka, no async, no I/O: the same [`Pipeline::enrich`] serves
//! `newsflow enrich`, the Kafka runtime, replays and evaluation. Each stage
//! is its own module with its own tests.

pub mod article;
pub mod clean;
pub mod entities;
pub mod language;
pub mod linking;
pub mod record;
pub mod relations;
pub mod tokens;

use std::str::FromStr;
use std::time::Instant;

pub use article::{Article, InputError};
pub use record::EnrichedRecord;

/// Version of the core, stamped on every record and Kafka header.
pub const PIPELINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Which stages run. `relations` needs entities, so it turns them on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stages {
    pub clean: bool,
    pub entities: bool,
    pub relations: bool,
}

impl Stages {
    pub const ALL: Stages = Stages {
        clean: true,
        entities: true,
        relations: true,
    };
}

impl Default for Stages {
    fn default() -> Self {
        Stages::ALL
    }
}

impl FromStr for Stages {
    type Err = String;

    /// Parses `clean,entities,relations` (any subset, any order; `all`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut stages = Stages {
            clean: false,
            entities: false,
            relations: false,
        };
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "clean" => stages.clean = true,
                "entities" => stages.entities = true,
                "relations" => {
                    stages.entities = true;
                    stages.relations = true
                }
                "all" => stages = Stages::ALL,
                other => {
                    return Err(format!(
                        "unknown stage `{other}`: choose from clean, entities, relations (comma-separated)"
                    ))
                }
            }
        }
        if !(stages.clean || stages.entities || stages.relations) {
            return Err("no stage selected: give at least one of clean, entities, relations".into());
        }
        Ok(stages)
    }
}

/// A stage failed on one article. The runtime sends the article to the DLQ
/// with `kind()` as the reason; `enrich` prints it as the line's error.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("{stage} stage failed: {message}")]
    Stage { stage: &'static str, message: String },
}

impl PipelineError {
    pub fn kind(&self) -> &'static str {
        match self {
            PipelineError::Stage { .. } => "stage_error",
        }
    }
}

/// The loaded models and gazetteers; built once, shared by all workers.
#[derive(Debug)]
pub struct Pipeline {
    /// Tagger and gazetteer of the `entities` stage.
    pub entities: entities::EntityStage,
    /// Patterns and the CoNLL04 pair classifier of the `relations` stage.
    pub relations: relations::RelationModels,
}

impl Pipeline {
    /// Loads the models shipped in the binary.
    pub fn load() -> anyhow::Result<Pipeline> {
        Ok(Pipeline {
            entities: entities::EntityStage::load()?,
            relations: relations::RelationModels::load()?,
        })
    }

    /// `name=version` of every model and gazetteer this pipeline loaded,
    /// comma-separated, for the provenance headers of Kafka outputs
    /// (`newsflow-model-versions`). A stage that loads a model adds its
    /// entry here; empty while no stage uses one.
    pub fn model_versions(&self) -> String {
        let versions: Vec<String> = vec![self.entities.version().to_string()];
        versions.join(",")
    }

    /// Replaces the relation classifier (evaluation of a retrained model).
    pub fn set_relation_models(&mut self, models: relations::RelationModels) {
        self.relations = models;
    }

    /// Runs the selected stages on one article.
    pub fn enrich(&self, article: &Article, stages: Stages) -> Result<EnrichedRecord, PipelineError> {
        let mut timings = Vec::new();
        let mut ran = Vec::new();
        let started = Instant::now();
        let (text, title, boilerplate, metadata) = if stages.clean {
            // `text` wins when both are given (the scraper already chose the text).
            let input = match (&article.text, &article.html) {
                (Some(text), _) if !text.trim().is_empty() => clean::clean_text(text),
                (_, Some(html)) => clean::clean_html_with_url(html, article.url.as_deref()),
                (Some(text), None) => clean::clean_text(text),
                (None, None) => {
                    return Err(PipelineError::Stage {
                        stage: "clean",
                        message: "article has neither `text` nor `html`".into(),
                    })
                }
            };
            timings.push(("clean", started.elapsed()));
            ran.push("clean");
            (
                input.text,
                input.title.or_else(|| article.title.clone()),
                input.boilerplate,
                input.metadata,
            )
        } else {
            // Without the clean stage, text passes unchanged; HTML becomes its
            // plain visible text (no boilerplate judgement).
            let text = match (&article.text, &article.html) {
                (Some(text), _) => text.clone(),
                (None, Some(html)) => clean::html_to_text(html),
                (None, None) => {
                    return Err(PipelineError::Stage {
                        stage: "clean",
                        message: "article has neither `text` nor `html`".into(),
                    })
                }
            };
            (text, article.title.clone(), Vec::new(), Default::default())
        };
        // The hint wins; otherwise the cleaned text says.
        let lang = language::resolve(article.lang.as_deref(), &text);
        let mut found = Vec::new();
        let (mut found_relations, mut found_events) = (Vec::new(), Vec::new());
        if stages.entities {
            let t = Instant::now();
            let (doc, ents) = self.entities.run(&text, lang.as_deref().unwrap_or("xx"));
            found = ents;
            timings.push(("entities", t.elapsed()));
            ran.push("entities");
            if stages.relations {
                let t = Instant::now();
                (found_relations, found_events) = relations::extract(
                    &text,
                    &doc,
                    &found,
                    lang.as_deref().unwrap_or("xx"),
                    &self.relations,
                );
                timings.push(("relations", t.elapsed()));
                ran.push("relations");
            }
        }
        Ok(EnrichedRecord {
            id: article.id.clone(),
            text,
            title,
            lang,
            metadata,
            boilerplate,
            entities: found,
            relations: found_relations,
            events: found_events,
            stages: ran,
            pipeline_version: PIPELINE_VERSION,
            extra: article.extra.clone(),
            timings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_names() {
        let s: Stages = "entities".parse().unwrap();
        assert!(!s.clean && s.entities && !s.relations);
        let s: Stages = "relations".parse().unwrap();
        assert!(s.entities && s.relations);
        assert!("foo".parse::<Stages>().is_err());
        assert!("".parse::<Stages>().is_err());
    }

    #[test]
    fn without_clean_text_is_unchanged() {
        let p = Pipeline::load().unwrap();
        let a = Article::from_json_str(r#"{"id":"a","text":"  Le  Kazakhstan  "}"#, None).unwrap();
        let r = p.enrich(&a, "entities".parse().unwrap()).unwrap();
        assert_eq!(r.text, "  Le  Kazakhstan  ");
        let r = p.enrich(&a, "clean".parse().unwrap()).unwrap();
        assert_eq!(r.text, "Le Kazakhstan");
    }
}
