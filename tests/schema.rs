//! The output contract: records from `Pipeline::enrich` (and, with the
//! `kafka` feature, the relation records the runtime publishes) must
//! validate against `schema/*.schema.json`, and the schemas must notice a
//! renamed or retyped field.
//!
//! The validator below implements exactly the JSON Schema 2020-12 keywords
//! the two schemas use and refuses any other keyword, so a schema edit
//! cannot silently go unchecked. (The `jsonschema` crate would pull about
//! a hundred crates into the build for this one test.) The schemas were
//! also checked against the 2020-12 meta-schema with Python's `jsonschema`
//! (`scripts/validate-deploy.py`).

use newsflow::pipeline::record::{
    BoilerplateBlock, EnrichedRecord, Entity, EntityType, Event, Mention, PageMetadata, Relation, Span,
};
use newsflow::pipeline::{Article, Pipeline, Stages};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

// ---------------------------------------------------------------------------
// A validator for the subset of JSON Schema 2020-12 the schemas use.

/// Keywords the validator understands. Annotations (title, description...)
/// are accepted and ignored, as the specification says.
const KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "$ref",
    "$comment",
    "title",
    "description",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "minItems",
    "pattern",
];

struct Validator {
    root: Value,
}

impl Validator {
    fn load(name: &str) -> Validator {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema").join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let root: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        assert_eq!(root["$schema"], "https://json-schema.org/draft/2020-12/schema");
        Validator { root }
    }

    /// All violations, as `path: message`; empty when the instance is valid.
    fn errors(&self, instance: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.check(&self.root, instance, "$", &mut errors);
        errors
    }

    fn resolve(&self, reference: &str) -> &Value {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("only local $ref is supported, got {reference}"));
        self.root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("$ref {reference} points nowhere"))
    }

    fn check(&self, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
        let schema = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => {
                errors.push(format!("{path}: not allowed"));
                return;
            }
            Value::Object(s) => s,
            other => panic!("schema at {path} is not an object or boolean: {other}"),
        };
        for key in schema.keys() {
            assert!(
                KEYWORDS.contains(&key.as_str()),
                "schema keyword `{key}` (at {path}) is not implemented by this test's validator: implement it here"
            );
        }
        if let Some(Value::String(r)) = schema.get("$ref") {
            self.check(self.resolve(r), value, path, errors);
        }
        if let Some(t) = schema.get("type") {
            let allowed: Vec<&str> = match t {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a
                    .iter()
                    .map(|v| v.as_str().expect("type names are strings"))
                    .collect(),
                _ => panic!("bad `type` at {path}"),
            };
            if !allowed.iter().any(|t| has_type(value, t)) {
                errors.push(format!("{path}: expected {allowed:?}, got {value}"));
                return;
            }
        }
        if let Some(Value::Array(options)) = schema.get("enum") {
            if !options.contains(value) {
                errors.push(format!("{path}: {value} is not one of {options:?}"));
            }
        }
        if let Some(n) = value.as_f64() {
            if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
                if n < min {
                    errors.push(format!("{path}: {n} < minimum {min}"));
                }
            }
            if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
                if n > max {
                    errors.push(format!("{path}: {n} > maximum {max}"));
                }
            }
        }
        if let Value::String(s) = value {
            if let Some(min) = schema.get("minLength").and_then(Value::as_u64) {
                if (s.chars().count() as u64) < min {
                    errors.push(format!("{path}: shorter than {min} characters"));
                }
            }
            if let Some(Value::String(p)) = schema.get("pattern") {
                let re = regex::Regex::new(p).unwrap_or_else(|e| panic!("bad pattern {p}: {e}"));
                if !re.is_match(s) {
                    errors.push(format!("{path}: {s:?} does not match {p}"));
                }
            }
        }
        if let Value::Array(items) = value {
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
                if (items.len() as u64) < min {
                    errors.push(format!("{path}: fewer than {min} items"));
                }
            }
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    self.check(item_schema, item, &format!("{path}[{i}]"), errors);
                }
            }
        }
        if let Value::Object(obj) = value {
            if let Some(Value::Array(required)) = schema.get("required") {
                for r in required {
                    let r = r.as_str().expect("required names are strings");
                    if !obj.contains_key(r) {
                        errors.push(format!("{path}: missing required property `{r}`"));
                    }
                }
            }
            let empty = Map::new();
            let props = schema
                .get("properties")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            for (k, v) in obj {
                let sub = format!("{path}.{k}");
                match (props.get(k), schema.get("additionalProperties")) {
                    (Some(s), _) => self.check(s, v, &sub, errors),
                    (None, Some(extra)) => match extra {
                        Value::Bool(false) => errors.push(format!("{path}: unknown property `{k}`")),
                        other => self.check(other, v, &sub, errors),
                    },
                    (None, None) => {}
                }
            }
        }
    }
}

