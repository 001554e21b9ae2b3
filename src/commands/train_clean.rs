//! `newsflow train clean`: trains the line model of the scraped-text path
//! ([`crate::pipeline::clean::model`]) on WCXB dev and writes the file the
//! binary embeds (`data/boilerplate/line-model.tsv.gz`).
//!
//! Split: pages whose numeric id is a multiple of 5 are held out (never
//! trained on, never used to choose anything); the model is trained on the
//! other four fifths, its threshold and switch cost chosen on them, and the
//! held-out fifth is scored at the end (word F1 as `eval clean --text
//! --split heldout`).
//!
//! Steps: (1) the line pass is trained K times, each time without one fold
//! of the training pages, to score that fold (cross-fitting: every training
//! page gets first-pass probabilities from a model that did not see it, as
//! an unseen page would), then once on all training pages (the shipped
//! line pass); (2) the stacked pass is trained on the cross-fitted
//! probabilities; (2b) the boosted pass (trees over dense features, see
//! `train_boost`) on cross-fitted probabilities of both passes, itself
//! cross-fitted so that the decoding is chosen on honest scores; (3) the
//! decoding threshold and switch cost are chosen by
//! the training pages' word F1, computed through the same steps as
//! `clean_text` (title, labels, comment tail).
//!
//! Labels: each line of a page's visible text is main text when its words
//! occur, in order, in the ground truth's `main_content`: lines of four
//! words or more anywhere in it, shorter lines only just after the previous
//! matched line (a menu item "Home" is not content because the word occurs
//! somewhere in the article). Reproducible: fixed epochs, a fixed-seed
//! shuffle, weights rounded; the same corpus gives the same bytes.

use crate::commands::eval_clean::{is_heldout, load_pages, Page};
use crate::pipeline::clean::model::{
    self, argmax, dense_features, logit, normalise, page_features, page_type_features, stack_features,
    type_index, Families, LineModel, Tree, DENSE, NO_SPLIT, PAGE_TYPES, VOCAB_FAMILIES,
};
use crate::pipeline::clean::{self, eval, text};
use anyhow::Context;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// WCXB-layout directory (html/ + ground-truth/).
    #[arg(default_value = "../shared/corpora/boilerplate/wcxb-dev")]
    pub dir: PathBuf,
    /// Where to write the gzipped model.
    #[arg(long, default_value = "data/boilerplate/line-model.tsv.gz")]
    pub out: PathBuf,
    /// Passes over the training lines.
    #[arg(long, default_value_t = 8)]
    pub epochs: usize,
    /// L2 regularisation per update.
    #[arg(long, default_value_t = 1e-6)]
    pub l2: f32,
    /// Features whose |weight| ends below this are pruned from the file.
    #[arg(long, default_value_t = 0.02)]
    pub min_weight: f32,
    /// Features seen on fewer training pages than this are dropped (6 beat
    /// 3 on the training pages, 0.8154 vs 0.8142, with 42 % fewer features).
    #[arg(long, default_value_t = 6)]
    pub min_pages: usize,
    /// The same for the line pass's vocabulary families of session 9
    /// (`wx=` words of long lines past the first 30, `bg=` bigrams, `nb=`
    /// the neighbouring lines' words): they are many and mostly site
    /// vocabulary, so they may need more pages than the other features.
    #[arg(long, default_value_t = 6)]
    pub vocab_min_pages: usize,
    /// Session 9's optional feature families (comma-separated): `vocab`
    /// (the line pass's words of long lines past the first 30, bigrams of
    /// every line, the neighbouring lines' words pooled and per side),
    /// `tail-line` and `tail-stack` (comment/thread chrome and dates within
    /// three lines, body words after the line, repeated title + blurb
    /// teasers, in the line pass or crossed with its probability in the
    /// stacked pass). None by default: each gained at most +0.27 on the
    /// cross-fitted training pages and lost on the held-out fifth
    /// (docs/clean.md, "Session 9"); the default rebuilds the shipped file.
    /// `--drop` selects inside a family (`nb=`, `np=`, `@tcue`, ...).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub families: Vec<Family>,
    /// Folds for cross-fitting the line pass (the stacked pass learns from
    /// probabilities of pages the line pass did not see); 0: no stacked pass.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// How much each training line counts: `words` (its word weight: the
    /// metric is over words), `sqrt` (its square root), `line` (1) or
    /// `page` (its share of the page's words: the metric is a mean over
    /// pages, so each page counts about equally).
    #[arg(long, value_enum, default_value_t = Weighting::Page)]
    pub weighting: Weighting,
    /// Feature-name prefixes to leave out of both passes (comma-separated,
    /// e.g. `pg_,@grp`), for ablations without a rebuild: a feature the
    /// model file lacks weighs 0 at inference.
    #[arg(long, value_delimiter = ',')]
    pub drop: Vec<String>,
    /// Trees of the boosted pass (gradient-boosted regression trees over
    /// dense context and page features, on top of the stacked pass's
    /// log-odds; cross-fitted like the other passes); 0: no boosted pass.
    /// The default (0) reproduces the shipped model: every boosted variant
    /// gained on the cross-fitted training pages but lost on the held-out
    /// fifth, in HTML fallback and on Readability's pages (docs/clean.md,
    /// "Session 5 variants"); `--trees 250` gives variant b5.
    #[arg(long, default_value_t = 0)]
    pub trees: usize,
    /// Depth of each tree.
    #[arg(long, default_value_t = 5)]
    pub depth: usize,
    /// Learning rate (shrinkage) of the boosted pass.
    #[arg(long, default_value_t = 0.1)]
    pub eta: f32,
    /// L2 regularisation of the leaf values (in loss-weight units: a page weighs 100).
    #[arg(long, default_value_t = 100.0)]
    pub lambda: f64,
    /// Least hessian mass in a leaf (in loss-weight units; a page's lines
    /// hold at most 25, so 200 spans several pages: with 5, leaves isolated
    /// single pages through their page-level features and the trees
    /// overfit, 0.8080 vs 0.8100 cross-fitted).
    #[arg(long, default_value_t = 200.0)]
    pub min_hess: f64,
    /// Share of the training lines each tree sees.
    #[arg(long, default_value_t = 0.5)]
    pub subsample: f32,
    /// Worker threads for feature extraction and scoring (default: one per core).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Which training pages form each cross-fitting fold: 0 (the default)
    /// takes page k into fold k mod K; any other value shuffles the pages
    /// with that seed first. Rerunning with a few seeds puts an error bar
    /// on the cross-fitted train-pages F1.
    #[arg(long, default_value_t = 0)]
    pub fold_seed: u64,
    /// Which probabilities of the training pages choose the decoding
    /// threshold and switch cost: `in-sample` (the stacked pass scored on
    /// the pages it was fitted on, as sessions 3-5 did) or `cross-fitted`
    /// (each page scored by a stacked pass fitted without its fold, as an
    /// unseen page is). Cross-fitted is the default since session 8: the
    /// in-sample grid is optimistic and near-flat, so after a small rule
    /// change it flipped the switch cost (5 → 2) on a 0.0000 margin, while
    /// the cross-fitted grid's choice held (threshold 0.35, switch cost 5).
    #[arg(long, value_enum, default_value_t = ChooseOn::CrossFitted)]
    pub choose_on: ChooseOn,
    /// Train a page-type classifier on WCXB's own labels
    /// (`_internal.page_type.primary`), cross-fitted, and cross its
    /// predicted distribution with the stacked pass's main features.
    #[arg(long)]
    pub page_types: bool,
    /// With `--page-types`: a decoding threshold per predicted page type,
    /// chosen on the training pages' cross-fitted probabilities.
    #[arg(long)]
    pub type_thresholds: bool,
    /// Do not score the held-out fifth (for reruns of one variant with
    /// other fold seeds: the held-out fifth is scored once per variant).
    #[arg(long)]
    pub skip_heldout: bool,
    /// Ship the mean of the K fold fits' weights for the line pass and the
    /// stacked pass instead of one fit on all training pages: the stacked
    /// pass and the decoding are learnt on fold models' probabilities, so
    /// at run time their inputs come from the same kind of model.
    #[arg(long)]
    pub average_folds: bool,
    /// Train nothing: score this model file on the held-out fifth (word
    /// P/R/F1 of `clean_text`, as `eval clean --text --split heldout` gives
    /// for an embedded model) and exit. For scoring a finished variant once
    /// without rebuilding the binary.
    #[arg(long, value_name = "MODEL")]
    pub score: Option<PathBuf>,
    /// Renderings of each training page's visible text to train on
    /// (comma-separated): `blocks` (ours, `html_to_text`: one block element
    /// per line; always used, and the only one that chooses the decoding and
    /// gives the train-pages F1) and `nodes` (every text node on its own
    /// line, as BeautifulSoup's `get_text("\n")`: links and bold words
    /// break paragraphs). A page's renderings share a cross-fitting fold.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "blocks")]
    pub renderings: Vec<Rendering>,
    /// Loss weight of an extra rendering's lines relative to the page's own
    /// rendering (0: not trained on, only scored out of fold, to measure the
    /// model on that rendering of the training pages).
    #[arg(long, default_value_t = 1.0)]
    pub rendering_weight: f32,
    /// Merge each page's fragment lines (a line that continues the one
    /// before it: `model::merge_fragments`) before training and scoring;
    /// the model file then says so (`#merge`) and `clean_text` merges too.
    #[arg(long)]
    pub merge_fragments: bool,
    /// Diagnostics: write the training pages' cross-fitted verdicts at the
    /// chosen decoding to `PREFIX.pages.tsv` (one row per page: WCXB page
    /// type, P/R/F1, how the page was decided, words kept and dropped by
    /// label) and `PREFIX.lines.tsv` (one row per line: label, final
    /// probability, kept, kind, words, text), for the error budget in
    /// docs/clean.md. The model file is unchanged.
    #[arg(long, value_name = "PREFIX")]
    pub dump: Option<PathBuf>,
}

