//! The example article (examples/kazakhstan-eu.jsonl, from
//! ../shared/examples/kazakhstan-eu.txt): every person, place and
//! organisation is found, each as exactly one entity however it is written,
//! with the QIDs the gazetteer knows.

use newsflow::pipeline::entities::{self, EntityModels};
use newsflow::pipeline::linking::Gazetteer;
use newsflow::pipeline::record::{Entity, EntityType};
use newsflow::pipeline::{clean, tokens};

const ARTICLE: &str = "Le Kazakhstan et l’UE ont l’intention de développer une coopération multidimensionnelle

Le Kazakhstan et l’Union européenne ont confirmé leur volonté de développer une coopération multidimensionnelle mutuellement bénéfique, a annoncé mercredi le service de presse du ministère des Affaires étrangères de la république à l’issue d’une visite de travail du vice-premier ministre, ministre des Affaires étrangères, Moukhtar Tleouberdi, à Bruxelles.

« Le Kazakhstan et l’UE ont confirmé leur intention de développer une coopération multidimensionnelle mutuellement bénéfique dans tous les domaines des relations bilatérales. C’était le principal sujet des négociations entre le ministre kazakh des Affaires étrangères, Moukhtar Tleouberdi, et les dirigeants de l’UE et de la Belgique« , indique le communiqué.

Selon le ministère, les principaux sujets de négociation avec les partenaires européens étaient l’intensification de la coopération kazakho-européenne, la situation actuelle au Kazakhstan, ainsi que la discussion des mesures visant à mettre en œuvre les résultats de la première visite officielle du président kazakh, Kassym-Jomart Tokaïev, à Bruxelles en novembre 2021.

« Le ministre a informé en détail les partenaires européens de la situation politique intérieure dans le pays et de l’opération antiterroriste, menée avec la participation des casques bleus de l’OTSC, et du processus de leur retrait du Kazakhstan. Il a également réaffirmé l’engagement du pays envers les réalisations et les transformations démocratiques réalisées au cours des 30 années d’indépendance », rapporte le service de presse.

En outre, M. Tleouberdi et le ministre français des Affaires étrangères, Jean-Yves Le Drian, se sont entretenus par téléphone. « Compte tenu de la présidence actuelle de la France au Conseil de l’Union européenne, les parties sont convenues de tenir la prochaine réunion du Conseil de coopération Kazakhstan-UE en avril de cette année », indique le communiqué.";

fn run() -> (String, Vec<Entity>) {
    let text = clean::normalize(ARTICLE);
    let doc = tokens::analyze(&text, "fr");
    let models = EntityModels::load().expect("embedded model");
    let gaz = Gazetteer::load().expect("embedded gazetteer");
    let ents = entities::extract(&text, &doc, "fr", &models, &gaz);
    (text, ents)
}

/// The entities whose mentions include `surface`.
fn holding<'a>(ents: &'a [Entity], surface: &str) -> Vec<&'a Entity> {
    ents.iter()
        .filter(|e| e.mentions.iter().any(|m| m.text == surface))
        .collect()
}

#[test]
fn every_referent_is_one_entity() {
    let (text, ents) = run();
    for e in &ents {
        eprintln!(
            "{:<4} {:<45} {:<10} {:?}",
            e.kind.as_str(),
            e.name,
            e.qid.as_deref().unwrap_or("-"),
            e.mentions.iter().map(|m| m.text.as_str()).collect::<Vec<_>>()
        );
    }
    // (surfaces of one referent, type, qid when the gazetteer knows it)
    let expected: &[(&[&str], EntityType, Option<&str>)] = &[
        (&["Moukhtar Tleouberdi", "Tleouberdi"], EntityType::PER, None),
        (&["Kassym-Jomart Tokaïev"], EntityType::PER, None),
        (&["Jean-Yves Le Drian"], EntityType::PER, None),
        (&["Kazakhstan", "kazakh"], EntityType::LOC, Some("Q232")),
        (&["UE", "Union européenne"], EntityType::ORG, Some("Q458")),
        (&["Bruxelles"], EntityType::LOC, Some("Q239")),
        (&["Belgique"], EntityType::LOC, Some("Q31")),
        (&["France", "français"], EntityType::LOC, Some("Q142")),
        (&["OTSC"], EntityType::ORG, None),
        (&["Conseil de l’Union européenne"], EntityType::ORG, None),
        (&["Conseil de coopération Kazakhstan-UE"], EntityType::ORG, None),
    ];
    for (surfaces, kind, qid) in expected {
        let mut found: Vec<&Entity> = surfaces.iter().flat_map(|s| holding(&ents, s)).collect();
        found.sort_by_key(|e| e.id.clone());
        found.dedup_by_key(|e| e.id.clone());
        assert_eq!(
            found.len(),
            1,
            "{surfaces:?} should be exactly one entity, got {found:#?}"
        );
        let e = found[0];
        assert_eq!(e.kind, *kind, "type of {}", e.name);
        if let Some(q) = qid {
            assert_eq!(e.qid.as_deref(), Some(*q), "QID of {}", e.name);
        }
        for m in &e.mentions {
            let span: String = text.chars().skip(m.start).take(m.end - m.start).collect();
            assert_eq!(span, m.text, "mention offsets are code points into the text");
        }
        assert_eq!(e.count, e.mentions.len());
        assert_eq!(e.first, e.mentions[0].start);
    }
    // "M. Tleouberdi": the title is not part of the mention, the person is one.
    let tleouberdi = holding(&ents, "Moukhtar Tleouberdi")[0];
    assert_eq!(tleouberdi.count, 3, "{tleouberdi:#?}");
    // Kazakhstan is mentioned five times by name and twice as `kazakh` qualifying an office.
    let kz = holding(&ents, "Kazakhstan")[0];
    assert_eq!(kz.mentions.iter().filter(|m| m.text == "kazakh").count(), 2);
    // Adjectives that qualify no office are not mentions.
    assert!(holding(&ents, "européens").is_empty());
    assert!(holding(&ents, "kazakho-européenne").is_empty());
    // The portfolio of an office (`ministre des Affaires étrangères`,
    // `ministère des Affaires étrangères`) is not an organisation of its own.
    assert!(
        holding(&ents, "Affaires étrangères").is_empty(),
        "{:#?}",
        holding(&ents, "Affaires étrangères")
    );
}
