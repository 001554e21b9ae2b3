//! Line-level editing of the HTML extractor's output with the line model's
//! verdict on the page's visible text.
//!
//! rs-trafilatura picks one DOM subtree and is usually right about it, but
//! it keeps link lists, captions, bylines or a comment block inside that
//! subtree, and it misses paragraphs just outside it (a lead in its own
//! `<div>`, the second half of an article split by an ad). The line model
//! ([`super::model`]) reads the whole visible text and is right on other
//! lines. The combiner **edits the extractor's text** rather than replacing
//! it (a version that rebuilt the text from the visible lines lost 3 points
//! of word F1 before making any decision: the extractor's text holds
//! content and block breaks the visible lines lack, see docs/clean-html.md):
//!
//! 1. **Drop**: every line of the extraction gets a feature set (how much of
//!    it lies on visible lines, the line model's probability and decoded
//!    verdict for those lines, the rules' verdict, its position in the
//!    extraction, its length and shape, its neighbours' line-model scores,
//!    and page context: the extraction's share of the visible words and of
//!    what the line model keeps, rs-trafilatura's page type). A logistic
//!    regression gives the probability that the line is main text; lines
//!    below 1/2 are dropped (reported as `low_content` boilerplate).
//! 2. **Add**: visible lines the extraction does not hold, the rules left
//!    alone, and that lie between two lines it holds or in a run of at most
//!    [`MAX_ADD_DISTANCE`] lines right before or after them, get a second
//!    feature set (the line model's probability and verdict, where the line
//!    lies against the extracted region and how far, its length and shape,
//!    the same page context). Lines above 1/2 are inserted into the
//!    extraction where the page has them.
//!
//! Both are one logistic regression (features prefixed `d|` and `a|`),
//! stored in the line model's file format and trained by `newsflow train
//! clean-html` on the WCXB dev pages whose id is not a multiple of 5, with
//! the line model's probabilities cross-fitted. The decision thresholds
//! chosen on those pages are folded into the two bias features (`d|bias`,
//! `a|bias`), so both decisions are at 1/2.
//!
//! The same file can carry a learned **short-extraction switch** (`s|`
//! features, [`View::switch_features`]): on pages whose extraction is under
//! 2/5 of the visible words, it chooses between the extractor's text and
//! the line model's instead of the fixed word ratio. Each part ships only
//! with its marker feature ([`has_part`]).
//!
//! **Status: shipped empty** (`data/boilerplate/html-combiner.tsv.gz` has no
//! weights, so [`shipped`] is `None` and the stage keeps the extractor's
//! text and the fixed switch). With cross-fitted line-model and combiner
//! probabilities, neither part beat the current path on the WCXB dev
//! training pages (edit: +0.15 points at best, −0.1 to −0.25 held out;
//! switch: −0.1), although the per-decision oracles leave 2–3 points of room
//! (docs/clean-html.md, session 5). Session 6 added DOM evidence per line
//! ([`line_dom`]: place against the extraction's main container, whether
//! the line's container is held, its ancestors' tags and hashed class/id
//! tokens): +0.2 points on the training pages at best, −0.24 held out, so
//! it still ships empty (docs/clean-html.md, session 6).
//!
//! Session 7 added **whole-container units** ([`container_units`],
//! [`View::unit_features`], `newsflow train clean-html --units`): instead
//! of one decision per line, each block container hanging off the main
//! container or its ancestors is dropped (when the extraction holds it) or
//! added (when it does not) whole, from its pooled lines (words, link
//! share, the line model's mean, best and worst score, sentence share, rule
//! hits) and its own tags and class/id tokens. A combiner file marked
//! `has|units` decides this way (see [`View::decide`]); see
//! docs/clean-html.md (session 7) for why none ships.
//!
//! Session 8 made it cheap to ship: a file can carry a **page-type gate**
//! ([`gate_allows`]: the rs-trafilatura page types it edits, chosen on the
//! training pages), and the stage then records the page's tree and builds
//! the [`View`] (the line model over the whole visible text, the alignment,
//! the units) only on those pages; the container evidence is computed once
//! per page; and a file can make only one of the two decisions
//! ([`edit_parts`]), so an add-only combiner computes no drop features.
//! With 9680fbc's line model no variant, gated or not, beat the current
//! path on the held-out fifth, so the file still ships empty
//! (docs/clean-html.md, session 8).
//!
//! Pages whose extraction is mostly not on the visible lines (content that
//! a browser renders from `<noscript>`, data attributes or JSON-LD, as on
//! Discourse forums) are not edited: [`View::aligned`] is false there.

use super::html::Dom;
use super::model::{self, LineModel};
use super::patterns::{Kind, PhraseMatcher};
use super::text::{self, ends_like_sentence, word_weight, Line};
use std::collections::HashSet;
use std::sync::OnceLock;

/// The shipped combiner (trained by `newsflow train clean-html`).
static SHIPPED: &[u8] = include_bytes!("../../../data/boilerplate/html-combiner.tsv.gz");

/// Below this share of the extraction's words found on visible lines (in
/// order), the page is not edited (see the module doc).
const MIN_ALIGNED: f64 = 0.6;

/// Visible lines farther than this (in lines) from the nearest line the
/// extraction holds are never added: the combiner extends the extractor's
/// region, it does not look for another one.
pub const MAX_ADD_DISTANCE: usize = 15;

/// The combiner embedded in the binary, or `None` when it has no weights.
pub fn shipped() -> Option<&'static LineModel> {
    static M: OnceLock<Option<LineModel>> = OnceLock::new();
    M.get_or_init(|| {
        let m = LineModel::from_gz(SHIPPED).expect("the embedded HTML combiner is valid");
        (!m.is_empty()).then_some(m)
    })
    .as_ref()
}

/// Whether the combiner file has weights for one of its parts (`edit`:
/// the drop and add decisions; `switch`: the short-extraction switch). The
/// trainer writes a marker feature `has|<part>` with weight 1 for each part
/// it ships; no real feature list holds it, so it changes no probability.
pub fn has_part(m: &LineModel, part: &str) -> bool {
    has_weight(m, &format!("has|{part}"))
}

/// Whether the combiner file has a (non-zero) weight for feature `name`.
fn has_weight(m: &LineModel, name: &str) -> bool {
    m.probability(&[name.to_owned()]) != m.probability(&[])
}

/// Whether the combiner edits a page of rs-trafilatura's page type
/// `page_type` (`article`, `product`, `collection`, ...; `None`: none
/// given). A combiner file with the part `gate` edits only the types it
/// names (marker features `g|pt=<type>`, chosen by `newsflow train
/// clean-html` on the training pages: the edits pay on product and
/// collection pages and not on articles, docs/clean-html.md, session 8);
/// one without edits every page. The stage records the page's tree and
/// runs the line model over its visible text only for the pages it edits,
/// so the gate is also what keeps the combiner cheap on a news stream.
pub fn gate_allows(m: &LineModel, page_type: Option<&str>) -> bool {
    !has_part(m, "gate") || has_weight(m, &gate_feature(page_type))
}

/// The gate's marker feature for a page type (see [`gate_allows`]).
pub fn gate_feature(page_type: Option<&str>) -> String {
    format!(
        "g|pt={}",
        page_type.map_or_else(|| "none".to_owned(), str::to_ascii_lowercase)
    )
}

