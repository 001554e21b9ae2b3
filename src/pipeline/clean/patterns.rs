//! Boilerplate phrase patterns derived from the WordPress and Jetpack UI
//! translations (comment form, comment counts, share/like bars, related
//! posts, subscription prompts, bylines, post navigation, widgets) in every
//! locale WordPress ships, plus the matcher that finds them in a line.
//!
//! The shipped file `data/boilerplate/wordpress-patterns.tsv` is *derived*
//! from `../shared/corpora/boilerplate/wordpress-strings/strings_full.tsv`
//! (GPL-2.0-or-later translations) by [`derive_patterns`]: entities decoded,
//! markup dropped, placeholders (`%s`, `%1$s`, `%d`) turned into `*`, text
//! lower-cased and reduced to its words. It is distributed as a separately
//! licensed data file (see `data/boilerplate/README.md`). Regenerate it with
//! `NEWSFLOW_REGEN_PATTERNS=1 cargo test --no-default-features --test clean_patterns`.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::collections::HashMap;
use std::sync::OnceLock;

/// What a removed block was. The strings are the `kind` values of
/// [`crate::pipeline::record::BoilerplateBlock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Comment form: "Leave a reply", "Your email address will not be published", ...
    CommentForm,
    /// Comment section: counts ("3 thoughts on …"), comment navigation, the comments themselves.
    Comments,
    /// Newsletter and subscription prompts.
    Newsletter,
    /// Cookie and consent notices.
    Cookie,
    /// Share, like and follow bars.
    Share,
    /// "Read also" / related-article lists.
    Related,
    /// Source and credit lines: a bare domain, "AFP", "© …", "Photo: …".
    Credit,
    /// Tag and category labels.
    Category,
    /// Author/date lines ("Posted on …", "By …").
    Byline,
    /// Menus, breadcrumbs, post navigation, widgets, "skip to content".
    Navigation,
    /// Ad markers ("Advertisement", "Publicité", "Anzeige").
    Ad,
    /// Lines outside the page's main text region (scraped full-page text only).
    LowContent,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CommentForm => "comment_form",
            Kind::Comments => "comments",
            Kind::Newsletter => "newsletter",
            Kind::Cookie => "cookie",
            Kind::Share => "share",
            Kind::Related => "related",
            Kind::Credit => "credit",
            Kind::Category => "category",
            Kind::Byline => "byline",
            Kind::Navigation => "navigation",
            Kind::Ad => "ad",
            Kind::LowContent => "low_content",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "comment_form" => Kind::CommentForm,
            "comments" => Kind::Comments,
            "newsletter" => Kind::Newsletter,
            "cookie" => Kind::Cookie,
            "share" => Kind::Share,
            "related" => Kind::Related,
            "credit" => Kind::Credit,
            "category" => Kind::Category,
            "byline" => Kind::Byline,
            "navigation" => Kind::Navigation,
            "ad" => Kind::Ad,
            "low_content" => Kind::LowContent,
            _ => return None,
        })
    }

    /// Which kind wins when one phrase is listed under several (the
    /// comment form's "Email" is also a share button's).
    fn priority(self) -> u8 {
        match self {
            Kind::CommentForm => 0,
            Kind::Comments => 1,
            Kind::Newsletter => 2,
            Kind::Cookie => 3,
            Kind::Share => 4,
            Kind::Related => 5,
            Kind::Credit => 6,
            Kind::Category => 7,
            Kind::Byline => 8,
            Kind::Navigation => 9,
            Kind::Ad => 10,
            Kind::LowContent => 11,
        }
    }
}

/// Maps a WordPress string category of `strings_full.tsv` to a kind, or
/// `None` for categories we do not use.
fn kind_of_wp_category(cat: &str, msgid: &str) -> Option<Kind> {
    Some(match cat {
        "comment_form" => Kind::CommentForm,
        "comment_count" | "comment_list" | "comment_nav" => Kind::Comments,
        "share" | "like" => Kind::Share,
        "subscribe" => Kind::Newsletter,
        "related" => Kind::Related,
        "byline" if msgid.starts_with("Categor") || msgid.starts_with("Tag") => Kind::Category,
        "byline" => Kind::Byline,
        "post_nav" | "layout" | "widget" | "category" => Kind::Navigation,
        _ => return None,
    })
}

/// Reduces text to its lower-cased words separated by single spaces, with
/// `*` kept as a placeholder token when `keep_star` (patterns only). Both
/// patterns and lines go through this, so punctuation, case and spacing
/// differences never matter.
pub fn normalize(text: &str, keep_star: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_alphanumeric() || (keep_star && c == '*') || is_mark(c) {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            if keep_star && c == '*' {
                // A placeholder is a token of its own.
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
                out.push('*');
                pending_space = true;
            } else {
                out.extend(c.to_lowercase());
            }
        } else {
            pending_space = true;
        }
    }
    out
}

