//! The example article (examples/kazakhstan-eu.jsonl): exactly the
//! relations the text states, and none between entities it does not relate.
//! Runs the real tokens and entities stages, then the relations stage.

use newsflow::pipeline::entities::{self, EntityModels};
use newsflow::pipeline::linking::Gazetteer;
use newsflow::pipeline::record::{Entity, Event, Relation};
use newsflow::pipeline::relations::{self, RelationModels};
use newsflow::pipeline::{clean, tokens};

fn article() -> String {
    let line = include_str!("../examples/kazakhstan-eu.jsonl");
    let v: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    v["text"].as_str().unwrap().to_string()
}

fn run() -> (String, Vec<Entity>, Vec<Relation>, Vec<Event>) {
    let text = clean::clean_text(&article()).text;
    let doc = tokens::analyze(&text, "fr");
    let models = EntityModels::load().expect("embedded model");
    let gaz = Gazetteer::load().expect("embedded gazetteer");
    let ents = entities::extract(&text, &doc, "fr", &models, &gaz);
    let (rels, events) = relations::extract(&text, &doc, &ents, "fr", &RelationModels::load().unwrap());
    (text, ents, rels, events)
}

/// A relation in comparable form: (type, subject names, object names,
/// office/channel/modality), names being the canonical name and every
/// mention's surface, joined by `|`.
fn key(ents: &[Entity], r: &Relation) -> (String, String, String, String) {
    let name = |id: &str| {
        ents.iter().find(|e| e.id == id).map_or(id.to_string(), |e| {
            std::iter::once(e.name.as_str())
                .chain(e.mentions.iter().map(|m| m.text.as_str()))
                .collect::<Vec<_>>()
                .join("|")
        })
    };
    let detail = ["office", "channel", "modality"]
        .iter()
        .filter_map(|k| r.attributes.get(*k).map(|v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join(",");
    (r.kind.clone(), name(&r.subject), name(&r.object), detail)
}

#[test]
fn exactly_the_stated_relations() {
    let (text, ents, rels, events) = run();
    let got: Vec<_> = rels.iter().map(|r| key(&ents, r)).collect();
    for (r, k) in rels.iter().zip(&got) {
        let ev: String = text
            .chars()
            .skip(r.trigger.map_or(0, |t| t.start))
            .take(r.trigger.map_or(0, |t| t.len()))
            .collect();
        eprintln!(
            "{k:?} trigger={ev:?} {} {:?}",
            r.extractor,
            r.attributes.get("date")
        );
    }
    for e in &events {
        eprintln!("event {} {} {:?} {:?}", e.code, e.name, e.actors, e.attributes);
    }
    let find = |kind: &str, s: &str, o: &str| {
        rels.iter()
            .zip(&got)
            .filter(|(_, k)| k.0 == kind && k.1.contains(s) && k.2.contains(o))
            .map(|(r, _)| r)
            .collect::<Vec<_>>()
    };
    let office = |s: &str, o: &str, office: &str| {
        find("holds_office", s, o)
            .iter()
            .any(|r| r.attributes.get("office").map(String::as_str) == Some(office))
    };
    assert!(office("Tleouberdi", "Kazakhstan", "foreign_minister"), "{got:#?}");
    assert!(
        office("Tleouberdi", "Kazakhstan", "deputy_head_of_government"),
        "{got:#?}"
    );
    assert!(office("Tokaïev", "Kazakhstan", "head_of_state"), "{got:#?}");
    assert!(office("Le Drian", "France", "foreign_minister"), "{got:#?}");
    assert_eq!(find("visit", "Tleouberdi", "Bruxelles").len(), 1, "{got:#?}");
    let call = find("communication", "Tleouberdi", "Le Drian");
    assert_eq!(call.len(), 1, "{got:#?}");
    assert_eq!(
        call[0].attributes.get("channel").map(String::as_str),
        Some("phone")
    );
    let coop: Vec<_> = find("cooperation", "Kazakhstan", "")
        .into_iter()
        .chain(find("cooperation", "", "Kazakhstan"))
        .collect();
    assert_eq!(coop.len(), 1, "{got:#?}");
    assert_eq!(
        coop[0].attributes.get("modality").map(String::as_str),
        Some("intended")
    );
    assert_eq!(
        find("presides", "France", "Conseil de l’Union européenne").len(),
        1,
        "{got:#?}"
    );

    // Nothing else but what the text also states: Tokaïev's visit to
    // Brussels (November 2021) and the negotiations between Tleouberdi and
    // the leaders of the EU and of Belgium.
    let allowed_extra = [
        ("visit", "Tokaïev", "Bruxelles"),
        ("meeting", "Tleouberdi", "UE"),
        ("meeting", "Tleouberdi", "Belgique"),
    ];
    let expected = 9;
    let extra: Vec<_> = got
        .iter()
        .filter(|k| {
            !(k.0 == "holds_office"
                || k.0 == "communication"
                || k.0 == "cooperation"
                || k.0 == "presides"
                || (k.0 == "visit" && k.1.contains("Tleouberdi")))
        })
        .filter(|k| {
            !allowed_extra
                .iter()
                .any(|(t, s, o)| k.0 == *t && k.1.contains(s) && k.2.contains(o))
        })
        .collect();
    assert!(extra.is_empty(), "relations the text does not state: {extra:#?}");
    assert!(rels.len() <= expected + allowed_extra.len(), "{got:#?}");
    // Every relation carries its evidence and points into the text.
    let n = text.chars().count();
    for r in &rels {
        assert!(r.evidence.start <= r.subject_mention.start && r.subject_mention.end <= n);
        assert!(r.confidence > 0.0 && r.confidence <= 1.0);
        assert!(r.extractor.starts_with("pattern:"), "{}", r.extractor);
    }
    // Events: the intent to cooperate, the visit, the phone call.
    let codes: Vec<_> = events.iter().map(|e| e.attributes["cameo"].as_str()).collect();
    for c in ["030", "042", "041"] {
        assert!(codes.contains(&c), "missing CAMEO {c} in {codes:?}");
    }
}