/// Which of the edit's decisions a combiner file makes: `(drop, add)`. A
/// file with the part `drop` or `add` makes only the ones it names (the
/// trainer leaves out a decision whose chosen threshold never fires, and
/// its weights with it, so the stage does not compute its features); an
/// older file with neither marker makes both.
pub fn edit_parts(m: &LineModel) -> (bool, bool) {
    match (has_part(m, "drop"), has_part(m, "add")) {
        (false, false) => (true, true),
        parts => parts,
    }
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

/// Where each visible line is in the extraction.
struct Alignment {
    covers: Vec<Cover>,
    /// For each word of the extraction (in order), the visible line whose
    /// `Exact` match holds it.
    word_line: Vec<Option<usize>>,
    /// For each `Exact` visible line, the index of its first word in the
    /// extraction's word sequence.
    at: Vec<Option<usize>>,
}

/// Aligns each visible line with the extraction's word sequence `ext`: a
/// line of four words or more is `Exact` when its word sequence occurs in
/// the extraction (searched from where the previous match ended, then from
/// the start); a shorter line only when it occurs within a few words of the
/// previous match (a menu item "Home" is not the extraction's "home" in the
/// middle of a sentence). Lines not found whole get the share of their
/// words that occur anywhere in the extraction.
fn align(lines: &[Line], ext: &[String]) -> Alignment {
    let bag: HashSet<&str> = ext.iter().map(String::as_str).collect();
    let mut padded = String::with_capacity(ext.iter().map(|w| w.len() + 1).sum::<usize>() + 1);
    // Byte offset in `padded` of each word's first byte.
    let mut starts = Vec::with_capacity(ext.len());
    padded.push(' ');
    for w in ext {
        starts.push(padded.len());
        padded.push_str(w);
        padded.push(' ');
    }
    let mut word_line = vec![None; ext.len()];
    let mut at = vec![None; lines.len()];
    let mut cursor = 0usize;
    let covers = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
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
                if let Ok(first) = starts.binary_search(&(p + 1)) {
                    at[i] = Some(first);
                    for slot in word_line.iter_mut().skip(first).take(w.len()) {
                        slot.get_or_insert(i);
                    }
                }
                return Cover::Exact;
            }
            let inside = w.iter().filter(|x| bag.contains(x.as_str())).count();
            match inside * 10 / w.len() {
                // A short line out of sequence ("Home", "World news") is a
                // menu item whose words the article happens to use.
                8.. if w.len() >= 4 => Cover::Most,
                4.. => Cover::Some,
                _ if inside > 0 => Cover::Few,
                _ => Cover::None,
            }
        })
        .collect();
    Alignment {
        covers,
        word_line,
        at,
    }
}

/// Which of `lines` (visible lines) the extraction holds ([`Cover::held`]),
/// aligned as the combiner's view aligns them: the short-extraction
/// switch's evidence (see [`super::html::overlap`]).
pub fn held_lines(lines: &[Line], extraction: &str) -> Vec<bool> {
    let ext: Vec<String> = text::split_lines(extraction)
        .iter()
        .flat_map(|l| words(&l.clean))
        .collect();
    align(lines, &ext).covers.into_iter().map(Cover::held).collect()
}

/// What the combiner decided for a page: which extraction lines go and
/// which visible lines come in.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    /// One flag per line of [`text::split_lines`] over the extraction.
    pub drop: Vec<bool>,
    /// Visible lines to insert, each with the index of the extraction line
    /// it goes before (the extraction's line count: at the end), in page
    /// order.
    pub insert: Vec<(usize, Line)>,
}

impl Edit {
    /// Whether the edit changes nothing.
    pub fn is_empty(&self) -> bool {
        self.insert.is_empty() && !self.drop.iter().any(|&d| d)
    }
}