fn has_type(value: &Value, t: &str) -> bool {
    match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0),
        other => panic!("unknown JSON Schema type `{other}`"),
    }
}

// ---------------------------------------------------------------------------
// Checks beyond what JSON Schema can say.

/// The top level allows input fields to pass through, so a renamed
/// optional field would slip past the schema: every top-level key must be
/// either a schema property or a field of the input.
fn unexpected_top_level_keys(schema: &Validator, record: &Value, input: &Value) -> Vec<String> {
    let props = schema.root["properties"].as_object().unwrap();
    record
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !props.contains_key(*k) && input.get(k.as_str()).is_none())
        .cloned()
        .collect()
}

/// Offsets and cross references the schema cannot express: spans inside
/// the text, mention text equal to its slice, relation and event
/// references that resolve.
fn consistency_errors(record: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let text: Vec<char> = record["text"].as_str().unwrap_or("").chars().collect();
    // `None`: a start or end is missing or not an offset (the schema reports that).
    let span = |v: &Value| Some((v["start"].as_u64()? as usize, v["end"].as_u64()? as usize));
    let span_ok = |v: &Value| span(v).is_none_or(|(s, e)| s <= e && e <= text.len());
    let entity_ids: Vec<&str> = record["entities"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["id"].as_str()).collect())
        .unwrap_or_default();
    for (i, entity) in record["entities"].as_array().into_iter().flatten().enumerate() {
        let mentions = entity["mentions"].as_array().cloned().unwrap_or_default();
        for (j, m) in mentions.iter().enumerate() {
            if !span_ok(m) {
                errors.push(format!("entities[{i}].mentions[{j}]: span outside the text"));
                continue;
            }
            let Some((s, e)) = span(m) else { continue };
            let slice: String = text[s..e].iter().collect();
            if m["text"].as_str() != Some(slice.as_str()) {
                errors.push(format!(
                    "entities[{i}].mentions[{j}]: text {} but the record's text has {slice:?} at {s}..{e} (offsets must be code points)",
                    m["text"]
                ));
            }
        }
        let first = mentions.iter().filter_map(|m| m["start"].as_u64()).min();
        if first.is_some() && entity["first"].as_u64() != first {
            errors.push(format!("entities[{i}]: `first` is not the first mention's start"));
        }
    }
    if entity_ids.len() != entity_ids.iter().collect::<std::collections::BTreeSet<_>>().len() {
        errors.push("entities: duplicate entity ids".into());
    }
    let relations = record["relations"].as_array().cloned().unwrap_or_default();
    for (i, r) in relations.iter().enumerate() {
        for side in ["subject", "object"] {
            if !r[side].as_str().is_some_and(|id| entity_ids.contains(&id)) {
                errors.push(format!("relations[{i}].{side}: {} is not an entity id", r[side]));
            }
        }
        for span in ["subject_mention", "object_mention", "evidence", "trigger"] {
            if r.get(span).is_some() && !span_ok(&r[span]) {
                errors.push(format!("relations[{i}].{span}: span outside the text"));
            }
        }
    }
    for (i, ev) in record["events"].as_array().into_iter().flatten().enumerate() {
        for idx in ev["relations"].as_array().into_iter().flatten() {
            if idx.as_u64().is_none_or(|x| x as usize >= relations.len()) {
                errors.push(format!("events[{i}].relations: {idx} is not a relation index"));
            }
        }
        for actor in ev["actors"].as_array().into_iter().flatten() {
            if !actor.as_str().is_some_and(|id| entity_ids.contains(&id)) {
                errors.push(format!("events[{i}].actors: {actor} is not an entity id"));
            }
        }
    }
    for (i, b) in record["boilerplate"].as_array().into_iter().flatten().enumerate() {
        if b["start"].as_u64() > b["end"].as_u64() {
            errors.push(format!("boilerplate[{i}]: start after end"));
        }
    }
    errors
}

/// Validates one record against the enriched schema and the extra checks.
fn assert_valid_record(schema: &Validator, record: &Value, input: &Value) {
    let mut errors = schema.errors(record);
    for k in unexpected_top_level_keys(schema, record, input) {
        errors.push(format!(
            "$: property `{k}` is neither in schema/enriched-record.schema.json nor an input field \
             (a renamed field? a new field must be added to the schema)"
        ));
    }
    errors.extend(consistency_errors(record));
    assert!(
        errors.is_empty(),
        "record {} breaks the output contract:\n  {}",
        record["id"],
        errors.join("\n  ")
    );
}