/// An optional feature family (see `--families`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Family {
    Vocab,
    TailLine,
    TailStack,
}

/// The families asked for, as the model module's flags.
fn families_of(list: &[Family]) -> Families {
    Families {
        vocab: list.contains(&Family::Vocab),
        tail_line: list.contains(&Family::TailLine),
        tail_stack: list.contains(&Family::TailStack),
    }
}

/// A way to render a page's visible text (see `--renderings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Rendering {
    Blocks,
    Nodes,
}

/// Which probabilities choose the decoding (see `--choose-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ChooseOn {
    InSample,
    CrossFitted,
}

/// How much each training line counts in the loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Weighting {
    Line,
    Sqrt,
    Words,
    Page,
}

/// One page's lines, ready for training and scoring.
struct Prepared {
    id: String,
    heldout: bool,
    /// The extra rendering this is (`None`: the page's own rendering, which
    /// alone chooses the decoding and is scored).
    extra: Option<Rendering>,
    visible: String,
    truth: String,
    /// The truth's word multiset and its size, for fast scoring.
    truth_bag: HashMap<String, usize>,
    truth_words: usize,
    /// The page's lines, judged by the phrase rules.
    lines: Vec<text::Line>,
    region: Vec<bool>,
    /// Indices of the lines the rules left alone (the model's examples).
    undecided: Vec<usize>,
    /// Line-pass features of each undecided line (names, then interned).
    names: Vec<Vec<String>>,
    ids: Vec<Vec<u32>>,
    labels: Vec<bool>,
    /// Loss weight of each undecided line.
    weights: Vec<f32>,
    /// The lines labelled main text that the rules leave alone: the best a
    /// line model could keep (its score is the ceiling printed by `train`).
    oracle: String,
    /// Features of the page-type classifier.
    type_names: Vec<String>,
}

/// Lower-cased words of `s` joined by single spaces, padded with spaces.
fn padded_words(s: &str) -> String {
    format!(" {} ", eval::words(s).join(" "))
}

/// Whether each line is main text according to the ground truth (see the
/// module doc).
pub fn label_lines(lines: &[text::Line], truth: &str) -> Vec<bool> {
    let t = padded_words(truth);
    let mut cursor = 0usize;
    lines
        .iter()
        .map(|l| {
            let w = eval::words(&l.clean);
            if w.is_empty() {
                return false;
            }
            let needle = format!(" {} ", w.join(" "));
            if w.len() >= 4 {
                let found = t[cursor..]
                    .find(&needle)
                    .map(|p| p + cursor)
                    .or_else(|| t.find(&needle));
                if let Some(p) = found {
                    cursor = p + needle.len() - 1;
                    return true;
                }
                false
            } else {
                let window_end = (cursor + 300).min(t.len());
                let mut end = window_end;
                while !t.is_char_boundary(end) {
                    end += 1;
                }
                match t[cursor..end].find(&needle) {
                    // Before the first match only the truth's very start counts.
                    Some(p) if cursor > 0 || p == 0 => {
                        cursor += p + needle.len() - 1;
                        true
                    }
                    _ => false,
                }
            }
        })
        .collect()
}

fn prepare(
    page: &Page,
    weighting: Weighting,
    extra: Option<Rendering>,
    merge: bool,
    families: Families,
) -> Prepared {
    let visible = match extra {
        None | Some(Rendering::Blocks) => clean::html_to_text(&page.html),
        Some(Rendering::Nodes) => clean::html::html_to_text_nodes(&page.html),
    };
    let mut merging = LineModel::default();
    merging.merge_fragments = merge;
    let mut lines = model::model_lines(text::split_lines(&visible), Some(&merging));
    text::judge_rules(&mut lines);
    let region = text::region_keep(&lines);
    let all_labels = label_lines(&lines, &page.truth);
    let mut feats = page_features(&lines, &region, families);
    let oracle = lines
        .iter()
        .zip(&all_labels)
        .filter(|(l, y)| **y && l.kind.is_none())
        .map(|(l, _)| l.clean.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let undecided = model::undecided(&lines);
    let names = undecided.iter().map(|&i| std::mem::take(&mut feats[i])).collect();
    let labels = undecided.iter().map(|&i| all_labels[i]).collect();
    let page_words: f32 = undecided
        .iter()
        .map(|&i| text::word_weight(&lines[i].norm).max(1.0) as f32)
        .sum();
    let weights = undecided
        .iter()
        .map(|&i| {
            let w = text::word_weight(&lines[i].norm).max(1.0) as f32;
            match weighting {
                Weighting::Line => 1.0,
                Weighting::Sqrt => w.sqrt(),
                Weighting::Words => w,
                // 100 words' worth per page, as many as a typical page's
                // lines weigh under `sqrt`.
                Weighting::Page => 100.0 * w / page_words.max(1.0),
            }
        })
        .collect();
    // The same judged lines `LineModel::scores` sees at run time.
    let type_names = page_type_features(&lines);
    let truth_words = eval::words(&page.truth);
    let mut truth_bag = HashMap::new();
    for w in &truth_words {
        *truth_bag.entry(w.clone()).or_default() += 1;
    }
    Prepared {
        id: page.id.clone(),
        heldout: is_heldout(&page.id),
        extra,
        visible,
        truth: page.truth.clone(),
        truth_bag,
        truth_words: truth_words.len(),
        lines,
        region,
        undecided,
        names,
        ids: Vec::new(),
        labels,
        weights,
        oracle,
        type_names,
    }
}

/// WCXB's page type of each page (`_internal.page_type.primary` in
/// `DIR/ground-truth/ID.json`), as an index into `PAGE_TYPES`; `None` when
/// the file has none or an unknown one.
fn read_page_type(dir: &std::path::Path, id: &str) -> Option<usize> {
    let text = std::fs::read_to_string(dir.join("ground-truth").join(format!("{id}.json"))).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    type_index(v.pointer("/_internal/page_type/primary")?.as_str()?)
}

/// The fold of each of `n` training pages: page k in fold k mod `folds`
/// for seed 0, else the same after a seeded shuffle.
fn assign_folds(n: usize, folds: usize, seed: u64) -> Vec<usize> {
    if seed == 0 {
        return (0..n).map(|k| k % folds).collect();
    }
    let mut order: Vec<usize> = (0..n).collect();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let mut fold_of = vec![0; n];
    for (rank, &k) in order.iter().enumerate() {
        fold_of[k] = rank % folds;
    }
    fold_of
}

/// `f` over `items` on `jobs` threads, results in input order (also
/// `train clean-html`'s).
pub(crate) fn parallel<T: Sync, R: Send>(items: &[T], jobs: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let chunk = items.len().div_ceil(jobs).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("training worker panicked"))
            .collect()
    })
}

/// Feature names to dense ids.
#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn intern(&mut self, name: String) -> u32 {
        if let Some(&id) = self.ids.get(&name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.clone());
        self.ids.insert(name, id);
        id
    }
}

/// One training example: feature ids, label, loss weight.
pub(crate) type Example<'a> = (&'a [u32], bool, f32);

/// The line model's AdaGrad learning rate.
const RATE: f32 = 0.2;

