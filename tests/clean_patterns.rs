//! The shipped `data/boilerplate/wordpress-patterns.tsv` must be exactly what
//! `derive_patterns` makes of the WordPress strings in `../shared`.
//! Regenerate it with:
//! `NEWSFLOW_REGEN_PATTERNS=1 cargo test --no-default-features --test clean_patterns`.

use newsflow::pipeline::clean::patterns::{derive_patterns, WORDPRESS_PATTERNS};
use std::path::Path;

#[test]
fn shipped_patterns_match_derivation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("../shared/corpora/boilerplate/wordpress-strings/strings_full.tsv");
    let Ok(tsv) = std::fs::read_to_string(&src) else {
        eprintln!("skipped: {} is absent (../shared not available)", src.display());
        return;
    };
    let derived = derive_patterns(&tsv);
    if std::env::var_os("NEWSFLOW_REGEN_PATTERNS").is_some() {
        std::fs::write(root.join("data/boilerplate/wordpress-patterns.tsv"), &derived).unwrap();
        eprintln!("regenerated data/boilerplate/wordpress-patterns.tsv: rebuild to embed it");
        return;
    }
    assert!(
        derived == WORDPRESS_PATTERNS,
        "data/boilerplate/wordpress-patterns.tsv is stale: run \
         NEWSFLOW_REGEN_PATTERNS=1 cargo test --no-default-features --test clean_patterns"
    );
}