fn enrich(pipeline: &Pipeline, input: &Value, stages: Stages) -> Value {
    let article = Article::from_json_value(input.clone(), None).expect("valid test input");
    let record = pipeline
        .enrich(&article, stages)
        .unwrap_or_else(|e| panic!("enrich failed on {input}: {e}"));
    serde_json::to_value(&record).unwrap()
}

fn example_inputs() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kazakhstan-eu.jsonl");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Inputs at the edges of what the core accepts.
fn edge_inputs() -> Vec<Value> {
    vec![
        json!({"id": "min", "text": "x"}),
        json!({"id": 42, "text": "Numeric ids become strings."}),
        json!({"url": "https://example.org/a", "text": "No id: the id is a hash of the url."}),
        json!({"id": "unicode", "lang": "fr_FR", "title": "Été 🌍",
               "text": "L’élève à Genève 🇫🇷 rencontre Zoë\u{301} à Bruxelles.\r\n\r\nDeuxième paragraphe\u{a0}: fin."}),
        json!({"id": "carry", "text": "Input fields ride along.", "source": "afp", "published_at": "2026-11-28T10:00:00Z",
               "nested": {"a": [1, 2, {"b": null}]}, "tags": ["x", "y"], "flag": true, "score": 1.5, "nothing": null}),
        json!({"id": "spaces", "text": "   \n\n  Mostly   whitespace \t \n\n  "}),
        json!({"id": "long", "text": "Le Kazakhstan et l’Union européenne coopèrent. ".repeat(400)}),
    ]
}

const STAGE_SETS: &[&str] = &["clean", "entities", "clean,entities", "clean,entities,relations"];

#[test]
fn pipeline_output_matches_the_enriched_schema() {
    let schema = Validator::load("enriched-record.schema.json");
    let pipeline = Pipeline::load().expect("models load");
    let inputs: Vec<Value> = example_inputs().into_iter().chain(edge_inputs()).collect();
    let mut checked = 0;
    for stages in STAGE_SETS {
        for input in &inputs {
            let record = enrich(&pipeline, input, stages.parse().unwrap());
            assert_valid_record(&schema, &record, input);
            checked += 1;
        }
    }
    assert_eq!(checked, STAGE_SETS.len() * inputs.len());
}

#[test]
fn example_article_keeps_its_input_fields() {
    let pipeline = Pipeline::load().unwrap();
    let input = &example_inputs()[0];
    let record = enrich(&pipeline, input, Stages::ALL);
    assert_eq!(record["id"], input["id"]);
    assert_eq!(record["url"], input["url"], "url is carried through");
    assert_eq!(record["lang"], "fr");
}

/// Every field of the contract filled in, so the parts of the schema the
/// current stages may leave empty (entities, relations, events, metadata)
/// are exercised too.
fn full_record() -> EnrichedRecord {
    let text = "Kassym-Jomart Tokaïev a reçu Josep Borrell à Astana. 🇰🇿";
    let pos = |needle: &str| {
        let byte = text.find(needle).unwrap();
        let start = text[..byte].chars().count();
        (start, start + needle.chars().count())
    };
    let mention = |needle: &str| {
        let (start, end) = pos(needle);
        Mention {
            start,
            end,
            text: needle.into(),
        }
    };
    let span = |needle: &str| {
        let (s, e) = pos(needle);
        Span::new(s, e)
    };
    let entity = |id: &str, name: &str, kind, subtype: Option<&str>, qid: Option<&str>, m: Mention| Entity {
        id: id.into(),
        name: name.into(),
        kind,
        subtype: subtype.map(Into::into),
        qid: qid.map(Into::into),
        first: m.start,
        mentions: vec![m],
        count: 1,
        salience: 0.5,
    };
    let mut attributes = BTreeMap::new();
    attributes.insert("modality".to_string(), "stated".to_string());
    let mut extra = Map::new();
    extra.insert("url".into(), json!("https://example.org/visit"));
    extra.insert("source".into(), json!("example"));
    EnrichedRecord {
        id: "full".into(),
        text: text.into(),
        title: Some("Visite".into()),
        lang: Some("fr".into()),
        metadata: PageMetadata {
            author: Some("A. Uteur".into()),
            published: Some("2026-11-28".into()),
            canonical_url: Some("https://example.org/visit".into()),
            site_name: Some("Example".into()),
            lang: Some("fr".into()),
        },
        boilerplate: vec![BoilerplateBlock {
            kind: "comment_form".into(),
            text: "Laisser un commentaire".into(),
            start: 60,
            end: 82,
        }],
        entities: vec![
            entity(
                "wd:Q1",
                "Kassym-Jomart Tokaïev",
                EntityType::PER,
                None,
                Some("Q1"),
                mention("Kassym-Jomart Tokaïev"),
            ),
            entity(
                "josep-borrell",
                "Josep Borrell",
                EntityType::PER,
                None,
                None,
                mention("Josep Borrell"),
            ),
            entity(
                "wd:Q1520",
                "Astana",
                EntityType::LOC,
                Some("city"),
                Some("Q1520"),
                mention("Astana"),
            ),
        ],
        relations: vec![Relation {
            kind: "meet".into(),
            subject: "wd:Q1".into(),
            object: "josep-borrell".into(),
            subject_mention: span("Kassym-Jomart Tokaïev"),
            object_mention: span("Josep Borrell"),
            attributes: attributes.clone(),
            evidence: span("Kassym-Jomart Tokaïev a reçu Josep Borrell à Astana."),
            trigger: Some(span("reçu")),
            confidence: 0.9,
            extractor: "pattern:test".into(),
        }],
        events: vec![Event {
            code: "04".into(),
            name: "Consult".into(),
            actors: vec!["wd:Q1".into(), "josep-borrell".into()],
            relations: vec![0],
            attributes,
        }],
        stages: vec!["clean", "entities", "relations"],
        pipeline_version: newsflow::pipeline::PIPELINE_VERSION,
        extra,
        timings: Vec::new(),
    }
}

