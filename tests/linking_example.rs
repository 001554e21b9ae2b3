//! The gazetteer on the article this project was created from
//! (`examples/kazakhstan-eu.jsonl`): exactly the
//! places, organisations and demonyms it must find, with their QIDs.

use newsflow::pipeline::linking::{Gazetteer, GazetteerMatch};
use newsflow::pipeline::record::EntityType;
use newsflow::pipeline::tokens;
use std::sync::OnceLock;

fn gaz() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| Gazetteer::load().expect("embedded gazetteer loads"))
}

/// The article body as the scraper delivered it (the `text` field of
/// examples/kazakhstan-eu.jsonl).
fn article() -> String {
    let line = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/kazakhstan-eu.jsonl"
    ))
    .expect("examples/kazakhstan-eu.jsonl is in the repo");
    let v: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    v["text"]
        .as_str()
        .expect("the example has a text field")
        .to_owned()
}

fn surface(text: &str, m: &GazetteerMatch) -> String {
    text.chars().skip(m.start).take(m.end - m.start).collect()
}

/// Every match on the example, in order: surface, canonical name, QID,
/// demonym. Nothing else may match (no boilerplate, no common word).
#[test]
fn example_article_exact() {
    let text = article();
    let doc = tokens::analyze(&text, "fr");
    let got: Vec<(String, String, Option<String>, bool)> = gaz()
        .find(&text, &doc)
        .iter()
        .map(|m| (surface(&text, m), m.name.clone(), m.qid.clone(), m.is_demonym))
        .collect();
    let kz = ("Kazakhstan", Some("Q232"));
    let eu = ("European Union", Some("Q458"));
    let europe = ("Europe", Some("Q46"));
    /// (surface, (canonical name, QID), demonym)
    type Want<'a> = (&'a str, (&'a str, Option<&'a str>), bool);
    let want: Vec<Want> = vec![
        ("Kazakhstan", kz, false),
        ("UE", eu, false),
        ("Kazakhstan", kz, false),
        ("Union européenne", eu, false),
        ("Bruxelles", ("Brussels", Some("Q239")), false),
        ("Kazakhstan", kz, false),
        ("UE", eu, false),
        ("kazakh", kz, true),
        ("UE", eu, false),
        ("Belgique", ("Belgium", Some("Q31")), false),
        ("européens", europe, true),
        ("kazakho", kz, true),
        ("européenne", europe, true),
        ("Kazakhstan", kz, false),
        ("kazakh", kz, true),
        ("Bruxelles", ("Brussels", Some("Q239")), false),
        ("européens", europe, true),
        ("OTSC", ("Collective Security Treaty Organization", None), false),
        ("Kazakhstan", kz, false),
        ("français", ("France", Some("Q142")), true),
        ("France", ("France", Some("Q142")), false),
        (
            "Conseil de l’Union européenne",
            ("Council of the European Union", Some("Q8896")),
            false,
        ),
        (
            "Conseil de coopération Kazakhstan-UE",
            ("Kazakhstan–EU Cooperation Council", None),
            false,
        ),
    ];
    let want: Vec<(String, String, Option<String>, bool)> = want
        .into_iter()
        .map(|(s, (n, q), d)| (s.to_owned(), n.to_owned(), q.map(str::to_owned), d))
        .collect();
    assert_eq!(got, want);
}

/// Types and subtypes the tagger relies on.
#[test]
fn example_kinds_and_subtypes() {
    let text = article();
    let doc = tokens::analyze(&text, "fr");
    let ms = gaz().find(&text, &doc);
    let by = |s: &str| {
        ms.iter()
            .find(|m| surface(&text, m) == s)
            .unwrap_or_else(|| panic!("{s} not found"))
    };
    assert_eq!(
        (by("OTSC").kind, by("OTSC").subtype.as_deref()),
        (EntityType::ORG, Some("international_org"))
    );
    assert_eq!(by("UE").kind, EntityType::ORG);
    assert_eq!(
        (by("Bruxelles").kind, by("Bruxelles").subtype.as_deref()),
        (EntityType::LOC, Some("capital"))
    );
    assert_eq!(by("Belgique").subtype.as_deref(), Some("country"));
    assert_eq!(by("Conseil de l’Union européenne").kind, EntityType::ORG);
    assert_eq!(
        by("OTSC").entity_id(),
        "nf:org:collective-security-treaty-organization"
    );
    assert_eq!(by("Bruxelles").entity_id(), "wd:Q239");
    assert!(ms.iter().all(|m| !m.ambiguous), "{ms:?}");
    // Offsets are code points into the text.
    for m in &ms {
        assert!(m.end <= text.chars().count() && m.start < m.end);
    }
}
