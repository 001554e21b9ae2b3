//! Any input gives a result, never a panic: tokenisation and the entities
//! stage on empty, huge, binary-ish, all-caps, space-less and mixed-script
//! text, with offsets that always point into the text.

use newsflow::pipeline::entities::{self, EntityModels};
use newsflow::pipeline::linking::Gazetteer;
use newsflow::pipeline::tokens;
use proptest::prelude::*;
use std::sync::OnceLock;

fn models() -> &'static (EntityModels, Gazetteer) {
    static M: OnceLock<(EntityModels, Gazetteer)> = OnceLock::new();
    M.get_or_init(|| (EntityModels::load().unwrap(), Gazetteer::load().unwrap()))
}

fn check(text: &str, lang: &str) {
    let doc = tokens::analyze(text, lang);
    let n = text.chars().count();
    let mut last_end = 0;
    // Code points before the previous token's byte start (linear, not
    // recounted from the start of the text for every token).
    let (mut at_byte, mut at_cp) = (0, 0);
    for t in &doc.tokens {
        assert!(t.start < t.end && t.end <= n && t.start >= last_end);
        assert!(text.is_char_boundary(t.byte_start) && text.is_char_boundary(t.byte_end));
        at_cp += text[at_byte..t.byte_start].chars().count();
        at_byte = t.byte_start;
        assert_eq!(at_cp, t.start, "code point offset of a token");
        assert_eq!(t.text(text).chars().count(), t.end - t.start);
        last_end = t.end;
    }
    let covered: usize = doc.sentences.iter().map(|s| s.tokens.len()).sum();
    assert_eq!(covered, doc.tokens.len(), "every token is in one sentence");
    // Byte offset of every code point (and of the end).
    let bytes: Vec<usize> = text.char_indices().map(|(b, _)| b).chain([text.len()]).collect();
    let (m, g) = models();
    for e in entities::extract(text, &doc, lang, m, g) {
        assert!(!e.mentions.is_empty() && e.count == e.mentions.len());
        for men in &e.mentions {
            assert!(men.start < men.end && men.end <= n);
            assert_eq!(&text[bytes[men.start]..bytes[men.end]], men.text);
        }
    }
}

#[test]
fn fixed_edge_cases() {
    for (text, lang) in [
        ("", "fr"),
        (" ", "fr"),
        ("\n\n\n", "en"),
        ("M.", "fr"),
        ("l'", "fr"),
        ("’’’’", "fr"),
        ("LE PRÉSIDENT KAZAKH KASSYM-JOMART TOKAÏEV À BRUXELLES", "fr"),
        ("LeKazakhstanetl’UEontl’intentiondedévelopper", "fr"),
        ("Москва и Paris 東京 القاهرة Tokaïev", "xx"),
        ("\u{0}\u{1}\u{7f}\u{fffd}\u{fffd} Paris \u{202e}", "fr"),
        ("a-b-c-d-e-f-g-h---", "en"),
        ("U.S.A.B.C.D. e.g. Mr. M. Dr. ...... ?!?!", "en"),
    ] {
        check(text, lang);
    }
    let huge = "Le président kazakh Tokaïev a rencontré Emmanuel Macron à Paris. ".repeat(3000);
    check(&huge, "fr");
    let one_token = "x".repeat(200_000);
    check(&one_token, "fr");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_unicode(s in "\\PC{0,300}") {
        check(&s, "fr");
    }

    #[test]
    fn arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..400)) {
        // Binary input as the intake would see it after lossy decoding.
        check(&String::from_utf8_lossy(&b), "en");
    }

    #[test]
    fn mixed_scripts(s in "([A-Za-z]{1,6}|[а-яА-Я]{1,6}|[一-龥]{1,3}|[ا-ي]{1,5}|[α-ωΑ-Ω]{1,5}|[0-9]{1,4}|\\p{P}| ){0,60}") {
        check(&s, "xx");
        check(&s.to_uppercase(), "fr");
    }

    #[test]
    fn name_like_text(s in "([A-ZÉ][a-zéï]{0,8}|[a-z]{1,6}|M\\.|l’|d'|,|\\.|«|»|-|\\n| |Calif\\.|Ill\\.|N\\.Y\\.|ministre|des|Affaires){0,60}") {
        check(&s, "fr");
        check(&s.to_uppercase(), "en");
        check(&s.replace(' ', ""), "fr");
    }
}