#[test]
fn fully_populated_record_matches_the_schema() {
    let schema = Validator::load("enriched-record.schema.json");
    let record = serde_json::to_value(full_record()).unwrap();
    let input = json!({"url": "", "source": ""});
    assert_valid_record(&schema, &record, &input);
    // Every property the schema names for nested objects is produced by the
    // Rust types (no stale schema entries: a field renamed in Rust and in a
    // consumer but left in the schema would otherwise go unnoticed).
    for (def, value) in [
        ("entity", &record["entities"][2]),
        ("relation", &record["relations"][0]),
        ("event", &record["events"][0]),
        ("mention", &record["entities"][0]["mentions"][0]),
        ("boilerplate_block", &record["boilerplate"][0]),
        ("metadata", &record["metadata"]),
        ("span", &record["relations"][0]["evidence"]),
    ] {
        let props = schema.root["$defs"][def]["properties"].as_object().unwrap();
        for name in props.keys() {
            assert!(
                value.get(name).is_some(),
                "schema $defs/{def} names `{name}` but the serialized record has no such field"
            );
        }
    }
    for name in schema.root["properties"].as_object().unwrap().keys() {
        assert!(
            record.get(name).is_some(),
            "schema names top-level `{name}` but the record has no such field"
        );
    }
}

/// The negative side: the schema rejects renamed, missing and retyped
/// fields, so the tests above can fail.
#[test]
fn schema_rejects_broken_records() {
    let schema = Validator::load("enriched-record.schema.json");
    let good = serde_json::to_value(full_record()).unwrap();
    let input = json!({"url": "", "source": ""});
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        edit(&mut v);
        let mut errors = schema.errors(&v);
        errors.extend(unexpected_top_level_keys(&schema, &v, &input));
        errors.extend(consistency_errors(&v));
        errors
    };
    let rename = |obj: &mut Value, from: &str, to: &str| {
        let o = obj.as_object_mut().unwrap();
        let v = o.remove(from).unwrap_or_else(|| panic!("no field {from}"));
        o.insert(to.into(), v);
    };
    // Every contract field renamed, at every level.
    for field in good
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| input.get(k.as_str()).is_none())
    {
        let errs = broken(&|v| rename(v, field, &format!("{field}_renamed")));
        assert!(!errs.is_empty(), "renaming top-level `{field}` went unnoticed");
    }
    for (path, field) in [
        ("/entities/2", "subtype"),
        ("/entities/0", "qid"),
        ("/entities/0", "mentions"),
        ("/entities/0", "type"),
        ("/entities/0/mentions/0", "start"),
        ("/entities/0/mentions/0", "text"),
        ("/relations/0", "type"),
        ("/relations/0", "subject_mention"),
        ("/relations/0", "trigger"),
        ("/relations/0", "attributes"),
        ("/relations/0/evidence", "end"),
        ("/events/0", "code"),
        ("/events/0", "attributes"),
        ("/boilerplate/0", "kind"),
        ("/metadata", "canonical_url"),
    ] {
        let errs = broken(&|v| rename(v.pointer_mut(path).unwrap(), field, "renamed"));
        assert!(!errs.is_empty(), "renaming {path}/{field} went unnoticed");
    }
    // Wrong types and values.
    type Edit = fn(&mut Value);
    let cases: Vec<(&str, Edit)> = vec![
        ("entity type", |v| v["entities"][0]["type"] = json!("PERSON")),
        ("negative offset", |v| {
            v["entities"][0]["mentions"][0]["start"] = json!(-1)
        }),
        ("float offset", |v| {
            v["relations"][0]["evidence"]["end"] = json!(3.5)
        }),
        ("string offset", |v| v["boilerplate"][0]["start"] = json!("60")),
        ("qid shape", |v| v["entities"][0]["qid"] = json!("wd:Q1")),
        ("id type", |v| v["id"] = json!(42)),
        ("empty id", |v| v["id"] = json!("")),
        ("text null", |v| v["text"] = Value::Null),
        ("lang shape", |v| v["lang"] = json!("French")),
        ("confidence range", |v| {
            v["relations"][0]["confidence"] = json!(1.5)
        }),
        ("event code", |v| v["events"][0]["code"] = json!("21")),
        ("no mentions", |v| v["entities"][0]["mentions"] = json!([])),
        ("attribute type", |v| {
            v["relations"][0]["attributes"]["modality"] = json!(1)
        }),
        ("entities not array", |v| v["entities"] = json!({})),
        ("mention off text", |v| {
            v["entities"][0]["mentions"][0]["end"] = json!(10_000)
        }),
        (
            "byte offsets",
            // Tokaïev: "ï" is one code point but two bytes.
            |v| v["entities"][1]["mentions"][0]["start"] = json!(31),
        ),
        ("dangling subject", |v| {
            v["relations"][0]["subject"] = json!("wd:Q999")
        }),
        ("dangling event relation", |v| {
            v["events"][0]["relations"] = json!([3])
        }),
        ("unknown nested field", |v| {
            v["entities"][0]["confidence"] = json!(1)
        }),
    ];
    for (what, edit) in cases {
        assert!(!broken(&edit).is_empty(), "{what}: broken record accepted");
    }
}

