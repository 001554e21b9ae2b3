//! Line-level combination of the HTML extractor's output with the line
//! model's verdict on the page's visible text.
//!
//! rs-trafilatura picks one DOM subtree and is usually right about it, but
//! on a page in five it keeps a teaser, one listing card or one post of a
//! thread, or it keeps a block with its sidebar. The line model
//! ([`super::model`]) reads the whole visible text and is right on other
//! pages. Choosing one of the two outputs per page can reach 0.88 word F1 on
//! the held-out fifth of WCXB dev, against 0.85 for the per-page switch
//! `html.rs` had; finer still is to decide per line.
//!
//! So every line of the visible text gets a feature set that says what both
//! sources think of it: how much of the line the extraction holds (aligned
//! in order, see [`align`]), the same for its neighbours, where it lies
//! against the extracted span, the line model's probability and decoded
//! verdict, the region heuristic's verdict, the phrase rules' verdict, the
//! line's shape, and page-level context: how long the extraction is against
//! what the line model keeps and against the whole page, and the page type
//! rs-trafilatura detected. A logistic regression over those features
//! (stored in the line model's file format, trained by `newsflow train
//! clean-html` on the WCXB dev pages whose id is not a multiple of 5, with
//! the line model's probabilities cross-fitted) gives each line a
//! probability, and the line model's Viterbi decoding turns them into kept
//! and dropped runs.
//!
//! **Status: shipped empty** (`data/boilerplate/html-combiner.tsv.gz` has no
//! weights, so [`shipped`] is `None` and the stage keeps the extractor's
//! text and the short-extraction switch). Trained with cross-fitted line
//! model scores, the combiner did not beat the extractor on WCXB dev
//! (docs/clean-html.md): rebuilding the extraction from visible lines
//! alone costs 3 points on the aligned training pages (0.879 for the
//! extractor's text, 0.847 for the visible lines it holds), more than the
//! per-line decisions win back. The next version should edit the
//! extractor's text (drop and insert lines) instead of replacing it.
//!
//! Pages whose extraction is mostly not on the visible lines (content that
//! a browser renders from `<noscript>`, data attributes or JSON-LD, as on
//! Discourse forums) are not combined: [`View::aligned`] is false there and
//! the extractor's text is used as before.

use super::model::{self, LineModel};
use super::patterns::{normalize, Kind, PhraseMatcher};
use super::text::{self, ends_like_sentence, word_weight, Line};
use std::collections::HashSet;
use std::sync::OnceLock;

/// The shipped combiner (trained by `newsflow train clean-html`).
static SHIPPED: &[u8] = include_bytes!("../../../data/boilerplate/html-combiner.tsv.gz");

/// Below this share of the extraction's words found on visible lines (in
/// order), the page is not combined (see the module doc).
const MIN_ALIGNED: f64 = 0.6;

/// A combined page is used only when it changes at least this share of
/// the extraction (see [`View::change`]); `newsflow train clean-html`
/// prints the value its grid chooses on the training pages (0: every
/// aligned page is combined).
pub const MIN_CHANGE: f64 = 0.0;

/// Whether only pages whose extraction is short against the visible text
/// ([`short_extraction`]) are combined; chosen with [`MIN_CHANGE`].
pub const ONLY_SHORT: bool = false;

/// Below 2/5 of the visible text's words, an extraction may have missed
/// the main content: the pages where the line model runs anyway.
pub fn short_extraction(extraction: &str, visible: &str) -> bool {
    words(extraction).len() * 5 < words(visible).len() * 2
}

/// The combiner embedded in the binary, or `None` when it has no weights.
pub fn shipped() -> Option<&'static LineModel> {
    static M: OnceLock<Option<LineModel>> = OnceLock::new();
    M.get_or_init(|| {
        let m = LineModel::from_gz(SHIPPED).expect("the embedded HTML combiner is valid");
        (!m.is_empty()).then_some(m)
    })
    .as_ref()
}

/// How much of a visible line the extraction holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cover {
    /// Its words occur, in order and contiguously, in the extraction.
    Exact,
    /// At least 80 % of its words (four or more) occur somewhere in the
    /// extraction.
    Most,
    /// At least 40 % (or a short line out of sequence).
    Some,
    /// Fewer, but at least one.
    Few,
    None,
}

impl Cover {
    fn as_str(self) -> &'static str {
        match self {
            Cover::Exact => "x",
            Cover::Most => "m",
            Cover::Some => "s",
            Cover::Few => "f",
            Cover::None => "0",
        }
    }

    pub fn held(self) -> bool {
        matches!(self, Cover::Exact | Cover::Most)
    }
}

/// Lower-cased words as [`super::eval::words`] splits them.
fn words(text: &str) -> Vec<String> {
    super::eval::words(text)
}

