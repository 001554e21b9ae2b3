//! Learned line classifier for the visible text of a whole page (one block
//! per line, no markup): which lines are the article's main text.
//!
//! Three steps, all trained by `newsflow train clean` on the pages of WCXB
//! dev whose id is not a multiple of 5 (the held-out fifth scores it; see
//! docs/clean.md) and shipped as `data/boilerplate/line-model.tsv.gz` (one
//! `feature\tweight` line per feature, weights pruned and rounded):
//!
//! 1. **Line pass**: a logistic regression over named binary features of
//!    each line and its neighbours: length, sentence shape, punctuation,
//!    digits and capitals, repeated lines, position in the page, distance
//!    to the nearest body-like line, the phrase rules' verdict, the region
//!    heuristic's verdict, and the first, last and (for short lines) every
//!    word.
//! 2. **Stacked pass**: a second logistic regression whose features are the
//!    first pass's probabilities around the line (neighbours up to three
//!    lines away, word-weighted means over windows of 2 to 25 lines, the
//!    share of the page's content mass before the line, whether it lies in
//!    the best-scoring contiguous block). A line's own features cannot tell
//!    a short sentence inside the article from the same sentence in a
//!    teaser list; its surroundings can. It is trained on cross-fitted
//!    first-pass probabilities (each training page scored by a model that
//!    did not see it), so it learns how far to trust them on unseen pages.
//!    **Boosted pass** (since session 5): gradient-boosted regression
//!    trees over dense numbers ([`dense_features`]: both passes'
//!    probabilities and their context, the line's shape, the page's
//!    signals) add to the stacked pass's log-odds. A logistic pass cannot
//!    say "on a page with many thread-chrome lines, a middling probability
//!    is a post"; a tree can split on the page signal first. Trained on
//!    cross-fitted probabilities of both earlier passes.
//! 3. **Decoding**: main text is one or a few contiguous regions, so the
//!    kept lines are chosen by a two-state Viterbi pass that maximises the
//!    kept lines' word-weighted margin over the threshold minus a cost per
//!    switch between kept and dropped runs; a lone odd line inside the
//!    article or inside a menu follows its surroundings unless the evidence
//!    for it outweighs the switch cost.
//!
//! The phrase rules stay hard evidence: a line they judge boilerplate
//! (comment form, share bar, subscription prompt, ...) is removed whatever
//! the model says; the model only decides the lines they leave alone.

use super::patterns::Kind;
use super::text::{ends_like_sentence, is_body_like, positive_blocks, word_weight, Line, Steps};
use anyhow::{bail, Context};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::OnceLock;

/// Texts with fewer lines than this keep the region heuristic's decisions:
/// the model learnt whole pages' visible text (menus, footers, hundreds of
/// lines); a scraped article of a few dozen lines (title, labels, body,
/// credits, comment form) is the rules' and the heuristic's case, and the
/// founding example must come out exactly.
pub const MIN_LINES: usize = 40;

/// The lines `model` decides: `lines` as split, or, when the model was
/// trained on merged fragments and the page is long enough for the model,
/// with [`merge_fragments`] applied (the same call in `train clean` and
/// `clean_text`, so training and run time see the same lines).
pub fn model_lines(lines: Vec<Line>, model: Option<&LineModel>) -> Vec<Line> {
    match model {
        Some(m) if m.merge_fragments && lines.len() >= MIN_LINES => merge_fragments(lines),
        _ => lines,
    }
}

/// Longest merged line, in bytes: a page of fragments cannot become one
/// line that the model has never seen the like of.
const MAX_MERGED: usize = 2_000;

/// Joins each line that continues the one before it into that line:
/// scrapers that put every text node on its own line (BeautifulSoup's
/// `get_text("\n")`) cut a paragraph at every link or bold word, and the
/// pieces no longer read as sentences. A line continues the previous one
/// when no blank line separates them and it starts with a lower-case letter
/// (the previous one not ending a sentence) or with closing punctuation
/// (`,` `.` `)` …). Capitalised starts are left alone: menu items and
/// headings are capitalised, and a name cut out of a sentence ("Emmanuel
/// Macron") then joins with what follows it. The merged line spans its
/// parts' offsets, its raw text is theirs joined by `\n` (as a multi-line
/// boilerplate block's is), its clean text joined by a space (none before
/// punctuation).
pub fn merge_fragments(lines: Vec<Line>) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::with_capacity(lines.len());
    for line in lines {
        if let Some(prev) = out.last_mut() {
            if continues(prev, &line) {
                let tight = line.clean.starts_with(CLOSING);
                prev.end = line.end;
                prev.raw.push('\n');
                prev.raw.push_str(&line.raw);
                if !tight {
                    prev.clean.push(' ');
                }
                prev.clean.push_str(&line.clean);
                prev.norm = super::patterns::normalize(&prev.clean, false);
                continue;
            }
        }
        out.push(line);
    }
    out
}

/// Punctuation that closes or continues a sentence: a line starting with
/// it belongs to the line before.
const CLOSING: &[char] = &[
    ',', '.', ';', ':', '!', '?', ')', ']', '}', '»', '”', '’', '%', '…',
];

fn continues(prev: &Line, line: &Line) -> bool {
    if line.blank_before || prev.kind.is_some() || line.kind.is_some() {
        return false;
    }
    if prev.clean.len() + line.clean.len() > MAX_MERGED {
        return false;
    }
    let Some(first) = line.clean.chars().next() else {
        return false;
    };
    if line.clean.starts_with(CLOSING) {
        return true;
    }
    let last = prev.clean.chars().next_back().unwrap_or('.');
    first.is_lowercase() && !matches!(last, '.' | '!' | '?' | ':' | ';' | '…' | '|' | '»' | '”')
}

/// The position rules that run after the model's decisions. The model
/// already learnt what the comment-tail and related-list rules guess from
/// position (on the training pages dropping those two rules raised word F1
/// from 0.795 to 0.803: forum threads and listings end up under a comment
/// form or a "read also" marker), so only the header-label rule stays.
pub const STEPS: Steps = Steps {
    labels: true,
    related: false,
    comments: false,
};

/// The shipped model (empty until trained: the region heuristic is used then).
static SHIPPED: &[u8] = include_bytes!("../../../data/boilerplate/line-model.tsv.gz");

/// The model [`LineModel::shipped`] returns, parsed once.
static SHIPPED_MODEL: OnceLock<Option<LineModel>> = OnceLock::new();

/// The line model: two weight tables (line pass and stacked pass) and the
/// decoding parameters.
#[derive(Debug, Clone, Default)]
pub struct LineModel {
    weights: HashMap<String, f32>,
    bias: f32,
    /// Stacked-pass weights (feature names start with `@`); empty: the
    /// line pass's probabilities are decoded directly.
    stack: HashMap<String, f32>,
    stack_bias: f32,
    /// Probability above which a line's words count for keeping it.
    pub threshold: f32,
    /// Cost, in words, of each switch between a kept and a dropped run of
    /// lines (0: every line decided on its own).
    pub switch_cost: f32,
    /// Boosted pass: regression trees over [`dense_features`], added to the
    /// stacked pass's log-odds (empty: the stacked pass decides).
    pub boost: Vec<Tree>,
    /// Page-type classifier (session 6): per type of [`PAGE_TYPES`], a
    /// one-vs-rest logistic regression over [`page_type_features`] (weights
    /// by feature name, bias). Empty: the stacked pass gets no page-type
    /// features. In the file: `%type|feature` weights and `#tbias.type`.
    pub page_type: Vec<(HashMap<String, f32>, f32)>,
    /// Per predicted page type, the decoding threshold chosen for that type
    /// on the training pages (`#threshold.type`); `None`: the global one.
    pub type_threshold: [Option<f32>; PAGE_TYPES.len()],
    /// Whether full pages' fragment lines are merged before the model sees
    /// them ([`merge_fragments`]; `#merge` in the file, session 7): the
    /// model was then trained on merged lines, so it must meet them merged.
    pub merge_fragments: bool,
    /// Which of session 9's optional feature families the weights use, so
    /// that `clean_text` computes them only for a model that reads them.
    families: Families,
}

/// Session 9's optional feature families. Training computes those asked
/// for (`train clean --families`; none by default, which rebuilds the
/// shipped file); at run time a model computes only those its weights
/// name, so a file without them costs nothing and decides exactly as
/// before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Families {
    /// The line pass's vocabulary (`wx=`, `bg=`, `nb=`, `np=`, `nn=`).
    pub vocab: bool,
    /// The line pass's tail and teaser evidence (`tl_`).
    pub tail_line: bool,
    /// The stacked pass's tail and teaser evidence (`@t`, not `@ty`).
    pub tail_stack: bool,
}

/// Name prefixes of the line pass's vocabulary families.
pub const VOCAB_FAMILIES: [&str; 5] = ["wx=", "bg=", "nb=", "np=", "nn="];

impl Families {
    /// Every family.
    pub const ALL: Families = Families {
        vocab: true,
        tail_line: true,
        tail_stack: true,
    };

    fn of(weights: &HashMap<String, f32>, stack: &HashMap<String, f32>) -> Families {
        Families {
            vocab: weights
                .keys()
                .any(|k| VOCAB_FAMILIES.iter().any(|f| k.starts_with(f))),
            tail_line: weights.keys().any(|k| k.starts_with("tl_")),
            tail_stack: stack.keys().any(|k| k.starts_with("@t") && !k.starts_with("@ty")),
        }
    }
}

/// WCXB's page types (`_internal.page_type.primary` in its ground truth),
/// in the order the page-type classifier's outputs use.
pub const PAGE_TYPES: [&str; 7] = [
    "article",
    "collection",
    "documentation",
    "forum",
    "listing",
    "product",
    "service",
];

/// One regression tree of the boosted pass, complete to a fixed depth:
/// `splits` in heap order (node `k`'s children are `2k+1` and `2k+2`),
/// then `2^depth` leaf values. A row goes left when its feature value is
/// below the threshold; a node that did not split has feature `NO_SPLIT`
/// and sends every row left.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub splits: Vec<(u16, f32)>,
    pub leaves: Vec<f32>,
}

/// The feature index of a node that does not split.
pub const NO_SPLIT: u16 = u16::MAX;

impl Tree {
    /// The leaf value for one row of dense features.
    pub fn value(&self, x: &[f32]) -> f32 {
        let mut k = 0usize;
        while k < self.splits.len() {
            let (f, t) = self.splits[k];
            let right = f != NO_SPLIT && x[f as usize] >= t;
            k = 2 * k + 1 + usize::from(right);
        }
        self.leaves[k - self.splits.len()]
    }

    /// One line of the model file: `!tree<TAB>` then the splits as
    /// `feature:threshold` (`-` for no split) and the leaf values.
    fn to_line(&self) -> String {
        let mut s = String::from("!tree\t");
        let parts: Vec<String> = self
            .splits
            .iter()
            .map(|&(f, t)| {
                if f == NO_SPLIT {
                    "-".to_owned()
                } else {
                    format!("{f}:{t}")
                }
            })
            .chain(self.leaves.iter().map(|v| v.to_string()))
            .collect();
        s.push_str(&parts.join(" "));
        s
    }