#[cfg(feature = "kafka")]
#[test]
fn published_relation_records_match_the_relation_schema() {
    let schema = Validator::load("relation-record.schema.json");
    let record = full_record();
    for index in 0..record.relations.len() {
        let value = newsflow::stream::produce::relation_value(&record, index).unwrap();
        let errors = schema.errors(&value);
        assert!(
            errors.is_empty(),
            "relation record breaks the contract:\n  {}",
            errors.join("\n  ")
        );
        assert_eq!(value["subject_name"], "Kassym-Jomart Tokaïev");
    }
    let mut bad = newsflow::stream::produce::relation_value(&record, 0).unwrap();
    let v = bad.as_object_mut().unwrap().remove("article_id").unwrap();
    bad.as_object_mut().unwrap().insert("article".into(), v);
    assert!(
        !schema.errors(&bad).is_empty(),
        "renamed article_id went unnoticed"
    );
}

/// A relation record is a relation plus context: its schema must describe
/// the relation fields exactly as the enriched schema does.
#[test]
fn relation_schema_agrees_with_the_enriched_schema() {
    let enriched = Validator::load("enriched-record.schema.json");
    let relation = Validator::load("relation-record.schema.json");
    let in_record = &enriched.root["$defs"]["relation"];
    let standalone = &relation.root;
    for (name, sub) in in_record["properties"].as_object().unwrap() {
        assert_eq!(
            without_descriptions(&standalone["properties"][name]),
            without_descriptions(sub),
            "property `{name}` differs between the two schemas"
        );
    }
    for r in in_record["required"].as_array().unwrap() {
        assert!(
            standalone["required"].as_array().unwrap().contains(r),
            "{r} not required"
        );
    }
    for def in ["span", "offset"] {
        assert_eq!(
            without_descriptions(&standalone["$defs"][def]),
            without_descriptions(&enriched.root["$defs"][def]),
            "$defs/{def} differs between the two schemas"
        );
    }
    // A relation of the full record, plus context, validates; without the context it does not.
    let rel = serde_json::to_value(&full_record().relations[0]).unwrap();
    assert!(enriched.errors(&json!({})).len() > 1);
    assert!(!relation.errors(&rel).is_empty(), "context fields are required");
}

/// A schema with its `description` annotations removed, for comparing
/// what two schemas accept.
fn without_descriptions(schema: &Value) -> Value {
    match schema {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(k, _)| k.as_str() != "description")
                .map(|(k, v)| (k.clone(), without_descriptions(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_descriptions).collect()),
        other => other.clone(),
    }
}