/// A page's extraction lines and visible lines with everything the
/// combiner reads about them.
#[derive(Debug, Clone)]
pub struct View {
    /// The extraction's lines ([`text::split_lines`], not judged).
    pub ext: Vec<Line>,
    /// The visible lines, judged by the phrase and hand-written rules.
    pub visible: Vec<Line>,
    pub covers: Vec<Cover>,
    /// The line model's probability for each visible line the rules left
    /// alone (`None`: judged by a rule, or a page too short for the model).
    pub p: Vec<Option<f32>>,
    /// The line model's decoded verdict (the region heuristic's on pages
    /// too short for the model).
    pub keep: Vec<bool>,
    pub region: Vec<bool>,
    /// Share of each visible line's characters in links (empty when
    /// unknown).
    links: Vec<f32>,
    /// Per extraction line: its words, and the visible lines holding them
    /// with how many of its words each holds.
    ext_words: Vec<usize>,
    ext_on: Vec<Vec<(usize, usize)>>,
    /// For each visible line, the extraction line an insertion of it goes
    /// before.
    insert_at: Vec<usize>,
    /// Visible lines that may be added (see [`MAX_ADD_DISTANCE`]) and their
    /// distance to the nearest held line and place (`gap`, `before`,
    /// `after`).
    candidates: Vec<(usize, usize, &'static str)>,
    /// Words of the extraction, and how many of them the `Exact` lines hold.
    pub extraction_words: usize,
    pub aligned_words: usize,
    /// Word weights of the visible text and of the lines the line model keeps.
    visible_weight: f64,
    kept_weight: f64,
    /// rs-trafilatura's page type (`article`, `forum`, `product`, ...).
    pub page_type: Option<String>,
    /// DOM evidence of the visible lines the decisions read (held lines and
    /// candidates); empty when the page's tree is not known.
    dom: Vec<Option<LineDom>>,
    /// The page's block containers (see [`container_units`]); empty when
    /// the page's tree is not known or the extraction holds nothing.
    units: Vec<Unit>,
    /// For each visible line, the unit holding it (`NO_UNIT`: none).
    line_unit: Vec<u32>,
    /// Each unit's container evidence for the line decisions (see
    /// [`View::unit_evidence`]), computed once, when first asked for: the
    /// drop and the add features share it.
    evidence: OnceLock<Vec<Vec<String>>>,
}

/// [`View::line_unit`] of a line in no unit.
const NO_UNIT: u32 = u32::MAX;

/// A block container of the page: the whole-container decision unit (see
/// [`container_units`]).
#[derive(Debug, Clone)]
struct Unit {
    /// Its visible lines, in page order.
    lines: Vec<usize>,
    /// Where it sits: `in0` (a line directly in the main container),
    /// `in1`..`in3` (a container in it, by depth below it), `up1`..`up5`
    /// (a subtree hanging off the main container's ancestors, by how many
    /// levels above the main container).
    rel: &'static str,
    /// Tags and hashed name tokens: `up:` of its root and the root's
    /// ancestors below where it meets the main container's chain, `in:` of
    /// the elements inside it that hold its lines.
    names: Vec<String>,
}

/// A container holding more than this share of the main container's words
/// is split into its children (a wrapper holding the article and its
/// comment thread is not one decision).
const SPLIT_SHARE: f64 = 1.0 / 3.0;

/// Where a visible line sits in the page's tree (see [`line_dom`]).
#[derive(Debug, Clone)]
struct LineDom {
    /// Against the extraction's main container: inside it (`in0`..`in3`,
    /// by depth below it), outside (`up1`..`up5`, by how many levels above
    /// it the line's branch leaves the main container's ancestors), or
    /// `na` (nothing held).
    rel: &'static str,
    /// How much of the other lines in its container (the parent of its
    /// block element) the extraction holds: `alone`, `0`, `lo`, `hi`, `all`.
    sib: &'static str,
    /// Tag and hashed class/id token features of its own ancestors (those
    /// below where its branch meets the main container's), nearest first in
    /// distance buckets, without the unit prefix.
    names: Vec<String>,
}

/// Hash buckets for class/id tokens (the combiner's feature names carry
/// `hash % DOM_BUCKETS`).
pub const DOM_BUCKETS: u32 = 1 << 12;

/// Ancestors of a line farther up than this are not read for tokens and
/// tags (page-wide wrappers say nothing about one line).
const DOM_REACH: usize = 12;

/// The DOM evidence of the visible lines marked in `need`: for each, where
/// it lies against the extraction's main container (the deepest element
/// whose subtree holds at least 3/4 of the words of the lines the
/// extraction holds), whether its container's other lines are held, and
/// the tags and class/id/role/itemprop tokens of its ancestors below the
/// point where its branch joins the main container's.
fn line_dom(dom: &Dom, lines: &[Line], covers: &[Cover], need: &[bool]) -> Vec<Option<LineDom>> {
    let nodes = &dom.nodes;
    let owner = |i: usize| dom.line_owner(i);
    let parent = |k: usize| dom.parent_of(k);
    let words = word_counts(lines);
    let mut held = vec![0u32; nodes.len()];
    let mut total_held = 0u32;
    for (i, _) in covers.iter().enumerate().filter(|(_, c)| c.held()) {
        total_held += words[i];
        let mut k = Some(owner(i));
        while let Some(n) = k {
            held[n] += words[i];
            k = parent(n);
        }
    }
    // Nodes holding at least 3/4 of the held words form one chain from the
    // top; its deepest is the main container.
    let main = (0..nodes.len())
        .filter(|&k| total_held > 0 && u64::from(held[k]) * 4 >= u64::from(total_held) * 3)
        .max_by_key(|&k| nodes[k].depth);
    let mut on_path = vec![false; nodes.len()];
    let mut k = main;
    while let Some(n) = k {
        on_path[n] = true;
        k = parent(n);
    }
    // Each line's container: the parent of its nearest block element.
    let container = |i: usize| {
        let mut k = owner(i);
        while !nodes[k].block {
            match parent(k) {
                Some(p) => k = p,
                None => break,
            }
        }
        parent(k).unwrap_or(k)
    };
    let containers: Vec<usize> = (0..lines.len()).map(container).collect();
    let mut sums: std::collections::HashMap<usize, (u32, u32)> = std::collections::HashMap::new();
    for (i, &c) in containers.iter().enumerate() {
        let e = sums.entry(c).or_default();
        e.0 += words[i];
        if covers[i].held() {
            e.1 += words[i];
        }
    }
    (0..lines.len())
        .map(|i| {
            if !need[i] {
                return None;
            }
            let mut names = Vec::new();
            let mut k = Some(owner(i));
            let mut steps = 0usize;
            let mut joined = None;
            while let Some(n) = k {
                if on_path[n] {
                    joined = Some(n);
                    break;
                }
                if steps <= DOM_REACH {
                    let b = match steps {
                        0 | 1 => 0,
                        2 | 3 => 1,
                        _ => 2,
                    };
                    let node = &nodes[n];
                    if !node.tag.is_empty() {
                        names.push(format!("tag={},{b}", node.tag));
                    }
                    for t in &node.tokens {
                        names.push(format!("tok={b},{}", t % DOM_BUCKETS));
                    }
                }
                steps += 1;
                k = parent(n);
            }
            names.sort_unstable();
            names.dedup();
            let rel = match (joined, main) {
                (Some(j), Some(m)) if j == m => match steps {
                    0 => "in0",
                    1 | 2 => "in1",
                    3..=5 => "in2",
                    _ => "in3",
                },
                (Some(j), Some(m)) => match nodes[m].depth.saturating_sub(nodes[j].depth) {
                    0 | 1 => "up1",
                    2 => "up2",
                    3 | 4 => "up3",
                    _ => "up5",
                },
                _ => "na",
            };
            let (total, h) = sums[&containers[i]];
            let own_held = if covers[i].held() { words[i] } else { 0 };
            let (others, others_held) = (total - words[i], h - own_held);
            let sib = match others_held {
                _ if others == 0 => "alone",
                0 => "0",
                x if x * 2 < others => "lo",
                x if x < others => "hi",
                _ => "all",
            };
            Some(LineDom { rel, sib, names })
        })
        .collect()
}

/// Each line's word count (whitespace-separated, as the metric counts).
fn word_counts(lines: &[Line]) -> Vec<u32> {
    lines
        .iter()
        .map(|l| l.clean.split_whitespace().count() as u32)
        .collect()
}

/// The page's block containers, each decided whole by the unit combiner.
/// The main container is found as in [`line_dom`] (the deepest element
/// holding at least 3/4 of the held words). Units are the maximal subtrees
/// hanging off it and off its ancestors (the main container's direct child
/// blocks, the sidebar, the footer, a sibling `<div>` holding the second
/// half of the article), except that a subtree holding more than
/// [`SPLIT_SHARE`] of the main container's words is split into its
/// children, recursively. A line whose text sits directly in the main
/// container, one of its ancestors or a split element is a unit alone.
fn container_units(dom: &Dom, lines: &[Line], covers: &[Cover]) -> Vec<Unit> {
    let nodes = &dom.nodes;
    let owner = |i: usize| dom.line_owner(i);
    let parent = |k: usize| dom.parent_of(k);
    let words = word_counts(lines);
    let mut held = vec![0u32; nodes.len()];
    let mut total = vec![0u32; nodes.len()];
    let mut total_held = 0u32;
    for i in 0..lines.len() {
        let h = if covers[i].held() { words[i] } else { 0 };
        total_held += h;
        let mut k = Some(owner(i));
        while let Some(n) = k {
            held[n] += h;
            total[n] += words[i];
            k = parent(n);
        }
    }
    let Some(main) = (0..nodes.len())
        .filter(|&k| total_held > 0 && u64::from(held[k]) * 4 >= u64::from(total_held) * 3)
        .max_by_key(|&k| nodes[k].depth)
    else {
        return Vec::new();
    };
    let mut on_path = vec![false; nodes.len()];
    let mut k = Some(main);
    while let Some(n) = k {
        on_path[n] = true;
        k = parent(n);
    }
    let split = |n: usize| f64::from(total[n]) > SPLIT_SHARE * f64::from(total[main]);
    let mut units: Vec<Unit> = Vec::new();
    let mut by_key: std::collections::HashMap<(usize, usize), usize> = std::collections::HashMap::new();
    let mut path = Vec::new();
    for i in 0..lines.len() {
        // The line's branch: from its element up to (not including) the
        // first element on the main container's chain.
        path.clear();
        let mut k = Some(owner(i));
        let mut join = None;
        while let Some(n) = k {
            if on_path[n] {
                join = Some(n);
                break;
            }
            path.push(n);
            k = parent(n);
        }
        let Some(join) = join else { continue };
        // Descend from the top of the branch through split elements.
        let mut at = path.len();
        while at > 0 && split(path[at - 1]) {
            at -= 1;
        }
        // `at == 0`: the line's own element is on the chain or split.
        let key = if at == 0 {
            (usize::MAX, i)
        } else {
            (path[at - 1], 0)
        };
        let u = *by_key.entry(key).or_insert_with(|| {
            let root = if at == 0 { owner(i) } else { path[at - 1] };
            let rel = if join == main && at == 0 {
                "in0"
            } else if join == main {
                match nodes[root].depth.saturating_sub(nodes[main].depth) {
                    0 | 1 => "in1",
                    2 | 3 => "in2",
                    _ => "in3",
                }
            } else {
                match nodes[main].depth.saturating_sub(nodes[join].depth) {
                    0 | 1 => "up1",
                    2 => "up2",
                    3 | 4 => "up3",
                    _ => "up5",
                }
            };
            let mut names = Vec::new();
            // The root and its ancestors below the chain, nearest first.
            for (d, &n) in path[at.saturating_sub(1)..].iter().enumerate().take(4) {
                let node = &nodes[n];
                let b = d.min(1);
                if !node.tag.is_empty() {
                    names.push(format!("up:tag={},{b}", node.tag));
                }
                names.extend(
                    node.tokens
                        .iter()
                        .map(|t| format!("up:tok={b},{}", t % DOM_BUCKETS)),
                );
            }
            units.push(Unit {
                lines: Vec::new(),
                rel,
                names,
            });
            units.len() - 1
        });
        units[u].lines.push(i);
        // The elements inside the unit that hold this line.
        let inner = at.saturating_sub(1);
        for &n in path[..inner].iter().take(DOM_REACH) {
            let node = &nodes[n];
            if !node.tag.is_empty() {
                units[u].names.push(format!("in:tag={}", node.tag));
            }
            let names = &mut units[u].names;
            names.extend(node.tokens.iter().map(|t| format!("in:tok={}", t % DOM_BUCKETS)));
        }
    }
    for u in &mut units {
        u.names.sort_unstable();
        u.names.dedup();
    }
    units
}

impl View {
    /// Builds the view of a page from its visible text, the extractor's
    /// text and page type, and a line model (the shipped one in the
    /// pipeline; a cross-fitted one when training).
    pub fn new(
        visible: &str,
        links: &[f32],
        dom: Option<&Dom>,
        extraction: &str,
        page_type: Option<&str>,
        line_model: Option<&LineModel>,
    ) -> Self {
        let mut lines = text::split_lines(visible);
        // One share per visible line; hygiene can empty a line the HTML
        // walk kept, and then the shares no longer line up.
        let links = if links.len() == lines.len() {
            links.to_vec()
        } else {
            Vec::new()
        };
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
        let ext = text::split_lines(extraction);
        let mut ext_word_seq = Vec::new();
        let mut word_ext_line = Vec::new();
        let mut ext_words = Vec::with_capacity(ext.len());
        for (j, l) in ext.iter().enumerate() {
            let w = words(&l.clean);
            ext_words.push(w.len());
            word_ext_line.extend(std::iter::repeat_n(j, w.len()));
            ext_word_seq.extend(w);
        }
        let Alignment {
            covers,
            word_line,
            at,
        } = align(&lines, &ext_word_seq);
        let mut ext_on: Vec<Vec<(usize, usize)>> = vec![Vec::new(); ext.len()];
        for (&j, v) in word_ext_line.iter().zip(&word_line) {
            if let Some(v) = *v {
                match ext_on[j].last_mut() {
                    Some((last, n)) if *last == v => *n += 1,
                    _ => ext_on[j].push((v, 1)),
                }
            }
        }
        let aligned_words = word_line.iter().filter(|v| v.is_some()).count();
        // An added line goes right after the extraction line that holds the
        // nearest `Exact` line before it (before the first one's, if none).
        let n = lines.len();
        let ext_of = |v: usize| at[v].map(|w| word_ext_line[w]);
        let first_ext = (0..n).find_map(ext_of).unwrap_or(0);
        let mut insert_at = vec![first_ext; n];
        let mut after = None;
        for (v, slot) in insert_at.iter_mut().enumerate() {
            if let Some(j) = ext_of(v) {
                after = Some(j + 1);
            }
            if let Some(j) = after {
                *slot = j;
            }
        }
        // Distance to the nearest held line, both ways.
        let mut dist = vec![usize::MAX; n];
        let mut d = usize::MAX;
        for (slot, c) in dist.iter_mut().zip(&covers) {
            d = if c.held() { 0 } else { d.saturating_add(1) };
            *slot = d;
        }
        d = usize::MAX;
        for (slot, c) in dist.iter_mut().zip(&covers).rev() {
            d = if c.held() { 0 } else { d.saturating_add(1) };
            *slot = (*slot).min(d);
        }
        let first = covers.iter().position(|c| *c == Cover::Exact);
        let last = covers.iter().rposition(|c| *c == Cover::Exact);
        let candidates = match (first, last) {
            (Some(a), Some(b)) => (0..n)
                .filter(|&i| !covers[i].held() && lines[i].kind.is_none() && dist[i] <= MAX_ADD_DISTANCE)
                .map(|i| {
                    let place = if i < a {
                        "before"
                    } else if i > b {
                        "after"
                    } else {
                        "gap"
                    };
                    (i, dist[i], place)
                })
                .collect(),
            _ => Vec::new(),
        };
        // The tree only when it has one entry per visible line (hygiene can
        // empty a line the HTML walk kept).
        let tree = dom.filter(|d| {
            d.line_node.len() == lines.len() && d.line_node.iter().all(|&k| (k as usize) < d.nodes.len())
        });
        let units = tree.map_or_else(Vec::new, |d| container_units(d, &lines, &covers));
        let mut line_unit = vec![NO_UNIT; lines.len()];
        for (u, unit) in units.iter().enumerate() {
            for &i in &unit.lines {
                line_unit[i] = u as u32;
            }
        }
        let dom = tree.map_or_else(Vec::new, |d| {
            let mut need: Vec<bool> = covers.iter().map(|c| *c == Cover::Exact).collect();
            for &(i, _, _) in &candidates {
                need[i] = true;
            }
            line_dom(d, &lines, &covers, &need)
        });

        let weight = |l: &Line| word_weight(&l.norm);
        let visible_weight = lines.iter().map(weight).sum();
        let kept_weight = lines
            .iter()
            .zip(&keep)
            .filter(|(_, &k)| k)
            .map(|(l, _)| weight(l))
            .sum();
        View {
            ext,
            visible: lines,
            links,
            covers,
            p,
            keep,
            region,
            ext_words,
            ext_on,
            insert_at,
            candidates,
            extraction_words: word_ext_line.len(),
            aligned_words,
            visible_weight,
            kept_weight,
            page_type: page_type.map(str::to_ascii_lowercase),
            dom,
            units,
            line_unit,
            evidence: OnceLock::new(),
        }
    }

