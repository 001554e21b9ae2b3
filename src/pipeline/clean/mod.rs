//! Stage `clean`: from scraped text or HTML to the article's own text.
//!
//! This first version does text hygiene only (Unicode NFC, invisible
//! characters, whitespace). Boilerplate classification and HTML main-content
//! extraction are issue #3.

pub mod eval;
pub mod html;

pub use html::html_to_text;

use crate::pipeline::record::{BoilerplateBlock, PageMetadata};
use unicode_normalization::UnicodeNormalization;

/// Result of the clean stage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cleaned {
    pub text: String,
    pub title: Option<String>,
    pub boilerplate: Vec<BoilerplateBlock>,
    pub metadata: PageMetadata,
}

/// Cleans scraped text (one block per line or paragraph).
pub fn clean_text(input: &str) -> Cleaned {
    Cleaned {
        text: normalize(input),
        ..Cleaned::default()
    }
}

/// Cleans an HTML page.
pub fn clean_html(input: &str) -> Cleaned {
    clean_text(&html_to_text(input))
}

/// Whether any line of `text` is WordPress comment-form text.
pub fn has_comment_form(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.to_lowercase();
        l.contains("leave a reply") || l.contains("laisser un commentaire")
    })
}

/// Removes characters that are never content (soft hyphens, zero-width
/// marks, BOM), applies NFC and tidies whitespace while keeping paragraph
/// breaks.
pub fn normalize(input: &str) -> String {
    let nfc: String = input
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
            )
        })
        .nfc()
        .collect();
    let mut out = String::with_capacity(nfc.len());
    let mut blank_run = 0usize;
    for line in nfc.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(&line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hygiene() {
        assert_eq!(normalize("  a\u{00AD}b  c \n\n\n d\u{200B}"), "ab c\n\nd");
        assert_eq!(normalize("e\u{0301}"), "\u{00E9}");
    }
}