fn is_mark(c: char) -> bool {
    // General-category M for the scripts WordPress is translated into is
    // covered by these blocks; enough to keep words whole.
    matches!(c as u32, 0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05C7 | 0x0610..=0x061A
        | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED | 0x0900..=0x0903 | 0x093A..=0x094F
        | 0x0951..=0x0957 | 0x0962..=0x0963 | 0x0981..=0x0D57 | 0x0E31 | 0x0E34..=0x0E3A
        | 0x0E47..=0x0E4E | 0x0F18..=0x0FBC | 0x102B..=0x103E | 0x17B4..=0x17D3)
}

/// Derives the pattern file from the WordPress strings TSV (columns:
/// language, msgid, msgstr, msgstr_text, msgctxt, plural_form, category,
/// ...). Output: `kind<TAB>pattern` lines, sorted and de-duplicated, after a
/// comment header. Deterministic, so a test can check the shipped file.
pub fn derive_patterns(tsv: &str) -> String {
    let placeholder = regex::Regex::new(r"%(\d+\$)?[sd]").expect("static regex");
    let tag = regex::Regex::new(r"<[^>]*>").expect("static regex");
    let mut best: HashMap<String, Kind> = HashMap::new();
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 7 {
            continue;
        }
        let (msgid, msgstr, msgstr_text, cat) = (cols[1], cols[2], cols[3], cols[6]);
        let Some(kind) = kind_of_wp_category(cat, msgid) else {
            continue;
        };
        let translated = if msgstr_text.is_empty() {
            msgstr
        } else {
            msgstr_text
        };
        for raw in [msgid, translated] {
            let raw = raw.trim_matches('"').replace("\"\"", "\"");
            let text = super::hygiene::strip_invisible(&super::hygiene::decode_entities(&raw)).into_owned();
            let text = tag.replace_all(&text, " ");
            let text = placeholder.replace_all(&text, " * ").replace("%%", "%");
            let pattern = normalize(&text, true);
            let literal: String = pattern.chars().filter(|c| *c != '*' && *c != ' ').collect();
            if literal.chars().count() < 2 {
                continue;
            }
            best.entry(pattern)
                .and_modify(|k| {
                    if kind.priority() < k.priority() {
                        *k = kind
                    }
                })
                .or_insert(kind);
        }
    }
    let mut rows: Vec<(String, Kind)> = best.into_iter().collect();
    rows.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    let mut out = String::from(
        "# Boilerplate phrase patterns derived from WordPress core, default-theme and Jetpack\n\
         # translations (GPL-2.0-or-later), see data/boilerplate/README.md. Generated by\n\
         # newsflow::pipeline::clean::patterns::derive_patterns; do not edit by hand.\n\
         # kind<TAB>pattern (lower-cased words; * = any text)\n",
    );
    for (pattern, kind) in rows {
        out.push_str(kind.as_str());
        out.push('\t');
        out.push_str(&pattern);
        out.push('\n');
    }
    out
}

/// The shipped derived patterns.
pub const WORDPRESS_PATTERNS: &str = include_str!("../../../data/boilerplate/wordpress-patterns.tsv");

/// A pattern with placeholders: literal fragments in order, each anchored
/// to the line start/end unless a `*` stands there.
#[derive(Debug)]
struct Template {
    fragments: Vec<String>,
    anchored_start: bool,
    anchored_end: bool,
    kind: Kind,
}

/// The compiled phrase matcher.
#[derive(Debug)]
pub struct PhraseMatcher {
    /// Whole-line phrases.
    exact: HashMap<String, Kind>,
    /// Phrases long enough to be recognised inside a longer line.
    fragments: AhoCorasick,
    fragment_kinds: Vec<Kind>,
    templates: Vec<Template>,
}

/// Fragments shorter than this (in characters, spaces excluded) only count
/// as whole lines: "reply" or "share" inside a sentence is content.
const MIN_FRAGMENT_CHARS: usize = 14;
/// Words a placeholder may stand for in a template match: "3 thoughts on
/// “<title>”" has a title inside, a paragraph does not fit.
const MAX_TEMPLATE_FILL_WORDS: usize = 24;
/// Fill allowed when the template's literal part is a single short word
/// ("by *", "von *"): a name, not a sentence.
const MAX_SHORT_TEMPLATE_FILL_WORDS: usize = 4;