    /// Whether the page has container units (its tree is known and the
    /// extraction holds some of its lines).
    pub fn has_units(&self) -> bool {
        !self.units.is_empty()
    }

    /// Per container unit: whether it is a drop unit (the extraction holds
    /// at least half its words) and the visible lines its decision changes:
    /// the held ones for a drop unit; for an add unit the ones the
    /// extraction does not hold that no rule judged.
    pub fn unit_targets(&self) -> Vec<(bool, Vec<usize>)> {
        self.units
            .iter()
            .map(|u| {
                let (mut all, mut held) = (0usize, 0usize);
                for &i in &u.lines {
                    let w = words(&self.visible[i].clean).len();
                    all += w;
                    if self.covers[i].held() {
                        held += w;
                    }
                }
                let drop = all > 0 && held * 2 >= all;
                let targets = u
                    .lines
                    .iter()
                    .copied()
                    .filter(|&i| {
                        if drop {
                            self.covers[i].held()
                        } else {
                            !self.covers[i].held() && self.visible[i].kind.is_none()
                        }
                    })
                    .collect();
                (drop, targets)
            })
            .collect()
    }

    /// Features of each container unit (see [`container_units`]), prefixed
    /// `ud|` for drop units and `ua|` for add units: its size, how much of
    /// it the extraction holds, its link share, the line model's mean, best
    /// and worst score and verdict over its lines, its sentence share, the
    /// rules' verdicts on its lines, its place against the main container
    /// and the extracted region, its own tags and class/id tokens and
    /// those inside it, and the page context.
    pub fn unit_features(&self) -> Vec<Vec<String>> {
        let [ratio, share, al, pt] = self.page_context();
        let first = self.covers.iter().position(|c| c.held());
        let last = self.covers.iter().rposition(|c| c.held());
        self.units
            .iter()
            .zip(self.unit_targets())
            .map(|(u, (drop, targets))| {
                let t = if drop { "ud" } else { "ua" };
                let (mut all, mut held, mut link, mut sent, mut ruled, mut kept) =
                    (0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
                let (mut p_sum, mut p_w, mut p_max, mut p_min) = (0.0f64, 0.0f64, f32::MIN, f32::MAX);
                let mut kinds: Vec<&'static str> = Vec::new();
                for &i in &u.lines {
                    let line = &self.visible[i];
                    let w = words(&line.clean).len() as f64;
                    all += w;
                    if self.covers[i].held() {
                        held += w;
                    }
                    link += w * f64::from(self.links.get(i).copied().unwrap_or(0.0));
                    if ends_like_sentence(&line.clean) {
                        sent += w;
                    }
                    if self.keep[i] {
                        kept += w;
                    }
                    if let Some(k) = line.kind {
                        ruled += w;
                        kinds.push(k.as_str());
                    }
                    if let Some(p) = self.p[i] {
                        p_sum += w.max(1.0) * f64::from(p);
                        p_w += w.max(1.0);
                        p_max = p_max.max(p);
                        p_min = p_min.min(p);
                    }
                }
                let frac = |x: f64| match x / all.max(1.0) {
                    x if x <= 0.0 => "0",
                    x if x < 0.5 => "lo",
                    x if x < 0.95 => "hi",
                    _ => "all",
                };
                let tenth = |x: f64| ((x * 10.0) as usize).min(9).to_string();
                let (pm, px, pn) = if p_w > 0.0 {
                    (
                        tenth(p_sum / p_w),
                        tenth(f64::from(p_max)),
                        tenth(f64::from(p_min)),
                    )
                } else {
                    ("na".to_owned(), "na".to_owned(), "na".to_owned())
                };
                let wc = bucket(all, &[1.0, 3.0, 7.0, 15.0, 30.0, 60.0, 120.0, 250.0, 500.0]);
                let nl = bucket(u.lines.len() as f64, &[2.0, 3.0, 5.0, 10.0, 20.0]);
                let tw = bucket(
                    targets
                        .iter()
                        .map(|&i| words(&self.visible[i].clean).len())
                        .sum::<usize>() as f64,
                    &[1.0, 3.0, 7.0, 15.0, 30.0, 60.0, 120.0, 250.0],
                );
                let (h, ln, se, ru, kp) = (frac(held), frac(link), frac(sent), frac(ruled), frac(kept));
                let (a, b) = (u.lines[0], u.lines[u.lines.len() - 1]);
                let pos = match (first, last) {
                    (Some(f), _) if b < f => "before",
                    (_, Some(l)) if a > l => "after",
                    _ => "inside",
                };
                let rel = u.rel;
                let mut f = vec![
                    format!("{t}|bias"),
                    format!("{t}|wc={wc}"),
                    format!("{t}|nl={nl}"),
                    format!("{t}|tw={tw}"),
                    format!("{t}|h={h}"),
                    format!("{t}|ln={ln}"),
                    format!("{t}|sent={se}"),
                    format!("{t}|ruled={ru}"),
                    format!("{t}|kept={kp}"),
                    format!("{t}|pm={pm}"),
                    format!("{t}|px={px}"),
                    format!("{t}|pn={pn}"),
                    format!("{t}|rel={rel}"),
                    format!("{t}|pos={pos}"),
                    format!("{t}|ratio={ratio}"),
                    format!("{t}|share={share}"),
                    format!("{t}|al={al}"),
                    format!("{t}|pt={pt}"),
                    format!("{t}|pm,ln={pm},{ln}"),
                    format!("{t}|pm,wc={pm},{wc}"),
                    format!("{t}|pm,rel={pm},{rel}"),
                    format!("{t}|pm,pos={pm},{pos}"),
                    format!("{t}|pm,pt={pm},{pt}"),
                    format!("{t}|pm,kept={pm},{kp}"),
                    format!("{t}|pm,sent={pm},{se}"),
                    format!("{t}|pm,h={pm},{h}"),
                    format!("{t}|rel,pos={rel},{pos}"),
                    format!("{t}|rel,wc={rel},{wc}"),
                    format!("{t}|rel,ln={rel},{ln}"),
                    format!("{t}|ln,wc={ln},{wc}"),
                    format!("{t}|sent,wc={se},{wc}"),
                    format!("{t}|pos,pt={pos},{pt}"),
                    format!("{t}|rel,pt={rel},{pt}"),
                    format!("{t}|px,pn={px},{pn}"),
                ];
                kinds.sort_unstable();
                kinds.dedup();
                f.extend(kinds.iter().map(|k| format!("{t}|rule={k}")));
                f.extend(u.names.iter().map(|n| format!("{t}|dom:{n}")));
                f
            })
            .collect()
    }

    /// Each unit's container evidence for the line decisions: its features
    /// (see [`View::unit_features`]) without the bias and the page context,
    /// renamed `unit:d:...` or `unit:a:...` by the unit's kind. Computed
    /// once per page.
    fn unit_evidence(&self) -> &[Vec<String>] {
        self.evidence.get_or_init(|| {
            self.unit_features()
                .into_iter()
                .map(|f| {
                    f.iter()
                        .filter_map(|x| {
                            let (t, rest) = x.split_once('|')?;
                            let page = ["bias", "ratio=", "share=", "al=", "pt="];
                            (!page.iter().any(|p| rest.starts_with(p)))
                                .then(|| format!("unit:{}:{rest}", &t[1..]))
                        })
                        .collect()
                })
                .collect()
        })
    }

    /// The container evidence of visible line `v` (see
    /// [`View::unit_evidence`]), prefixed for the decision `unit` (`d` or
    /// `a`); nothing for a line in no unit or a page without units.
    fn evidence_features(&self, v: Option<usize>, unit: &str, out: &mut Vec<String>) {
        let Some(&u) = v.and_then(|v| self.line_unit.get(v)) else {
            return;
        };
        if u != NO_UNIT {
            out.extend(
                self.unit_evidence()[u as usize]
                    .iter()
                    .map(|x| format!("{unit}|{x}")),
            );
        }
    }

    /// Labels and training weights of the container units: a unit is main
    /// text when most of the words its decision changes are on lines the
    /// ground truth holds (`visible_labels`, one per visible line); it
    /// weighs those words (plus one).
    pub fn unit_labels(&self, visible_labels: &[bool]) -> (Vec<bool>, Vec<f32>) {
        self.unit_targets()
            .into_iter()
            .map(|(_, targets)| {
                let (mut all, mut main) = (0usize, 0usize);
                for i in targets {
                    let w = words(&self.visible[i].clean).len();
                    all += w;
                    if visible_labels[i] {
                        main += w;
                    }
                }
                (main * 2 > all, all as f32 + 1.0)
            })
            .unzip()
    }

    /// The edit for given unit probabilities (one per unit, in the order of
    /// [`View::unit_features`]): a drop unit below `drop_below` takes out
    /// every extraction line whose words mostly sit on its lines; an add
    /// unit at `add_from` or above brings in its missing lines where the
    /// page has them.
    pub fn unit_edit(&self, p: &[f32], drop_below: f32, add_from: f32) -> Edit {
        let mut dropped = vec![false; self.visible.len()];
        let mut added = Vec::new();
        for ((drop, targets), &q) in self.unit_targets().into_iter().zip(p) {
            if drop && q < drop_below {
                for i in targets {
                    dropped[i] = true;
                }
            } else if !drop && q >= add_from {
                added.extend(targets);
            }
        }
        added.sort_unstable();
        let drop = self
            .ext_on
            .iter()
            .map(|on| {
                on.iter()
                    .max_by_key(|(_, n)| *n)
                    .is_some_and(|&(v, _)| dropped[v])
            })
            .collect();
        let insert = added
            .into_iter()
            .map(|i| (self.insert_at[i], self.visible[i].clone()))
            .collect();
        Edit { drop, insert }
    }

    /// Whether the extraction is on the visible lines enough to be edited
    /// with them line by line.
    pub fn aligned(&self) -> bool {
        self.extraction_words > 0 && self.aligned_words as f64 >= MIN_ALIGNED * self.extraction_words as f64
    }

    /// The visible lines that may be added, in page order.
    pub fn candidates(&self) -> Vec<usize> {
        self.candidates.iter().map(|c| c.0).collect()
    }

    /// Page-level features shared by both decisions.
    fn page_context(&self) -> [String; 4] {
        let ext = self.extraction_words as f64;
        let ratio = bucket(
            ext / self.kept_weight.max(1.0),
            &[0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.6, 2.5],
        );
        let share = bucket(ext / self.visible_weight.max(1.0), &[0.1, 0.2, 0.4, 0.6, 0.8]);
        let on_lines = bucket(self.aligned_words as f64 / ext.max(1.0), &[0.8, 0.9, 0.97]);
        let page_type = self.page_type.as_deref().unwrap_or("none").to_owned();
        [
            ratio.to_string(),
            share.to_string(),
            on_lines.to_string(),
            page_type,
        ]
    }

    /// The line model's view of a visible line: `r:<kind>` when a rule
    /// judged it, a probability tenth, or `na`.
    fn score(&self, v: usize) -> String {
        match (self.p[v], self.visible[v].kind) {
            (_, Some(k)) => format!("r:{}", k.as_str()),
            (Some(s), None) => format!("{}", ((s * 10.0) as usize).min(9)),
            (None, None) => "na".to_owned(),
        }
    }

    /// The line model's view of an extraction line: the score of the
    /// visible line holding most of its words, and whether the line model
    /// keeps none, some or all of its visible lines (`u`: not on any).
    fn ext_score(&self, j: usize) -> (String, &'static str) {
        let on = &self.ext_on[j];
        let Some(&(main, _)) = on.iter().max_by_key(|(_, n)| *n) else {
            return ("u".to_owned(), "u");
        };
        let kept = on.iter().filter(|(v, _)| self.keep[*v]).count();
        let k = match kept {
            0 => "0",
            k if k == on.len() => "1",
            _ => "mix",
        };
        (self.score(main), k)
    }

    /// A visible line's link share, bucketed (`na`: unknown).
    fn link(&self, v: usize) -> &'static str {
        match self.links.get(v) {
            None => "na",
            Some(&x) if x <= 0.0 => "0",
            Some(&x) if x < 0.5 => "lo",
            Some(&x) if x < 0.95 => "hi",
            Some(_) => "all",
        }
    }

