//! Fuzz the entities stage: any bytes that are UTF-8 go through tokenisation
//! and entity extraction; mentions must be valid code point spans.
//! Run: `cargo +nightly fuzz run entities` (from the repo root).
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsflow::pipeline::entities::EntityStage;
use std::sync::OnceLock;

fn stage() -> &'static EntityStage {
    static S: OnceLock<EntityStage> = OnceLock::new();
    S.get_or_init(|| EntityStage::load().expect("embedded model and gazetteer"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lang = if data.first().is_some_and(|b| b & 1 == 0) {
        "fr"
    } else {
        "en"
    };
    let (doc, entities) = stage().run(text, lang);
    let n = text.chars().count();
    for t in &doc.tokens {
        assert!(t.start < t.end && t.end <= n);
    }
    for e in &entities {
        assert_eq!(e.count, e.mentions.len());
        for m in &e.mentions {
            assert!(m.start < m.end && m.end <= n);
        }
    }
});