impl PhraseMatcher {
    pub fn from_tsv(tsv: &str) -> PhraseMatcher {
        let mut exact: HashMap<String, Kind> = HashMap::new();
        let mut frag_pats = Vec::new();
        let mut fragment_kinds = Vec::new();
        let mut templates = Vec::new();
        for line in tsv.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let Some((kind, pattern)) = line.split_once('\t') else {
                continue;
            };
            let Some(kind) = Kind::parse(kind) else {
                continue;
            };
            if pattern.contains('*') {
                let toks: Vec<&str> = pattern.split(' ').collect();
                let fragments: Vec<String> = pattern
                    .split('*')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned)
                    .collect();
                if fragments.is_empty() {
                    continue;
                }
                // Long literal parts count towards coverage too ("Les champs
                // obligatoires sont indiqués avec *" after another sentence).
                for f in &fragments {
                    if is_long_fragment(f) {
                        frag_pats.push(f.clone());
                        fragment_kinds.push(kind);
                    }
                }
                templates.push(Template {
                    fragments,
                    anchored_start: toks.first() != Some(&"*"),
                    anchored_end: toks.last() != Some(&"*"),
                    kind,
                });
            } else {
                exact.insert(pattern.to_owned(), kind);
                if is_long_fragment(pattern) {
                    frag_pats.push(pattern.to_owned());
                    fragment_kinds.push(kind);
                }
            }
        }
        let fragments = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&frag_pats)
            .expect("boilerplate fragments compile");
        PhraseMatcher {
            exact,
            fragments,
            fragment_kinds,
            templates,
        }
    }

    /// The shared matcher built from the shipped patterns.
    pub fn shared() -> &'static PhraseMatcher {
        static M: OnceLock<PhraseMatcher> = OnceLock::new();
        M.get_or_init(|| PhraseMatcher::from_tsv(WORDPRESS_PATTERNS))
    }

    /// Classifies a normalized line (see [`normalize`]): the kind when the
    /// whole line is a known phrase, fits a template, or is mostly made of
    /// long known phrases (a comment form pasted into one line).
    pub fn classify(&self, norm: &str) -> Option<Kind> {
        if norm.is_empty() {
            return None;
        }
        if let Some(k) = self.exact.get(norm) {
            return Some(*k);
        }
        let words = norm.split(' ').count();
        if words <= MAX_TEMPLATE_FILL_WORDS + 6 {
            if let Some(k) = self.template(norm, words) {
                return Some(k);
            }
        }
        self.coverage(norm)
    }

    fn template(&self, norm: &str, words: usize) -> Option<Kind> {
        let mut best: Option<Kind> = None;
        for t in &self.templates {
            if best.is_some_and(|b| b.priority() <= t.kind.priority()) {
                continue;
            }
            if matches_template(norm, t) {
                let lit_words: usize = t.fragments.iter().map(|f| f.split(' ').count()).sum();
                let lit_chars: usize = t.fragments.iter().map(|f| f.chars().count()).sum();
                // "by *" must not swallow "Par ailleurs, le ministre a dit …":
                // a short literal only admits a name-sized fill.
                let max_fill = if lit_words >= 2 && lit_chars >= 8 {
                    MAX_TEMPLATE_FILL_WORDS
                } else {
                    MAX_SHORT_TEMPLATE_FILL_WORDS
                };
                if words.saturating_sub(lit_words) <= max_fill {
                    best = Some(t.kind);
                }
            }
        }
        best
    }

    /// Share of the line's characters covered by long known phrases; a line
    /// that is mostly comment-form text is comment form.
    fn coverage(&self, norm: &str) -> Option<Kind> {
        let total = norm.chars().filter(|c| *c != ' ').count();
        if total == 0 {
            return None;
        }
        let mut covered = 0usize;
        let mut kinds: Vec<(Kind, usize)> = Vec::new();
        let bytes = norm.as_bytes();
        for m in self.fragments.find_iter(norm) {
            let at_word_start = m.start() == 0 || bytes[m.start() - 1] == b' ';
            let at_word_end = m.end() == bytes.len() || bytes[m.end()] == b' ';
            if !(at_word_start && at_word_end) {
                continue;
            }
            let n = norm[m.start()..m.end()].chars().filter(|c| *c != ' ').count();
            covered += n;
            let kind = self.fragment_kinds[m.pattern().as_usize()];
            match kinds.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, c)) => *c += n,
                None => kinds.push((kind, n)),
            }
        }
        if covered * 10 >= total * 6 {
            kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.priority().cmp(&b.0.priority())));
            return kinds.first().map(|(k, _)| *k);
        }
        None
    }
}

