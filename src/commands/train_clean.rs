//! `newsflow train clean`: trains the line model of the scraped-text path
//! ([`crate::pipeline::clean::model`]) on WCXB dev and writes the file the
//! binary embeds (`data/boilerplate/line-model.tsv.gz`).
//!
//! Split: pages whose numeric id is a multiple of 5 are held out (never
//! trained on, never used to choose anything); the model is trained on the
//! other four fifths, its threshold chosen on them, and the held-out fifth
//! is scored at the end (word F1 as `eval clean --text --split heldout`).
//!
//! Labels: each line of a page's visible text is main text when its words
//! occur, in order, in the ground truth's `main_content`: lines of four
//! words or more anywhere in it, shorter lines only just after the previous
//! matched line (a menu item "Home" is not content because the word occurs
//! somewhere in the article). Reproducible: fixed epochs, a fixed-seed
//! shuffle, weights rounded; the same corpus gives the same bytes.

use crate::commands::eval_clean::{is_heldout, load_pages, Page};
use crate::pipeline::clean::model::{page_features, LineModel};
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
    /// Features seen on fewer training pages than this are dropped.
    #[arg(long, default_value_t = 3)]
    pub min_pages: usize,
    /// Worker threads for feature extraction and scoring (default: one per core).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
}

/// One page's lines, ready for training and scoring.
struct Prepared {
    heldout: bool,
    visible: String,
    truth: String,
    /// Features and label of each line the rules left undecided.
    examples: Vec<(Vec<String>, bool)>,
    /// The lines labelled main text that the rules leave alone: the best a
    /// line model could keep (its score is the ceiling printed by `train`).
    oracle: String,
    /// The text of each undecided line (aligned with `examples`).
    undecided: Vec<String>,
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

fn prepare(page: &Page) -> Prepared {
    let visible = clean::html_to_text(&page.html);
    let mut lines = text::split_lines(&visible);
    text::judge_rules(&mut lines);
    let region = text::region_keep(&lines);
    let labels = label_lines(&lines, &page.truth);
    let feats = page_features(&lines, &region);
    let oracle = lines
        .iter()
        .zip(&labels)
        .filter(|(l, y)| **y && l.kind.is_none())
        .map(|(l, _)| l.clean.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let undecided = lines
        .iter()
        .filter(|l| l.kind.is_none())
        .map(|l| l.clean.clone())
        .collect();
    let examples = lines
        .iter()
        .zip(feats)
        .zip(labels)
        .filter(|((l, _), _)| l.kind.is_none())
        .map(|((_, f), y)| (f, y))
        .collect();
    Prepared {
        heldout: is_heldout(&page.id),
        visible,
        truth: page.truth.clone(),
        examples,
        oracle,
        undecided,
    }
}

fn parallel<T: Sync, R: Send>(items: &[T], jobs: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let chunk = items.len().div_ceil(jobs).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("train clean worker panicked"))
            .collect()
    })
}

/// Logistic regression with AdaGrad over interned features.
fn train(examples: &[(Vec<u32>, bool)], n_features: usize, epochs: usize, l2: f32) -> (Vec<f32>, f32) {
    let mut w = vec![0f32; n_features];
    let mut g2 = vec![1e-8f32; n_features];
    let mut bias = 0f32;
    let mut bias_g2 = 1e-8f32;
    let rate = 0.2f32;
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
            let (f, y) = &examples[k];
            let z = bias + f.iter().map(|&i| w[i as usize]).sum::<f32>();
            let p = 1.0 / (1.0 + (-z).exp());
            let g = p - if *y { 1.0 } else { 0.0 };
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
    let pages = load_pages(&args.dir, None)?;
    let prepared = parallel(&pages, jobs, prepare);
    drop(pages);
    let (held, trainset): (Vec<&Prepared>, Vec<&Prepared>) = prepared.iter().partition(|p| p.heldout);
    // Features seen on fewer than `min_pages` training pages are dropped:
    // a word of one site's menu says nothing about the next site.
    let mut pages_with: HashMap<&str, usize> = HashMap::new();
    for p in &trainset {
        let mut on_page: Vec<&str> = p
            .examples
            .iter()
            .flat_map(|(f, _)| f.iter().map(String::as_str))
            .collect();
        on_page.sort_unstable();
        on_page.dedup();
        for f in on_page {
            *pages_with.entry(f).or_default() += 1;
        }
    }
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut examples: Vec<(Vec<u32>, bool)> = Vec::new();
    for p in &trainset {
        for (f, y) in &p.examples {
            let v = f
                .iter()
                .filter(|name| pages_with.get(name.as_str()).copied().unwrap_or(0) >= args.min_pages)
                .map(|name| {
                    let next = ids.len() as u32;
                    *ids.entry(name.as_str()).or_insert(next)
                })
                .collect();
            examples.push((v, *y));
        }
    }
    let positives = examples.iter().filter(|(_, y)| *y).count();
    println!(
        "pages: {} train, {} held out (id % 5 == 0); training lines: {} ({} main text), features: {}",
        trainset.len(),
        held.len(),
        examples.len(),
        positives,
        ids.len()
    );
    let (w, bias) = train(&examples, ids.len(), args.epochs, args.l2);
    let mut weights = HashMap::new();
    for (name, &i) in &ids {
        let v = (w[i as usize] * 1000.0).round() / 1000.0;
        if v.abs() >= args.min_weight {
            weights.insert((*name).to_owned(), v);
        }
    }
    let bias = (bias * 1000.0).round() / 1000.0;
    // Threshold: chosen on the training pages only.
    let mut best = (0.5f32, 0.0f32, f64::MIN);
    for smooth in [0.0f32, 0.5] {
        for t in [0.35f32, 0.45, 0.55] {
            let m = LineModel::new(weights.clone(), bias, t, smooth);
            let f1 = mean_f1(&trainset, Some(&m), jobs).f1;
            println!("threshold {t:.2} smoothing {smooth:.2}: train-pages F1 {f1:.4}");
            if f1 > best.2 {
                best = (t, smooth, f1);
            }
        }
    }
    let model = LineModel::new(weights, bias, best.0, best.1);
    let heuristic = mean_f1(&held, None, jobs);
    let learned = mean_f1(&held, Some(&model), jobs);
    let mut raw = eval::MeanPrf::default();
    let mut oracle = eval::MeanPrf::default();
    let mut decisions = eval::MeanPrf::default();
    for p in &held {
        raw.add(eval::word_prf(&p.visible, &p.truth));
        oracle.add(eval::word_prf(&p.oracle, &p.truth));
        let kept: Vec<&str> = p
            .examples
            .iter()
            .zip(&p.undecided)
            .filter(|((f, _), _)| model.probability(f) >= model.threshold)
            .map(|(_, t)| t.as_str())
            .collect();
        decisions.add(eval::word_prf(&kept.join("\n"), &p.truth));
    }
    let raw = raw.mean();
    let oracle = oracle.mean();
    let decisions = decisions.mean();
    println!("held-out pages ({}), word P/R/F1:", held.len());
    for (name, s) in [
        ("raw visible text", raw),
        ("region heuristic", heuristic),
        ("line model", learned),
        ("model lines only", decisions),
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
        "wrote {} ({} features, threshold {:.2}, smoothing {:.2}, {} bytes) in {:.1} s",
        args.out.display(),
        model.len(),
        model.threshold,
        model.smooth,
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
