//! `newsflow train clean-html`: trains the line combiner of the HTML path
//! ([`crate::pipeline::clean::combine`]) on WCXB dev and writes the file the
//! binary embeds (`data/boilerplate/html-combiner.tsv.gz`).
//!
//! Split as for the line model: pages whose numeric id is a multiple of 5
//! are held out (never trained on, never used to choose anything); the
//! combiner is trained, and its decoding threshold and switch cost chosen,
//! on the other four fifths; the held-out fifth is scored at the end (word
//! F1 as `eval clean --split heldout`).
//!
//! The combiner reads the line model's probabilities. On the training pages
//! those must come from line models that did not see the page, or the
//! combiner learns to trust the line model more than it deserves on unseen
//! pages: `--fold-models DIR` gives four line models, `DIR/model-f<k>.tsv.gz`
//! trained by `newsflow train clean` without the pages whose id % 5 == k
//! (`scripts/train-html-combiner.sh` builds them); each training page is
//! scored by its fold's model, held-out pages by the shipped one.
//!
//! Labels: the line model's (a visible line is main text when its words
//! occur in order in the ground truth, see
//! [`crate::commands::train_clean::label_lines`]). Reproducible: a fixed
//! number of epochs, a fixed-seed shuffle, weights rounded.

use crate::commands::eval_clean::{is_heldout, load_pages, Page};
use crate::commands::train_clean::{fit, label_lines, parallel};
use crate::pipeline::clean::combine::{self, View};
use crate::pipeline::clean::model::LineModel;
use crate::pipeline::clean::{eval, html};
use anyhow::Context;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

/// The combiner's AdaGrad learning rate.
const COMBINER_RATE: f32 = 0.1;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// WCXB-layout directory (html/ + ground-truth/).
    #[arg(default_value = "../shared/corpora/boilerplate/wcxb-dev")]
    pub dir: PathBuf,
    /// Where to write the gzipped combiner.
    #[arg(long, default_value = "data/boilerplate/html-combiner.tsv.gz")]
    pub out: PathBuf,
    /// Directory with `model-f1.tsv.gz` ... `model-f4.tsv.gz`: line models each trained without
    /// the pages whose id % 5 is that number. Without it the shipped line model scores the
    /// training pages it was trained on (in-sample: the combiner then over-trusts it).
    #[arg(long)]
    pub fold_models: Option<PathBuf>,
    /// Passes over the training lines.
    #[arg(long, default_value_t = 6)]
    pub epochs: usize,
    /// L2 regularisation per update.
    #[arg(long, default_value_t = 1e-5)]
    pub l2: f32,
    /// Features whose |weight| ends below this are pruned from the file.
    #[arg(long, default_value_t = 0.01)]
    pub min_weight: f32,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
}

/// One page, ready for training and scoring.
struct Prepared {
    id: String,
    heldout: bool,
    truth: String,
    /// The stage's text without a combiner (what unaligned pages output).
    plain: String,
    /// Whether the extraction is short against the whole visible text
    /// (see [`combine::short_extraction`]).
    short: bool,
    /// The combinable view, when the extraction is aligned with the
    /// visible lines; its title for [`combine::assemble`].
    view: Option<(View, Option<String>)>,
    names: Vec<Vec<String>>,
    labels: Vec<bool>,
    weights: Vec<f32>,
}

fn prepare(page: &Page, line_model: Option<&LineModel>) -> Prepared {
    let plain = html::clean_with(&page.html, None, None).text;
    let mut prepared = Prepared {
        id: page.id.clone(),
        heldout: is_heldout(&page.id),
        truth: page.truth.clone(),
        plain,
        short: false,
        view: None,
        names: Vec::new(),
        labels: Vec::new(),
        weights: Vec::new(),
    };
    let Ok(parts) = html::parse(&page.html, None) else {
        return prepared;
    };
    let Some(result) = parts.extraction else {
        return prepared;
    };
    let view = View::new(
        &parts.visible,
        &result.content_text,
        result.metadata.page_type.as_deref(),
        line_model,
    );
    prepared.short = combine::short_extraction(&result.content_text, &parts.visible);
    if !view.aligned() {
        return prepared;
    }
    prepared.labels = label_lines(&view.lines, &page.truth);
    // Each page counts about equally (the metric is a mean over pages),
    // each line by its words within the page.
    let page_words: f32 = view.lines.iter().map(weight).sum();
    prepared.weights = view
        .lines
        .iter()
        .map(|l| 100.0 * weight(l) / page_words.max(1.0))
        .collect();
    prepared.names = view.features();
    let title = parts
        .title
        .or_else(|| result.metadata.title.clone())
        .filter(|t| !t.trim().is_empty());
    prepared.view = Some((view, title));
    prepared
}