impl PhraseMatcher {
    /// The kind of the first long known phrase (comment form, share or
    /// subscribe string of some locale) that occurs *inside* `norm`, whole
    /// words only, whatever share of the line it covers. Not a verdict (a
    /// sentence may quote one): `eval clean --survivors` lists the kept lines
    /// it flags for review, where a comment form glued to content by an
    /// extractor shows up.
    pub fn guarded_fragment(&self, norm: &str) -> Option<Kind> {
        let bytes = norm.as_bytes();
        self.fragments.find_iter(norm).find_map(|m| {
            let at_word_start = m.start() == 0 || bytes[m.start() - 1] == b' ';
            let at_word_end = m.end() == bytes.len() || bytes[m.end()] == b' ';
            let kind = self.fragment_kinds[m.pattern().as_usize()];
            let guarded = matches!(kind, Kind::CommentForm | Kind::Share | Kind::Newsletter);
            (at_word_start && at_word_end && guarded).then_some(kind)
        })
    }
}

/// Long enough to be recognised inside a longer line.
fn is_long_fragment(pattern: &str) -> bool {
    let chars = pattern.chars().filter(|c| *c != ' ').count();
    let words = pattern.split(' ').count();
    chars >= MIN_FRAGMENT_CHARS && (words >= 3 || !pattern.is_ascii())
}

fn matches_template(norm: &str, t: &Template) -> bool {
    let mut rest = norm;
    let n = t.fragments.len();
    for (i, frag) in t.fragments.iter().enumerate() {
        let first = i == 0;
        let last = i + 1 == n;
        if first && t.anchored_start {
            if !starts_with_word(rest, frag) {
                return false;
            }
            rest = &rest[frag.len()..];
            continue;
        }
        if last && t.anchored_end {
            return ends_with_word(rest, frag) && rest.len() > frag.len();
        }
        match find_word(rest, frag) {
            Some(pos) => rest = &rest[pos + frag.len()..],
            None => return false,
        }
    }
    true
}

fn starts_with_word(s: &str, w: &str) -> bool {
    s.starts_with(w) && (s.len() == w.len() || s.as_bytes()[w.len()] == b' ' || !w.is_ascii())
}

fn ends_with_word(s: &str, w: &str) -> bool {
    s.ends_with(w) && (s.len() == w.len() || s.as_bytes()[s.len() - w.len() - 1] == b' ' || !w.is_ascii())
}

fn find_word(s: &str, w: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = s[from..].find(w) {
        let start = from + p;
        let end = start + w.len();
        let ok_start = start == 0 || s.as_bytes()[start - 1] == b' ' || !w.is_ascii();
        let ok_end = end == s.len() || s.as_bytes()[end] == b' ' || !w.is_ascii();
        if ok_start && ok_end {
            return Some(start);
        }
        from = start + w.chars().next().map_or(1, char::len_utf8);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(line: &str) -> Option<Kind> {
        PhraseMatcher::shared().classify(&normalize(line, false))
    }

    #[test]
    fn normalize_words() {
        assert_eq!(
            normalize("  Laisser un commentaire ! ", false),
            "laisser un commentaire"
        );
        assert_eq!(normalize("%s réponses sur « * »", true), "s réponses sur *");
        assert_eq!(normalize("a*b", true), "a * b");
    }

    #[test]
    fn comment_form_in_many_languages() {
        for line in [
            "Laisser un commentaire",
            "Votre adresse e-mail ne sera pas publiée. Les champs obligatoires sont indiqués avec *",
            "Leave a Reply",
            "Your email address will not be published. Required fields are marked *",
            "Schreibe einen Kommentar",
            "Deja una respuesta",
            "Save my name, email, and website in this browser for the next time I comment.",
        ] {
            assert_eq!(kind(line), Some(Kind::CommentForm), "{line}");
        }
    }

    #[test]
    fn templates_and_bars() {
        assert_eq!(
            kind("3 réflexions sur « Le Kazakhstan et l’UE »"),
            Some(Kind::Comments)
        );
        assert_eq!(kind("One thought on “Hello world”"), Some(Kind::Comments));
        assert_eq!(kind("Partager :"), Some(Kind::Share));
        assert_eq!(kind("Articles similaires"), Some(Kind::Related));
    }

    #[test]
    fn content_is_not_boilerplate() {
        for line in [
            "Le Kazakhstan et l’Union européenne ont confirmé leur volonté de développer une coopération.",
            "He said he would leave a comment on the proposal later, but did not reply to our email.",
            "Par ailleurs, le ministre a rappelé les engagements pris à Bruxelles en novembre 2021 avec ses partenaires.",
            "Les commentaires du ministre ont été publiés mercredi par le service de presse.",
        ] {
            assert_eq!(kind(line), None, "{line}");
        }
    }
}