    /// The link share of an extraction line: its visible lines' shares
    /// weighted by the words they hold of it.
    fn ext_link(&self, j: usize) -> &'static str {
        let on = &self.ext_on[j];
        if on.is_empty() || self.links.is_empty() {
            return "na";
        }
        let total: usize = on.iter().map(|(_, n)| n).sum();
        let x: f32 = on.iter().map(|&(v, n)| self.links[v] * n as f32).sum::<f32>() / total.max(1) as f32;
        match x {
            x if x <= 0.0 => "0",
            x if x < 0.5 => "lo",
            x if x < 0.95 => "hi",
            _ => "all",
        }
    }

    /// DOM features (see [`LineDom`]) of visible line `v` for the decision
    /// `unit` (`d` or `a`), some crossed with the line model's score `p` and
    /// with `other` (the link share for drops, the place for adds). `rel=u`
    /// when the tree is known but not for this line (an extraction line on
    /// no visible line); nothing when the page's tree is not known.
    fn dom_features(&self, v: Option<usize>, unit: &str, p: &str, other: &str, out: &mut Vec<String>) {
        if self.dom.is_empty() {
            return;
        }
        let Some(d) = v.and_then(|v| self.dom.get(v)).and_then(Option::as_ref) else {
            out.push(format!("{unit}|dom:rel=u"));
            return;
        };
        let (rel, sib) = (d.rel, d.sib);
        out.extend([
            format!("{unit}|dom:rel={rel}"),
            format!("{unit}|dom:sib={sib}"),
            format!("{unit}|dom:rel,sib={rel},{sib}"),
            format!("{unit}|dom:rel,p={rel},{p}"),
            format!("{unit}|dom:sib,p={sib},{p}"),
            format!("{unit}|dom:rel,o={rel},{other}"),
        ]);
        out.extend(d.names.iter().map(|n| format!("{unit}|dom:{n}")));
    }

