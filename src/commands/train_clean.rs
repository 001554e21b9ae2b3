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
//! probabilities; (3) the decoding threshold and switch cost are chosen by
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
use crate::pipeline::clean::model::{self, page_features, stack_features, LineModel};
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
    /// Worker threads for feature extraction and scoring (default: one per core).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
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
    heldout: bool,
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

fn prepare(page: &Page, weighting: Weighting) -> Prepared {
    let visible = clean::html_to_text(&page.html);
    let mut lines = text::split_lines(&visible);
    text::judge_rules(&mut lines);
    let region = text::region_keep(&lines);
    let all_labels = label_lines(&lines, &page.truth);
    let mut feats = page_features(&lines, &region);
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
    let truth_words = eval::words(&page.truth);
    let mut truth_bag = HashMap::new();
    for w in &truth_words {
        *truth_bag.entry(w.clone()).or_default() += 1;
    }
    Prepared {
        heldout: is_heldout(&page.id),
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
    }
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
        clean::normalize(&page.visible)
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

pub fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    anyhow::ensure!(
        args.folds == 0 || args.folds >= 2,
        "--folds must be 0 (no stacked pass) or at least 2"
    );
    let pages = load_pages(&args.dir, None)?;
    let weighting = args.weighting;
    let mut prepared = parallel(&pages, jobs, |p| prepare(p, weighting));
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
    let mut pages_with = vec![0usize; lexicon.names.len()];
    for page in &raw_ids {
        let mut on_page: Vec<u32> = page.iter().flatten().copied().collect();
        on_page.sort_unstable();
        on_page.dedup();
        for id in on_page {
            pages_with[id as usize] += 1;
        }
    }
    let dropped = |name: &str| {
        args.drop
            .iter()
            .any(|d| !d.is_empty() && name.starts_with(d.as_str()))
    };
    let kept =
        |id: &u32| pages_with[*id as usize] >= args.min_pages && !dropped(&lexicon.names[*id as usize]);
    for (p, ids) in prepared.iter_mut().filter(|p| !p.heldout).zip(raw_ids) {
        p.ids = ids
            .into_iter()
            .map(|f| f.into_iter().filter(kept).collect())
            .collect();
    }
    let (held, trainset): (Vec<&Prepared>, Vec<&Prepared>) = prepared.iter().partition(|p| p.heldout);
    let n1 = lexicon.names.len();
    let line_feats: Vec<Vec<Vec<u32>>> = trainset.iter().map(|p| p.ids.clone()).collect();
    let n_lines: usize = trainset.iter().map(|p| p.labels.len()).sum();
    let positives: usize = trainset
        .iter()
        .map(|p| p.labels.iter().filter(|y| **y).count())
        .sum();
    println!(
        "pages: {} train, {} held out (id % 5 == 0); training lines: {} ({} main text), features: {}",
        trainset.len(),
        held.len(),
        n_lines,
        positives,
        pages_with.iter().filter(|&&c| c >= args.min_pages).count()
    );
    // (1) the line pass on all training pages, and cross-fitted.
    let (w1, b1) = fit(&examples(&trainset, &line_feats), n1, args.epochs, args.l2, RATE);
    let folds = args.folds.max(2);
    let mut oof: Vec<Vec<f32>> = vec![Vec::new(); trainset.len()];
    for fold in 0..folds {
        let (inside, outside): (Vec<usize>, Vec<usize>) =
            (0..trainset.len()).partition(|k| k % folds != fold);
        let pages: Vec<&Prepared> = inside.iter().map(|&k| trainset[k]).collect();
        let feats: Vec<Vec<Vec<u32>>> = inside.iter().map(|&k| line_feats[k].clone()).collect();
        let (w, b) = fit(&examples(&pages, &feats), n1, args.epochs, args.l2, RATE);
        for k in outside {
            oof[k] = line_feats[k].iter().map(|ids| predict(&w, b, ids)).collect();
        }
    }
    println!(
        "line pass trained ({folds} folds cross-fitted) at {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // (2) the stacked pass on the cross-fitted probabilities.
    let mut stack_lexicon = Interner::default();
    let mut stacked: Option<(Vec<f32>, f32)> = None;
    let mut p2: Vec<Vec<f32>> = Vec::new();
    if args.folds > 0 {
        let stack_feats: Vec<Vec<Vec<u32>>> = trainset
            .iter()
            .zip(&oof)
            .map(|(p, probs)| {
                stack_features(&p.lines, &p.region, &p.undecided, probs)
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
        let (w2, b2) = fit(
            &examples(&trainset, &stack_feats),
            stack_lexicon.names.len(),
            args.epochs,
            args.l2,
            RATE,
        );
        p2 = stack_feats
            .iter()
            .map(|page| page.iter().map(|ids| predict(&w2, b2, ids)).collect())
            .collect();
        stacked = Some((w2, b2));
    }
    // (3) decoding, chosen on the training pages (cross-fitted scores).
    println!("decoding grid on the training pages (word F1; cross-fitted line pass):");
    let with_oof: Vec<(&Prepared, &Vec<f32>)> = trainset.iter().copied().zip(&oof).collect();
    let best = if stacked.is_some() {
        let with_p2: Vec<(&Prepared, &Vec<f32>)> = trainset.iter().copied().zip(&p2).collect();
        choose_decoding("stacked  ", &with_p2, jobs)
    } else {
        choose_decoding("line pass", &with_oof, jobs)
    };
    println!(
        "chosen: threshold {:.2} switch cost {}: train-pages F1 {:.4}",
        best.0, best.1, best.2
    );
    // What each part adds (training pages, cross-fitted, chosen decoding).
    let scored: Vec<(&Prepared, &Vec<f32>)> = if p2.is_empty() {
        with_oof.clone()
    } else {
        trainset.iter().copied().zip(&p2).collect()
    };
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
        let all_words: usize = trainset.iter().map(|p| p.truth_words).sum();
        println!(
            "  pages under {} lines: {} of {} ({} of {} truth words): region heuristic F1 {:.4}, model F1 {:.4}",
            model::MIN_LINES,
            short.len(),
            trainset.len(),
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
    // Held-out fifth, through `clean_text` itself.
    let heuristic = mean_f1(&held, None, jobs);
    let learned = mean_f1(&held, Some(&model), jobs);
    let mut raw = eval::MeanPrf::default();
    let mut oracle = eval::MeanPrf::default();
    for p in &held {
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
    let bytes = model.to_gz()?;
    std::fs::write(&args.out, &bytes).with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "wrote {} ({} features, threshold {:.2}, switch cost {}, {} bytes) in {:.1} s",
        args.out.display(),
        model.len(),
        model.threshold,
        model.switch_cost,
        bytes.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