/// Aligns each line with the extraction: a line of four words or more is
/// `Exact` when its word sequence occurs in the extraction (searched from
/// where the previous match ended, then from the start); a shorter line only
/// when it occurs within a few words of the previous match (a menu item
/// "Home" is not the extraction's "home" in the middle of a sentence).
/// Lines not found whole get the share of their words that occur anywhere
/// in the extraction. Returns the covers and the number of extraction words
/// that occur in the lines it holds (`Exact` or `Most`).
pub fn align(lines: &[Line], extraction: &str) -> (Vec<Cover>, usize) {
    let ext = words(extraction);
    let bag: HashSet<&str> = ext.iter().map(String::as_str).collect();
    let mut padded = String::with_capacity(extraction.len() + 2);
    padded.push(' ');
    for w in &ext {
        padded.push_str(w);
        padded.push(' ');
    }
    let mut cursor = 0usize;
    let covers = lines
        .iter()
        .map(|l| {
            let w = words(&l.clean);
            if w.is_empty() {
                return Cover::None;
            }
            let needle = format!(" {} ", w.join(" "));
            let found = if w.len() >= 4 {
                padded[cursor..]
                    .find(&needle)
                    .map(|p| p + cursor)
                    .or_else(|| padded.find(&needle))
            } else {
                let mut end = (cursor + 60 + needle.len()).min(padded.len());
                while !padded.is_char_boundary(end) {
                    end += 1;
                }
                // Before the first match only the extraction's very start counts.
                padded[cursor..end]
                    .find(&needle)
                    .filter(|&p| cursor > 0 || p == 0)
                    .map(|p| p + cursor)
            };
            if let Some(p) = found {
                cursor = p + needle.len() - 1;
                return Cover::Exact;
            }
            let inside = w.iter().filter(|x| bag.contains(x.as_str())).count();
            match inside * 10 / w.len() {
                // A short line out of sequence ("Home", "World news") is a
                // menu item whose words the article happens to use.
                8.. if w.len() >= 4 => Cover::Most,
                8.. => Cover::Some,
                4.. => Cover::Some,
                _ if inside > 0 => Cover::Few,
                _ => Cover::None,
            }
        })
        .collect::<Vec<Cover>>();
    // Extraction words that the held lines contain (as a set: an extractor
    // that repeats a block is still on the page).
    let held: HashSet<String> = lines
        .iter()
        .zip(&covers)
        .filter(|(_, c)| c.held())
        .flat_map(|(l, _)| words(&l.clean))
        .collect();
    let covered = ext.iter().filter(|w| held.contains(w.as_str())).count();
    (covers, covered)
}

/// A page's visible lines with everything the combiner reads about them.
#[derive(Debug, Clone)]
pub struct View {
    /// The visible lines, judged by the phrase and hand-written rules.
    pub lines: Vec<Line>,
    pub covers: Vec<Cover>,
    /// The line model's probability for each line the rules left alone
    /// (`None`: judged by a rule, or a page too short for the model).
    pub p: Vec<Option<f32>>,
    /// The line model's decoded verdict (the region heuristic's on pages
    /// too short for the model).
    pub keep: Vec<bool>,
    pub region: Vec<bool>,
    /// Words of the extraction, and how many of them the `Exact` lines hold.
    pub extraction_words: usize,
    pub aligned_words: usize,
    /// rs-trafilatura's page type (`article`, `forum`, `product`, ...).
    pub page_type: Option<String>,
}

impl View {
    /// Builds the view of a page from its visible text, the extractor's
    /// text and page type, and a line model (the shipped one in the
    /// pipeline; a cross-fitted one when training).
    pub fn new(
        visible: &str,
        extraction: &str,
        page_type: Option<&str>,
        line_model: Option<&LineModel>,
    ) -> Self {
        let mut lines = text::split_lines(visible);
        text::judge_rules(&mut lines);
        let region = text::region_keep(&lines);
        let undecided = model::undecided(&lines);
        let mut p = vec![None; lines.len()];
        let mut keep: Vec<bool> = (0..lines.len())
            .map(|i| region[i] && lines[i].kind.is_none())
            .collect();
        if let Some(m) = line_model.filter(|_| lines.len() >= model::MIN_LINES) {
            let scores = m.scores(&lines, &region, &undecided);
            let weights: Vec<f32> = undecided
                .iter()
                .map(|&i| word_weight(&lines[i].norm) as f32 + 1.0)
                .collect();
            let kept = model::decode(&weights, &scores, m.threshold, m.switch_cost);
            for ((&i, s), k) in undecided.iter().zip(scores).zip(kept) {
                p[i] = Some(s);
                keep[i] = k;
            }
        }
        let (covers, aligned_words) = align(&lines, extraction);
        View {
            lines,
            covers,
            p,
            keep,
            region,
            extraction_words: words(extraction).len(),
            aligned_words,
            page_type: page_type.map(str::to_ascii_lowercase),
        }
    }

