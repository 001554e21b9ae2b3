//! Stage `clean`: from scraped text or HTML to the article's own text, whole
//! and in order, plus what was removed and why.
//!
//! * [`clean_text`]: scraped text, one block per line or paragraph: an
//!   article as a scraper delivered it, or a whole page's visible text with
//!   menus and footers. Every line is judged by [`text`] (phrase rules in
//!   every WordPress locale plus multilingual credit/ad/cookie/share/
//!   related/label rules, position rules, main-region detection); the title
//!   is kept apart.
//! * [`clean_html`]: main-content extraction ([`html`]), metadata from meta
//!   tags, Open Graph and JSON-LD, then the same line rules over the
//!   extracted text so comment forms and share bars that slip through go.
//! * [`html_to_text`]: plain visible text, no boilerplate judgement.
//!
//! Offsets of [`BoilerplateBlock`]s are Unicode code point offsets, end
//! exclusive: into the input string for text input; for HTML input, into
//! [`Cleaned::extracted`] (the text the HTML extractor returned, before the
//! line rules), since the removed lines of an HTML page have no contiguous
//! span in its markup.

pub mod combine;
pub mod eval;
pub mod html;
pub mod hygiene;
pub mod model;
pub mod patterns;
pub mod text;

pub use html::html_to_text;

use crate::pipeline::record::{BoilerplateBlock, PageMetadata};
use patterns::{normalize as normalize_words, Kind, PhraseMatcher};

/// Result of the clean stage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cleaned {
    /// The article's own text: paragraphs separated by a blank line, lines
    /// of one paragraph (list items, verse) by a newline.
    pub text: String,
    pub title: Option<String>,
    /// What was removed, in input order, adjacent lines of one kind merged.
    pub boilerplate: Vec<BoilerplateBlock>,
    pub metadata: PageMetadata,
    /// For HTML input: the main-content text the extractor returned (one
    /// block per line), which `boilerplate` offsets index; on the fallback
    /// paths (no usable extraction, pages too big or too deep for the
    /// parser) the page's whole visible text. `None` for text.
    pub extracted: Option<String>,
}

/// Cleans scraped text (one block per line or paragraph): an article as a
/// scraper delivered it, or the visible text of a whole page with its
/// menus and footers; both go through the same rules (main-region
/// detection leaves a bare article whole).
///
/// When the rules would leave no body at all (a one-line input such as a
/// single sentence, or a dateline like "BANGKOK, Thailand (AP)"; or a page
/// whose every line the line model judged low-content, a product page,
/// say), the input has no page structure to judge: it is kept rather than
/// turned into an empty article, minus the lines the phrase, rule and
/// position passes judged (comment forms, share bars, credits, ...): those
/// never survive (before session 7 the whole input came back, and with it
/// the footer's "© … All rights reserved" and the page's "Sign up" prompts).
pub fn clean_text(input: &str) -> Cleaned {
    clean_text_with_model(input, model::LineModel::shipped())
}

/// [`clean_text`] with a given line model (`None`: the region heuristic
/// alone), so `newsflow train clean` can score a model before shipping it.
pub fn clean_text_with_model(input: &str, line_model: Option<&model::LineModel>) -> Cleaned {
    let mut lines = model::model_lines(text::split_lines(input), line_model);
    let c = text::classify_lines_with(&mut lines, text::Mode::Page, true, line_model);
    if c.body.trim().is_empty() {
        // Only the region and the line model's verdicts are undone.
        let kept = model::fallback_body(&mut lines);
        return Cleaned {
            text: kept.body,
            boilerplate: kept.boilerplate,
            ..Cleaned::default()
        };
    }
    Cleaned {
        text: c.body,
        title: c.title,
        boilerplate: c.boilerplate,
        ..Cleaned::default()
    }
}

/// Cleans an HTML page: main content, metadata, then the line rules.
pub fn clean_html(input: &str) -> Cleaned {
    html::clean(input, None)
}