/// Weighted logistic regression with AdaGrad over interned features (also
/// `train clean-html`'s combiner, at its own `rate`).
pub(crate) fn fit(
    examples: &[Example],
    n_features: usize,
    epochs: usize,
    l2: f32,
    rate: f32,
) -> (Vec<f32>, f32) {
    let mut w = vec![0f32; n_features];
    let mut g2 = vec![1e-8f32; n_features];
    let mut bias = 0f32;
    let mut bias_g2 = 1e-8f32;
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..epochs {
        // Fisher-Yates with a fixed-seed xorshift: reproducible.
        for i in (1..order.len()).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            order.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        for &k in &order {
            let (f, y, weight) = examples[k];
            let z = bias + f.iter().map(|&i| w[i as usize]).sum::<f32>();
            let p = 1.0 / (1.0 + (-z).exp());
            let g = weight * (p - if y { 1.0 } else { 0.0 });
            for &i in f {
                let i = i as usize;
                let gi = g + l2 * w[i];
                g2[i] += gi * gi;
                w[i] -= rate * gi / g2[i].sqrt();
            }
            bias_g2 += g * g;
            bias -= rate * g / bias_g2.sqrt();
        }
    }
    (w, bias)
}

/// Settings of the boosted pass's gradient-boosted trees.
#[derive(Debug, Clone, Copy)]
struct BoostParams {
    trees: usize,
    depth: usize,
    eta: f32,
    lambda: f64,
    min_hess: f64,
    subsample: f32,
}

/// Most bins per dense feature (quantile edges).
const BINS: usize = 64;

/// Quantile bin edges of each dense feature, from every 7th row of `x`
/// (`DENSE` values per row): at most `BINS - 1` distinct edges each.
fn bin_edges(x: &[f32]) -> Vec<Vec<f32>> {
    let rows = x.len() / DENSE;
    (0..DENSE)
        .map(|f| {
            let mut v: Vec<f32> = (0..rows).step_by(7).map(|r| x[r * DENSE + f]).collect();
            v.sort_by(f32::total_cmp);
            v.dedup();
            if v.len() < BINS {
                // Few distinct values: split between each pair (the first
                // value is the minimum, no edge needed below it).
                return v.into_iter().skip(1).collect();
            }
            let mut edges: Vec<f32> = (1..BINS).map(|q| v[q * v.len() / BINS]).collect();
            edges.dedup();
            edges
        })
        .collect()
}

/// Bin index of each value: the number of edges at or below it.
fn to_bins(x: &[f32], edges: &[Vec<f32>]) -> Vec<u8> {
    x.chunks_exact(DENSE)
        .flat_map(|row| {
            row.iter()
                .zip(edges)
                .map(|(v, e)| e.partition_point(|t| t <= v) as u8)
        })
        .collect()
}

/// Gradient-boosted regression trees on the logistic loss, each tree
/// fitted by Newton steps on histograms (second-order gains), rows
/// subsampled per tree with a fixed-seed generator, starting from the
/// margins `base`. `x` and `bins` hold `DENSE` values per row.
fn fit_boost(
    x: &[f32],
    bins: &[u8],
    edges: &[Vec<f32>],
    base: &[f32],
    labels: &[bool],
    weights: &[f32],
    params: BoostParams,
) -> Vec<Tree> {
    let n = base.len();
    let mut margin = base.to_vec();
    let mut trees = Vec::with_capacity(params.trees);
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let n_splits = (1usize << params.depth) - 1;
    let mut hist = vec![(0f64, 0f64); DENSE * BINS];
    let mut g = vec![0f64; n];
    let mut h = vec![0f64; n];
    for _ in 0..params.trees {
        for r in 0..n {
            let p = 1.0 / (1.0 + (-margin[r] as f64).exp());
            let w = weights[r] as f64;
            g[r] = w * (p - if labels[r] { 1.0 } else { 0.0 });
            h[r] = (w * p * (1.0 - p)).max(1e-9);
        }
        let threshold = (params.subsample as f64 * u32::MAX as f64) as u64;
        let sample: Vec<u32> = (0..n as u32)
            .filter(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed & 0xFFFF_FFFF) <= threshold
            })
            .collect();
        let mut splits = vec![(NO_SPLIT, 0f32); n_splits];
        let mut level: Vec<Vec<u32>> = vec![sample];
        for d in 0..params.depth {
            let mut next = Vec::with_capacity(level.len() * 2);
            for (j, rows) in level.into_iter().enumerate() {
                let node = (1usize << d) - 1 + j;
                hist.iter_mut().for_each(|c| *c = (0.0, 0.0));
                let (mut gs, mut hs) = (0f64, 0f64);
                for &r in &rows {
                    let r = r as usize;
                    let (gr, hr) = (g[r], h[r]);
                    gs += gr;
                    hs += hr;
                    for (f, &b) in bins[r * DENSE..(r + 1) * DENSE].iter().enumerate() {
                        let c = &mut hist[f * BINS + b as usize];
                        c.0 += gr;
                        c.1 += hr;
                    }
                }
                let parent = gs * gs / (hs + params.lambda);
                let mut best = (0f64, 0usize, 0usize);
                for f in 0..DENSE {
                    let (mut gl, mut hl) = (0f64, 0f64);
                    for s in 1..=edges[f].len() {
                        let c = hist[f * BINS + s - 1];
                        gl += c.0;
                        hl += c.1;
                        let (gr, hr) = (gs - gl, hs - hl);
                        if hl < params.min_hess || hr < params.min_hess {
                            continue;
                        }
                        let gain = gl * gl / (hl + params.lambda) + gr * gr / (hr + params.lambda) - parent;
                        if gain > best.0 {
                            best = (gain, f, s);
                        }
                    }
                }
                if best.0 > 1e-9 {
                    let (f, s) = (best.1, best.2);
                    splits[node] = (f as u16, edges[f][s - 1]);
                    let (left, right): (Vec<u32>, Vec<u32>) = rows
                        .into_iter()
                        .partition(|&r| (bins[r as usize * DENSE + f] as usize) < s);
                    next.push(left);
                    next.push(right);
                } else {
                    next.push(rows);
                    next.push(Vec::new());
                }
            }
            level = next;
        }
        let leaves: Vec<f32> = level
            .iter()
            .map(|rows| {
                let gs: f64 = rows.iter().map(|&r| g[r as usize]).sum();
                let hs: f64 = rows.iter().map(|&r| h[r as usize]).sum();
                let v = -params.eta as f64 * gs / (hs + params.lambda);
                ((v * 1e4).round() / 1e4) as f32
            })
            .collect();
        let tree = Tree { splits, leaves };
        for (r, m) in margin.iter_mut().enumerate() {
            *m += tree.value(&x[r * DENSE..(r + 1) * DENSE]);
        }
        trees.push(tree);
    }
    trees
}

/// Trains the boosted pass on the cross-fitted probabilities of both
/// earlier passes (`oof`, `p2_oof`: each training page scored by passes
/// fitted without its fold, as on an unseen page): the dense features are
/// built from them, then the trees are fitted once per fold (to score the
/// pages left out, for choosing the decoding honestly) and once on all
/// training pages (the shipped trees). Returns the shipped trees and the
/// cross-fitted boosted probabilities.
fn train_boost(
    trainset: &[&Prepared],
    oof: &[Vec<f32>],
    p2_oof: &[Vec<f32>],
    fold_of: &[usize],
    folds: usize,
    params: BoostParams,
    jobs: usize,
) -> Boosted {
    let index: Vec<usize> = (0..trainset.len()).collect();
    let dense: Vec<Vec<f32>> = parallel(&index, jobs, |&k| {
        let p = trainset[k];
        dense_features(&p.lines, &p.region, &p.undecided, &oof[k], &p2_oof[k])
    });
    let all_x: Vec<f32> = dense.iter().flatten().copied().collect();
    let edges = bin_edges(&all_x);
    drop(all_x);
    // Rows of the pages `pick` selects, flattened.
    let rows = |pick: &dyn Fn(usize) -> bool| {
        let mut x = Vec::new();
        let mut base = Vec::new();
        let mut labels = Vec::new();
        let mut weights = Vec::new();
        for k in (0..trainset.len()).filter(|&k| pick(k)) {
            x.extend_from_slice(&dense[k]);
            base.extend(p2_oof[k].iter().map(|&q| logit(q)));
            labels.extend_from_slice(&trainset[k].labels);
            weights.extend_from_slice(&trainset[k].weights);
        }
        let bins = to_bins(&x, &edges);
        (x, bins, base, labels, weights)
    };
    // Fold `folds` is "all pages": the shipped trees.
    let runs: Vec<usize> = (0..=folds).collect();
    let fitted: Vec<Vec<Tree>> = parallel(&runs, jobs.min(runs.len()), |&fold| {
        let (x, bins, base, labels, weights) = rows(&|k| fold == folds || fold_of[k] != fold);
        fit_boost(&x, &bins, &edges, &base, &labels, &weights, params)
    });
    let mut p3 = vec![Vec::new(); trainset.len()];
    for (k, probs) in p3.iter_mut().enumerate() {
        let trees = &fitted[fold_of[k]];
        *probs = dense[k]
            .chunks_exact(DENSE)
            .zip(&p2_oof[k])
            .map(|(x, &q)| {
                let z = logit(q) + trees.iter().map(|t| t.value(x)).sum::<f32>();
                1.0 / (1.0 + (-z).exp())
            })
            .collect();
    }
    let trees = fitted.into_iter().nth(folds).expect("the all-pages fit");
    Boosted { trees, p3 }
}