    /// Whether the extraction is on the visible lines enough to be combined
    /// with them line by line.
    pub fn aligned(&self) -> bool {
        self.extraction_words > 0 && self.aligned_words as f64 >= MIN_ALIGNED * self.extraction_words as f64
    }

    /// How much `keep` changes the extraction, as a share of the words on
    /// the lines the extraction holds: words on kept lines it does not
    /// hold plus words on held lines not kept. Below [`MIN_CHANGE`] the
    /// extractor's own text is used: it keeps content and line breaks that
    /// the visible lines lack (text from `<noscript>`, image captions,
    /// table layout), so a near-copy of it from the visible lines is worth
    /// less than the original.
    pub fn change(&self, keep: &[bool]) -> f64 {
        let mut held = 0.0;
        let mut changed = 0.0;
        for ((line, c), &k) in self.lines.iter().zip(&self.covers).zip(keep) {
            let w = word_weight(&line.norm);
            if c.held() {
                held += w;
            }
            if c.held() != k {
                changed += w;
            }
        }
        changed / held.max(1.0)
    }

    /// Each line's feature names (see the module doc).
    pub fn features(&self) -> Vec<Vec<String>> {
        let n = self.lines.len();
        let weight = |i: usize| word_weight(&self.lines[i].norm);
        let total: f64 = (0..n).map(weight).sum();
        let kept: f64 = (0..n).filter(|&i| self.keep[i]).map(weight).sum();
        let ext = self.extraction_words as f64;
        let ratio = bucket(ext / kept.max(1.0), &[0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.6, 2.5]);
        let share = bucket(ext / total.max(1.0), &[0.1, 0.2, 0.4, 0.6, 0.8]);
        let on_lines = bucket(self.aligned_words as f64 / ext.max(1.0), &[0.8, 0.9, 0.97]);
        let page_type = self.page_type.as_deref().unwrap_or("none");
        let first = self.covers.iter().position(|c| *c == Cover::Exact);
        let last = self.covers.iter().rposition(|c| *c == Cover::Exact);
        // Distance (in lines) to the nearest held line, both ways.
        let mut dist = vec![usize::MAX; n];
        let mut d = usize::MAX;
        for (slot, c) in dist.iter_mut().zip(&self.covers) {
            d = if c.held() { 0 } else { d.saturating_add(1) };
            *slot = d;
        }
        d = usize::MAX;
        for (slot, c) in dist.iter_mut().zip(&self.covers).rev() {
            d = if c.held() { 0 } else { d.saturating_add(1) };
            *slot = (*slot).min(d);
        }
        let cover_at = |i: isize| -> &'static str {
            if i < 0 || i >= n as isize {
                "edge"
            } else {
                self.covers[i as usize].as_str()
            }
        };
        (0..n)
            .map(|i| {
                let line = &self.lines[i];
                let c = self.covers[i].as_str();
                let p = match (self.p[i], line.kind) {
                    (_, Some(k)) => format!("r:{}", k.as_str()),
                    (Some(s), None) => format!("{}", ((s * 10.0) as usize).min(9)),
                    (None, None) => "na".to_owned(),
                };
                let k = if self.keep[i] { "1" } else { "0" };
                let span = match (first, last) {
                    (Some(a), Some(_)) if i < a => "before",
                    (Some(_), Some(b)) if i > b => "after",
                    (Some(_), Some(_)) => "in",
                    _ => "none",
                };
                let wc = bucket(weight(i), &[1.0, 2.0, 3.0, 4.0, 7.0, 13.0, 26.0, 51.0]);
                let sentence = if ends_like_sentence(&line.clean) { "s" } else { "n" };
                let ii = i as isize;
                let dist = match dist[i] {
                    0 => "0",
                    1 => "1",
                    2 => "2",
                    3..=5 => "5",
                    6..=15 => "15",
                    usize::MAX => "inf",
                    _ => "far",
                };
                vec![
                    format!("c={c}"),
                    format!("p={p}"),
                    format!("k={k}"),
                    format!("reg={}", u8::from(self.region[i])),
                    format!("c-1={}", cover_at(ii - 1)),
                    format!("c+1={}", cover_at(ii + 1)),
                    format!("c-2={}", cover_at(ii - 2)),
                    format!("c+2={}", cover_at(ii + 2)),
                    format!("c-1+1={}{}", cover_at(ii - 1), cover_at(ii + 1)),
                    format!("span={span}"),
                    format!("dist={dist}"),
                    format!("wc={wc}"),
                    format!("sent={sentence}"),
                    format!("ratio={ratio}"),
                    format!("share={share}"),
                    format!("pt={page_type}"),
                    format!("al={on_lines}"),
                    format!("c,al={c},{on_lines}"),
                    format!("c,p={c},{p}"),
                    format!("c,k={c},{k}"),
                    format!("c,k,ratio={c},{k},{ratio}"),
                    format!("p,ratio={p},{ratio}"),
                    format!("c,share={c},{share}"),
                    format!("c,span={c},{span}"),
                    format!("c,wc={c},{wc}"),
                    format!("c,pt={c},{page_type}"),
                    format!("k,pt={k},{page_type}"),
                    format!("c,dist,k={c},{dist},{k}"),
                    format!("c,sent,wc={c},{sentence},{wc}"),
                ]
            })
            .collect()
    }

    /// The combiner's keep/drop decision for every line: its probabilities
    /// decoded with the model's threshold and switch cost (Viterbi over all
    /// lines, word-weighted, as the line model decodes).
    pub fn decide(&self, combiner: &LineModel) -> Vec<bool> {
        let feats = self.features();
        let p: Vec<f32> = feats.iter().map(|f| combiner.probability(f)).collect();
        self.decode(&p, combiner.threshold, combiner.switch_cost)
    }

    /// Decodes per-line probabilities into keep/drop.
    pub fn decode(&self, p: &[f32], threshold: f32, switch_cost: f32) -> Vec<bool> {
        let weights: Vec<f32> = self
            .lines
            .iter()
            .map(|l| word_weight(&l.norm) as f32 + 1.0)
            .collect();
        model::decode(&weights, p, threshold, switch_cost)
    }
}