/// [`clean_html`] for a page whose URL is known (the extractor picks its
/// profile partly by URL; without one it uses the page's canonical URL).
pub fn clean_html_with_url(input: &str, url: Option<&str>) -> Cleaned {
    html::clean(input, url)
}

/// Normalises text without boilerplate judgement: hygiene on every line,
/// blank lines between paragraphs kept (used when the clean stage is off
/// but the text still needs to be readable, and by tests).
pub fn normalize(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for line in text::split_lines(input) {
        if !out.is_empty() {
            out.push_str(if line.blank_before { "\n\n" } else { "\n" });
        }
        out.push_str(&line.clean);
    }
    out
}

/// Whether any line of `text` is comment-form or comment-section text (in
/// any WordPress locale): used by `eval clean` to count pages where it
/// survived.
pub fn has_comment_form(text: &str) -> bool {
    let m = PhraseMatcher::shared();
    text.lines().any(|l| {
        let norm = normalize_words(l, false);
        // One-word UI strings ("Comment", "Reply", "Name") are too ambiguous
        // inside kept text to count as a surviving form.
        norm.contains(' ') && m.classify(&norm) == Some(Kind::CommentForm)
    })
}

/// The kinds that must never survive in a page's text (issue #3: "no
/// comment-form, share, subscribe or credit line survives"): what
/// [`survivors`] looks for.
pub const GUARDED_KINDS: [Kind; 4] = [Kind::CommentForm, Kind::Share, Kind::Newsletter, Kind::Credit];

/// One line of a clean stage's output that its own rules classify as a
/// guarded kind (see [`GUARDED_KINDS`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survivor {
    pub kind: Kind,
    /// The line as it stands in the output text.
    pub line: String,
}

/// The lines of an output `text` that the phrase patterns or the text rules
/// classify as comment form, share bar, subscribe prompt or credit line:
/// what the final pass of both paths must have removed. The check runs the
/// rules on the *output* (each line after hygiene, as `clean_text` judges
/// lines), so any path that keeps a line without the rules' verdict (the
/// extraction's relaxed rules, the whole-input fallback, an inserted line)
/// shows up here. Used by `eval clean` and by the regression tests.
pub fn survivors(text: &str) -> Vec<Survivor> {
    let m = PhraseMatcher::shared();
    text.lines()
        .filter_map(|l| {
            let clean = hygiene::clean_line(l.trim());
            let norm = normalize_words(&clean, false);
            let kind = m
                .classify(&norm)
                .or_else(|| text::rule_kind(&clean, &norm))
                .or_else(|| text::guard_kind(&clean, &norm))?;
            GUARDED_KINDS.contains(&kind).then(|| Survivor {
                kind,
                line: l.trim().to_owned(),
            })
        })
        .collect()
}

/// Kept lines of an output `text` that are not guarded lines themselves
/// but hold a long comment-form, share or subscribe phrase inside (see
/// [`PhraseMatcher::guarded_fragment`]): candidates for review, since the
/// line may be content quoting one.
pub fn suspects(text: &str) -> Vec<Survivor> {
    let m = PhraseMatcher::shared();
    text.lines()
        .filter_map(|l| {
            let norm = normalize_words(&hygiene::clean_line(l.trim()), false);
            let kind = m.guarded_fragment(&norm)?;
            Some(Survivor {
                kind,
                line: l.trim().to_owned(),
            })
        })
        .filter(|s| survivors(&s.line).is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_text_keeps_paragraphs() {
        assert_eq!(normalize("  a\u{00AD}b  c \n\n\n d\u{200B}"), "ab c\n\nd");
        assert_eq!(normalize("e\u{0301}\nf"), "\u{00E9}\nf");
    }

    #[test]
    fn comment_form_detection() {
        assert!(has_comment_form("Body.\nLeave a Reply\n"));
        assert!(has_comment_form("Votre adresse e-mail ne sera pas publiée."));
        assert!(!has_comment_form("He left a reply on the forum and a comment."));
    }
}
