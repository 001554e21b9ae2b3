//! Gazetteer matching and linking: English equivalents, abbreviations,
//! demonyms, false friends (place names that are common words), and inputs
//! that must never panic.

use newsflow::pipeline::linking::{stable_id, Gazetteer, GazetteerMatch};
use newsflow::pipeline::record::EntityType;
use newsflow::pipeline::tokens;
use proptest::prelude::*;
use std::sync::OnceLock;

fn gaz() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| Gazetteer::load().expect("embedded gazetteer loads"))
}

fn find_in(text: &str, lang: &str) -> Vec<GazetteerMatch> {
    gaz().find(text, &tokens::analyze(text, lang))
}

/// (surface, canonical name, qid, demonym, ambiguous) of every match.
fn matches(text: &str, lang: &str) -> Vec<(String, String, Option<String>, bool, bool)> {
    find_in(text, lang)
        .into_iter()
        .map(|m| {
            let s: String = text.chars().skip(m.start).take(m.end - m.start).collect();
            (s, m.name, m.qid, m.is_demonym, m.ambiguous)
        })
        .collect()
}

fn surfaces(text: &str, lang: &str) -> Vec<String> {
    matches(text, lang).into_iter().map(|m| m.0).collect()
}

#[test]
fn english_equivalents() {
    let text = "Brussels, Belgium. The European Union (EU) and NATO met the Kazakh foreign minister; \
                Kazakhstan's president flew back to Astana, and the French and the Belgians agreed. \
                The Council of the European Union and the Collective Security Treaty Organization (CSTO) were there.";
    let got = matches(text, "en");
    let q = |s: &str| -> Option<String> {
        got.iter()
            .find(|m| m.0 == s)
            .unwrap_or_else(|| panic!("{s} not found in {got:?}"))
            .2
            .clone()
    };
    assert_eq!(q("Brussels").as_deref(), Some("Q239"));
    assert_eq!(q("Belgium").as_deref(), Some("Q31"));
    assert_eq!(q("European Union").as_deref(), Some("Q458"));
    assert_eq!(q("EU").as_deref(), Some("Q458"));
    assert_eq!(q("NATO").as_deref(), Some("Q7184"));
    assert_eq!(q("Kazakh").as_deref(), Some("Q232"));
    assert_eq!(q("Kazakhstan").as_deref(), Some("Q232"));
    assert_eq!(q("Astana").as_deref(), Some("Q1520"));
    assert_eq!(q("French").as_deref(), Some("Q142"));
    assert_eq!(q("Belgians").as_deref(), Some("Q31"));
    assert_eq!(q("Council of the European Union").as_deref(), Some("Q8896"));
    assert_eq!(q("CSTO"), None);
    let csto = got
        .iter()
        .filter(|m| m.1 == "Collective Security Treaty Organization")
        .count();
    assert_eq!(csto, 2, "{got:?}");
    let demonyms: Vec<&str> = got.iter().filter(|m| m.3).map(|m| m.0.as_str()).collect();
    assert_eq!(demonyms, ["Kazakh", "French", "Belgians"]);
}

#[test]
fn abbreviations_only_in_their_case() {
    // French and English function words that spell an abbreviation.
    assert!(surfaces("un accord, une ue, the us and who knows", "en").is_empty());
    let got = surfaces("L'ONU, l'OTAN, the UN, the US, the WHO and the IMF (FMI).", "en");
    assert_eq!(got, ["ONU", "OTAN", "UN", "US", "WHO", "IMF", "FMI"]);
    // In an all-caps headline case proves nothing: still found, but ambiguous.
    let got = matches("Le texte\nUN ACCORD AVEC LES US SUR LE GAZ\nLa suite.", "fr");
    assert!(got.iter().all(|m| m.4), "{got:?}");
}

#[test]
fn false_friends_do_not_match_lower_case() {
    // Lower-case words that are also place names.
    let text = "it was a nice split of the orange juice, reading the mobile tours list in bath, \
                la france entière, le chili con carne, turkey for dinner, china plates";
    assert_eq!(surfaces(text, "en"), Vec::<String>::new());
    // Capitalised at the start of a sentence, a common word is not a place.
    assert!(surfaces("Nice weather today. Reading is fun.", "en").is_empty());
    // Capitalised inside a sentence, it is (but flagged ambiguous).
    let got = matches("He moved to Nice last year and later to Reading.", "en");
    let nice = got.iter().find(|m| m.0 == "Nice").expect("Nice found");
    assert!(nice.4 && nice.1 == "Nice");
    // A place that is often a first name: found, ambiguous.
    let got = matches("She met Florence in Paris.", "en");
    assert!(got.iter().any(|m| m.0 == "Florence" && m.4), "{got:?}");
    assert!(
        got.iter()
            .any(|m| m.0 == "Paris" && m.2.as_deref() == Some("Q90") && !m.4),
        "{got:?}"
    );
}

#[test]
fn token_aligned_and_longest() {
    // No match inside a word.
    assert!(surfaces("Franceinfo et Parisiens", "fr").is_empty());
    // Longest match wins over the names inside it.
    assert_eq!(
        surfaces("le Conseil de l'Union européenne", "fr"),
        ["Conseil de l'Union européenne"]
    );
    // Hyphens split: both sides of a compound are found.
    assert_eq!(
        surfaces("les relations franco-allemandes", "fr"),
        ["franco", "allemandes"]
    );
    // A combining form needs its hyphen.
    assert!(surfaces("un kazakho ne se dit pas seul", "fr").is_empty());
    // Elision and typographic apostrophes.
    assert_eq!(surfaces("d’Astana à l'Allemagne", "fr"), ["Astana", "Allemagne"]);
}