/// The combined page: the kept lines minus the UI strings ([`ui_kind`]);
/// a first kept line that repeats `title` is the title, not body. The
/// removed lines become boilerplate blocks (kind `low_content` for the ones
/// the combiner dropped), with offsets into the visible text.
pub fn assemble(view: &View, keep: &[bool], title: Option<&str>) -> text::Classified {
    let matcher = PhraseMatcher::shared();
    let mut lines = view.lines.clone();
    let title_norm = title.map(|t| normalize(t, false));
    let mut skip = None;
    for (i, (line, &kept)) in lines.iter_mut().zip(keep).enumerate() {
        line.kind = if kept {
            let phrase = matcher.classify(&line.norm);
            let rule = if phrase.is_none() {
                text::rule_kind(&line.clean, &line.norm)
            } else {
                None
            };
            ui_kind(line, phrase, rule)
        } else {
            Some(line.kind.unwrap_or(Kind::LowContent))
        };
        if skip.is_none() && line.kind.is_none() {
            skip = Some(i).filter(|_| title_norm.as_deref() == Some(line.norm.as_str()));
            if skip.is_none() {
                // Only the first kept line can be the repeated headline.
                skip = Some(usize::MAX);
            }
        }
    }
    text::assemble(&lines, skip.filter(|&i| i != usize::MAX), None)
}

fn bucket(x: f64, edges: &[f64]) -> usize {
    edges.iter().take_while(|&&e| x >= e).count()
}

/// Lines of the extractor's output or of a combined page that are removed
/// whatever the models say: the UI strings the extractor or a line model
/// can let through inside the main block (comment forms, share bars, ad
/// markers, credit lines, tag/category labels, WordPress comment counts and
/// post navigation by phrase, short cookie and newsletter prompts).
pub fn ui_kind(line: &Line, phrase: Option<Kind>, rule: Option<Kind>) -> Option<Kind> {
    let words = line.clean.split_whitespace().count();
    match phrase.or(rule) {
        Some(k @ (Kind::CommentForm | Kind::Share | Kind::Ad | Kind::Credit | Kind::Category)) => Some(k),
        Some(k @ (Kind::Comments | Kind::Navigation)) if phrase == Some(k) => Some(k),
        Some(k @ (Kind::Cookie | Kind::Newsletter)) if words <= 12 => Some(k),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_finds_long_lines_anywhere_and_short_ones_in_sequence() {
        let lines = text::split_lines(
            "Home\nNews\nThe minister announced a visit to Brussels.\nHome\nHe will meet his counterparts there.\nShare this",
        );
        let ext = "The minister announced a visit to Brussels. Home He will meet his counterparts there.";
        let (covers, covered) = align(&lines, ext);
        assert_eq!(
            covers,
            vec![
                Cover::Some,
                Cover::None,
                Cover::Exact,
                Cover::Exact,
                Cover::Exact,
                Cover::None
            ]
        );
        // Every extraction word is on a held line.
        assert_eq!(covered, 7 + 1 + 6);
    }
}