/// What [`train_boost`] returns.
struct Boosted {
    /// The shipped trees (fitted on all training pages).
    trees: Vec<Tree>,
    /// Cross-fitted boosted-pass probabilities of each training page.
    p3: Vec<Vec<f32>>,
}

/// `acc += scale × (w, b)`: for the mean of the fold fits.
/// One logistic pass cross-fitted over `folds` (`fold_of[k]` is page `k`'s
/// fold): each training page's line probabilities from the model fitted
/// without its fold, and the mean of the fold models (what
/// `--average-folds` ships). The line pass and the stacked pass both go
/// through here, so their out-of-fold numbers are computed the same way.
fn cross_fit(
    trainset: &[&Prepared],
    feats: &[Vec<Vec<u32>>],
    fold_of: &[usize],
    folds: usize,
    n_features: usize,
    args: &Args,
) -> (Vec<Vec<f32>>, (Vec<f32>, f32)) {
    let mut oof: Vec<Vec<f32>> = vec![Vec::new(); trainset.len()];
    let mut mean = (vec![0f32; n_features], 0f32);
    for fold in 0..folds {
        let (inside, outside): (Vec<usize>, Vec<usize>) =
            (0..trainset.len()).partition(|&k| fold_of[k] != fold);
        let pages: Vec<&Prepared> = inside.iter().map(|&k| trainset[k]).collect();
        let fold_feats: Vec<Vec<Vec<u32>>> = inside.iter().map(|&k| feats[k].clone()).collect();
        let (w, b) = fit(
            &examples(&pages, &fold_feats),
            n_features,
            args.epochs,
            args.l2,
            RATE,
        );
        for k in outside {
            oof[k] = feats[k].iter().map(|ids| predict(&w, b, ids)).collect();
        }
        add_scaled(&mut mean, &w, b, 1.0 / folds as f32);
    }
    (oof, mean)
}

fn add_scaled(acc: &mut (Vec<f32>, f32), w: &[f32], b: f32, scale: f32) {
    for (a, v) in acc.0.iter_mut().zip(w) {
        *a += scale * v;
    }
    acc.1 += scale * b;
}

fn predict(w: &[f32], bias: f32, ids: &[u32]) -> f32 {
    let z = bias + ids.iter().map(|&i| w[i as usize]).sum::<f32>();
    1.0 / (1.0 + (-z).exp())
}

/// The examples of `pages` with their features from `feats`.
fn examples<'a>(pages: &[&'a Prepared], feats: &'a [Vec<Vec<u32>>]) -> Vec<Example<'a>> {
    pages
        .iter()
        .zip(feats)
        .flat_map(|(p, f)| {
            f.iter()
                .zip(&p.labels)
                .zip(&p.weights)
                .filter(|(_, &w)| w > 0.0)
                .map(|((ids, &y), &w)| (ids.as_slice(), y, w))
        })
        .collect()
}

/// Weights rounded to 1/1000, pruned below `min_weight`, by name.
fn named(names: &[String], w: &[f32], min_weight: f32) -> HashMap<String, f32> {
    names
        .iter()
        .zip(w)
        .filter_map(|(name, &v)| {
            let v = (v * 1000.0).round() / 1000.0;
            (v.abs() >= min_weight).then(|| (name.clone(), v))
        })
        .collect()
}

/// Word P/R/F1 of one page when its undecided lines have probabilities
/// `p`, decoded with `threshold` and `switch_cost`, through the same steps
/// as `clean_text` (the `MIN_LINES` gate, title, labels, comment tail).
fn page_score(page: &Prepared, p: &[f32], threshold: f32, switch_cost: f32) -> eval::Prf {
    page_score_with(page, p, threshold, switch_cost, model::STEPS, model::MIN_LINES)
}

/// [`page_score`] with a choice of position rules and of the line-count
/// gate below which the region heuristic decides (for the ablations).
fn page_score_with(
    page: &Prepared,
    p: &[f32],
    threshold: f32,
    switch_cost: f32,
    steps: text::Steps,
    min_lines: usize,
) -> eval::Prf {
    let mut lines = page.lines.clone();
    let c = if lines.len() < min_lines || model::body_throughout(&page.lines, &page.region, &page.undecided) {
        text::drop_outside_region(&mut lines, &page.region);
        text::finish(&mut lines, text::Mode::Page, true)
    } else {
        model::apply_scores(&mut lines, &page.undecided, p, threshold, switch_cost);
        text::finish_with(&mut lines, text::Mode::Page, true, steps)
    };
    let body = if c.body.trim().is_empty() {
        model::fallback_body(&mut lines).body
    } else {
        c.body
    };
    fast_prf(&body, page)
}

/// [`eval::word_prf`] of `predicted` against the page's truth, with the
/// truth's words counted once per page instead of once per call.
fn fast_prf(predicted: &str, page: &Prepared) -> eval::Prf {
    let p = eval::words(predicted);
    match (p.is_empty(), page.truth_words == 0) {
        (true, true) => {
            return eval::Prf {
                precision: 1.0,
                recall: 1.0,
                f1: 1.0,
            }
        }
        (true, false) | (false, true) => return eval::Prf::default(),
        _ => {}
    }
    let mut used: HashMap<&str, usize> = HashMap::new();
    let mut overlap = 0usize;
    for w in &p {
        if let Some(&n) = page.truth_bag.get(w) {
            let u = used.entry(w.as_str()).or_default();
            if *u < n {
                *u += 1;
                overlap += 1;
            }
        }
    }
    let precision = overlap as f64 / p.len() as f64;
    let recall = overlap as f64 / page.truth_words as f64;
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    eval::Prf {
        precision,
        recall,
        f1,
    }
}

/// Mean page score over `pages` (with their probabilities) for one setting.
fn grid_point(pages: &[(&Prepared, &Vec<f32>)], threshold: f32, switch_cost: f32, jobs: usize) -> eval::Prf {
    let scores = parallel(pages, jobs, |(p, probs)| {
        page_score(p, probs, threshold, switch_cost)
    });
    let mut mean = eval::MeanPrf::default();
    for s in scores {
        mean.add(s);
    }
    mean.mean()
}

const THRESHOLDS: [f32; 3] = [0.3, 0.35, 0.4];
/// Candidate thresholds per predicted page type.
const TYPE_THRESHOLDS: [f32; 7] = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5];

/// `p` shifted in log-odds so that decoding at `global` decides as
/// decoding at `own` would (as `LineModel::scores` does for a page type
/// with its own threshold).
fn shifted(p: &[f32], global: f32, own: f32) -> Vec<f32> {
    let shift = logit(global) - logit(own);
    p.iter()
        .map(|&q| 1.0 / (1.0 + (-(logit(q) + shift)).exp()))
        .collect()
}

fn argmax_f64(v: &[f64]) -> usize {
    let mut best = 0;
    for (k, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = k;
        }
    }
    best
}

/// The page-type classifier: its shipped weights, and the cross-fitted
/// distributions of the training pages.
struct PageTypes {
    /// Per type of `PAGE_TYPES`: weights by feature name and bias.
    shipped: Vec<(HashMap<String, f32>, f32)>,
    /// Cross-fitted distribution of each training page.
    oof: Vec<[f32; PAGE_TYPES.len()]>,
    /// WCXB's type of each training page.
    truth: Vec<Option<usize>>,
    /// Cross-fitted accuracy of the predicted (most likely) type.
    accuracy: f64,
    n_features: usize,
}

/// Passes of the page-type classifier over the training pages (1,190
/// examples: more passes than the line model's 300,000 lines need).
const TYPE_EPOCHS: usize = 40;