    /// Features of each extraction line for the drop decision.
    pub fn drop_features(&self) -> Vec<Vec<String>> {
        let [ratio, share, al, pt] = self.page_context();
        let matcher = PhraseMatcher::shared();
        let n = self.ext.len();
        let scores: Vec<(String, &str)> = (0..n).map(|j| self.ext_score(j)).collect();
        let edge = ("edge".to_owned(), "edge");
        (0..n)
            .map(|j| {
                let line = &self.ext[j];
                let held: usize = self.ext_on[j].iter().map(|(_, k)| k).sum();
                let m = match (held, self.ext_words[j]) {
                    (_, 0) => "e",
                    (0, _) => "u",
                    (h, w) if h * 10 >= w * 9 => "f",
                    _ => "p",
                };
                let (p, k) = (&scores[j].0, scores[j].1);
                let prev = if j > 0 { &scores[j - 1] } else { &edge };
                let next = scores.get(j + 1).unwrap_or(&edge);
                let from_start = j.min(3);
                let from_end = (n - 1 - j).min(3);
                let rel = bucket(j as f64 / n.max(1) as f64, &[0.1, 0.3, 0.7, 0.9]);
                let wc = bucket(
                    word_weight(&line.norm),
                    &[1.0, 2.0, 3.0, 4.0, 7.0, 13.0, 26.0, 51.0],
                );
                let sentence = if ends_like_sentence(&line.clean) { "s" } else { "n" };
                let phrase = matcher.classify(&line.norm);
                let rule = phrase.or_else(|| text::rule_kind(&line.clean, &line.norm));
                let rule = rule.map_or("none", Kind::as_str);
                let ln = self.ext_link(j);
                let on = self.ext_on[j].iter().max_by_key(|(_, n)| *n).map(|&(v, _)| v);
                let mut f = vec![
                    format!("d|ln={ln}"),
                    format!("d|ln,p={ln},{p}"),
                    format!("d|ln,wc={ln},{wc}"),
                    format!("d|ln,pt={ln},{pt}"),
                    "d|bias".to_owned(),
                    format!("d|m={m}"),
                    format!("d|p={p}"),
                    format!("d|k={k}"),
                    format!("d|p-1={}", prev.0),
                    format!("d|p+1={}", next.0),
                    format!("d|start={from_start}"),
                    format!("d|end={from_end}"),
                    format!("d|rel={rel}"),
                    format!("d|wc={wc}"),
                    format!("d|sent={sentence}"),
                    format!("d|rule={rule}"),
                    format!("d|ratio={ratio}"),
                    format!("d|share={share}"),
                    format!("d|al={al}"),
                    format!("d|pt={pt}"),
                    format!("d|m,p={m},{p}"),
                    format!("d|p,k={p},{k}"),
                    format!("d|p,ratio={p},{ratio}"),
                    format!("d|p,share={p},{share}"),
                    format!("d|p,pt={p},{pt}"),
                    format!("d|p,wc={p},{wc}"),
                    format!("d|p,sent,wc={p},{sentence},{wc}"),
                    format!("d|p,rel={p},{rel}"),
                    format!("d|p,start={p},{from_start}"),
                    format!("d|p,end={p},{from_end}"),
                    format!("d|m,ratio={m},{ratio}"),
                    format!("d|m,pt={m},{pt}"),
                    format!("d|m,wc={m},{wc}"),
                    format!("d|k,pt={k},{pt}"),
                    format!("d|wc,pt={wc},{pt}"),
                    format!("d|p-1,p,p+1={},{p},{}", prev.0, next.0),
                    format!("d|k-1,k,k+1={},{k},{}", prev.1, next.1),
                ];
                self.dom_features(on, "d", p, ln, &mut f);
                self.evidence_features(on, "d", &mut f);
                f
            })
            .collect()
    }

    /// Features of each candidate line ([`View::candidates`]) for the add
    /// decision.
    pub fn add_features(&self) -> Vec<Vec<String>> {
        let [ratio, share, al, pt] = self.page_context();
        let n = self.visible.len();
        self.candidates
            .iter()
            .map(|&(i, dist, place)| {
                let line = &self.visible[i];
                let p = self.score(i);
                let k = if self.keep[i] { "1" } else { "0" };
                let c = self.covers[i].as_str();
                let near = |j: Option<usize>| j.map_or("edge".to_owned(), |j| self.score(j));
                let prev = near(i.checked_sub(1));
                let next = near((i + 1 < n).then_some(i + 1));
                let dist = match dist {
                    1 => "1",
                    2 => "2",
                    3..=5 => "5",
                    _ => "15",
                };
                let wc = bucket(
                    word_weight(&line.norm),
                    &[1.0, 2.0, 3.0, 4.0, 7.0, 13.0, 26.0, 51.0],
                );
                let sentence = if ends_like_sentence(&line.clean) { "s" } else { "n" };
                let reg = u8::from(self.region[i]);
                let ln = self.link(i);
                let mut f = vec![
                    format!("a|ln={ln}"),
                    format!("a|ln,p={ln},{p}"),
                    format!("a|ln,wc={ln},{wc}"),
                    format!("a|ln,place={ln},{place}"),
                    "a|bias".to_owned(),
                    format!("a|p={p}"),
                    format!("a|k={k}"),
                    format!("a|c={c}"),
                    format!("a|reg={reg}"),
                    format!("a|place={place}"),
                    format!("a|dist={dist}"),
                    format!("a|wc={wc}"),
                    format!("a|sent={sentence}"),
                    format!("a|ratio={ratio}"),
                    format!("a|share={share}"),
                    format!("a|al={al}"),
                    format!("a|pt={pt}"),
                    format!("a|p,k={p},{k}"),
                    format!("a|p,place={p},{place}"),
                    format!("a|p,dist={p},{dist}"),
                    format!("a|p,ratio={p},{ratio}"),
                    format!("a|p,share={p},{share}"),
                    format!("a|p,pt={p},{pt}"),
                    format!("a|p,wc={p},{wc}"),
                    format!("a|p,sent,wc={p},{sentence},{wc}"),
                    format!("a|p,c={p},{c}"),
                    format!("a|k,place,dist={k},{place},{dist}"),
                    format!("a|p-1,p,p+1={prev},{p},{next}"),
                    format!("a|place,ratio={place},{ratio}"),
                    format!("a|place,pt={place},{pt}"),
                ];
                self.dom_features(Some(i), "a", &p, place, &mut f);
                self.evidence_features(Some(i), "a", &mut f);
                f
            })
            .collect()
    }

    /// The edit for given probabilities: extraction lines whose main-text
    /// probability `keep` is below `drop_below` go, candidates whose
    /// probability `add` is at least `add_from` come in.
    pub fn edit(&self, keep: &[f32], add: &[f32], drop_below: f32, add_from: f32) -> Edit {
        let insert = self
            .candidates
            .iter()
            .zip(add)
            .filter(|(_, &p)| p >= add_from)
            .map(|(&(i, _, _), _)| (self.insert_at[i], self.visible[i].clone()))
            .collect();
        Edit {
            drop: keep.iter().map(|&p| p < drop_below).collect(),
            insert,
        }
    }