    fn from_line(body: &str) -> anyhow::Result<Tree> {
        let parts: Vec<&str> = body.split(' ').collect();
        // n splits and n + 1 leaves, n = 2^depth - 1.
        let n = parts.len() / 2;
        anyhow::ensure!(
            parts.len() == 2 * n + 1 && (n + 1).is_power_of_two(),
            "a tree needs 2^d - 1 splits and 2^d leaves, got {} fields",
            parts.len()
        );
        let mut splits = Vec::with_capacity(n);
        for part in &parts[..n] {
            if *part == "-" {
                splits.push((NO_SPLIT, 0.0));
                continue;
            }
            let (f, t) = part.split_once(':').context("a split is `feature:threshold`")?;
            let f: u16 = f.parse().context("bad split feature")?;
            anyhow::ensure!(
                (f as usize) < DENSE,
                "split feature {f} is not a dense feature (< {DENSE})"
            );
            splits.push((f, t.parse().context("bad split threshold")?));
        }
        let leaves = parts[n..]
            .iter()
            .map(|v| v.parse::<f32>().context("bad leaf value"))
            .collect::<anyhow::Result<Vec<f32>>>()?;
        Ok(Tree { splits, leaves })
    }
}

impl LineModel {
    /// The model embedded in the binary, or `None` when it has no weights
    /// (or the model given to [`LineModel::replace_shipped`]).
    pub fn shipped() -> Option<&'static LineModel> {
        SHIPPED_MODEL
            .get_or_init(|| {
                let m = LineModel::from_gz(SHIPPED).expect("the embedded line model is valid");
                (!m.weights.is_empty()).then_some(m)
            })
            .as_ref()
    }

    /// Makes `model` the one [`LineModel::shipped`] returns in this process,
    /// so that a candidate model can be scored through every path that uses
    /// the shipped one (the scraped-text path and the HTML path's fallback)
    /// without rebuilding the binary (`newsflow train clean --score`).
    /// Fails when the shipped model was already used.
    pub fn replace_shipped(model: LineModel) -> anyhow::Result<()> {
        SHIPPED_MODEL
            .set(Some(model))
            .map_err(|_| anyhow::anyhow!("the shipped line model is already in use; replace it first"))
    }

    /// A line-pass-only model (no stacked pass).
    pub fn new(weights: HashMap<String, f32>, bias: f32, threshold: f32, switch_cost: f32) -> Self {
        Self {
            families: Families::of(&weights, &HashMap::new()),
            weights,
            bias,
            threshold,
            switch_cost,
            ..Self::default()
        }
    }

    /// Adds the stacked pass (names must start with `@`).
    pub fn with_stack(mut self, stack: HashMap<String, f32>, stack_bias: f32) -> Self {
        self.stack = stack;
        self.stack_bias = stack_bias;
        self.families = Families::of(&self.weights, &self.stack);
        self
    }

    /// Number of features in both passes.
    pub fn len(&self) -> usize {
        self.weights.len() + self.stack.len()
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Whether the model has a stacked pass.
    pub fn is_stacked(&self) -> bool {
        !self.stack.is_empty()
    }

    /// Reads the gzipped TSV: `#bias`, `#bias2`, `#threshold`, `#switch`
    /// header lines, then `feature\tweight` lines (stacked-pass features
    /// start with `@`).
    pub fn from_gz(bytes: &[u8]) -> anyhow::Result<Self> {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .context("line model is not gzipped UTF-8 text")?;
        let mut m = LineModel {
            threshold: 0.5,
            ..LineModel::default()
        };
        for (n, line) in text.lines().enumerate() {
            if line.is_empty() {
                continue;
            }
            if let Some(body) = line.strip_prefix("!tree\t") {
                let tree = Tree::from_line(body).with_context(|| format!("line model line {}", n + 1))?;
                m.boost.push(tree);
                continue;
            }
            let Some((name, value)) = line.rsplit_once('\t') else {
                bail!("line model line {}: expected `feature<TAB>weight`", n + 1);
            };
            let v: f32 = value
                .parse()
                .with_context(|| format!("line model line {}: bad weight {value:?}", n + 1))?;
            if let Some(rest) = name.strip_prefix('%') {
                let (ty, feature) = rest
                    .split_once('|')
                    .with_context(|| format!("line model line {}: expected `%type|feature`", n + 1))?;
                let k = type_index(ty)
                    .with_context(|| format!("line model line {}: unknown page type {ty:?}", n + 1))?;
                m.ensure_page_types();
                m.page_type[k].0.insert(feature.to_owned(), v);
                continue;
            }
            if let Some(ty) = name.strip_prefix("#tbias.") {
                let k = type_index(ty)
                    .with_context(|| format!("line model line {}: unknown page type {ty:?}", n + 1))?;
                m.ensure_page_types();
                m.page_type[k].1 = v;
                continue;
            }
            if let Some(ty) = name.strip_prefix("#threshold.") {
                let k = type_index(ty)
                    .with_context(|| format!("line model line {}: unknown page type {ty:?}", n + 1))?;
                m.type_threshold[k] = Some(v);
                continue;
            }
            match name {
                "#bias" => m.bias = v,
                "#bias2" => m.stack_bias = v,
                "#threshold" => m.threshold = v,
                "#switch" => m.switch_cost = v,
                "#merge" => m.merge_fragments = v != 0.0,
                _ if name.starts_with('#') => {
                    bail!(
                        "line model line {}: unknown header {name:?}: retrain with `newsflow train clean`",
                        n + 1
                    )
                }
                _ if name.starts_with('@') => {
                    m.stack.insert(name.to_owned(), v);
                }
                _ => {
                    m.weights.insert(name.to_owned(), v);
                }
            }
        }
        m.families = Families::of(&m.weights, &m.stack);
        Ok(m)
    }

    /// Writes the gzipped TSV, features sorted (so the bytes are reproducible).
    pub fn to_gz(&self) -> anyhow::Result<Vec<u8>> {
        let mut names: Vec<(&String, &f32)> = self.weights.iter().chain(&self.stack).collect();
        names.sort_by(|a, b| a.0.cmp(b.0));
        let mut text = format!(
            "#bias\t{}\n#bias2\t{}\n#threshold\t{}\n#switch\t{}\n",
            self.bias, self.stack_bias, self.threshold, self.switch_cost
        );
        if self.merge_fragments {
            // Only when set, so files without it keep their bytes.
            text.push_str("#merge\t1\n");
        }
        for (k, ty) in PAGE_TYPES.iter().enumerate() {
            if let Some((_, b)) = self.page_type.get(k) {
                text.push_str(&format!("#tbias.{ty}\t{b}\n"));
            }
            if let Some(t) = self.type_threshold[k] {
                text.push_str(&format!("#threshold.{ty}\t{t}\n"));
            }
        }
        for (name, w) in names {
            text.push_str(&format!("{name}\t{w}\n"));
        }
        for (k, ty) in PAGE_TYPES.iter().enumerate() {
            if let Some((weights, _)) = self.page_type.get(k) {
                let mut names: Vec<(&String, &f32)> = weights.iter().collect();
                names.sort_by(|a, b| a.0.cmp(b.0));
                for (name, w) in names {
                    text.push_str(&format!("%{ty}|{name}\t{w}\n"));
                }
            }
        }
        for tree in &self.boost {
            text.push_str(&tree.to_line());
            text.push('\n');
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(text.as_bytes())?;
        Ok(gz.finish()?)
    }

    /// Line-pass probability that a line with these features is main text.
    pub fn probability(&self, features: &[String]) -> f32 {
        sigmoid(self.bias + features.iter().filter_map(|f| self.weights.get(f)).sum::<f32>())
    }

    /// Stacked-pass probability.
    pub fn stack_probability(&self, features: &[String]) -> f32 {
        sigmoid(self.stack_bias + features.iter().filter_map(|f| self.stack.get(f)).sum::<f32>())
    }

    /// Room for every page type's classifier (empty tables, bias 0).
    fn ensure_page_types(&mut self) {
        if self.page_type.is_empty() {
            self.page_type = vec![(HashMap::new(), 0.0); PAGE_TYPES.len()];
        }
    }

    /// Adds the page-type classifier (one `(weights, bias)` per entry of
    /// [`PAGE_TYPES`]) and the per-type thresholds.
    pub fn with_page_types(
        mut self,
        classifier: Vec<(HashMap<String, f32>, f32)>,
        thresholds: [Option<f32>; PAGE_TYPES.len()],
    ) -> Self {
        assert_eq!(classifier.len(), PAGE_TYPES.len(), "one classifier per page type");
        self.page_type = classifier;
        self.type_threshold = thresholds;
        self
    }

    /// Whether the model has a page-type classifier.
    pub fn has_page_types(&self) -> bool {
        !self.page_type.is_empty()
    }

    /// The page-type classifier's distribution over [`PAGE_TYPES`] for a
    /// page with these [`page_type_features`]: each type's one-vs-rest
    /// probability, normalised to sum to 1.
    pub fn page_type_distribution(&self, features: &[String]) -> [f32; PAGE_TYPES.len()] {
        let mut q = [0f32; PAGE_TYPES.len()];
        for (k, (w, b)) in self.page_type.iter().enumerate() {
            q[k] = sigmoid(b + features.iter().filter_map(|f| w.get(f)).sum::<f32>());
        }
        normalise(&mut q);
        q
    }

    /// Adds the boosted pass.
    pub fn with_boost(mut self, trees: Vec<Tree>) -> Self {
        self.boost = trees;
        self
    }

    /// The boosted pass's probability for a line whose stacked-pass
    /// probability is `p2` and whose dense features are `x`.
    pub fn boost_probability(&self, p2: f32, x: &[f32]) -> f32 {
        sigmoid(logit(p2) + self.boost.iter().map(|t| t.value(x)).sum::<f32>())
    }

    /// Final probabilities of the lines the rules left alone (`undecided`
    /// indexes `lines`), before decoding.
    ///
    /// With a page-type classifier whose predicted type has its own
    /// threshold, the probabilities are shifted in log-odds by the
    /// difference between the global and the type's threshold, so that
    /// every caller decodes with [`LineModel::threshold`] alone.
    pub fn scores(&self, lines: &[Line], region: &[bool], undecided: &[usize]) -> Vec<f32> {
        let feats = page_features(lines, region, self.families);
        let p1: Vec<f32> = undecided.iter().map(|&i| self.probability(&feats[i])).collect();
        if !self.is_stacked() {
            return p1;
        }
        let page = page_signals(lines);
        let types = self
            .has_page_types()
            .then(|| self.page_type_distribution(&page_type_features_with(lines, &page)));
        let tail = self.families.tail_stack;
        let mut p2: Vec<f32> =
            stack_features_with(lines, region, undecided, &p1, &page, types.as_ref(), tail)
                .iter()
                .map(|f| self.stack_probability(f))
                .collect();
        if let Some(t) = types.and_then(|q| self.type_threshold[argmax(&q)]) {
            let shift = logit(self.threshold) - logit(t);
            for p in &mut p2 {
                *p = sigmoid(logit(*p) + shift);
            }
        }
        if self.boost.is_empty() {
            return p2;
        }
        dense_features_with(lines, region, undecided, &p1, &p2, &page)
            .chunks_exact(DENSE)
            .zip(&p2)
            .map(|(x, &q)| self.boost_probability(q, x))
            .collect()
    }
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// Scales `q` to sum to 1 (uniform when it sums to 0).
pub fn normalise(q: &mut [f32]) {
    let sum: f32 = q.iter().sum();
    if sum > 0.0 {
        q.iter_mut().for_each(|v| *v /= sum);
    } else {
        let n = q.len() as f32;
        q.iter_mut().for_each(|v| *v = 1.0 / n);
    }
}

/// Index of the largest value (the first on ties).
pub fn argmax(q: &[f32]) -> usize {
    let mut best = 0;
    for (k, v) in q.iter().enumerate() {
        if *v > q[best] {
            best = k;
        }
    }
    best
}

/// Index of a page type in [`PAGE_TYPES`].
pub fn type_index(name: &str) -> Option<usize> {
    PAGE_TYPES.iter().position(|t| *t == name)
}

/// Log-odds, clamped so that a certain first pass stays correctable.
pub fn logit(p: f32) -> f32 {
    let p = p.clamp(1e-3, 1.0 - 1e-3);
    (p / (1.0 - p)).ln()
}

/// Indices of the lines the rules left alone (the ones the model decides).
pub fn undecided(lines: &[Line]) -> Vec<usize> {
    (0..lines.len()).filter(|&i| lines[i].kind.is_none()).collect()
}

/// How much a line counts when decoding: its words (the metric is over
/// words), plus one so that empty-ish lines still carry a little evidence.
fn decode_weight(line: &Line) -> f32 {
    word_weight(&line.norm) as f32 + 1.0
}

/// Two-state Viterbi over the undecided lines in order: maximises the sum
/// over kept lines of `weight × (p − threshold)` minus `switch_cost` per
/// change between keeping and dropping. Returns which lines are kept.
pub fn decode(weights: &[f32], p: &[f32], threshold: f32, switch_cost: f32) -> Vec<bool> {
    let n = p.len();
    if n == 0 {
        return Vec::new();
    }
    // back[k][s]: the state at k-1 on the best path ending in state s at k.
    let mut back = vec![[0u8; 2]; n];
    let mut score = [0f32, weights[0] * (p[0] - threshold)];
    for k in 1..n {
        let gain = [0.0, weights[k] * (p[k] - threshold)];
        let mut next = [0f32; 2];
        for s in 0..2 {
            let stay = score[s];
            let switch = score[1 - s] - switch_cost;
            if stay >= switch {
                next[s] = stay + gain[s];
                back[k][s] = s as u8;
            } else {
                next[s] = switch + gain[s];
                back[k][s] = (1 - s) as u8;
            }
        }
        score = next;
    }
    let mut keep = vec![false; n];
    let mut s = usize::from(score[1] > score[0]);
    for k in (0..n).rev() {
        keep[k] = s == 1;
        s = back[k][s] as usize;
    }
    keep
}

/// What a page keeps when every line came out low-content (the line model
/// or the region judged nothing main text; a product or listing page,
/// say): every line the phrase, rule and position passes left alone (only
/// the region and the line model's verdicts are undone), so judged lines
/// (comment forms, share bars, credits...) never come back. Used by
/// `clean_text` and by `train clean`'s scoring, so both decide alike.
/// (Keeping only the region heuristic's best run instead was measured in
/// session 8: −0.31 points on the training pages, cross-fitted; listing
/// pages whose content is all short lines lose most of it.)
pub fn fallback_body(lines: &mut [Line]) -> super::text::Classified {
    for line in lines.iter_mut() {
        if line.kind == Some(Kind::LowContent) {
            line.kind = None;
        }
    }
    // The guard rules ran only on lines kept at the time; these come back.
    super::text::judge_guards(lines);
    super::text::assemble(lines, None, None)
}

/// Marks the undecided lines that decoding drops as `LowContent`.
pub fn apply_scores(lines: &mut [Line], undecided: &[usize], p: &[f32], threshold: f32, switch_cost: f32) {
    let weights: Vec<f32> = undecided.iter().map(|&i| decode_weight(&lines[i])).collect();
    let keep = decode(&weights, p, threshold, switch_cost);
    for (&i, kept) in undecided.iter().zip(keep) {
        if !kept {
            lines[i].kind = Some(Kind::LowContent);
        }
    }
}

fn bucket(n: f64, edges: &[f64]) -> usize {
    edges.iter().position(|e| n < *e).unwrap_or(edges.len())
}

/// What is known about one line on its own.
struct Facts {
    words: usize,
    sentence: bool,
    body: bool,
    kind: Option<Kind>,
    region: bool,
    base: Vec<String>,
}

fn facts(line: &Line, region: bool, dup: bool) -> Facts {
    let clean = &line.clean;
    let w = word_weight(&line.norm);
    let words = line.norm.split(' ').filter(|w| !w.is_empty()).count();
    let chars = clean.chars().count().max(1);
    let punct = clean.chars().filter(|c| c.is_ascii_punctuation()).count();
    let digits = clean.chars().filter(char::is_ascii_digit).count();
    let tokens: Vec<&str> = clean.split_whitespace().collect();
    let caps = tokens
        .iter()
        .filter(|t| t.chars().next().is_some_and(char::is_uppercase))
        .count();
    let sentence = ends_like_sentence(clean);
    let body = is_body_like(line);
    let kind = line.kind;
    let first = match clean.chars().next() {
        Some(c) if c.is_ascii_digit() => "digit",
        Some(c) if c.is_uppercase() => "upper",
        Some(c) if c.is_lowercase() => "lower",
        Some(c) if c.is_alphabetic() => "letter",
        Some(_) => "sym",
        None => "none",
    };
    let last = match clean.chars().last() {
        Some(c) if c.is_alphanumeric() => "alnum",
        Some(c) => match c {
            '.' | '!' | '?' | '。' | '！' | '？' => "stop",
            ':' => "colon",
            ',' | ';' => "comma",
            ')' | ']' | '"' | '»' | '”' | '’' => "close",
            _ => "sym",
        },
        None => "none",
    };
    let wb = bucket(w, &[1.0, 2.0, 3.0, 4.0, 5.0, 7.0, 10.0, 15.0, 25.0, 50.0]);
    let mut base = vec![
        format!("wc={wb}"),
        format!("first={first}"),
        format!("last={last}"),
        format!(
            "punct={}",
            bucket(punct as f64 / chars as f64, &[0.01, 0.03, 0.06, 0.12, 0.25])
        ),
        format!(
            "digit={}",
            bucket(digits as f64 / chars as f64, &[0.01, 0.05, 0.15, 0.4])
        ),
        format!(
            "caps={}",
            bucket(
                caps as f64 / tokens.len().max(1) as f64,
                &[0.2, 0.4, 0.6, 0.8, 0.99]
            )
        ),
        format!("kind={}", kind.map_or("none", Kind::as_str)),
        format!("wc={wb}&sent={sentence}"),
        format!("wc={wb}&region={region}"),
        format!("wc={wb}&first={first}"),
    ];
    for (flag, name) in [
        (sentence, "sent"),
        (body, "body"),
        (region, "region"),
        (dup, "dup"),
        (clean.contains('|'), "pipe"),
        (clean.contains('©'), "copy"),
        (clean.contains("http") || clean.contains("www."), "url"),
        (clean.contains('@'), "at"),
        (clean.contains(','), "commas"),
        (
            clean.contains('“') || clean.contains('"') || clean.contains('«'),
            "quote",
        ),
        (
            line.norm.split(' ').any(|t| {
                t.len() == 4
                    && (t.starts_with("19") || t.starts_with("20"))
                    && t.bytes().all(|b| b.is_ascii_digit())
            }),
            "year",
        ),
        (line.blank_before, "blank"),
    ] {
        if flag {
            base.push(name.to_owned());
        }
    }
    Facts {
        words,
        sentence,
        body,
        kind,
        region,
        base,
    }
}

/// The shape of a line: each token's class (`A` capitalised word, `a`
/// other word, `9` number, `p` punctuation), runs collapsed, at most 8,
/// plus a coarse length. Listing items, product cards and forum post
/// headers repeat one shape down the page; an article's sentences do not.
fn shape_key(line: &Line) -> String {
    let mut shape = String::with_capacity(12);
    for token in line.clean.split_whitespace() {
        let c = match token.chars().next() {
            Some(c) if c.is_ascii_digit() => '9',
            Some(c) if c.is_uppercase() => 'A',
            Some(c) if c.is_alphabetic() => 'a',
            _ if token.chars().any(char::is_alphanumeric) => 'a',
            _ => 'p',
        };
        if !shape.ends_with(c) {
            shape.push(c);
            if shape.len() == 8 {
                break;
            }
        }
    }
    let wb = bucket(word_weight(&line.norm), &[2.0, 4.0, 8.0, 16.0, 32.0]);
    shape.push_str(&format!("/{wb}"));
    shape
}

/// A price: a currency sign next to a digit ("$19.99", "19,90 €", "£ 5").
fn has_price(clean: &str) -> bool {
    const SIGNS: [char; 7] = ['$', '€', '£', '¥', '₹', '₽', '₩'];
    if !clean.contains(SIGNS) {
        return false;
    }
    let chars: Vec<char> = clean.chars().collect();
    chars.iter().enumerate().any(|(i, c)| {
        SIGNS.contains(c)
            && [i.checked_sub(1), i.checked_sub(2), Some(i + 1), Some(i + 2)]
                .into_iter()
                .flatten()
                .any(|j| chars.get(j).is_some_and(char::is_ascii_digit))
    })
}

const MONTHS: [&str; 24] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
];

/// A date: a month name next to a number, or a numeric date (12/05/2024,
/// 2024-05-12, 12.05.24).
fn has_date(line: &Line) -> bool {
    // Both forms need a digit; most lines have none.
    if !line.clean.bytes().any(|b| b.is_ascii_digit()) && !line.norm.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    let words: Vec<&str> = line.norm.split(' ').collect();
    let named = words.iter().enumerate().any(|(k, w)| {
        MONTHS.contains(w)
            && [k.checked_sub(1), Some(k + 1)].into_iter().flatten().any(|j| {
                words
                    .get(j)
                    .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty())
            })
    });
    named
        || line.clean.split_whitespace().any(|t| {
            let t = t.trim_matches(|c: char| !c.is_ascii_digit());
            let parts: Vec<&str> = t.split(['/', '-', '.']).collect();
            parts.len() == 3
                && parts
                    .iter()
                    .all(|p| (1..=4).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// Words of forum and comment threads' chrome (post headers and footers).
const THREAD_CUES: [&str; 20] = [
    "reply",
    "replies",
    "quote",
    "quoted",
    "joined",
    "posts",
    "posted",
    "member",
    "members",
    "registered",
    "ago",
    "views",
    "thread",
    "likes",
    "permalink",
    "report",
    "moderator",
    "répondre",
    "citer",
    "antworten",
];

fn has_thread_cue(norm: &str) -> bool {
    norm.split(' ').any(|w| THREAD_CUES.contains(&w))
}

/// What kind of page this is, coarsely (the WCXB pages are articles,
/// forum threads, product pages, listings, collections, services and
/// docs): prices, dates, thread chrome, short lines, body-text share and
/// repeated line shapes, bucketed. The stacked pass crosses them with the
/// line pass's probability, so it can learn how far to trust it on each
/// kind of page (on a forum every post is content, on a listing the item
/// lines are). Crossed with the line pass's own features (length, body
/// shape, region) they lowered the training pages' cross-fitted F1 from
/// 0.8129 to 0.8098 and the held-out fifth's from 0.8140 to 0.8093: with
/// 1,190 pages, per-cluster line weights overfit (docs/clean.md).
struct PageSignals {
    /// `pg_*=bucket` tags, one per signal.
    tags: Vec<String>,
    /// A coarse combination of the strongest signals (a page-type cluster).
    key: String,
    /// Each line's shape key.
    shapes: Vec<String>,
    /// The signals as numbers, for the boosted pass: price, date and
    /// thread-chrome line counts, short-line share, body-word share,
    /// repeated-shape share, line count, word count.
    values: [f32; 8],
    /// Per line: has a price, a date, a thread-chrome word.
    marks: Vec<[bool; 3]>,
}

fn page_signals(lines: &[Line]) -> PageSignals {
    let n = lines.len().max(1);
    let shapes: Vec<String> = lines.iter().map(shape_key).collect();
    let mut count: HashMap<&str, usize> = HashMap::new();
    for s in &shapes {
        *count.entry(s.as_str()).or_default() += 1;
    }
    let marks: Vec<[bool; 3]> = lines
        .iter()
        .map(|l| [has_price(&l.clean), has_date(l), has_thread_cue(&l.norm)])
        .collect();
    let price = marks.iter().filter(|m| m[0]).count();
    let date = marks.iter().filter(|m| m[1]).count();
    let cue = marks.iter().filter(|m| m[2]).count();
    let short = lines.iter().filter(|l| word_weight(&l.norm) <= 3.0).count() as f64 / n as f64;
    let total_w: f64 = lines.iter().map(|l| word_weight(&l.norm)).sum::<f64>().max(1.0);
    let body_w: f64 = lines
        .iter()
        .filter(|l| is_body_like(l))
        .map(|l| word_weight(&l.norm))
        .sum();
    let body_share = body_w / total_w;
    let rep = shapes.iter().filter(|s| count[s.as_str()] >= 3).count() as f64 / n as f64;
    let counts = [1.0, 3.0, 6.0, 15.0];
    let tags = vec![
        format!("pg_price={}", bucket(price as f64, &counts)),
        format!("pg_date={}", bucket(date as f64, &counts)),
        format!("pg_cue={}", bucket(cue as f64, &counts)),
        format!("pg_short={}", bucket(short, &[0.3, 0.5, 0.7, 0.85])),
        format!("pg_body={}", bucket(body_share, &[0.2, 0.4, 0.6, 0.8])),
        format!("pg_rep={}", bucket(rep, &[0.2, 0.4, 0.6])),
        format!("pg_n={}", bucket(n as f64, &[60.0, 120.0, 250.0, 500.0])),
    ];
    let key = format!(
        "pt={}{}{}{}{}",
        u8::from(price >= 3),
        u8::from(cue >= 3),
        u8::from(date >= 6),
        bucket(short, &[0.5, 0.75]),
        bucket(body_share, &[0.3, 0.6]),
    );
    let values = [
        price as f32,
        date as f32,
        cue as f32,
        short as f32,
        body_share as f32,
        rep as f32,
        n as f32,
        total_w as f32,
    ];
    PageSignals {
        tags,
        key,
        shapes,
        values,
        marks,
    }
}

/// Page-level features of the page-type classifier: the page signals
/// (price, date and thread-chrome counts, short-line, body and
/// repeated-shape shares, length, the coarse cluster), histograms of line
/// shapes (shares of lines by word count, first and last character,
/// sentence shape; the largest repeated-shape group), and the words of the
/// page's short lines ("add to cart", "reply", "next page": buttons and
/// labels say what a page is).
pub fn page_type_features(lines: &[Line]) -> Vec<String> {
    page_type_features_with(lines, &page_signals(lines))
}

fn page_type_features_with(lines: &[Line], page: &PageSignals) -> Vec<String> {
    let n = lines.len().max(1) as f64;
    let mut f: Vec<String> = Vec::with_capacity(128);
    f.extend(page.tags.iter().cloned());
    f.push(page.key.clone());
    let share = |count: usize| bucket(count as f64 / n, &[0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7]);
    let mut wc = [0usize; 7];
    let mut first = [0usize; 4];
    let mut last = [0usize; 4];
    let mut sentences = 0usize;
    let mut words: Vec<&str> = Vec::new();
    for l in lines {
        let w = word_weight(&l.norm);
        wc[bucket(w, &[2.0, 3.0, 5.0, 9.0, 17.0, 33.0])] += 1;
        first[match l.clean.chars().next() {
            Some(c) if c.is_ascii_digit() => 0,
            Some(c) if c.is_uppercase() => 1,
            Some(c) if c.is_alphabetic() => 2,
            _ => 3,
        }] += 1;
        last[match l.clean.chars().last() {
            Some('.' | '!' | '?' | '。' | '！' | '？') => 0,
            Some(':') => 1,
            Some(c) if c.is_alphanumeric() => 2,
            _ => 3,
        }] += 1;
        sentences += usize::from(ends_like_sentence(&l.clean));
        if w <= 3.0 {
            words.extend(l.norm.split(' ').filter(|w| !w.is_empty()));
        }
    }
    for (k, c) in wc.iter().enumerate() {
        f.push(format!("h_wc{k}={}", share(*c)));
    }
    for (k, c) in first.iter().enumerate() {
        f.push(format!("h_first{k}={}", share(*c)));
    }
    for (k, c) in last.iter().enumerate() {
        f.push(format!("h_last{k}={}", share(*c)));
    }
    f.push(format!("h_sent={}", share(sentences)));
    for (k, name) in ["price", "date", "cue"].iter().enumerate() {
        f.push(format!(
            "h_{name}={}",
            share(page.marks.iter().filter(|m| m[k]).count())
        ));
    }
    let mut groups: HashMap<&str, usize> = HashMap::new();
    for s in &page.shapes {
        *groups.entry(s.as_str()).or_default() += 1;
    }
    let biggest = groups.values().copied().max().unwrap_or(0);
    let repeated = groups.values().filter(|&&c| c >= 3).count();
    f.push(format!(
        "h_big={}",
        bucket(biggest as f64, &[3.0, 5.0, 10.0, 20.0, 40.0])
    ));
    f.push(format!(
        "h_groups={}",
        bucket(repeated as f64, &[1.0, 3.0, 6.0, 12.0])
    ));
    words.sort_unstable();
    words.dedup();
    for w in words {
        f.push(format!("pw={w}"));
    }
    f
}

/// Named features of every line. `region`: the region heuristic's verdict
/// per line (kept or not), one of the inputs.
pub fn page_features(lines: &[Line], region: &[bool], families: Families) -> Vec<Vec<String>> {
    let n = lines.len();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for l in lines {
        *seen.entry(l.norm.as_str()).or_default() += 1;
    }
    let facts: Vec<Facts> = lines
        .iter()
        .zip(region)
        .map(|(l, &r)| {
            // Repeated menu items and teasers mark boilerplate; a repeated
            // paragraph of body text is still body text (a page made of
            // the same long paragraph must not lose it).
            let repeated = seen.get(l.norm.as_str()).copied().unwrap_or(0) > 1 && !is_body_like(l);
            facts(l, r, repeated)
        })
        .collect();
    // Distance (in lines) to the nearest body-like line before and after.
    let mut before = vec![usize::MAX; n];
    let mut last = None;
    for i in 0..n {
        if let Some(j) = last {
            before[i] = i - j;
        }
        if facts[i].body && facts[i].kind.is_none() {
            last = Some(i);
        }
    }
    let mut after = vec![usize::MAX; n];
    let mut next = None;
    for i in (0..n).rev() {
        if let Some(j) = next {
            after[i] = j - i;
        }
        if facts[i].body && facts[i].kind.is_none() {
            next = Some(i);
        }
    }
    let total_body: usize = facts.iter().filter(|f| f.body).count();
    let vocab: Vec<Vocab> = if families.vocab {
        lines.iter().map(|l| vocab_of(&l.norm)).collect()
    } else {
        Vec::new()
    };
    let tail = families
        .tail_line
        .then(|| TailEvidence::of(lines, &[], &[], &page_signals(lines)));
    let dist = |d: usize| match d {
        usize::MAX => "none".to_owned(),
        d => bucket(d as f64, &[2.0, 3.0, 4.0, 6.0, 11.0, 21.0]).to_string(),
    };
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let f = &facts[i];
        let mut feats = Vec::with_capacity(64);
        feats.push("bias".to_owned());
        feats.extend(f.base.iter().cloned());
        for (off, name) in [(-2isize, "p2"), (-1, "p1"), (1, "n1"), (2, "n2")] {
            let j = i as isize + off;
            if j < 0 || j >= n as isize {
                feats.push(format!("{name}:edge"));
                continue;
            }
            let g = &facts[j as usize];
            feats.push(format!("{name}:{}", g.base[0]));
            feats.push(format!("{name}:kind={}", g.kind.map_or("none", Kind::as_str)));
            for (flag, tag) in [(g.sentence, "sent"), (g.body, "body"), (g.region, "region")] {
                if flag {
                    feats.push(format!("{name}:{tag}"));
                }
            }
        }
        let window = (i.saturating_sub(3)..(i + 4).min(n))
            .filter(|&j| j != i && facts[j].body)
            .count();
        feats.push(format!("win_body={window}"));
        feats.push(format!("before={}", dist(before[i])));
        feats.push(format!("after={}", dist(after[i])));
        feats.push(format!(
            "between={}&wc={}",
            before[i] < 6 && after[i] < 6,
            f.base[0]
        ));
        feats.push(format!("pos={}", (i * 10) / n.max(1)));
        feats.push(format!(
            "page_body={}",
            bucket(total_body as f64, &[1.0, 3.0, 8.0, 20.0])
        ));
        feats.push(format!("region={}&body={}&sent={}", f.region, f.body, f.sentence));
        let words: Vec<&str> = lines[i].norm.split(' ').filter(|w| !w.is_empty()).collect();
        if let Some(w) = words.first() {
            feats.push(format!("w0={w}"));
        }
        if let Some(w) = words.last() {
            feats.push(format!("wl={w}"));
        }
        if f.words <= 5 {
            for w in &words {
                feats.push(format!("ws={w}"));
            }
            if !words.is_empty() {
                feats.push(format!("line={}", words.join(" ")));
            }
        } else {
            // The vocabulary of longer lines (comments, teasers, legal
            // notices), up to 30 distinct words.
            let mut seen_words: Vec<&str> = Vec::with_capacity(30);
            for w in &words {
                if seen_words.len() == 30 {
                    break;
                }
                if !seen_words.contains(w) {
                    seen_words.push(w);
                    feats.push(format!("wa={w}"));
                }
            }
        }
        if families.vocab {
            vocabulary_features(&vocab, i, &mut feats);
        }
        if let Some(tail) = &tail {
            tail_line_features(tail, i, f.words, &mut feats);
        }
        out.push(feats);
    }
    out
}

/// Most distinct vocabulary tokens per line (words and bigrams each).
const VOCAB_CAP: usize = 60;

/// A line's vocabulary: its distinct words, digits collapsed to `0` (a
/// date or a count says the same whatever its value), in order, and its
/// distinct bigrams, each capped at [`VOCAB_CAP`].
struct Vocab {
    words: Vec<String>,
    bigrams: Vec<String>,
}

fn vocab_of(norm: &str) -> Vocab {
    let collapsed: Vec<String> = norm
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.chars()
                .map(|c| if c.is_ascii_digit() { '0' } else { c })
                .collect()
        })
        .collect();
    let mut words: Vec<String> = Vec::new();
    for w in &collapsed {
        if words.len() == VOCAB_CAP {
            break;
        }
        if !words.contains(w) {
            words.push(w.clone());
        }
    }
    let mut bigrams: Vec<String> = Vec::new();
    for pair in collapsed.windows(2) {
        if bigrams.len() == VOCAB_CAP {
            break;
        }
        let b = format!("{}_{}", pair[0], pair[1]);
        if !bigrams.contains(&b) {
            bigrams.push(b);
        }
    }
    Vocab { words, bigrams }
}

/// Vocabulary evidence for every line, whatever its length (session 9):
/// the words of a long line past the first 30 (`wx=`), its bigrams
/// (`bg=`: "read more", "posted by", "add to", "all rights"), and the
/// words of the lines right before and after it, pooled (`nb=`: a comment
/// sits next to "reply" and "says", a teaser next to "read more", a
/// product blurb next to prices and "add to cart"). What a long line says
/// was invisible to the line pass beyond its first 30 words, and what its
/// neighbours say only reached it through their probabilities.
fn vocabulary_features(vocab: &[Vocab], i: usize, feats: &mut Vec<String>) {
    let own = &vocab[i];
    if own.words.len() > 30 {
        for w in &own.words[30..] {
            feats.push(format!("wx={w}"));
        }
    }
    for b in &own.bigrams {
        feats.push(format!("bg={b}"));
    }
    let mut pooled: Vec<&str> = Vec::with_capacity(VOCAB_CAP);
    for j in [i.wrapping_sub(1), i + 1] {
        let Some(v) = vocab.get(j) else { continue };
        for w in v.words.iter().take(VOCAB_CAP / 2) {
            if !pooled.contains(&w.as_str()) {
                pooled.push(w);
            }
        }
    }
    for w in pooled {
        feats.push(format!("nb={w}"));
    }
    // The same, one family per side (`np=` the line before, `nn=` the
    // line after): "reply" after a comment, "read more" after a teaser.
    for (j, tag) in [(i.wrapping_sub(1), "np"), (i + 1, "nn")] {
        let Some(v) = vocab.get(j) else { continue };
        for w in v.words.iter().take(VOCAB_CAP / 2) {
            feats.push(format!("{tag}={w}"));
        }
    }
}

/// Line-pass features of the tail and teaser evidence (`tl_…`, session 9):
/// comment/thread chrome and dates within [`TAIL_REACH`] lines, the share
/// of the page's body-like words after the line, and its role in a
/// repeated (title-like line, one-sentence blurb) pattern.
fn tail_line_features(tail: &TailEvidence, i: usize, words: usize, feats: &mut Vec<String>) {
    let wb = bucket(words as f64, &[4.0, 10.0, 25.0]);
    feats.push(format!("tl_cue={}", tail.cues[i]));
    feats.push(format!("tl_cue={}&wc={wb}", tail.cues[i]));
    feats.push(format!("tl_date={}", tail.dates[i]));
    let after = tail.body_after_bucket(i);
    feats.push(format!("tl_body={after}"));
    feats.push(format!("tl_body={after}&wc={wb}"));
    let (role, _) = tail.teaser[i];
    feats.push(format!("tl_teaser={role}{}", tail.teaser_repeats_bucket(i)));
}

/// Tenths of a probability, 0..=9.
fn tenth(p: f32) -> usize {
    ((p * 10.0) as usize).min(9)
}

/// Fifths of a probability, 0..=4.
fn fifth(p: f32) -> usize {
    ((p * 5.0) as usize).min(4)
}

/// Features of the stacked pass for each undecided line (`undecided`
/// indexes `lines`, `p1` is aligned with it): the first pass's
/// probabilities around the line, over the sequence of undecided lines
/// (lines the rules removed are left out of it).
///
/// `types`: the page-type classifier's distribution over [`PAGE_TYPES`],
/// when the model has one; each type with probability ≥ 0.2 adds copies of
/// the main context features crossed with it (`@ty…`), so the stacked pass
/// can weigh the same evidence differently on a forum and on an article.
pub fn stack_features(
    lines: &[Line],
    region: &[bool],
    undecided: &[usize],
    p1: &[f32],
    types: Option<&[f32; PAGE_TYPES.len()]>,
    tail_evidence: bool,
) -> Vec<Vec<String>> {
    stack_features_with(
        lines,
        region,
        undecided,
        p1,
        &page_signals(lines),
        types,
        tail_evidence,
    )
}

fn stack_features_with(
    lines: &[Line],
    region: &[bool],
    undecided: &[usize],
    p1: &[f32],
    page: &PageSignals,
    types: Option<&[f32; PAGE_TYPES.len()]>,
    tail_evidence: bool,
) -> Vec<Vec<String>> {
    // The page types the crosses use: probability ≥ 0.2, tagged with a
    // confidence level (≥ 0.6 is "sure").
    let type_tags: Vec<String> = types
        .map(|q| {
            q.iter()
                .enumerate()
                .filter(|(_, v)| **v >= 0.2)
                .map(|(k, v)| format!("{}{}", PAGE_TYPES[k], if *v >= 0.6 { "!" } else { "?" }))
                .collect()
        })
        .unwrap_or_default();
    let m = undecided.len();
    let w: Vec<f32> = undecided.iter().map(|&i| decode_weight(&lines[i])).collect();
    // Prefix sums of weight and weighted probability, for window means.
    let mut cw = vec![0f32; m + 1];
    let mut cwp = vec![0f32; m + 1];
    for k in 0..m {
        cw[k + 1] = cw[k] + w[k];
        cwp[k + 1] = cwp[k] + w[k] * p1[k];
    }
    let window = |a: usize, b: usize| -> Option<f32> {
        // Mean over [a, b), weighted; None when empty.
        (b > a && cw[b] > cw[a]).then(|| (cwp[b] - cwp[a]) / (cw[b] - cw[a]))
    };
    let mass = cwp[m].max(1e-6);
    let pmax = p1.iter().copied().fold(0f32, f32::max);
    let positives = p1.iter().filter(|&&p| p >= 0.5).count();
    // Best contiguous block of (weight × (p − 0.5)), plus blocks scoring at
    // least 30 % of it.
    let gains: Vec<f32> = (0..m).map(|k| w[k] * (p1[k] - 0.5)).collect();
    let blocks = positive_blocks(&gains);
    let best = blocks.iter().map(|b| b.0).fold(0f32, f32::max);
    let mut in_best = vec![false; m];
    let mut in_block = vec![false; m];
    for &(score, a, b) in &blocks {
        for k in a..=b {
            in_block[k] = score >= 0.3 * best;
            in_best[k] = in_best[k] || score >= best;
        }
    }
    let first_best = in_best.iter().position(|&x| x);
    let last_best = in_best.iter().rposition(|&x| x);
    let pos_count = bucket(positives as f64, &[1.0, 2.0, 3.0, 6.0, 11.0, 21.0]);
    // Lines of one shape (listing items, post headers) tend to share a
    // fate: the weighted mean probability of the other undecided lines of
    // the same shape.
    let mut groups: HashMap<&str, (f32, f32, usize)> = HashMap::new();
    for k in 0..m {
        let g = groups.entry(page.shapes[undecided[k]].as_str()).or_default();
        g.0 += w[k];
        g.1 += w[k] * p1[k];
        g.2 += 1;
    }
    let tail = tail_evidence.then(|| TailEvidence::of(lines, undecided, p1, page));
    let mut out = Vec::with_capacity(m);
    for k in 0..m {
        let p = p1[k];
        let b = tenth(p);
        let line = &lines[undecided[k]];
        let wc = bucket(word_weight(&line.norm), &[2.0, 4.0, 7.0, 12.0, 25.0, 50.0]);
        let mut f = Vec::with_capacity(40);
        f.push("@bias".to_owned());
        if let Some(tail) = &tail {
            tail.features(k, undecided[k], p, &mut f);
        }
        f.push(format!("@p={b}"));
        f.push(format!("@p={b}&wc={wc}"));
        f.push(format!("@p={}&region={}", fifth(p), region[undecided[k]]));
        for off in [-3isize, -2, -1, 1, 2, 3] {
            let j = k as isize + off;
            if j < 0 || j >= m as isize {
                f.push(format!("@o{off}=edge"));
            } else {
                f.push(format!("@o{off}={}", fifth(p1[j as usize])));
            }
        }
        let prev = if k > 0 { p1[k - 1] } else { 0.0 };
        let next = p1.get(k + 1).copied().unwrap_or(0.0);
        f.push(format!("@o-1={}&o1={}", fifth(prev), fifth(next)));
        f.push(format!("@o-1={}&p={}&o1={}", fifth(prev), fifth(p), fifth(next)));
        f.push(format!(
            "@p={}&sent={}&wc={wc}",
            fifth(p),
            ends_like_sentence(&line.clean)
        ));
        // Lines the rules removed between this line and its undecided
        // neighbours: a share bar or a comment form is often a boundary.
        let gap_before = if k > 0 {
            undecided[k] - undecided[k - 1] - 1
        } else {
            0
        };
        let gap_after = if k + 1 < m {
            undecided[k + 1] - undecided[k] - 1
        } else {
            0
        };
        f.push(format!("@gapb={}&p={}", gap_before.min(3), fifth(p)));
        f.push(format!("@gapa={}&p={}", gap_after.min(3), fifth(p)));
        for r in [2usize, 5, 10, 25] {
            let a = k.saturating_sub(r);
            let e = (k + r + 1).min(m);
            if let Some(v) = window(a, e) {
                f.push(format!("@m{r}={}", tenth(v)));
            }
            match window(a, k) {
                Some(v) => f.push(format!("@b{r}={}", fifth(v))),
                None => f.push(format!("@b{r}=edge")),
            }
            match window(k + 1, e) {
                Some(v) => f.push(format!("@a{r}={}", fifth(v))),
                None => f.push(format!("@a{r}=edge")),
            }
        }
        let before = cwp[k] / mass;
        f.push(format!("@cum={}", tenth(before)));
        f.push(format!("@cum={}&p={}", fifth(before), fifth(p)));
        let where_best = match (first_best, last_best) {
            (Some(a), _) if k < a => {
                format!("before{}", bucket((a - k) as f64, &[2.0, 3.0, 5.0, 10.0, 20.0]))
            }
            (_, Some(z)) if k > z => {
                format!("after{}", bucket((k - z) as f64, &[2.0, 3.0, 5.0, 10.0, 20.0]))
            }
            (Some(_), Some(_)) => "in".to_owned(),
            _ => "none".to_owned(),
        };
        f.push(format!("@best={where_best}"));
        f.push(format!("@best={where_best}&p={}", fifth(p)));
        f.push(format!("@block={}&p={}", in_block[k], fifth(p)));
        f.push(format!("@rel={}", tenth(if pmax > 0.0 { p / pmax } else { 0.0 })));
        f.push(format!("@pmax={}", tenth(pmax)));
        f.push(format!("@npos={pos_count}"));
        f.push(format!("@pos={}", (k * 10) / m.max(1)));
        let (gw, gwp, gn) = groups[page.shapes[undecided[k]].as_str()];
        if gn >= 2 && gw > w[k] {
            let others = (gwp - w[k] * p) / (gw - w[k]);
            let size = bucket(gn as f64, &[3.0, 5.0, 10.0, 20.0]);
            f.push(format!("@grp={}&p={}", tenth(others), fifth(p)));
            f.push(format!("@grpn={size}&grp={}", fifth(others)));
        } else {
            f.push(format!("@grp=none&p={}", fifth(p)));
        }
        f.push(format!("@{}&p={}", page.key, fifth(p)));
        for t in &page.tags {
            f.push(format!("@{t}&p={}", fifth(p)));
        }
        if !type_tags.is_empty() {
            let sent = ends_like_sentence(&line.clean);
            let m10 = window(k.saturating_sub(10), (k + 11).min(m)).map_or(5, fifth);
            let grp = match groups[page.shapes[undecided[k]].as_str()] {
                (gw, gwp, gn) if gn >= 2 && gw > w[k] => fifth((gwp - w[k] * p) / (gw - w[k])).to_string(),
                _ => "none".to_owned(),
            };
            // One prefix per family (`@tyA_` the type alone, `@tyP_` × the
            // line's probability, then × length, sentence shape, region,
            // window mean, best block, same-shape group, content mass), so
            // `train clean --drop` can leave families out.
            let q = fifth(p);
            for t in &type_tags {
                f.push(format!("@tyA_{t}"));
                f.push(format!("@tyP_{t}&p={b}"));
                f.push(format!("@tyW_{t}&p={q}&wc={wc}"));
                f.push(format!("@tyS_{t}&p={q}&sent={sent}"));
                f.push(format!("@tyR_{t}&p={q}&region={}", region[undecided[k]]));
                f.push(format!("@tyM_{t}&p={q}&m10={m10}"));
                f.push(format!("@tyB_{t}&p={q}&best={where_best}"));
                f.push(format!("@tyG_{t}&p={q}&grp={grp}"));
                f.push(format!("@tyC_{t}&p={q}&cum={}", fifth(before)));
            }
        }
        out.push(f);
    }
    out
}

/// Words of comment threads next to the thread chrome of [`THREAD_CUES`]:
/// "X says:", "wrote", "N comments".
const COMMENT_CUES: [&str; 8] = [
    "says",
    "said",
    "wrote",
    "comment",
    "comments",
    "commented",
    "kommentar",
    "commentaire",
];

/// Lines this far away (either side) count as neighbours for the tail
/// evidence.
const TAIL_REACH: usize = 3;

/// Evidence on the tail after the main text and on repeated teaser
/// structure (session 9), for the stacked pass (`@t…` features). The
/// training pages keep 155k chrome words after their last content line
/// (related stories, reviews, comments, footers) that the line pass's
/// probabilities around a line cannot tell from content.
struct TailEvidence {
    /// Per line: comment/thread-chrome lines within [`TAIL_REACH`].
    cues: Vec<u8>,
    /// Per line: date lines within [`TAIL_REACH`].
    dates: Vec<u8>,
    /// Per line: share of the page's body-like words after it.
    body_after: Vec<f32>,
    /// Undecided index of the last body-like line with p ≥ 0.5.
    last_strong: Option<usize>,
    /// Per line: its role in a repeated (title-like line, one-sentence
    /// blurb) pattern and how often its pair shape repeats.
    teaser: Vec<(u8, usize)>,
}

impl TailEvidence {
    fn of(lines: &[Line], undecided: &[usize], p1: &[f32], page: &PageSignals) -> TailEvidence {
        let n = lines.len();
        let cue_line: Vec<bool> = lines
            .iter()
            .zip(&page.marks)
            .map(|(l, m)| m[2] || l.norm.split(' ').any(|w| COMMENT_CUES.contains(&w)))
            .collect();
        let near = |flag: &dyn Fn(usize) -> bool| -> Vec<u8> {
            (0..n)
                .map(|i| {
                    let a = i.saturating_sub(TAIL_REACH);
                    let e = (i + TAIL_REACH + 1).min(n);
                    (a..e).filter(|&j| j != i && flag(j)).count().min(3) as u8
                })
                .collect()
        };
        let cues = near(&|j| cue_line[j]);
        let dates = near(&|j| page.marks[j][1]);
        let body_w: Vec<f64> = lines
            .iter()
            .map(|l| {
                if is_body_like(l) && l.kind.is_none() {
                    word_weight(&l.norm)
                } else {
                    0.0
                }
            })
            .collect();
        let total: f64 = body_w.iter().sum::<f64>().max(1.0);
        let mut body_after = vec![0f32; n];
        let mut acc = 0f64;
        for i in (0..n).rev() {
            body_after[i] = (acc / total) as f32;
            acc += body_w[i];
        }
        let last_strong = (0..undecided.len())
            .rev()
            .find(|&k| p1[k] >= 0.5 && body_w[undecided[k]] > 0.0);
        // (title-like line, one-sentence blurb) pairs, keyed by the title's
        // shape and the blurb's length bucket.
        let title_like = |l: &Line| {
            let w = word_weight(&l.norm);
            l.kind.is_none() && (2.0..=15.0).contains(&w) && !ends_like_sentence(&l.clean)
        };
        let blurb_like = |l: &Line| {
            let w = word_weight(&l.norm);
            l.kind.is_none() && (6.0..=60.0).contains(&w) && ends_like_sentence(&l.clean)
        };
        let mut keys: Vec<Option<String>> = vec![None; n];
        let mut count: HashMap<String, usize> = HashMap::new();
        for i in 0..n.saturating_sub(1) {
            if title_like(&lines[i]) && blurb_like(&lines[i + 1]) {
                let wb = bucket(word_weight(&lines[i + 1].norm), &[15.0, 30.0]);
                let key = format!("{}|{wb}", page.shapes[i]);
                *count.entry(key.clone()).or_default() += 1;
                keys[i] = Some(key);
            }
        }
        let mut teaser = vec![(0u8, 0usize); n];
        for i in 0..n {
            if let Some(key) = &keys[i] {
                let c = count[key];
                if c >= 2 {
                    teaser[i] = (1, c);
                    teaser[i + 1] = (2, c);
                }
            }
        }
        TailEvidence {
            cues,
            dates,
            body_after,
            last_strong,
            teaser,
        }
    }

    /// Bucket of line `i`'s share of the page's body-like words after it,
    /// as the line pass and the stacked pass both read it.
    fn body_after_bucket(&self, i: usize) -> usize {
        bucket(f64::from(self.body_after[i]), &[0.02, 0.1, 0.3, 0.6])
    }

    /// Bucket of how often line `i`'s (title, blurb) pair shape repeats.
    fn teaser_repeats_bucket(&self, i: usize) -> usize {
        bucket(self.teaser[i].1 as f64, &[2.0, 3.0, 5.0, 10.0])
    }

    /// The `@t…` features of undecided line `k` (line `i` of the page),
    /// each crossed with the line pass's probability.
    fn features(&self, k: usize, i: usize, p: f32, f: &mut Vec<String>) {
        let q = fifth(p);
        f.push(format!("@tcue={}&p={q}", self.cues[i]));
        f.push(format!("@tdate={}&p={q}", self.dates[i]));
        let after = self.body_after_bucket(i);
        f.push(format!("@tbody={after}&p={q}"));
        let last = match self.last_strong {
            Some(z) if k > z => format!("after{}", bucket((k - z) as f64, &[2.0, 4.0, 8.0, 16.0, 32.0])),
            Some(_) => "in".to_owned(),
            None => "none".to_owned(),
        };
        f.push(format!("@tlast={last}&p={q}"));
        f.push(format!("@tlast={last}&cue={}", self.cues[i].min(1)));
        let (role, _) = self.teaser[i];
        let role = match role {
            1 => "title",
            2 => "blurb",
            _ => "none",
        };
        f.push(format!("@tteaser={role}{}&p={q}", self.teaser_repeats_bucket(i)));
        f.push(format!("@tteaser={role}&last={last}"));
    }
}

/// Number of dense features per line of the boosted pass.
pub const DENSE: usize = 66;

/// Dense (numeric) features of each undecided line for the boosted pass,
/// row after row (`DENSE` values per line): the two passes' probabilities
/// and their context, the line's own shape, and the page's signals as
/// numbers. Trees can split on interactions the stacked logistic pass
/// cannot express ("on a page with many thread-chrome lines, a middling
/// probability is content"); -1 marks "no such neighbour/window".
pub fn dense_features(
    lines: &[Line],
    region: &[bool],
    undecided: &[usize],
    p1: &[f32],
    p2: &[f32],
) -> Vec<f32> {
    dense_features_with(lines, region, undecided, p1, p2, &page_signals(lines))
}

fn dense_features_with(
    lines: &[Line],
    region: &[bool],
    undecided: &[usize],
    p1: &[f32],
    p2: &[f32],
    page: &PageSignals,
) -> Vec<f32> {
    let m = undecided.len();
    let w: Vec<f32> = undecided.iter().map(|&i| decode_weight(&lines[i])).collect();
    let prefix = |p: &[f32]| {
        let mut cw = vec![0f32; m + 1];
        let mut cwp = vec![0f32; m + 1];
        for k in 0..m {
            cw[k + 1] = cw[k] + w[k];
            cwp[k + 1] = cwp[k] + w[k] * p[k];
        }
        (cw, cwp)
    };
    let (cw, cwp1) = prefix(p1);
    let (_, cwp2) = prefix(p2);
    let mean = |c: &[f32], a: usize, b: usize| -> f32 {
        if b > a && cw[b] > cw[a] {
            (c[b] - c[a]) / (cw[b] - cw[a])
        } else {
            -1.0
        }
    };
    let mass1 = cwp1[m].max(1e-6);
    let mass2 = cwp2[m].max(1e-6);
    let pmax = p1.iter().copied().fold(0f32, f32::max);
    let p2max = p2.iter().copied().fold(0f32, f32::max);
    let positives = p2.iter().filter(|&&p| p >= 0.5).count() as f32;
    // Best contiguous block of the stacked pass's margin.
    let gains: Vec<f32> = (0..m).map(|k| w[k] * (p2[k] - 0.5)).collect();
    let blocks = positive_blocks(&gains);
    let best = blocks.iter().map(|b| b.0).fold(0f32, f32::max);
    let mut block_share = vec![0f32; m];
    let (mut first_best, mut last_best) = (None, None);
    for &(score, a, b) in &blocks {
        for s in &mut block_share[a..=b] {
            *s = if best > 0.0 { score / best } else { 0.0 };
        }
        if score >= best && first_best.is_none() {
            first_best = Some(a);
            last_best = Some(b);
        }
    }
    let mut groups: HashMap<&str, (f32, f32, f32, usize)> = HashMap::new();
    for k in 0..m {
        let g = groups.entry(page.shapes[undecided[k]].as_str()).or_default();
        g.0 += w[k];
        g.1 += w[k] * p1[k];
        g.2 += w[k] * p2[k];
        g.3 += 1;
    }
    let total_w = cw[m];
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for l in lines {
        *seen.entry(l.norm.as_str()).or_default() += 1;
    }
    let n_lines = lines.len().max(1) as f32;
    let mut out = Vec::with_capacity(m * DENSE);
    for k in 0..m {
        let i = undecided[k];
        let line = &lines[i];
        let at = |p: &[f32], off: isize| -> f32 {
            let j = k as isize + off;
            if j < 0 || j >= m as isize {
                -1.0
            } else {
                p[j as usize]
            }
        };
        let (gw, g1, g2, gn) = groups[page.shapes[i].as_str()];
        let (o1, o2) = if gn >= 2 && gw > w[k] {
            (
                (g1 - w[k] * p1[k]) / (gw - w[k]),
                (g2 - w[k] * p2[k]) / (gw - w[k]),
            )
        } else {
            (-1.0, -1.0)
        };
        let to_best = match (first_best, last_best) {
            (Some(a), _) if k < a => (k as f32 - a as f32) / m as f32,
            (_, Some(z)) if k > z => (k - z) as f32 / m as f32,
            (Some(_), Some(_)) => 0.0,
            _ => -2.0,
        };
        let gap_before = if k > 0 { i - undecided[k - 1] - 1 } else { 0 };
        let gap_after = if k + 1 < m { undecided[k + 1] - i - 1 } else { 0 };
        let marks = page.marks[i];
        let shape = LineShape::of(&line.clean);
        let row: [f32; DENSE] = [
            p1[k],
            p2[k],
            at(p1, -2),
            at(p1, -1),
            at(p1, 1),
            at(p1, 2),
            at(p2, -3),
            at(p2, -2),
            at(p2, -1),
            at(p2, 1),
            at(p2, 2),
            at(p2, 3),
            mean(&cwp1, k.saturating_sub(5), (k + 6).min(m)),
            mean(&cwp1, k.saturating_sub(25), (k + 26).min(m)),
            mean(&cwp2, k.saturating_sub(2), (k + 3).min(m)),
            mean(&cwp2, k.saturating_sub(5), (k + 6).min(m)),
            mean(&cwp2, k.saturating_sub(10), (k + 11).min(m)),
            mean(&cwp2, k.saturating_sub(25), (k + 26).min(m)),
            mean(&cwp2, k.saturating_sub(5), k),
            mean(&cwp2, k + 1, (k + 6).min(m)),
            mean(&cwp2, k.saturating_sub(25), k),
            mean(&cwp2, k + 1, (k + 26).min(m)),
            cwp1[k] / mass1,
            cwp2[k] / mass2,
            if pmax > 0.0 { p1[k] / pmax } else { 0.0 },
            pmax,
            p2max,
            positives,
            k as f32 / m.max(1) as f32,
            to_best,
            block_share[k],
            o1,
            o2,
            gn as f32,
            word_weight(&line.norm) as f32,
            f32::from(u8::from(ends_like_sentence(&line.clean))),
            f32::from(u8::from(is_body_like(line))),
            f32::from(u8::from(region[i])),
            gap_before.min(10) as f32,
            gap_after.min(10) as f32,
            f32::from(u8::from(marks[0])),
            f32::from(u8::from(marks[1])),
            f32::from(u8::from(marks[2])),
            page.values[0],
            page.values[1],
            page.values[2],
            page.values[3],
            page.values[4],
            page.values[5],
            page.values[6],
            m as f32,
            if total_w > 0.0 { w[k] / total_w } else { 0.0 },
            // The line's own shape, so trees can cross it with the page's
            // kind (a short capitalised line is a post header on a forum,
            // an item on a listing, a menu entry on an article).
            shape.chars as f32,
            shape.punct,
            shape.digits,
            shape.caps,
            shape.first,
            shape.last,
            f32::from(u8::from(line.clean.contains('|'))),
            f32::from(u8::from(
                line.clean.contains("http") || line.clean.contains("www."),
            )),
            f32::from(u8::from(line.clean.contains('@') || line.clean.contains('©'))),
            seen.get(line.norm.as_str()).copied().unwrap_or(0).min(20) as f32,
            f32::from(u8::from(line.blank_before)),
            i as f32 / n_lines,
            f32::from(u8::from(
                line.clean.contains(',') || line.clean.contains('“') || line.clean.contains('"'),
            )),
            line.norm.split(' ').filter(|t| !t.is_empty()).count().min(200) as f32,
        ];
        out.extend_from_slice(&row);
    }
    out
}

/// Character statistics of one line, as numbers for the boosted pass.
struct LineShape {
    chars: usize,
    punct: f32,
    digits: f32,
    caps: f32,
    /// First character: 0 none, 1 digit, 2 upper, 3 lower, 4 other letter, 5 symbol.
    first: f32,
    /// Last character: 0 none, 1 letter/digit, 2 sentence stop, 3 colon,
    /// 4 comma/semicolon, 5 closing bracket/quote, 6 other.
    last: f32,
}

impl LineShape {
    fn of(clean: &str) -> LineShape {
        let mut chars = 0usize;
        let (mut punct, mut digits) = (0usize, 0usize);
        for c in clean.chars() {
            chars += 1;
            punct += usize::from(c.is_ascii_punctuation());
            digits += usize::from(c.is_ascii_digit());
        }
        let (mut tokens, mut caps) = (0usize, 0usize);
        for t in clean.split_whitespace() {
            tokens += 1;
            caps += usize::from(t.chars().next().is_some_and(char::is_uppercase));
        }
        let first = match clean.chars().next() {
            None => 0.0,
            Some(c) if c.is_ascii_digit() => 1.0,
            Some(c) if c.is_uppercase() => 2.0,
            Some(c) if c.is_lowercase() => 3.0,
            Some(c) if c.is_alphabetic() => 4.0,
            Some(_) => 5.0,
        };
        let last = match clean.chars().last() {
            None => 0.0,
            Some(c) if c.is_alphanumeric() => 1.0,
            Some('.' | '!' | '?' | '。' | '！' | '？') => 2.0,
            Some(':') => 3.0,
            Some(',' | ';') => 4.0,
            Some(')' | ']' | '"' | '»' | '”' | '’') => 5.0,
            Some(_) => 6.0,
        };
        let per_char = |n: usize| n as f32 / chars.max(1) as f32;
        LineShape {
            chars: chars.min(5000),
            punct: per_char(punct),
            digits: per_char(digits),
            caps: caps as f32 / tokens.max(1) as f32,
            first,
            last,
        }
    }
}

/// Body text from top to bottom: the region heuristic keeps nearly every
/// word the rules left, and nearly every word is in a body-like line (no
/// menus, teasers or labels to speak of). Then there is nothing for the
/// model to cut, and its position priors (content mass above a line) would
/// cut the tail of such a page, so the region heuristic decides. (The
/// body-like condition was added in session 4: with the region condition
/// alone the guard also took pages whose few short lines the model judges
/// better, at a cost of 0.2 points of held-out F1.)
pub fn body_throughout(lines: &[Line], region: &[bool], undecided: &[usize]) -> bool {
    let weight = |pick: &dyn Fn(usize) -> bool| -> f64 {
        undecided
            .iter()
            .filter(|&&i| pick(i))
            .map(|&i| word_weight(&lines[i].norm))
            .sum()
    };
    let total = weight(&|_| true);
    total > 0.0
        && weight(&|i| region[i]) >= 0.98 * total
        && weight(&|i| is_body_like(&lines[i])) >= 0.98 * total
}

/// Decides the lines the rules left alone: `LowContent` unless decoding
/// keeps them.
pub fn apply(model: &LineModel, lines: &mut [Line], region: &[bool]) {
    let undecided = undecided(lines);
    if body_throughout(lines, region, &undecided) {
        for &i in &undecided {
            if !region[i] {
                lines[i].kind = Some(Kind::LowContent);
            }
        }
        return;
    }
    let p = model.scores(lines, region, &undecided);
    apply_scores(lines, &undecided, &p, model.threshold, model.switch_cost);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_keeps_every_line_but_the_judged_ones() {
        use crate::pipeline::clean::text;
        // Every line judged low-content (as when the model keeps nothing):
        // what the rules left alone comes back, the share bar does not.
        let mut lines = text::split_lines("Home\nShop\nCart\nShare on Facebook\nteilen17\nContact");
        text::judge_rules(&mut lines);
        assert_eq!(lines[3].kind, Some(Kind::Share));
        for l in lines.iter_mut().filter(|l| l.kind.is_none()) {
            l.kind = Some(Kind::LowContent);
        }
        let kept = fallback_body(&mut lines);
        assert_eq!(
            kept.body.split_whitespace().collect::<Vec<_>>(),
            ["Home", "Shop", "Cart", "Contact"]
        );
        assert!(kept.boilerplate.iter().any(|b| b.kind == "share"));
        // A guard-rule line (a share button with its count) does not come back either.
        assert!(!kept.body.contains("teilen17"), "{:?}", kept.body);
    }

    #[test]
    fn fragments_merge_into_their_sentence() {
        let input =
            "Read\nthis story\nnow.\nHome\nNews\nLe président\nEmmanuel Macron\na dit\n, puis\n\nnext one";
        let lines = merge_fragments(crate::pipeline::clean::text::split_lines(input));
        let clean: Vec<&str> = lines.iter().map(|l| l.clean.as_str()).collect();
        assert_eq!(
            clean,
            [
                "Read this story now.",
                "Home",
                "News",
                "Le président",
                "Emmanuel Macron a dit, puis",
                "next one"
            ]
        );
        // A merged line spans its parts in the input, raw lines joined by `\n`.
        let chars: Vec<char> = input.chars().collect();
        for l in &lines {
            assert_eq!(chars[l.start..l.end].iter().collect::<String>(), l.raw);
        }
        let whole = crate::pipeline::clean::text::split_lines("Read this story now.");
        assert_eq!(lines[0].norm, whole[0].norm);
        // Only a model trained on merged lines merges, and only full pages.
        let mut m = LineModel::default();
        let split = || crate::pipeline::clean::text::split_lines(input);
        assert_eq!(model_lines(split(), Some(&m)).len(), 10);
        m.merge_fragments = true;
        assert_eq!(model_lines(split(), Some(&m)).len(), 10, "under MIN_LINES");
        let long = input.repeat(5).replace("next one", "next one\n\n");
        let n = crate::pipeline::clean::text::split_lines(&long).len();
        assert!(n >= MIN_LINES);
        assert!(model_lines(crate::pipeline::clean::text::split_lines(&long), Some(&m)).len() < n);
        let back = LineModel::from_gz(&m.to_gz().unwrap()).unwrap();
        assert!(back.merge_fragments);
    }

    #[test]
    fn model_file_round_trips() {
        let mut w = HashMap::new();
        w.insert("wc=3".to_owned(), 0.25f32);
        w.insert("ws=home".to_owned(), -1.5f32);
        let mut s = HashMap::new();
        s.insert("@p=3".to_owned(), 0.75f32);
        let m = LineModel::new(w, -0.5, 0.45, 2.5).with_stack(s, 0.125);
        let back = LineModel::from_gz(&m.to_gz().unwrap()).unwrap();
        assert_eq!(back.len(), 3);
        assert!(back.is_stacked());
        assert_eq!(back.threshold, 0.45);
        assert_eq!(back.switch_cost, 2.5);
        assert!((back.stack_probability(&["@p=3".to_owned()]) - sigmoid(0.875)).abs() < 1e-6);
        let p = back.probability(&["wc=3".to_owned(), "unknown".to_owned()]);
        assert!((p - 1.0 / (1.0 + (0.25f32).exp())).abs() < 1e-6);
    }

    #[test]
    fn decoding_follows_the_region_unless_the_evidence_is_strong() {
        let w = [10.0, 10.0, 2.0, 10.0, 10.0, 30.0];
        let p = [0.9, 0.9, 0.2, 0.9, 0.9, 0.1];
        // Without a switch cost every line stands alone.
        assert_eq!(
            decode(&w, &p, 0.5, 0.0),
            vec![true, true, false, true, true, false]
        );
        // A short weak line inside the article follows it (two switches
        // would cost 10, dropping it gains 0.6), but a long line the model
        // is sure about does not (dropping it gains 12 > 5) ...
        assert_eq!(
            decode(&w, &p, 0.5, 5.0),
            vec![true, true, true, true, true, false]
        );
        // ... unless switching costs even more than that.
        assert_eq!(decode(&w, &p, 0.5, 20.0), vec![true; 6]);
        assert!(decode(&[], &[], 0.5, 1.0).is_empty());
    }

    #[test]
    fn stacked_features_cover_every_undecided_line() {
        let mut lines = crate::pipeline::clean::text::split_lines(
            "Home\nNews\nThe minister announced a visit to Brussels on Monday.\nShare on Facebook\nMore details follow.",
        );
        lines[3].kind = Some(Kind::Share);
        let region = vec![false, false, true, true, true];
        let undecided = undecided(&lines);
        assert_eq!(undecided, vec![0, 1, 2, 4]);
        let f = stack_features(&lines, &region, &undecided, &[0.1, 0.2, 0.9, 0.6], None, true);
        assert_eq!(f.len(), 4);
        assert!(f[2].contains(&"@best=in".to_owned()), "{:?}", f[2]);
        assert!(f[0].contains(&"@o-1=edge".to_owned()));
        assert!(f.iter().all(|l| l.iter().all(|n| n.starts_with('@'))));
    }

    #[test]
    fn every_line_gets_its_vocabulary_and_its_neighbours_words() {
        let long: Vec<String> = (0u8..40)
            .map(|k| format!("w{}{}", char::from(b'a' + k / 26), char::from(b'a' + k % 26)))
            .collect();
        let text = format!("Reply\n{}\nPosted 12 March 2024 by Anna", long.join(" "));
        let lines = crate::pipeline::clean::text::split_lines(&text);
        let region = vec![false; lines.len()];
        let f = page_features(&lines, &region, Families::ALL);
        // The long line: words past the first 30 (digits collapsed),
        // bigrams, and the words of the lines around it.
        assert!(f[1].contains(&"wx=wbe".to_owned()), "{:?}", f[1]);
        assert!(!f[1].contains(&"wx=wbd".to_owned()));
        assert!(f[1].contains(&"bg=waa_wab".to_owned()));
        assert!(f[1].contains(&"nb=reply".to_owned()));
        assert!(f[1].contains(&"nb=posted".to_owned()));
        // A short line's bigrams, digits collapsed; its one neighbour.
        assert!(f[2].contains(&"bg=00_march".to_owned()), "{:?}", f[2]);
        assert!(f[2].contains(&"nb=waa".to_owned()));
        assert!(!f[0].iter().any(|n| n.starts_with("wx=")));
    }

    #[test]
    fn tail_evidence_sees_comment_chrome_and_repeated_teasers() {
        let mut text = String::from(
            "The minister announced a long awaited visit to Brussels on Monday morning.\n\
             She will meet the heads of government of the member states there.\n",
        );
        for k in 0..3 {
            text.push_str(&format!(
                "Story number {k} headline\nA short summary of this story in one sentence here.\n"
            ));
        }
        text.push_str("Anna says:\nGreat article, thank you very much for writing it.\nReply\n");
        let lines = crate::pipeline::clean::text::split_lines(&text);
        let region = vec![false; lines.len()];
        let undecided = undecided(&lines);
        let p1: Vec<f32> = (0..undecided.len())
            .map(|k| if k < 2 { 0.9 } else { 0.4 })
            .collect();
        let f = stack_features(&lines, &region, &undecided, &p1, None, true);
        assert!(f[2].iter().any(|n| n.starts_with("@tteaser=title")), "{:?}", f[2]);
        assert!(f[3].iter().any(|n| n.starts_with("@tteaser=blurb")), "{:?}", f[3]);
        assert!(f[0].iter().any(|n| n.starts_with("@tteaser=none")));
        let comment = undecided.len() - 2;
        assert!(
            f[comment].iter().any(|n| n.starts_with("@tcue=2")),
            "{:?}",
            f[comment]
        );
        assert!(f[comment].iter().any(|n| n.starts_with("@tlast=after")));
        assert!(f[0].iter().any(|n| n.starts_with("@tlast=in")));
    }

    #[test]
    fn page_signals_see_prices_dates_and_repeated_shapes() {
        assert!(has_price("Now $19.99"));
        assert!(has_price("19,90 €"));
        assert!(!has_price("US$ markets rallied"));
        assert!(!has_price("No price here, 19 items"));
        let lines = crate::pipeline::clean::text::split_lines(
            "Posted March 3, 2024\nOn 2024-05-12 we met.\nThe minister spoke at length.",
        );
        assert!(has_date(&lines[0]) && has_date(&lines[1]) && !has_date(&lines[2]));
        // Listing items share a shape, whatever their words.
        let items = crate::pipeline::clean::text::split_lines(
            "Blue Widget 12\nRed Gadget 7\nThe minister spoke at length.",
        );
        assert_eq!(shape_key(&items[0]), shape_key(&items[1]));
        assert_ne!(shape_key(&items[0]), shape_key(&items[2]));
        let page = page_signals(&items);
        assert_eq!(page.tags.len(), 7);
        assert!(page.key.starts_with("pt="));
        // The stacked pass gives each of the two items the other's probability.
        let region = vec![false; 3];
        let f = stack_features(&items, &region, &[0, 1, 2], &[0.9, 0.1, 0.5], None, true);
        assert!(f[1].contains(&"@grp=9&p=0".to_owned()), "{:?}", f[1]);
        assert!(f[2].contains(&"@grp=none&p=2".to_owned()), "{:?}", f[2]);
    }

    #[test]
    fn dense_features_are_one_row_per_undecided_line() {
        let mut lines = crate::pipeline::clean::text::split_lines(
            "Home\nNews\nThe minister announced a visit to Brussels on Monday.\nShare on Facebook\nPrice: $19.99",
        );
        lines[3].kind = Some(Kind::Share);
        let region = vec![false, false, true, true, true];
        let undecided = undecided(&lines);
        let (p1, p2) = ([0.1, 0.2, 0.9, 0.6], [0.15, 0.25, 0.95, 0.5]);
        let x = dense_features(&lines, &region, &undecided, &p1, &p2);
        assert_eq!(x.len(), 4 * DENSE);
        let row = |k: usize| &x[k * DENSE..(k + 1) * DENSE];
        // Own probabilities first, then neighbours (-1 past the edges).
        assert_eq!(&row(2)[..2], &[0.9, 0.95]);
        assert_eq!(row(0)[3], -1.0, "no line before the first");
        assert_eq!(row(2)[4], 0.6, "the next undecided line skips the share bar");
        // The share bar the rules removed is a gap of one line after line 2.
        assert_eq!(row(2)[39], 1.0);
        // The price line is marked, the page counts one price line.
        assert_eq!(row(3)[40], 1.0);
        assert_eq!(row(3)[43], 1.0);
        assert!(x.iter().all(|v| v.is_finite()));
        // A boosted model turns them into probabilities, one per line.
        let tree = Tree {
            splits: vec![(0, 0.5)],
            leaves: vec![-1.0, 1.0],
        };
        let m = LineModel::new(HashMap::new(), 0.0, 0.5, 0.0).with_boost(vec![tree]);
        assert!((m.boost_probability(0.5, row(2)) - sigmoid(1.0)).abs() < 1e-6);
        assert!((m.boost_probability(0.5, row(0)) - sigmoid(-1.0)).abs() < 1e-6);
    }

    #[test]
    fn a_tree_routes_rows_and_reads_back() {
        // Depth 2: the root splits on feature 3, its left child does not split.
        let tree = Tree {
            splits: vec![(3, 2.0), (NO_SPLIT, 0.0), (1, 0.5)],
            leaves: vec![0.1, 0.2, 0.3, 0.4],
        };
        let mut x = [0f32; DENSE];
        assert_eq!(tree.value(&x), 0.1);
        x[3] = 2.0;
        assert_eq!(tree.value(&x), 0.3);
        x[1] = 0.7;
        assert_eq!(tree.value(&x), 0.4);
        assert_eq!(
            Tree::from_line(tree.to_line().strip_prefix("!tree\t").unwrap()).unwrap(),
            tree
        );
        assert!(Tree::from_line("0:1 0.5").is_err(), "a split needs two leaves");
        assert!(Tree::from_line("999:1 0.5 0.5").is_err(), "feature out of range");
    }

    #[test]
    fn page_types_cross_the_stacked_pass_and_shift_the_threshold() {
        let items = crate::pipeline::clean::text::split_lines(
            "Reply\nQuote\nJoined: 2019\nThe minister spoke at length about the visit.\nReply",
        );
        let pf = page_type_features(&items);
        assert!(pf.contains(&"pw=reply".to_owned()), "{pf:?}");
        assert!(pf.iter().any(|f| f.starts_with("h_wc0=")));
        assert!(pf.iter().any(|f| f.starts_with("pg_cue=")));
        // A classifier that calls every page with "reply" a forum.
        let mut classifier = vec![(HashMap::new(), -3.0f32); PAGE_TYPES.len()];
        let forum = type_index("forum").unwrap();
        classifier[forum].0.insert("pw=reply".to_owned(), 6.0);
        let mut thresholds = [None; PAGE_TYPES.len()];
        thresholds[forum] = Some(0.25);
        let mut stack = HashMap::new();
        stack.insert("@bias".to_owned(), 0.0f32);
        let m = LineModel::new(HashMap::new(), 0.0, 0.4, 0.0)
            .with_stack(stack, 0.0)
            .with_page_types(classifier, thresholds);
        let q = m.page_type_distribution(&pf);
        assert_eq!(argmax(&q), forum);
        assert!((q.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        // The forum's crosses reach the stacked pass's features.
        let region = vec![false; items.len()];
        let undecided: Vec<usize> = (0..items.len()).collect();
        let f = stack_features(&items, &region, &undecided, &[0.5; 5], Some(&q), false);
        assert!(f[3].contains(&"@tyP_forum!&p=5".to_owned()), "{:?}", f[3]);
        assert!(f[3]
            .iter()
            .all(|n| !(n.starts_with("@ty") && n.contains("article"))));
        // Every line's stacked probability is 0.5; the forum's threshold
        // 0.25 (under the global 0.4) is applied as a log-odds shift, so
        // decoding at 0.4 keeps what decoding at 0.25 would.
        let p = m.scores(&items, &region, &undecided);
        let expected = sigmoid(logit(0.4) - logit(0.25));
        assert!(p.iter().all(|v| (v - expected).abs() < 1e-5), "{p:?}");
        assert!(expected > 0.4);
        // The file keeps the classifier and the per-type threshold.
        let back = LineModel::from_gz(&m.to_gz().unwrap()).unwrap();
        assert!(back.has_page_types());
        assert_eq!(back.type_threshold[forum], Some(0.25));
        assert_eq!(back.page_type_distribution(&pf), q);
        assert!(
            LineModel::from_gz(&{
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                gz.write_all(b"%blog|pw=x\t1\n").unwrap();
                gz.finish().unwrap()
            })
            .is_err(),
            "an unknown page type is an error"
        );
    }

    #[test]
    fn shipped_model_parses() {
        // Empty before the first training run, a few thousand features after.
        let m = LineModel::from_gz(SHIPPED).unwrap();
        assert!(m.threshold > 0.0 && m.threshold < 1.0);
    }
}
