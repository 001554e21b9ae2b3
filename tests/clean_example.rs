//! The project's founding example: the scraped Kazakhstan–EU article must
//! come out as exactly its body, with the category label, the credit line
//! and the comment form listed as boilerplate of the right kinds, at the
//! right code point offsets of the input.

use newsflow::pipeline::clean::clean_text;

/// The scraped article, as in `../shared/examples/kazakhstan-eu.txt`; the
/// repository's copy is the `text` of `examples/kazakhstan-eu.jsonl` (a
/// second test checks both are identical when `../shared` is present).
fn article() -> String {
    let line = include_str!("../examples/kazakhstan-eu.jsonl")
        .lines()
        .next()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["text"].as_str().unwrap().to_owned()
}

const BODY: &str = "Le Kazakhstan et l’Union européenne ont confirmé leur volonté de développer une coopération multidimensionnelle mutuellement bénéfique, a annoncé mercredi le service de presse du ministère des Affaires étrangères de la république à l’issue d’une visite de travail du vice-premier ministre, ministre des Affaires étrangères, Moukhtar Tleouberdi, à Bruxelles.

« Le Kazakhstan et l’UE ont confirmé leur intention de développer une coopération multidimensionnelle mutuellement bénéfique dans tous les domaines des relations bilatérales. C’était le principal sujet des négociations entre le ministre kazakh des Affaires étrangères, Moukhtar Tleouberdi, et les dirigeants de l’UE et de la Belgique« , indique le communiqué.

Selon le ministère, les principaux sujets de négociation avec les partenaires européens étaient l’intensification de la coopération kazakho-européenne, la situation actuelle au Kazakhstan, ainsi que la discussion des mesures visant à mettre en œuvre les résultats de la première visite officielle du président kazakh, Kassym-Jomart Tokaïev, à Bruxelles en novembre 2021.

« Le ministre a informé en détail les partenaires européens de la situation politique intérieure dans le pays et de l’opération antiterroriste, menée avec la participation des casques bleus de l’OTSC, et du processus de leur retrait du Kazakhstan. Il a également réaffirmé l’engagement du pays envers les réalisations et les transformations démocratiques réalisées au cours des 30 années d’indépendance », rapporte le service de presse.

En outre, M. Tleouberdi et le ministre français des Affaires étrangères, Jean-Yves Le Drian, se sont entretenus par téléphone. « Compte tenu de la présidence actuelle de la France au Conseil de l’Union européenne, les parties sont convenues de tenir la prochaine réunion du Conseil de coopération Kazakhstan-UE en avril de cette année », indique le communiqué.";

#[test]
fn example_article_exactly() {
    let article = article();
    let c = clean_text(&article);
    assert_eq!(
        c.title.as_deref(),
        Some("Le Kazakhstan et l’UE ont l’intention de développer une coopération multidimensionnelle")
    );
    assert_eq!(c.text, BODY);
    let blocks: Vec<(&str, &str)> = c
        .boilerplate
        .iter()
        .map(|b| (b.kind.as_str(), b.text.as_str()))
        .collect();
    assert_eq!(
        blocks,
        vec![
            ("category", "Union europenne"),
            ("credit", "237online.com"),
            (
                "comment_form",
                "Laisser un commentaire\nVotre adresse e-mail ne sera pas publiée. Les champs obligatoires sont indiqués avec *"
            ),
        ]
    );
    // Offsets are code points into the input; the merged comment-form block
    // spans both lines (and the blank line between them) in the input.
    let chars: Vec<char> = article.chars().collect();
    for b in &c.boilerplate {
        let span: String = chars[b.start..b.end].iter().collect();
        let first_line = b.text.lines().next().unwrap();
        let last_line = b.text.lines().last().unwrap();
        assert!(
            span.starts_with(first_line) && span.ends_with(last_line),
            "{b:?} vs {span:?}"
        );
    }
}

#[test]
fn embedded_copy_matches_shared_example() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/examples/kazakhstan-eu.txt");
    match std::fs::read_to_string(&path) {
        Ok(shared) => assert_eq!(
            shared,
            article(),
            "examples/kazakhstan-eu.jsonl differs from {}",
            path.display()
        ),
        Err(_) => eprintln!("skipped: {} is absent (../shared not available)", path.display()),
    }
}