fn weight(line: &crate::pipeline::clean::text::Line) -> f32 {
    eval::words(&line.clean).len() as f32 + 1.0
}

/// The page's output text for combiner probabilities `p`.
fn output(page: &Prepared, p: Option<&[f32]>, d: Decoding) -> String {
    match (&page.view, p) {
        (Some((view, title)), Some(p)) if page.short || !d.only_short => {
            let keep = view.decode(p, d.threshold, d.switch_cost);
            if view.change(&keep) < d.min_change {
                return page.plain.clone();
            }
            combine::assemble(view, &keep, title.as_deref()).body
        }
        _ => page.plain.clone(),
    }
}

/// How combiner probabilities become the page's text.
#[derive(Debug, Clone, Copy)]
struct Decoding {
    threshold: f32,
    switch_cost: f32,
    /// See [`combine::MIN_CHANGE`].
    min_change: f64,
    /// Combine only pages whose extraction is short against the visible
    /// text (the other pages keep the extractor's text).
    only_short: bool,
}

fn mean_f1(pages: &[&Prepared], probs: &HashMap<&str, Vec<f32>>, d: Decoding, jobs: usize) -> f64 {
    let scores = parallel(pages, jobs, |p| {
        let out = output(p, probs.get(p.id.as_str()).map(Vec::as_slice), d);
        eval::word_prf(&out, &p.truth).f1
    });
    scores.iter().sum::<f64>() / scores.len().max(1) as f64
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let shipped = LineModel::shipped();
    let folds: Vec<Option<LineModel>> = match &args.fold_models {
        Some(dir) => (1..=4)
            .map(|k| {
                let path = dir.join(format!("model-f{k}.tsv.gz"));
                let bytes = std::fs::read(&path).with_context(|| {
                    format!(
                        "cannot read {}: train it with `newsflow train clean DIR_WITHOUT_FOLD_{k}` \
                         (see scripts/train-html-combiner.sh)",
                        path.display()
                    )
                })?;
                Ok(Some(LineModel::from_gz(&bytes)?))
            })
            .collect::<anyhow::Result<_>>()?,
        None => {
            tracing::warn!("no --fold-models: the training pages' line-model scores are in-sample");
            vec![None; 4]
        }
    };
    let pages = load_pages(&args.dir, None)?;
    let prepared: Vec<Prepared> = parallel(&pages, jobs, |page| {
        let model = match page.id.parse::<usize>() {
            Ok(n) if n % 5 != 0 => folds[n % 5 - 1].as_ref().or(shipped),
            _ => shipped,
        };
        prepare(page, model)
    });
    drop(pages);
    let train: Vec<&Prepared> = prepared.iter().filter(|p| !p.heldout).collect();
    let heldout: Vec<&Prepared> = prepared.iter().filter(|p| p.heldout).collect();
    let aligned = train.iter().filter(|p| p.view.is_some()).count();
    println!(
        "pages: {} train ({aligned} aligned), {} held out; prepared in {:.1} s",
        train.len(),
        heldout.len(),
        started.elapsed().as_secs_f64()
    );
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let interned: Vec<Vec<Vec<u32>>> = train
        .iter()
        .map(|p| {
            p.names
                .iter()
                .map(|f| {
                    f.iter()
                        .map(|n| {
                            *ids.entry(n.clone()).or_insert_with(|| {
                                names.push(n.clone());
                                names.len() as u32 - 1
                            })
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let examples: Vec<(&[u32], bool, f32)> = train
        .iter()
        .zip(&interned)
        .flat_map(|(p, f)| {
            f.iter()
                .zip(&p.labels)
                .zip(&p.weights)
                .map(|((ids, &y), &w)| (ids.as_slice(), y, w))
        })
        .collect();
    let (w, bias) = fit(&examples, names.len(), args.epochs, args.l2, COMBINER_RATE);
    let weights: HashMap<String, f32> = names
        .iter()
        .zip(&w)
        .filter_map(|(name, &v)| {
            let v = (v * 1000.0).round() / 1000.0;
            (v.abs() >= args.min_weight).then(|| (name.clone(), v))
        })
        .collect();
    let bias = (bias * 1000.0).round() / 1000.0;
    println!(
        "trained on {} lines, {} features ({} kept) at {:.1} s",
        examples.len(),
        names.len(),
        weights.len(),
        started.elapsed().as_secs_f64()
    );
    let model = LineModel::new(weights.clone(), bias, 0.5, 0.0);
    let probs: HashMap<&str, Vec<f32>> = prepared
        .iter()
        .filter(|p| p.view.is_some())
        .map(|p| {
            (
                p.id.as_str(),
                p.names.iter().map(|f| model.probability(f)).collect(),
            )
        })
        .collect();
    let none = HashMap::new();
    let plain = Decoding {
        threshold: 0.5,
        switch_cost: 0.0,
        min_change: 0.0,
        only_short: false,
    };
    println!(
        "without combiner: train {:.4}  held out {:.4}",
        mean_f1(&train, &none, plain, jobs),
        mean_f1(&heldout, &none, plain, jobs)
    );
    // What the line-level view itself costs or allows, on the aligned
    // training pages: the extractor's lines alone (held: `Exact` or `Most`),
    // the line model's decoded lines, and the lines labelled main text (the
    // ceiling of any combiner).
    let aligned_pages: Vec<&Prepared> = train.iter().copied().filter(|p| p.view.is_some()).collect();
    let diag = parallel(&aligned_pages, jobs, |p| {
        let (view, title) = p.view.as_ref().expect("aligned");
        let held: Vec<bool> = view.covers.iter().map(|c| c.held()).collect();
        let f = |keep: &[bool]| {
            eval::word_prf(&combine::assemble(view, keep, title.as_deref()).body, &p.truth).f1
        };
        [
            eval::word_prf(&p.plain, &p.truth).f1,
            f(&held),
            f(&view.keep),
            f(&p.labels),
        ]
    });
    let n = diag.len().max(1) as f64;
    let col = |k: usize| diag.iter().map(|d| d[k]).sum::<f64>() / n;
    println!(
        "aligned training pages: without combiner {:.4}, extractor's lines {:.4}, line model's lines {:.4}, \
         labelled lines (ceiling) {:.4}",
        col(0),
        col(1),
        col(2),
        col(3)
    );
    println!("decoding grid on the training pages (word F1):");
    let mut best = (plain, f64::MIN);
    for (only_short, switch_cost) in [(false, 0.0f32), (true, 0.0), (true, 2.0)] {
        let mut row = format!(
            "  {} switch {switch_cost:>4}:",
            if only_short { "short pages" } else { "all pages  " }
        );
        for threshold in [0.35f32, 0.4, 0.5] {
            let d = Decoding {
                threshold,
                switch_cost,
                min_change: 0.0,
                only_short,
            };
            let f = mean_f1(&train, &probs, d, jobs);
            row.push_str(&format!(" t{threshold:.2} {f:.4}"));
            if f > best.1 {
                best = (d, f);
            }
        }
        println!("{row}");
    }
    let mut row = "  minimum change:".to_owned();
    for min_change in [0.2, 0.5, 1.0] {
        let d = Decoding { min_change, ..best.0 };
        let f = mean_f1(&train, &probs, d, jobs);
        row.push_str(&format!(" {min_change} {f:.4}"));
        if f > best.1 {
            best = (d, f);
        }
    }
    println!("{row}");
    let (d, train_f1) = best;
    let heldout_f1 = mean_f1(&heldout, &probs, d, jobs);
    println!(
        "chosen threshold {} switch {} minimum change {} short pages only {} (set combine::MIN_CHANGE and \
         combine::ONLY_SHORT to them): train {train_f1:.4}  held out {heldout_f1:.4}",
        d.threshold, d.switch_cost, d.min_change, d.only_short
    );
    if (d.min_change - combine::MIN_CHANGE).abs() > 1e-9 {
        tracing::warn!(
            chosen = d.min_change,
            compiled = combine::MIN_CHANGE,
            "the minimum change chosen differs from combine::MIN_CHANGE: update the constant"
        );
    }
    let (threshold, switch_cost) = (d.threshold, d.switch_cost);
    let model = LineModel::new(weights, bias, threshold, switch_cost);
    let bytes = model.to_gz()?;
    std::fs::write(&args.out, &bytes).with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "wrote {} ({} bytes) at {:.1} s",
        args.out.display(),
        bytes.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