#[test]
fn offsets_are_code_points() {
    let text = "« Éléonore » a quitté Moscou pour Bruxelles.";
    let m = find_in(text, "fr");
    assert_eq!(m.len(), 2);
    let chars: Vec<char> = text.chars().collect();
    let s: String = chars[m[0].start..m[0].end].iter().collect();
    assert_eq!(s, "Moscou");
    assert_eq!(m[0].name, "Moscow");
    assert_eq!(m[0].qid.as_deref(), Some("Q649"));
}

#[test]
fn link_known_names() {
    let g = gaz();
    let q = |n: &str, k: EntityType, l: &str| g.link(n, k, l).and_then(|l| l.qid);
    assert_eq!(q("les États-Unis", EntityType::LOC, "fr").as_deref(), Some("Q30"));
    assert_eq!(
        q("the United States", EntityType::LOC, "en").as_deref(),
        Some("Q30")
    );
    assert_eq!(q("Deutschland", EntityType::LOC, "de").as_deref(), Some("Q183"));
    assert_eq!(q("l'Allemagne", EntityType::LOC, "fr").as_deref(), Some("Q183"));
    assert_eq!(q("Pays-Bas", EntityType::LOC, "fr").as_deref(), Some("Q55"));
    assert_eq!(q("Moscou", EntityType::LOC, "fr").as_deref(), Some("Q649"));
    assert_eq!(
        q("Union Européenne", EntityType::ORG, "fr").as_deref(),
        Some("Q458")
    );
    assert_eq!(
        q("Commission européenne", EntityType::ORG, "fr").as_deref(),
        Some("Q8880")
    );
    assert_eq!(q("Nato", EntityType::ORG, "en").as_deref(), Some("Q7184"));
    let l = g.link("Kazakhstan", EntityType::LOC, "fr").unwrap();
    assert_eq!(
        (l.name.as_str(), l.subtype.as_deref(), l.kind),
        ("Kazakhstan", Some("country"), EntityType::LOC)
    );
    // Unknown or wrong type: no link.
    assert!(g.link("Moukhtar Tleouberdi", EntityType::PER, "fr").is_none());
    assert!(g.link("Washington", EntityType::PER, "en").is_none());
    assert!(g.link("", EntityType::LOC, "fr").is_none());
    assert!(g.link("«»", EntityType::LOC, "fr").is_none());
}

#[test]
fn stable_id_scheme() {
    assert_eq!(
        stable_id("Jean-Yves Le Drian", EntityType::PER),
        "nf:per:jean-yves-le-drian"
    );
    assert_eq!(
        stable_id("Kassym-Jomart Tokaïev", EntityType::PER),
        "nf:per:kassym-jomart-tokaiev"
    );
    assert_eq!(
        stable_id("237online.com", EntityType::ORG),
        "nf:org:237online-com"
    );
    assert_eq!(
        stable_id("Conseil de coopération", EntityType::ORG),
        stable_id("CONSEIL DE COOPERATION", EntityType::ORG)
    );
}

#[test]
fn shared_across_threads() {
    let text = "Le Kazakhstan et l'UE à Bruxelles.";
    let handles: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(move || find_in(text, "fr").len()))
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 3);
    }
}

#[test]
fn odd_inputs() {
    for text in [
        "",
        " ",
        "\n\n\n",
        "KAZAKHSTANKAZAKHSTANKAZAKHSTAN",
        "ПЕКИН и Москва, 北京 и Токио",
        "\u{0}\u{1}\u{7f}\u{feff}Paris\u{200b}",
        "e\u{301}\u{301}\u{301}",
        &"a".repeat(100_000),
        &"Paris ".repeat(20_000),
    ] {
        let ms = find_in(text, "fr");
        let n = text.chars().count();
        let mut last = 0;
        for m in &ms {
            assert!(
                m.start >= last && m.start < m.end && m.end <= n,
                "{m:?} in {text:?}"
            );
            last = m.end;
        }
    }
    assert_eq!(find_in(&"Paris ".repeat(20_000), "fr").len(), 20_000);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// Any text: sorted, non-overlapping, in-bounds matches whose surface
    /// folds to a known name; never a panic.
    #[test]
    fn never_panics(text in "\\PC{0,200}") {
        let ms = find_in(&text, "fr");
        let n = text.chars().count();
        let mut last = 0;
        for m in &ms {
            prop_assert!(m.start >= last && m.start < m.end && m.end <= n);
            last = m.end;
        }
    }

    #[test]
    fn never_panics_on_names(words in proptest::collection::vec(
        prop_oneof!["Paris", "UE", "kazakh", "l'", "-", "É", "Union", "européenne", " ", "\n", "Conseil", "de"], 0..30)) {
        let text: String = words.concat();
        let _ = find_in(&text, "fr");
        let _ = gaz().link(&text, EntityType::ORG, "fr");
        let _ = stable_id(&text, EntityType::PER);
    }
}