/// Trains the page-type classifier: one-vs-rest logistic regressions over
/// [`page_type_features`] (features on fewer than `--min-pages` training
/// pages dropped), once on all training pages and once per fold.
fn train_page_types(
    trainset: &[&Prepared],
    truth: &[Option<usize>],
    fold_of: &[usize],
    folds: usize,
    args: &Args,
    jobs: usize,
) -> PageTypes {
    let mut lexicon = Interner::default();
    let raw: Vec<Vec<u32>> = trainset
        .iter()
        .map(|p| {
            let mut ids: Vec<u32> = p.type_names.iter().map(|n| lexicon.intern(n.clone())).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        })
        .collect();
    let mut pages_with = vec![0usize; lexicon.names.len()];
    for ids in &raw {
        for &id in ids {
            pages_with[id as usize] += 1;
        }
    }
    let ids: Vec<Vec<u32>> = raw
        .into_iter()
        .map(|v| {
            v.into_iter()
                .filter(|&i| pages_with[i as usize] >= args.min_pages)
                .collect()
        })
        .collect();
    let n = lexicon.names.len();
    let labelled: Vec<usize> = (0..trainset.len()).filter(|&k| truth[k].is_some()).collect();
    // Fits for type `ty` on the labelled pages `pick` selects.
    let fit_type = |ty: usize, pick: &dyn Fn(usize) -> bool| {
        let ex: Vec<Example> = labelled
            .iter()
            .filter(|&&k| pick(k))
            .map(|&k| (ids[k].as_slice(), truth[k] == Some(ty), 1.0))
            .collect();
        fit(&ex, n, TYPE_EPOCHS, args.l2 * 100.0, RATE)
    };
    // Fold `folds` is "all pages": the shipped classifier.
    let runs: Vec<(usize, usize)> = (0..=folds)
        .flat_map(|f| (0..PAGE_TYPES.len()).map(move |t| (f, t)))
        .collect();
    let fitted = parallel(&runs, jobs, |&(fold, ty)| {
        fit_type(ty, &|k| fold == folds || fold_of[k] != fold)
    });
    let mut oof = vec![[0f32; PAGE_TYPES.len()]; trainset.len()];
    for (&(fold, ty), (w, b)) in runs.iter().zip(&fitted) {
        if fold == folds {
            continue;
        }
        for k in (0..trainset.len()).filter(|&k| fold_of[k] == fold) {
            oof[k][ty] = predict(w, *b, &ids[k]);
        }
    }
    for q in &mut oof {
        normalise(q);
    }
    let right = labelled
        .iter()
        .filter(|&&k| truth[k] == Some(argmax(&oof[k])))
        .count();
    let shipped = runs
        .iter()
        .zip(fitted)
        .filter(|((fold, _), _)| *fold == folds)
        .map(|(_, (w, b))| {
            (
                named(&lexicon.names, &w, args.min_weight),
                (b * 1000.0).round() / 1000.0,
            )
        })
        .collect();
    PageTypes {
        shipped,
        oof,
        truth: truth.to_vec(),
        accuracy: right as f64 / labelled.len().max(1) as f64,
        n_features: pages_with.iter().filter(|&&c| c >= args.min_pages).count(),
    }
}
const SWITCH_COSTS: [f32; 3] = [0.0, 2.0, 5.0];

/// The best (threshold, switch cost) on `pages` and its F1.
fn choose_decoding(name: &str, pages: &[(&Prepared, &Vec<f32>)], jobs: usize) -> (f32, f32, f64) {
    let mut best = (0.5f32, 0.0f32, f64::MIN);
    for sc in SWITCH_COSTS {
        let mut row = format!("  {name} switch {sc:>4}:");
        for t in THRESHOLDS {
            let f1 = grid_point(pages, t, sc, jobs).f1;
            row.push_str(&format!(" t{t:.2} {f1:.4}"));
            if f1 > best.2 {
                best = (t, sc, f1);
            }
        }
        println!("{row}");
    }
    best
}

/// Mean word F1 of `clean_text` with `model` over `pages`.
fn mean_f1(pages: &[&Prepared], model: Option<&LineModel>, jobs: usize) -> eval::Prf {
    let scores = parallel(pages, jobs, |p| {
        eval::word_prf(&clean::clean_text_with_model(&p.visible, model).text, &p.truth)
    });
    let mut mean = eval::MeanPrf::default();
    for s in scores {
        mean.add(s);
    }
    mean.mean()
}

