//! Reader for the CoNLL04 relation corpus (Roth & Yih 2004) in the JSON
//! layout of `../shared/corpora/relations/conll04`: one array of sentences,
//! each with `tokens`, BILOU `tags` over Peop/Org/Loc/Other and `relations`
//! `{head, tail, type}` whose head and tail index the sentence's entities in
//! left-to-right order.

use crate::pipeline::record::EntityType;
use anyhow::{bail, Context};
use serde::Deserialize;
use std::ops::Range;
use std::path::Path;

/// The five CoNLL04 relation types, with the entity types of their
/// arguments (always the same in the corpus: 100% of train and dev).
pub const RELATION_TYPES: [(&str, EntityType, EntityType); 5] = [
    ("Work_For", EntityType::PER, EntityType::ORG),
    ("Live_In", EntityType::PER, EntityType::LOC),
    ("Located_In", EntityType::LOC, EntityType::LOC),
    ("OrgBased_In", EntityType::ORG, EntityType::LOC),
    ("Kill", EntityType::PER, EntityType::PER),
];

/// The CoNLL04 relation type whose arguments have these types, if any.
pub fn relation_for(subject: EntityType, object: EntityType) -> Option<usize> {
    RELATION_TYPES
        .iter()
        .position(|&(_, s, o)| s == subject && o == object)
}

/// One gold entity: token range and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldEntity {
    pub tokens: Range<usize>,
    pub kind: EntityType,
}

/// One gold relation between entities (indices into `entities`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldRelation {
    pub head: usize,
    pub tail: usize,
    /// Index into [`RELATION_TYPES`].
    pub label: usize,
}

/// One annotated sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub tokens: Vec<String>,
    pub entities: Vec<GoldEntity>,
    pub relations: Vec<GoldRelation>,
}

#[derive(Deserialize)]
struct RawSentence {
    tokens: Vec<String>,
    tags: Vec<String>,
    #[serde(default)]
    relations: Vec<RawRelation>,
}

#[derive(Deserialize)]
struct RawRelation {
    head: usize,
    tail: usize,
    #[serde(rename = "type")]
    kind: String,
}

/// Maps a CoNLL04 entity label to the pipeline's types.
pub fn entity_type(label: &str) -> Option<EntityType> {
    match label {
        "Peop" => Some(EntityType::PER),
        "Org" => Some(EntityType::ORG),
        "Loc" => Some(EntityType::LOC),
        "Other" => Some(EntityType::MISC),
        _ => None,
    }
}

/// Reads a CoNLL04 JSON file.
pub fn read(path: &Path) -> anyhow::Result<Vec<Example>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {} (a CoNLL04 JSON file)", path.display()))?;
    parse(&text).with_context(|| format!("in {}", path.display()))
}

/// Parses the JSON text of a CoNLL04 file.
pub fn parse(text: &str) -> anyhow::Result<Vec<Example>> {
    let raw: Vec<RawSentence> = serde_json::from_str(text).context(
        "not CoNLL04 JSON: expected an array of {\"tokens\", \"tags\", \"relations\": [{\"head\", \"tail\", \"type\"}]}",
    )?;
    raw.into_iter()
        .enumerate()
        .map(|(i, s)| convert(s).with_context(|| format!("sentence {i}")))
        .collect()
}