    /// Page features for the short-extraction switch (see
    /// [`super::html::line_model_wins`]): how long the extraction is against
    /// what the line model keeps and against the page, the page type, and
    /// what the line model would add: its share of the kept words, how much
    /// of it is link text, lies after the extraction's last line (comments,
    /// related stories), or reads as sentences.
    pub fn switch_features(&self, extracted_words: usize, line_model_words: usize) -> Vec<String> {
        let ext = extracted_words as f64;
        let r = bucket(
            ext / line_model_words.max(1) as f64,
            &[0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35],
        );
        let v = bucket(ext / self.visible_weight.max(1.0), &[0.02, 0.05, 0.1, 0.2, 0.3]);
        let pt = self.page_type.as_deref().unwrap_or("none");
        let last_held = self.covers.iter().rposition(|c| c.held());
        let (mut kept, mut extra, mut after, mut sentences, mut link, mut extra_lines) =
            (0.0, 0.0, 0.0, 0.0, 0.0, 0usize);
        for (i, line) in self.visible.iter().enumerate() {
            if !self.keep[i] {
                continue;
            }
            let w = word_weight(&line.norm);
            kept += w;
            if self.covers[i].held() {
                continue;
            }
            extra += w;
            extra_lines += 1;
            if last_held.is_some_and(|h| i > h) {
                after += w;
            }
            if ends_like_sentence(&line.clean) {
                sentences += w;
            }
            link += w * f64::from(self.links.get(i).copied().unwrap_or(0.0));
        }
        let share = |x: f64, of: f64, edges: &[f64]| bucket(x / of.max(1.0), edges);
        let held = share(kept - extra, kept, &[0.05, 0.1, 0.2, 0.4, 0.6]);
        let after = share(after, extra, &[0.2, 0.5, 0.8]);
        let sent = share(sentences, extra, &[0.3, 0.6, 0.85]);
        let ln = if self.links.is_empty() {
            "na".to_owned()
        } else {
            share(link, extra, &[0.05, 0.2, 0.5]).to_string()
        };
        let per_line = bucket(extra / extra_lines.max(1) as f64, &[3.0, 6.0, 12.0, 25.0]);
        let al = if self.extraction_words == 0 {
            0
        } else {
            1 + bucket(
                self.aligned_words as f64 / self.extraction_words as f64,
                &[0.6, 0.8, 0.9],
            )
        };
        // The fixed rule's verdict (see `html::is_short`), which the other
        // features correct.
        let rule = u8::from(extracted_words * 5 < line_model_words * 2);
        vec![
            "s|bias".to_owned(),
            format!("s|rule={rule}"),
            format!("s|rule,pt={rule},{pt}"),
            format!("s|rule,after={rule},{after}"),
            format!("s|rule,ln={rule},{ln}"),
            format!("s|rule,held={rule},{held}"),
            format!("s|r={r}"),
            format!("s|v={v}"),
            format!("s|pt={pt}"),
            format!("s|held={held}"),
            format!("s|after={after}"),
            format!("s|sent={sent}"),
            format!("s|ln={ln}"),
            format!("s|per={per_line}"),
            format!("s|al={al}"),
            format!("s|r,pt={r},{pt}"),
            format!("s|r,held={r},{held}"),
            format!("s|r,after={r},{after}"),
            format!("s|r,ln={r},{ln}"),
            format!("s|pt,after={pt},{after}"),
            format!("s|pt,held={pt},{held}"),
            format!("s|sent,per={sent},{per_line}"),
        ]
    }

    /// The shipped combiner's edit (decisions at 1/2, see the module doc):
    /// whole containers when it is a unit combiner (`has|units`), lines
    /// otherwise.
    pub fn decide(&self, combiner: &LineModel) -> Edit {
        let probabilities = |features: Vec<Vec<String>>| -> Vec<f32> {
            features.iter().map(|f| combiner.probability(f)).collect()
        };
        if has_part(combiner, "units") {
            return self.unit_edit(&probabilities(self.unit_features()), 0.5, 0.5);
        }
        // A decision the file does not make is not computed: it keeps
        // every extraction line, or adds none.
        let (drops, adds) = edit_parts(combiner);
        let keep = if drops {
            probabilities(self.drop_features())
        } else {
            vec![1.0; self.ext.len()]
        };
        let add = if adds {
            probabilities(self.add_features())
        } else {
            vec![0.0; self.candidates.len()]
        };
        self.edit(&keep, &add, 0.5, 0.5)
    }

    /// Words the edited extraction has (what the short-extraction switch
    /// compares).
    pub fn edited_words(&self, edit: &Edit) -> usize {
        let kept: usize = self
            .ext_words
            .iter()
            .zip(&edit.drop)
            .filter(|(_, &d)| !d)
            .map(|(w, _)| w)
            .sum();
        kept + edit
            .insert
            .iter()
            .map(|(_, l)| words(&l.clean).len())
            .sum::<usize>()
    }
}

/// Applies an edit to the judged extraction lines `lines` (all of them,
/// split as [`View::ext`]): dropped lines that no rule judged become
/// `low_content`, inserted lines go in before the line they name.
pub fn apply(lines: Vec<Line>, edit: &Edit) -> Vec<Line> {
    let mut out = Vec::with_capacity(lines.len() + edit.insert.len());
    let mut inserts = edit.insert.iter().peekable();
    let n = lines.len();
    for (j, mut line) in lines.into_iter().enumerate() {
        while let Some((_, add)) = inserts.next_if(|(at, _)| *at <= j) {
            out.push(placed(add, &line));
        }
        if edit.drop.get(j).copied().unwrap_or(false) && line.kind.is_none() {
            line.kind = Some(Kind::LowContent);
        }
        out.push(line);
    }
    let end = out.last().map_or(0, |l: &Line| l.end);
    for (_, add) in inserts {
        let mut add = add.clone();
        (add.start, add.end, add.blank_before) = (end, end, true);
        out.push(add);
    }
    debug_assert!(out.len() == n + edit.insert.len());
    out
}

/// An inserted visible line, placed (for offsets) at the start of the
/// extraction line it precedes: it is body, never a removed block, so its
/// offsets into the visible text must not leak into the extraction's.
fn placed(add: &Line, before: &Line) -> Line {
    let mut add = add.clone();
    (add.start, add.end, add.blank_before) = (before.start, before.start, true);
    add
}

fn bucket(x: f64, edges: &[f64]) -> usize {
    edges.iter().take_while(|&&e| x >= e).count()
}