/// `--score MODEL`: the model file, already made the shipped one, scored
/// as `eval clean` would score a binary embedding it: on a WCXB-layout
/// directory the held-out fifth, scraped-text path and HTML path; on
/// another layout (Readability's pages) every page, HTML path.
fn score_model(
    path: &std::path::Path,
    dir: &std::path::Path,
    pages: Vec<Page>,
    jobs: usize,
) -> anyhow::Result<()> {
    let wcxb = dir.join("ground-truth").is_dir();
    let pages: Vec<Page> = pages.into_iter().filter(|p| !wcxb || is_heldout(&p.id)).collect();
    let paths: &[bool] = if wcxb { &[true, false] } else { &[false] };
    for &text_path in paths {
        let scores = parallel(&pages, jobs, |p| {
            crate::commands::eval_clean::score_page(p, text_path)
        });
        let mut mean = eval::MeanPrf::default();
        let mut survived = 0;
        for s in &scores {
            mean.add(s.score);
            survived += usize::from(s.comment_form_survived);
        }
        let s = mean.mean();
        println!(
            "{} on {} ({} pages{}), {} path: precision {:.4}  recall {:.4}  F1 {:.4}; pages where comment-form text survived: {survived}",
            path.display(),
            dir.display(),
            pages.len(),
            if wcxb { ", held-out fifth" } else { "" },
            if text_path { "scraped-text" } else { "HTML" },
            s.precision,
            s.recall,
            s.f1
        );
    }
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let jobs = super::jobs(args.jobs);
    if let Some(path) = &args.score {
        // Before anything touches the shipped model.
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let model = LineModel::from_gz(&bytes)
            .with_context(|| format!("{} is not a line model (see `train clean --out`)", path.display()))?;
        LineModel::replace_shipped(model)?;
    }
    anyhow::ensure!(
        args.folds == 0 || args.folds >= 2,
        "--folds must be 0 (no stacked pass) or at least 2"
    );
    let pages = load_pages(&args.dir, None)?;
    if let Some(path) = &args.score {
        return score_model(path, &args.dir, pages, jobs);
    }
    anyhow::ensure!(
        !(args.page_types && args.renderings.iter().any(|r| *r != Rendering::Blocks)),
        "--page-types works on the pages' own rendering only: leave out --renderings"
    );
    let weighting = args.weighting;
    let merge = args.merge_fragments;
    let families = families_of(&args.families);
    let mut prepared = parallel(&pages, jobs, |p| prepare(p, weighting, None, merge, families));
    // Extra renderings of the training pages (never of the held-out fifth).
    let train_pages: Vec<&Page> = pages.iter().filter(|p| !is_heldout(&p.id)).collect();
    let mut extras: Vec<Rendering> = Vec::new();
    for &r in &args.renderings {
        if r != Rendering::Blocks && !extras.contains(&r) {
            extras.push(r);
        }
    }
    for &r in &extras {
        let mut more = parallel(&train_pages, jobs, |p| {
            prepare(p, weighting, Some(r), merge, families)
        });
        for p in &mut more {
            for w in &mut p.weights {
                *w *= args.rendering_weight;
            }
        }
        prepared.extend(more);
    }
    drop(train_pages);
    drop(pages);
    // Intern the training pages' line-pass features; those seen on fewer
    // than `min_pages` training pages are dropped (a word of one site's
    // menu says nothing about the next site).
    let mut lexicon = Interner::default();
    let mut raw_ids: Vec<Vec<Vec<u32>>> = Vec::new();
    for p in prepared.iter_mut().filter(|p| !p.heldout) {
        let names = std::mem::take(&mut p.names);
        raw_ids.push(
            names
                .into_iter()
                .map(|f| f.into_iter().map(|n| lexicon.intern(n)).collect())
                .collect(),
        );
    }
    // Pages, not renderings, are counted: the features of all the trained
    // renderings of one page count once.
    let mut by_page: HashMap<&str, Vec<u32>> = HashMap::new();
    for (p, page) in prepared.iter().filter(|p| !p.heldout).zip(&raw_ids) {
        if p.extra.is_some() && args.rendering_weight <= 0.0 {
            continue;
        }
        by_page
            .entry(p.id.as_str())
            .or_default()
            .extend(page.iter().flatten().copied());
    }
    let mut pages_with = vec![0usize; lexicon.names.len()];
    for on_page in by_page.values_mut() {
        on_page.sort_unstable();
        on_page.dedup();
        for &id in on_page.iter() {
            pages_with[id as usize] += 1;
        }
    }
    drop(by_page);
    let dropped = |name: &str| {
        args.drop
            .iter()
            .any(|d| !d.is_empty() && name.starts_with(d.as_str()))
    };
    let kept = |id: &u32| {
        let name = &lexicon.names[*id as usize];
        let least = if VOCAB_FAMILIES.iter().any(|f| name.starts_with(f)) {
            args.vocab_min_pages
        } else {
            args.min_pages
        };
        pages_with[*id as usize] >= least && !dropped(name)
    };
    for (p, ids) in prepared.iter_mut().filter(|p| !p.heldout).zip(raw_ids) {
        p.ids = ids
            .into_iter()
            .map(|f| f.into_iter().filter(kept).collect())
            .collect();
    }
    let (held, trainset): (Vec<&Prepared>, Vec<&Prepared>) = prepared.iter().partition(|p| p.heldout);
    // The pages' own renderings come first; only they choose and score.
    let n_own = trainset.iter().filter(|p| p.extra.is_none()).count();
    let scoring = &trainset[..n_own];
    let n1 = lexicon.names.len();
    let line_feats: Vec<Vec<Vec<u32>>> = trainset.iter().map(|p| p.ids.clone()).collect();
    let n_lines: usize = trainset.iter().map(|p| p.labels.len()).sum();
    let positives: usize = trainset
        .iter()
        .map(|p| p.labels.iter().filter(|y| **y).count())
        .sum();
    println!(
        "pages: {} train ({} renderings), {} held out (id % 5 == 0); training lines: {} ({} main text), features: {}",
        n_own,
        trainset.len(),
        held.len(),
        n_lines,
        positives,
        pages_with.iter().filter(|&&c| c >= args.min_pages).count()
    );
    // (1) the line pass on all training pages, and cross-fitted.
    let folds = args.folds.max(2);
    let own_folds = assign_folds(n_own, folds, args.fold_seed);
    let fold_by_id: HashMap<&str, usize> = scoring
        .iter()
        .zip(&own_folds)
        .map(|(p, &f)| (p.id.as_str(), f))
        .collect();
    let fold_of: Vec<usize> = trainset.iter().map(|p| fold_by_id[p.id.as_str()]).collect();
    let (oof, mean1) = cross_fit(&trainset, &line_feats, &fold_of, folds, n1, &args);
    let (w1, b1) = if args.average_folds {
        mean1
    } else {
        fit(&examples(&trainset, &line_feats), n1, args.epochs, args.l2, RATE)
    };
    println!(
        "line pass trained ({folds} folds cross-fitted, fold seed {}) at {:.1} s",
        args.fold_seed,
        started.elapsed().as_secs_f64()
    );
    // (1b) the page-type classifier, cross-fitted like the line pass.
    let mut page_types: Option<PageTypes> = None;
    if args.page_types && args.folds > 0 {
        let types: Vec<Option<usize>> = trainset
            .iter()
            .map(|p| read_page_type(&args.dir, &p.id))
            .collect();
        let pt = train_page_types(&trainset, &types, &fold_of, folds, &args, jobs);
        println!(
            "page-type classifier: {} features, cross-fitted accuracy {:.3} on {} labelled pages",
            pt.n_features,
            pt.accuracy,
            types.iter().flatten().count()
        );
        page_types = Some(pt);
    }
    let types_of = |k: usize| page_types.as_ref().map(|t| &t.oof[k]);
    // (2) the stacked pass on the cross-fitted probabilities, fitted on all
    // training pages (shipped) and once per fold (its honest scores).
    let mut stack_lexicon = Interner::default();
    let mut stacked: Option<(Vec<f32>, f32)> = None;
    let mut p2_in: Vec<Vec<f32>> = Vec::new();
    let mut p2_oof: Vec<Vec<f32>> = Vec::new();
    let mut boosted: Option<Boosted> = None;
    if args.folds > 0 {
        let stack_feats: Vec<Vec<Vec<u32>>> = trainset
            .iter()
            .zip(&oof)
            .enumerate()
            .map(|(k, (p, probs))| {
                stack_features(
                    &p.lines,
                    &p.region,
                    &p.undecided,
                    probs,
                    types_of(k),
                    families.tail_stack,
                )
                .into_iter()
                .map(|f| {
                    f.into_iter()
                        .filter(|n| !dropped(n))
                        .map(|n| stack_lexicon.intern(n))
                        .collect()
                })
                .collect()
            })
            .collect();
        let n_stack = stack_lexicon.names.len();
        let (fold_probs, mean2) = cross_fit(&trainset, &stack_feats, &fold_of, folds, n_stack, &args);
        p2_oof = fold_probs;
        let (w2, b2) = if args.average_folds {
            mean2
        } else {
            fit(
                &examples(&trainset, &stack_feats),
                n_stack,
                args.epochs,
                args.l2,
                RATE,
            )
        };
        p2_in = stack_feats
            .iter()
            .map(|page| page.iter().map(|ids| predict(&w2, b2, ids)).collect())
            .collect();
        stacked = Some((w2, b2));
        println!(
            "stacked pass trained ({n_stack} features, {folds} folds cross-fitted) at {:.1} s",
            started.elapsed().as_secs_f64()
        );
        if args.trees > 0 {
            anyhow::ensure!((1..=10).contains(&args.depth), "--depth must be 1 to 10");
            let params = BoostParams {
                trees: args.trees,
                depth: args.depth,
                eta: args.eta,
                lambda: args.lambda,
                min_hess: args.min_hess,
                subsample: args.subsample,
            };
            boosted = Some(train_boost(
                &trainset, &oof, &p2_oof, &fold_of, folds, params, jobs,
            ));
            println!(
                "boosted pass trained ({} trees, depth {}, {folds} folds cross-fitted) at {:.1} s",
                args.trees,
                args.depth,
                started.elapsed().as_secs_f64()
            );
        }
    }
    // (3) decoding, chosen on the training pages.
    let with_oof: Vec<(&Prepared, &Vec<f32>)> = scoring.iter().copied().zip(&oof).collect();
    // The cross-fitted final probabilities: what the train-pages F1 and
    // the ablations report.
    let final_oof: Vec<(&Prepared, &Vec<f32>)> = if let Some(b) = &boosted {
        scoring.iter().copied().zip(&b.p3).collect()
    } else if p2_oof.is_empty() {
        with_oof.clone()
    } else {
        scoring.iter().copied().zip(&p2_oof).collect()
    };
    println!("decoding grid on the training pages (word F1; all passes cross-fitted):");
    if boosted.is_some() {
        let with_p2: Vec<(&Prepared, &Vec<f32>)> = scoring.iter().copied().zip(&p2_oof).collect();
        let stack_only = choose_decoding("stacked  ", &with_p2, jobs);
        println!("  (stacked pass alone, cross-fitted: best {:.4})", stack_only.2);
    }
    let name = match (&boosted, p2_oof.is_empty()) {
        (Some(_), _) => "boosted  ",
        (None, false) => "stacked  ",
        (None, true) => "line pass",
    };
    let best_oof = choose_decoding(name, &final_oof, jobs);
    println!("  (best cross-fitted: {:.4})", best_oof.2);
    let best = if args.choose_on == ChooseOn::InSample && boosted.is_none() && !p2_in.is_empty() {
        println!(
            "decoding grid on the training pages (word F1; stacked pass in-sample, --choose-on in-sample):"
        );
        let with_p2: Vec<(&Prepared, &Vec<f32>)> = scoring.iter().copied().zip(&p2_in).collect();
        let (t, sc, _) = choose_decoding("stacked  ", &with_p2, jobs);
        (t, sc, grid_point(&final_oof, t, sc, jobs).f1)
    } else {
        best_oof
    };
    println!(
        "chosen: threshold {:.2} switch cost {}: train-pages F1 (cross-fitted) {:.4}",
        best.0, best.1, best.2
    );
    // The extra renderings of the training pages, cross-fitted, at the
    // chosen decoding: how the model holds up on other scrapers' text.
    let last = if let Some(b) = &boosted {
        &b.p3
    } else if p2_oof.is_empty() {
        &oof
    } else {
        &p2_oof
    };
    for &r in &extras {
        let pairs: Vec<(&Prepared, &Vec<f32>)> = trainset
            .iter()
            .copied()
            .zip(last)
            .filter(|(p, _)| p.extra == Some(r))
            .collect();
        println!(
            "  {r:?} rendering of the training pages (cross-fitted, same decoding): F1 {:.4}",
            grid_point(&pairs, best.0, best.1, jobs).f1
        );
    }
    // (3b) per-type thresholds, chosen on the cross-fitted probabilities
    // of the pages of each predicted type; their honest estimate chooses
    // each fold's thresholds on the other folds' pages.
    let mut type_threshold = [None; PAGE_TYPES.len()];
    let mut decoded: Vec<Vec<f32>> = final_oof.iter().map(|(_, p)| (*p).clone()).collect();
    if let (true, Some(pt)) = (args.type_thresholds, &page_types) {
        let predicted: Vec<usize> = pt.oof.iter().map(|q| argmax(q)).collect();
        let grid: Vec<Vec<f64>> = parallel(&final_oof, jobs, |(p, probs)| {
            TYPE_THRESHOLDS
                .iter()
                .map(|&t| page_score(p, &shifted(probs, best.0, t), best.0, best.1).f1)
                .collect()
        });
        let choose = |pick: &dyn Fn(usize) -> bool| -> [usize; PAGE_TYPES.len()] {
            let mut chosen = [usize::MAX; PAGE_TYPES.len()];
            for (ty, c) in chosen.iter_mut().enumerate() {
                let mut sums = vec![0f64; TYPE_THRESHOLDS.len()];
                for k in (0..grid.len()).filter(|&k| predicted[k] == ty && pick(k)) {
                    for (s, v) in sums.iter_mut().zip(&grid[k]) {
                        *s += v;
                    }
                }
                let global = TYPE_THRESHOLDS.iter().position(|&t| t == best.0);
                let top = argmax_f64(&sums);
                // Keep the global threshold unless another is strictly better.
                *c = match global {
                    Some(g) if sums[g] >= sums[top] => usize::MAX,
                    _ => top,
                };
            }
            chosen
        };
        let score_with = |k: usize, chosen: &[usize; PAGE_TYPES.len()]| -> f64 {
            match chosen[predicted[k]] {
                usize::MAX => page_score(final_oof[k].0, final_oof[k].1, best.0, best.1).f1,
                j => grid[k][j],
            }
        };
        let mut honest = 0f64;
        for fold in 0..folds {
            let chosen = choose(&|k| fold_of[k] != fold);
            for k in (0..grid.len()).filter(|&k| fold_of[k] == fold) {
                honest += score_with(k, &chosen);
            }
        }
        let chosen = choose(&|_| true);
        let in_sample: f64 = (0..grid.len()).map(|k| score_with(k, &chosen)).sum();
        let n = grid.len().max(1) as f64;
        let mut row = String::from("per-type thresholds:");
        for (ty, &j) in chosen.iter().enumerate() {
            if j != usize::MAX {
                type_threshold[ty] = Some(TYPE_THRESHOLDS[j]);
                row.push_str(&format!(" {}={:.2}", PAGE_TYPES[ty], TYPE_THRESHOLDS[j]));
            }
        }
        println!("{row}");
        println!(
            "  train-pages F1 with per-type thresholds: {:.4} (thresholds chosen on the other folds), {:.4} (chosen on all)",
            honest / n,
            in_sample / n
        );
        for (k, probs) in decoded.iter_mut().enumerate() {
            if let Some(t) = type_threshold[predicted[k]] {
                *probs = shifted(probs, best.0, t);
            }
        }
    }
    let scored: Vec<(&Prepared, &Vec<f32>)> = trainset.iter().copied().zip(&decoded).collect();
    if let Some(pt) = &page_types {
        // Train-pages F1 by WCXB page type (cross-fitted).
        let scores = parallel(&scored, jobs, |(p, probs)| {
            page_score(p, probs, best.0, best.1).f1
        });
        let mut row = String::from("  by page type (cross-fitted):");
        for (ty, name) in PAGE_TYPES.iter().enumerate() {
            let picked: Vec<f64> = (0..scores.len())
                .filter(|&k| pt.truth[k] == Some(ty))
                .map(|k| scores[k])
                .collect();
            if !picked.is_empty() {
                row.push_str(&format!(
                    " {name} {:.3} ({})",
                    picked.iter().sum::<f64>() / picked.len() as f64,
                    picked.len()
                ));
            }
        }
        println!("{row}");
    }
    if let Some(prefix) = &args.dump {
        let own: Vec<(&Prepared, &Vec<f32>)> = scored[..n_own].to_vec();
        dump_verdicts(prefix, &args.dir, &own, best.0, best.1, jobs)?;
    }
    let mean_of = |pages: &[(&Prepared, &Vec<f32>)], switch_cost: f32, steps: text::Steps| {
        let mut mean = eval::MeanPrf::default();
        for s in parallel(pages, jobs, |(p, probs)| {
            page_score_with(p, probs, best.0, switch_cost, steps, model::MIN_LINES)
        }) {
            mean.add(s);
        }
        mean.mean().f1
    };
    // Pages under the `MIN_LINES` gate: the region heuristic decides them;
    // would the model do better there?
    let short: Vec<(&Prepared, &Vec<f32>)> = scored
        .iter()
        .copied()
        .filter(|(p, _)| p.lines.len() < model::MIN_LINES)
        .collect();
    if !short.is_empty() {
        let mean_short = |min_lines: usize| {
            let mut mean = eval::MeanPrf::default();
            for s in parallel(&short, jobs, |(p, probs)| {
                page_score_with(p, probs, best.0, best.1, model::STEPS, min_lines)
            }) {
                mean.add(s);
            }
            mean.mean().f1
        };
        let words: usize = short.iter().map(|(p, _)| p.truth_words).sum();
        let all_words: usize = scoring.iter().map(|p| p.truth_words).sum();
        println!(
            "  pages under {} lines: {} of {} ({} of {} truth words): region heuristic F1 {:.4}, model F1 {:.4}",
            model::MIN_LINES,
            short.len(),
            n_own,
            words,
            all_words,
            mean_short(model::MIN_LINES),
            mean_short(0)
        );
    }
    for (name, pages, switch_cost, steps) in [
        ("line pass only", &with_oof, best.1, model::STEPS),
        ("no decoding (switch cost 0)", &scored, 0.0, model::STEPS),
        ("all position rules", &scored, best.1, text::Steps::ALL),
    ] {
        println!(
            "  ablation {name:<28} train-pages F1 {:.4}",
            mean_of(pages, switch_cost, steps)
        );
    }
    let mut model = LineModel::new(
        named(&lexicon.names, &w1, args.min_weight),
        (b1 * 1000.0).round() / 1000.0,
        best.0,
        best.1,
    );
    if let Some((w2, b2)) = &stacked {
        model = model.with_stack(
            named(&stack_lexicon.names, w2, args.min_weight),
            (b2 * 1000.0).round() / 1000.0,
        );
    }
    if let Some(b) = boosted {
        model = model.with_boost(b.trees);
    }
    if let Some(pt) = page_types {
        model = model.with_page_types(pt.shipped, type_threshold);
    }
    model.merge_fragments = args.merge_fragments;
    if args.skip_heldout {
        println!("held-out fifth not scored (--skip-heldout)");
    } else {
        print_heldout(&held, &model, jobs);
    }
    let bytes = write_model(&model, &args.out)?;
    println!(
        "wrote {} ({} features, threshold {:.2}, switch cost {}, {bytes} bytes) in {:.1} s",
        args.out.display(),
        model.len(),
        model.threshold,
        model.switch_cost,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// How a page's kept text was decided (see [`page_verdict`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decider {
    /// Under `MIN_LINES` lines: the region heuristic.
    Short,
    /// Body from top to bottom: the region heuristic.
    Throughout,
    /// The line model and its decoding.
    Model,
}

/// One page's verdict at a decoding, through the same steps as
/// [`page_score`]: who decided, which lines are kept, whether the
/// whole-input fallback fired (nothing kept), and the page's P/R/F1.
fn page_verdict(
    page: &Prepared,
    p: &[f32],
    threshold: f32,
    switch_cost: f32,
) -> (Decider, Vec<bool>, bool, eval::Prf) {
    let mut lines = page.lines.clone();
    let decider = if lines.len() < model::MIN_LINES {
        Decider::Short
    } else if model::body_throughout(&page.lines, &page.region, &page.undecided) {
        Decider::Throughout
    } else {
        Decider::Model
    };
    let c = if decider == Decider::Model {
        model::apply_scores(&mut lines, &page.undecided, p, threshold, switch_cost);
        text::finish_with(&mut lines, text::Mode::Page, true, model::STEPS)
    } else {
        text::drop_outside_region(&mut lines, &page.region);
        text::finish(&mut lines, text::Mode::Page, true)
    };
    let fallback = c.body.trim().is_empty();
    let c = if fallback {
        model::fallback_body(&mut lines)
    } else {
        c
    };
    let mut title_seen = c.title.is_none();
    let kept = lines
        .iter()
        .map(|l| {
            if l.kind.is_some() {
                return false;
            }
            if !title_seen && c.title.as_deref() == Some(l.clean.as_str()) {
                // The title is reported apart, not in the scored body.
                title_seen = true;
                return false;
            }
            true
        })
        .collect();
    (decider, kept, fallback, fast_prf(&c.body, page))
}

/// `--dump PREFIX`: the training pages' cross-fitted verdicts (see the
/// option's doc).
fn dump_verdicts(
    prefix: &std::path::Path,
    dir: &std::path::Path,
    pages: &[(&Prepared, &Vec<f32>)],
    threshold: f32,
    switch_cost: f32,
    jobs: usize,
) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    let rows = parallel(pages, jobs, |(page, probs)| {
        let (decider, kept, fallback, prf) = page_verdict(page, probs, threshold, switch_cost);
        let labels = label_lines(&page.lines, &page.truth);
        let mut prob = vec![f32::NAN; page.lines.len()];
        for (&i, &q) in page.undecided.iter().zip(probs.iter()) {
            prob[i] = q;
        }
        let ty = read_page_type(dir, &page.id).map_or("unknown", |t| PAGE_TYPES[t]);
        // Words of kept/dropped lines by label: [kept true, kept false,
        // dropped true, dropped false].
        let mut words = [0usize; 4];
        let mut line_rows = String::new();
        for (i, l) in page.lines.iter().enumerate() {
            let n = eval::words(&l.clean).len();
            words[usize::from(!kept[i]) * 2 + usize::from(!labels[i])] += n;
            let text: String = l.clean.chars().take(160).collect::<String>().replace('\t', " ");
            let _ = writeln!(
                line_rows,
                "{}\t{i}\t{}\t{:.3}\t{}\t{:?}\t{n}\t{text}",
                page.id,
                u8::from(labels[i]),
                prob[i],
                u8::from(kept[i]),
                l.kind,
            );
        }
        let page_row = format!(
            "{}\t{ty}\t{}\t{}\t{:?}\t{}\t{:.4}\t{:.4}\t{:.4}\t{}\t{}\t{}\t{}\n",
            page.id,
            page.lines.len(),
            page.truth_words,
            decider,
            u8::from(fallback),
            prf.precision,
            prf.recall,
            prf.f1,
            words[0],
            words[1],
            words[2],
            words[3]
        );
        (page_row, line_rows)
    });
    let mut page_tsv = String::from(
        "id\ttype\tlines\ttruth_words\tdecider\tfallback\tprecision\trecall\tf1\tkept_true\tkept_false\tdropped_true\tdropped_false\n",
    );
    let mut line_tsv = String::from("id\tline\tlabel\tp\tkept\tkind\twords\ttext\n");
    for (p, l) in rows {
        page_tsv.push_str(&p);
        line_tsv.push_str(&l);
    }
    let path = |ext: &str| {
        let mut s = prefix.as_os_str().to_owned();
        s.push(ext);
        PathBuf::from(s)
    };
    for (ext, body) in [(".pages.tsv", page_tsv), (".lines.tsv", line_tsv)] {
        let p = path(ext);
        std::fs::write(&p, body).with_context(|| format!("cannot write {}", p.display()))?;
        println!("wrote {}", p.display());
    }
    Ok(())
}