fn convert(s: RawSentence) -> anyhow::Result<Example> {
    if s.tokens.len() != s.tags.len() {
        bail!("{} tokens but {} tags", s.tokens.len(), s.tags.len());
    }
    let mut entities = Vec::new();
    let mut open: Option<(usize, EntityType)> = None;
    for (i, tag) in s.tags.iter().enumerate() {
        if tag == "O" {
            open = None;
            continue;
        }
        let (prefix, label) = tag
            .split_once('-')
            .with_context(|| format!("bad tag `{tag}` (expected BILOU like B-Peop)"))?;
        let kind = entity_type(label).with_context(|| format!("unknown entity type `{label}`"))?;
        match prefix {
            "U" | "S" => {
                entities.push(GoldEntity {
                    tokens: i..i + 1,
                    kind,
                });
                open = None;
            }
            "B" => open = Some((i, kind)),
            "I" => {
                // A stray I- opens an entity, as IOB readers do.
                if open.map(|(_, k)| k) != Some(kind) {
                    open = Some((i, kind));
                }
            }
            "L" | "E" => {
                let start = match open {
                    Some((start, k)) if k == kind => start,
                    _ => i,
                };
                entities.push(GoldEntity {
                    tokens: start..i + 1,
                    kind,
                });
                open = None;
            }
            other => bail!("bad tag prefix `{other}` in `{tag}`"),
        }
    }
    let relations = s
        .relations
        .iter()
        .map(|r| {
            let label = RELATION_TYPES
                .iter()
                .position(|(name, _, _)| *name == r.kind)
                .with_context(|| format!("unknown relation type `{}`", r.kind))?;
            if r.head >= entities.len() || r.tail >= entities.len() {
                bail!(
                    "relation {} refers to entity {} or {} but the sentence has {}",
                    r.kind,
                    r.head,
                    r.tail,
                    entities.len()
                );
            }
            Ok(GoldRelation {
                head: r.head,
                tail: r.tail,
                label,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Example {
        tokens: s.tokens,
        entities,
        relations,
    })
}

/// Micro-averaged counts for strict relation scoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub predicted: usize,
    pub gold: usize,
    pub correct: usize,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.predicted += other.predicted;
        self.gold += other.gold;
        self.correct += other.correct;
    }
    pub fn precision(&self) -> f64 {
        if self.predicted == 0 {
            0.0
        } else {
            self.correct as f64 / self.predicted as f64
        }
    }
    pub fn recall(&self) -> f64 {
        if self.gold == 0 {
            0.0
        } else {
            self.correct as f64 / self.gold as f64
        }
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// A relation in strict scoring form: (type, head span and type, tail span
/// and type), spans as token ranges.
pub type StrictRelation = (usize, (usize, usize, EntityType), (usize, usize, EntityType));

/// The gold relations of an example in strict form.
pub fn strict_gold(ex: &Example) -> Vec<StrictRelation> {
    let key = |e: &GoldEntity| (e.tokens.start, e.tokens.end, e.kind);
    ex.relations
        .iter()
        .map(|r| (r.label, key(&ex.entities[r.head]), key(&ex.entities[r.tail])))
        .collect()
}

/// Strict counts of one sentence: a prediction is correct when type and
/// both argument spans and types equal a gold relation's (each gold
/// relation matches at most once).
pub fn score(predicted: &[StrictRelation], gold: &[StrictRelation]) -> Counts {
    let mut unmatched: Vec<&StrictRelation> = gold.iter().collect();
    let mut correct = 0;
    let mut seen: Vec<&StrictRelation> = Vec::new();
    for p in predicted {
        if seen.contains(&p) {
            continue;
        }
        seen.push(p);
        if let Some(i) = unmatched.iter().position(|g| *g == p) {
            unmatched.swap_remove(i);
            correct += 1;
        }
    }
    Counts {
        predicted: seen.len(),
        gold: gold.len(),
        correct,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bilou_and_relations() {
        let json = r#"[{"tokens": ["Bruno","Pusterla",",","of","the","Italian","Confederation","in","Rome"],
            "tags": ["B-Peop","L-Peop","O","O","O","B-Org","L-Org","O","U-Loc"],
            "relations": [{"head":0,"tail":1,"type":"Work_For"},{"head":1,"tail":2,"type":"OrgBased_In"}]}]"#;
        let ex = parse(json).unwrap();
        assert_eq!(ex.len(), 1);
        let e = &ex[0];
        assert_eq!(e.entities.len(), 3);
        assert_eq!(e.entities[0].tokens, 0..2);
        assert_eq!(e.entities[1].kind, EntityType::ORG);
        assert_eq!(e.entities[2].tokens, 8..9);
        assert_eq!(e.relations[1].label, 3);
    }

    #[test]
    fn rejects_bad_input_with_a_reason() {
        let err = parse(r#"[{"tokens":["a"],"tags":[]}]"#).unwrap_err();
        assert!(format!("{err:#}").contains("1 tokens but 0 tags"));
        let err =
            parse(r#"[{"tokens":["a"],"tags":["U-Peop"],"relations":[{"head":0,"tail":3,"type":"Kill"}]}]"#)
                .unwrap_err();
        assert!(format!("{err:#}").contains("refers to entity"));
        assert!(parse("{}").is_err());
    }

    #[test]
    fn strict_scoring_counts_duplicates_once() {
        let g = vec![(0, (0, 2, EntityType::PER), (5, 6, EntityType::ORG))];
        let wrong_type = (0, (0, 2, EntityType::PER), (5, 6, EntityType::LOC));
        let c = score(&[g[0], g[0], wrong_type], &g);
        assert_eq!((c.predicted, c.gold, c.correct), (2, 1, 1));
        assert!((c.precision() - 0.5).abs() < 1e-9 && (c.recall() - 1.0).abs() < 1e-9);
        assert_eq!(Counts::default().f1(), 0.0);
    }

    #[test]
    fn type_signatures() {
        assert_eq!(relation_for(EntityType::PER, EntityType::ORG), Some(0));
        assert_eq!(relation_for(EntityType::ORG, EntityType::PER), None);
    }
}