/// Lines of the extractor's output or of a combined page that are removed
/// whatever the models say: the UI strings the extractor or a line model
/// can let through inside the main block (comment forms, share bars, ad
/// markers, credit lines, tag/category labels, WordPress comment counts and
/// post navigation by phrase, newsletter prompts, short cookie notices).
/// Newsletter prompts go at any length: the text rule only names a call to
/// subscribe or an offer of the list (not the word "subscription" in
/// product text), and a subscribe line is one the issue says must never
/// survive (`eval clean` counts survivors).
pub fn ui_kind(line: &Line, phrase: Option<Kind>, rule: Option<Kind>) -> Option<Kind> {
    let words = line.clean.split_whitespace().count();
    match phrase.or(rule) {
        Some(k @ (Kind::CommentForm | Kind::Share | Kind::Ad | Kind::Credit | Kind::Category)) => Some(k),
        Some(Kind::Newsletter) => Some(Kind::Newsletter),
        Some(k @ (Kind::Comments | Kind::Navigation)) if phrase == Some(k) => Some(k),
        Some(Kind::Cookie) if words <= 12 => Some(Kind::Cookie),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(visible: &str, ext: &str) -> View {
        View::new(visible, &[], None, ext, Some("article"), None)
    }

    #[test]
    fn alignment_finds_long_lines_anywhere_and_short_ones_in_sequence() {
        let v = view(
            "Home\nNews\nThe minister announced a visit to Brussels.\nHome\nHe will meet his counterparts there.\nShare this",
            "The minister announced a visit to Brussels.\nHome He will meet his counterparts there.",
        );
        assert_eq!(
            v.covers,
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
        assert_eq!((v.aligned_words, v.extraction_words), (7 + 1 + 6, 14));
        assert!(v.aligned());
        // The second extraction line is on two visible lines.
        assert_eq!(v.ext_on[1], vec![(3, 1), (4, 6)]);
    }

    #[test]
    fn gate_and_parts_come_from_the_file_markers() {
        let model = |names: &[&str]| {
            let weights = names.iter().map(|n| ((*n).to_owned(), 1.0)).collect();
            LineModel::new(weights, 0.0, 0.5, 0.0)
        };
        let open = model(&["has|edit", "a|bias"]);
        assert!(gate_allows(&open, Some("article")) && gate_allows(&open, None));
        assert_eq!(edit_parts(&open), (true, true));
        let gated = model(&[
            "has|edit",
            "has|add",
            "has|gate",
            "g|pt=product",
            "g|pt=collection",
        ]);
        assert!(gate_allows(&gated, Some("product")) && gate_allows(&gated, Some("Collection")));
        assert!(!gate_allows(&gated, Some("article")) && !gate_allows(&gated, None));
        assert_eq!(gate_feature(None), "g|pt=none");
        assert_eq!(edit_parts(&gated), (false, true));
        assert_eq!(edit_parts(&model(&["has|edit", "has|drop"])), (true, false));
    }

    #[test]
    fn an_add_only_combiner_computes_no_drop_features_and_drops_nothing() {
        let visible = "The lead paragraph the extractor missed sits here.\n\
                       The minister announced a visit to Brussels on Monday.\n\
                       He will meet his counterparts there on Tuesday.";
        let ext = "The minister announced a visit to Brussels on Monday.\nHe will meet his counterparts there on Tuesday.";
        let v = view(visible, ext);
        // A drop bias that would take out every line, an add bias that
        // brings in every candidate: only the add part is read.
        let weights = [
            ("has|edit", 1.0),
            ("has|add", 1.0),
            ("a|bias", 20.0),
            ("d|bias", -20.0),
        ]
        .into_iter()
        .map(|(n, w)| (n.to_owned(), w))
        .collect();
        let edit = v.decide(&LineModel::new(weights, 0.0, 0.5, 0.0));
        assert_eq!(edit.drop, vec![false, false]);
        assert_eq!(edit.insert.len(), 1);
    }

    #[test]
    fn candidates_are_near_the_extracted_region_only() {
        let mut visible = vec!["Menu".to_owned()];
        visible.extend((0..20).map(|i| format!("Far away line number {i} of the sidebar")));
        visible.push("The lead paragraph the extractor missed sits here.".to_owned());
        visible.push("The minister announced a visit to Brussels on Monday.".to_owned());
        visible.push("A caption between the paragraphs".to_owned());
        visible.push("He will meet his counterparts there on Tuesday.".to_owned());
        let ext = "The minister announced a visit to Brussels on Monday.\nHe will meet his counterparts there on Tuesday.";
        let v = view(&visible.join("\n"), ext);
        let c = v.candidates();
        assert!(c.contains(&21) && c.contains(&23), "{c:?}");
        assert!(!c.contains(&1) && !c.contains(&0), "{c:?}");
        // Adding the gap line and the lead puts them where the page has them.
        let add: Vec<f32> = c
            .iter()
            .map(|&i| if i == 21 || i == 23 { 0.9 } else { 0.1 })
            .collect();
        let edit = v.edit(&[0.9, 0.9], &add, 0.5, 0.5);
        let lines = apply(v.ext.clone(), &edit);
        let texts: Vec<&str> = lines.iter().map(|l| l.clean.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "The lead paragraph the extractor missed sits here.",
                "The minister announced a visit to Brussels on Monday.",
                "A caption between the paragraphs",
                "He will meet his counterparts there on Tuesday.",
            ]
        );
        assert_eq!(v.edited_words(&edit), 9 + 8 + 5 + 8);
    }

    #[test]
    fn lines_know_where_they_sit_against_the_main_container() {
        let p = |s: &str| format!("<p>{s}</p>");
        let (p1, p2, p3) = (
            "The minister announced a visit to Brussels on Monday.",
            "He will meet his counterparts there on Tuesday morning.",
            "The talks will cover trade, energy and transport links.",
        );
        let related = "Another story about a completely different visit";
        let sidebar = "Weather forecast for the coming days across the region";
        let html = format!(
            "<body><nav><a href=x>Home</a></nav><div class=story>{}{}<div class=related-box>{}</div>{}</div>\
             <aside class=sidebar>{}</aside></body>",
            p(p1),
            p(p2),
            p(related),
            p(p3),
            p(sidebar)
        );
        let visible = super::super::html::visible_walk(&dom_query::Document::from(html.as_str()), true);
        let ext = [p1, p2, related, p3].join("\n");
        let v = View::new(
            &visible.text,
            &visible.links,
            visible.dom.as_ref(),
            &ext,
            Some("article"),
            None,
        );
        let d = |i: usize| v.dom[i].as_ref().expect("held or candidate");
        // Home, p1, p2, related, p3, sidebar.
        assert_eq!(v.visible.len(), 6);
        for i in [1, 2, 4] {
            assert_eq!((d(i).rel, d(i).sib), ("in1", "all"), "line {i}");
        }
        assert_eq!((d(3).rel, d(3).sib), ("in1", "alone"));
        let token = |t: &str| format!("tok=0,{}", super::super::html::fnv32(&["c:", t]) % DOM_BUCKETS);
        assert!(d(3).names.contains(&token("related")), "{:?}", d(3).names);
        assert!(d(3).names.contains(&"tag=p,0".to_owned()));
        // The main container's own tokens are shared by all its lines.
        assert!(!d(1).names.contains(&token("story")));
        assert_eq!(d(5).rel, "up1");
        assert!(d(5).names.contains(&"tag=aside,0".to_owned()));
        assert!(d(5).names.contains(&token("sidebar")));
        // The drop units read their visible line's evidence.
        let drops = v.drop_features();
        assert!(drops[2].contains(&format!("d|dom:{}", token("related"))));
        assert!(drops[2].contains(&"d|dom:sib=alone".to_owned()));
        assert!(drops[0].contains(&"d|dom:rel=in1".to_owned()));
        // Without the tree, no DOM features at all.
        let bare = View::new(&visible.text, &visible.links, None, &ext, Some("article"), None);
        assert!(bare
            .drop_features()
            .iter()
            .flatten()
            .all(|f| !f.contains("|dom:")));
    }

    #[test]
    fn containers_are_decided_whole() {
        let p = |s: &str| format!("<p>{s}</p>");
        let (p1, p2, p3) = (
            "The minister announced on Monday a visit to Brussels, where she will stay for three days and meet the commission.",
            "He will meet his counterparts there on Tuesday morning, before a lunch with the members of the trade committee.",
            "The talks will cover trade, energy and transport links, and the ministers hope to sign two agreements by Friday.",
        );
        let (r1, r2) = (
            "Another story about a completely different visit",
            "A second story about the weather in the mountains",
        );
        let sidebar = "Weather forecast for the coming days across the region";
        let html = format!(
            "<body><nav><a href=x>Home</a></nav><div class=story>{}{}<div class=related-box>{}{}</div>{}</div>\
             <aside class=sidebar>{}</aside></body>",
            p(p1),
            p(p2),
            p(r1),
            p(r2),
            p(p3),
            p(sidebar)
        );
        let visible = super::super::html::visible_walk(&dom_query::Document::from(html.as_str()), true);
        let ext = [p1, p2, r1, r2, p3].join("\n");
        let v = View::new(
            &visible.text,
            &visible.links,
            visible.dom.as_ref(),
            &ext,
            Some("article"),
            None,
        );
        // Home, p1, p2, r1, r2, p3, sidebar: the two related lines are one
        // unit, each paragraph another, the nav and the sidebar one each.
        let lines: Vec<Vec<usize>> = v.units.iter().map(|u| u.lines.clone()).collect();
        assert_eq!(
            lines,
            vec![vec![0], vec![1], vec![2], vec![3, 4], vec![5], vec![6]]
        );
        let rels: Vec<&str> = v.units.iter().map(|u| u.rel).collect();
        assert_eq!(rels, vec!["up1", "in1", "in1", "in1", "in1", "up1"]);
        let token = |t: &str| super::super::html::fnv32(&["c:", t]) % DOM_BUCKETS;
        assert!(v.units[3]
            .names
            .contains(&format!("up:tok=0,{}", token("related"))));
        assert!(v.units[3].names.contains(&"in:tag=p".to_owned()));
        let targets = v.unit_targets();
        assert_eq!(targets[3], (true, vec![3, 4]));
        assert_eq!(targets[5], (false, vec![6]));
        // The nav's "Home" is a short line: the extraction does not hold it.
        assert!(!targets[0].0);
        let features = v.unit_features();
        assert!(features[3].contains(&"ud|nl=1".to_owned()), "{:?}", features[3]);
        assert!(features[5].contains(&"ua|rel=up1".to_owned()));
        // Labels: the truth holds the paragraphs and the sidebar line.
        let truth = [p1, p2, p3, sidebar].join("\n");
        let labels = crate::commands::train_clean::label_lines(&v.visible, &truth);
        let (y, w) = v.unit_labels(&labels);
        assert_eq!(y, vec![false, true, true, false, true, true]);
        assert_eq!(w[3], 17.0);
        assert_eq!(w[1], 21.0);
        // Dropping the related unit takes out both its extraction lines;
        // adding the sidebar puts it after the last one.
        let edit = v.unit_edit(&[0.1, 0.9, 0.9, 0.1, 0.9, 0.9], 0.5, 0.5);
        assert_eq!(edit.drop, vec![false, false, true, true, false]);
        assert_eq!(edit.insert.len(), 1);
        assert_eq!((edit.insert[0].0, edit.insert[0].1.clean.as_str()), (5, sidebar));
        // Without the tree, no units.
        let bare = View::new(&visible.text, &visible.links, None, &ext, Some("article"), None);
        assert!(!bare.has_units() && bare.unit_features().is_empty());
    }

    #[test]
    fn dropped_lines_become_low_content_and_rule_kinds_stay() {
        let mut lines = text::split_lines("Body text here.\nRelated: other story\nLeave a Reply");
        lines[2].kind = Some(Kind::CommentForm);
        let edit = Edit {
            drop: vec![false, true, true],
            insert: Vec::new(),
        };
        let out = apply(lines, &edit);
        let kinds: Vec<Option<Kind>> = out.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, vec![None, Some(Kind::LowContent), Some(Kind::CommentForm)]);
    }
}