/// Writes a model file (gzipped TSV, the format the stage embeds) and
/// returns its size.
pub fn write_model(model: &LineModel, path: &std::path::Path) -> anyhow::Result<usize> {
    let bytes = model.to_gz()?;
    std::fs::write(path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(bytes.len())
}

/// Scores the held-out fifth through `clean_text` itself, next to the raw
/// text, the region heuristic and the label ceiling.
fn print_heldout(held: &[&Prepared], model: &LineModel, jobs: usize) {
    let heuristic = mean_f1(held, None, jobs);
    let learned = mean_f1(held, Some(model), jobs);
    let mut raw = eval::MeanPrf::default();
    let mut oracle = eval::MeanPrf::default();
    for p in held {
        raw.add(eval::word_prf(&p.visible, &p.truth));
        oracle.add(eval::word_prf(&p.oracle, &p.truth));
    }
    let raw = raw.mean();
    let oracle = oracle.mean();
    println!("held-out pages ({}), word P/R/F1:", held.len());
    for (name, s) in [
        ("raw visible text", raw),
        ("region heuristic", heuristic),
        ("line model", learned),
        ("label ceiling", oracle),
    ] {
        println!(
            "  {name:<18} precision {:.4}  recall {:.4}  F1 {:.4}",
            s.precision, s.recall, s.f1
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boosted_trees_learn_an_interaction() {
        // y = x0 xor x1: no sum of per-feature weights separates it, two
        // levels of splits do. The other dense columns are noise-free zeros.
        let mut x = Vec::new();
        let mut labels = Vec::new();
        for r in 0..400 {
            let (a, b) = (r % 2, (r / 2) % 2);
            let mut row = [0f32; DENSE];
            row[0] = a as f32;
            row[7] = b as f32 * 3.0;
            x.extend_from_slice(&row);
            labels.push(a != b);
        }
        let edges = bin_edges(&x);
        assert_eq!(edges[0], vec![1.0]);
        assert!(edges[1].is_empty());
        let bins = to_bins(&x, &edges);
        let base = vec![0f32; labels.len()];
        let weights = vec![1f32; labels.len()];
        let params = BoostParams {
            trees: 40,
            depth: 2,
            eta: 0.3,
            lambda: 1.0,
            min_hess: 1.0,
            subsample: 0.8,
        };
        let trees = fit_boost(&x, &bins, &edges, &base, &labels, &weights, params);
        assert_eq!(trees.len(), 40);
        for (row, &y) in x.chunks_exact(DENSE).zip(&labels).take(8) {
            let z: f32 = trees.iter().map(|t| t.value(row)).sum();
            assert_eq!(z > 0.0, y, "row {row:?} margin {z}");
            assert!(z.abs() > 2.0, "not confident: {z}");
        }
        // The trees survive the model file.
        let m = LineModel::new(HashMap::new(), 0.0, 0.5, 0.0).with_boost(trees.clone());
        let back = LineModel::from_gz(&m.to_gz().unwrap()).unwrap();
        assert_eq!(back.boost, trees);
        assert_eq!(NO_SPLIT, u16::MAX);
    }

    #[test]
    fn node_rendering_breaks_at_every_text_node() {
        let html = "<html><head><title>T</title></head><body><p>Read <a href=\"/x\">this story</a> now.</p>\
                    <script>var x;</script><div hidden>secret</div><ul><li>One</li><li><b>Two</b> too</li></ul></body></html>";
        assert_eq!(
            clean::html::html_to_text_nodes(html),
            "Read\nthis story\nnow.\nOne\nTwo\ntoo"
        );
        // The stage's own rendering keeps the paragraph on one line.
        assert_eq!(clean::html_to_text(html), "Read this story now.\nOne\nTwo too");
    }

    #[test]
    fn folds_are_balanced_and_seeded() {
        assert_eq!(assign_folds(7, 3, 0), vec![0, 1, 2, 0, 1, 2, 0]);
        let a = assign_folds(1190, 5, 1);
        let b = assign_folds(1190, 5, 2);
        assert_ne!(a, b);
        assert_eq!(a, assign_folds(1190, 5, 1), "same seed, same folds");
        for fold in 0..5 {
            assert_eq!(a.iter().filter(|&&f| f == fold).count(), 238);
        }
    }

    #[test]
    fn a_shift_moves_the_threshold() {
        // Decoding at 0.4 after the shift keeps what decoding at 0.3 would.
        let p = shifted(&[0.29, 0.31, 0.5], 0.4, 0.3);
        assert!(p[0] < 0.4 && p[1] > 0.4 && p[2] > 0.5);
        assert_eq!(argmax_f64(&[0.1, 0.3, 0.3, 0.2]), 1);
    }

    #[test]
    fn labels_follow_the_truth_in_order() {
        let lines = text::split_lines(
            "Home\nNews\nThe minister announced a visit to Brussels on Monday.\nHome\nMore details follow here.\nContact",
        );
        let truth = "The minister announced a visit to Brussels on Monday. Home More details follow here.";
        assert_eq!(
            label_lines(&lines, truth),
            vec![false, false, true, true, true, false]
        );
    }
}
