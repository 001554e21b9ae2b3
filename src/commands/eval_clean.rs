//! `newsflow eval clean DIR`: word-level precision, recall and F1 of the
//! clean stage against pages with ground truth, computed as the WCXB
//! benchmark does (see [`crate::pipeline::clean::eval`]).
//!
//! Two layouts are understood:
//! * WCXB: `DIR/html/NNNN.html[.gz]` with `DIR/ground-truth/NNNN.json`
//!   (`ground_truth.main_content`);
//! * Mozilla Readability's test pages: `DIR/<name>/source.html` with
//!   `DIR/<name>/expected.html` (the expected text is that page's visible
//!   text: Readability's own output, not an independent truth).
//!
//! Two paths are measured: HTML (the default: `clean_html` on the page) and,
//! with `--text`, scraped text (the page's visible text, one block per line,
//! fed to `clean_text`), reported next to the raw visible text as baseline.

use crate::pipeline::clean::{self, eval};
use anyhow::{bail, Context};
use serde::Deserialize;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory of pages with ground truth (WCXB layout: html/ + ground-truth/; or
    /// Readability's test-pages layout: one folder per page with source.html and expected.html).
    pub dir: PathBuf,
    /// Evaluate the scraped-text path: each page's visible text, one block per line, through
    /// `clean_text`; the raw visible text is scored alongside as the baseline.
    #[arg(long)]
    pub text: bool,
    /// Only the first N pages (in file name order).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Write one tab-separated line per page (id, precision, recall, F1, comment-form survived)
    /// to this file, for error analysis.
    #[arg(long)]
    pub per_page: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Which pages: all, or the fixed split by page id that `newsflow train clean` uses
    /// (held out: numeric id a multiple of 5; train: the rest).
    #[arg(long, value_enum, default_value_t = Split::All)]
    pub split: Split,
    /// HTML path: also score bare rs-trafilatura (default options, its plain text, no
    /// post-processing) on the same pages, as the baseline.
    #[arg(long)]
    pub baseline: bool,
    /// HTML path: use this line combiner file (as `newsflow train clean-html` writes it) instead
    /// of the embedded one, to score a trained variant without rebuilding.
    #[arg(long)]
    pub combiner: Option<PathBuf>,
    /// Text path: read each page's scraped text from `DIR/<id>.txt` instead of rendering the
    /// page's visible text ourselves, to measure how the line model holds up on another
    /// scraper's rendering (`scripts/render_pages.py` writes such directories).
    #[arg(long, value_name = "DIR", requires = "text")]
    pub text_from: Option<PathBuf>,
    /// Write every surviving guarded line (comment form, share, subscribe, credit: lines of the
    /// output that the clean rules classify as one of these) to this file for review, one per
    /// line: page id, kind, whether the line is also in the ground truth, the line. Kept lines
    /// with such a phrase inside (kind `suspect:<kind>`, not counted as survivors) follow.
    #[arg(long, value_name = "FILE")]
    pub survivors: Option<PathBuf>,
    /// Only pages of this type by the ground truth's own label (WCXB:
    /// `_internal.page_type.primary`, e.g. `article`; the ScrapingHub benchmark is all articles).
    #[arg(long, value_name = "TYPE")]
    pub page_type: Option<String>,
    /// Use this line model file (as `newsflow train clean --out` writes it) instead of the
    /// embedded one, on every path that uses it (the text path, and the HTML path's fallback),
    /// to score a trained variant on any rendering without rebuilding.
    #[arg(long, value_name = "FILE")]
    pub line_model: Option<PathBuf>,
}

/// The fixed split of a WCXB-layout directory by page id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Split {
    All,
    /// Pages never trained on (id a multiple of 5).
    Heldout,
    /// The pages the line model is trained on.
    Train,
}

/// Whether a page is in the held-out fifth: numeric id a multiple of 5
/// (non-numeric ids, e.g. Readability's page names, by a stable hash).
pub fn is_heldout(id: &str) -> bool {
    match id.parse::<u64>() {
        Ok(n) => n % 5 == 0,
        Err(_) => {
            id.bytes()
                .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
                % 5
                == 0
        }
    }
}

/// One page with its ground truth.
#[derive(Debug, Clone)]
pub struct Page {
    pub id: String,
    pub html: String,
    pub truth: String,
    /// The ground truth's page type (WCXB `_internal.page_type.primary`;
    /// `None` when the file has none, as on Readability's pages).
    pub page_type: Option<String>,
}

#[derive(Deserialize)]
struct GroundTruthFile {
    ground_truth: GroundTruth,
    #[serde(default, rename = "_internal")]
    internal: Option<Internal>,
}

#[derive(Deserialize)]
struct Internal {
    #[serde(default)]
    page_type: Option<PageType>,
}

#[derive(Deserialize)]
struct PageType {
    #[serde(default)]
    primary: Option<String>,
}

#[derive(Deserialize)]
struct GroundTruth {
    #[serde(default)]
    main_content: Option<String>,
}

/// Reads a file, gunzipping `.gz`, and decodes it as UTF-8 (lossily: web
/// pages in the wild carry stray bytes, and the metric only needs words).
fn read_page_file(path: &Path) -> anyhow::Result<String> {
    let raw = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let bytes = if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .with_context(|| format!("{} is not valid gzip", path.display()))?;
        out
    } else {
        raw
    };
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Loads every page of `dir` in either supported layout, sorted by id.
/// Pages without `main_content` are skipped (WCXB has two).
pub fn load_pages(dir: &Path, limit: Option<usize>) -> anyhow::Result<Vec<Page>> {
    let limit = limit.unwrap_or(usize::MAX);
    let html_dir = dir.join("html");
    let gt_dir = dir.join("ground-truth");
    let mut pages = Vec::new();
    if html_dir.is_dir() && gt_dir.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&html_dir)
            .with_context(|| format!("cannot list {}", html_dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                name.ends_with(".html") || name.ends_with(".html.gz")
            })
            .collect();
        files.sort();
        for path in files {
            if pages.len() >= limit {
                break;
            }
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let id = name.split('.').next().unwrap_or(name).to_owned();
            let gt_path = gt_dir.join(format!("{id}.json"));
            let Ok(gt_text) = std::fs::read_to_string(&gt_path) else {
                tracing::warn!(page = %id, "no ground truth at {}: skipped", gt_path.display());
                continue;
            };
            let gt: GroundTruthFile = serde_json::from_str(&gt_text)
                .with_context(|| format!("{} is not WCXB ground truth", gt_path.display()))?;
            let Some(truth) = gt.ground_truth.main_content else {
                continue;
            };
            let page_type = gt.internal.and_then(|i| i.page_type).and_then(|t| t.primary);
            pages.push(Page {
                id,
                html: read_page_file(&path)?,
                truth,
                page_type,
            });
        }
    } else {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("source.html").is_file() && p.join("expected.html").is_file())
            .collect();
        dirs.sort();
        for d in dirs {
            if pages.len() >= limit {
                break;
            }
            let id = d
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            let expected = read_page_file(&d.join("expected.html"))?;
            pages.push(Page {
                id,
                html: read_page_file(&d.join("source.html"))?,
                truth: clean::html_to_text(&expected),
                page_type: None,
            });
        }
    }
    if pages.is_empty() {
        bail!(
            "no pages found in {}: expected html/ and ground-truth/ (WCXB layout) or folders with \
             source.html and expected.html (Readability layout)",
            dir.display()
        );
    }
    Ok(pages)
}

/// What one page scored.
#[derive(Debug, Clone)]
pub struct PageScore {
    pub id: String,
    pub score: eval::Prf,
    /// Score of the raw visible text (only with `--text`).
    pub baseline: Option<eval::Prf>,
    /// Whether a comment-form line survived in the output.
    pub comment_form_survived: bool,
    /// Output lines the clean rules classify as a guarded kind (see
    /// [`clean::survivors`]), each with whether the ground truth has it too.
    pub survivors: Vec<(clean::Survivor, bool)>,
    /// Kept lines with a guarded phrase inside (see [`clean::suspects`]).
    pub suspects: Vec<(clean::Survivor, bool)>,
}

/// The guarded lines of `output` (see [`clean::survivors`]), each with
/// whether its words also occur as a run in `truth`: a survivor the truth
/// holds is content the rules match (a precision question), one it lacks is
/// boilerplate the final pass missed.
fn survivors_against(output: &str, truth: &str) -> Vec<(clean::Survivor, bool)> {
    in_truth(clean::survivors(output), truth)
}

/// [`clean::suspects`] of `output`, each with whether `truth` has it.
fn suspects_against(output: &str, truth: &str) -> Vec<(clean::Survivor, bool)> {
    in_truth(clean::suspects(output), truth)
}

fn in_truth(found: Vec<clean::Survivor>, truth: &str) -> Vec<(clean::Survivor, bool)> {
    if found.is_empty() {
        return Vec::new();
    }
    let truth = format!(" {} ", clean::patterns::normalize(truth, false));
    found
        .into_iter()
        .map(|s| {
            let norm = clean::patterns::normalize(&s.line, false);
            let in_truth = !norm.is_empty() && truth.contains(&format!(" {norm} "));
            (s, in_truth)
        })
        .collect()
}

/// Scores one page on the chosen path.
pub fn score_page(page: &Page, text_path: bool) -> PageScore {
    score_page_with(page, text_path, false)
}

/// [`score_page`], with bare rs-trafilatura as the HTML path's baseline
/// when `extractor_baseline` is set.
pub fn score_page_with(page: &Page, text_path: bool, extractor_baseline: bool) -> PageScore {
    score_page_combined(page, text_path, extractor_baseline, clean::combine::shipped())
}

/// [`score_page_with`] with a given line combiner on the HTML path.
/// Scores the text path on a scraped text rendered elsewhere (`--text-from`).
fn score_rendered(page: &Page, dir: &Path) -> anyhow::Result<PageScore> {
    let path = dir.join(format!("{}.txt", page.id));
    let visible = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read {}: --text-from needs one <id>.txt per page",
            path.display()
        )
    })?;
    let output = clean::clean_text(&visible).text;
    Ok(PageScore {
        id: page.id.clone(),
        score: eval::word_prf(&output, &page.truth),
        baseline: Some(eval::word_prf(&visible, &page.truth)),
        comment_form_survived: clean::has_comment_form(&output),
        survivors: survivors_against(&output, &page.truth),
        suspects: suspects_against(&output, &page.truth),
    })
}

pub fn score_page_combined(
    page: &Page,
    text_path: bool,
    extractor_baseline: bool,
    combiner: Option<&clean::model::LineModel>,
) -> PageScore {
    let (output, baseline) = if text_path {
        let visible = clean::html_to_text(&page.html);
        let baseline = eval::word_prf(&visible, &page.truth);
        (clean::clean_text(&visible).text, Some(baseline))
    } else {
        let baseline = extractor_baseline.then(|| {
            let bare = rs_trafilatura::extract(&page.html)
                .map(|r| r.content_text)
                .unwrap_or_default();
            eval::word_prf(&bare, &page.truth)
        });
        (clean::html::clean_with(&page.html, None, combiner).text, baseline)
    };
    PageScore {
        id: page.id.clone(),
        score: eval::word_prf(&output, &page.truth),
        baseline,
        comment_form_survived: clean::has_comment_form(&output),
        survivors: survivors_against(&output, &page.truth),
        suspects: suspects_against(&output, &page.truth),
    }
}

/// Prints, per guarded kind, the pages and lines where such a line survived
/// in the output, and how many of those lines the ground truth also has.
fn print_survivors(scores: &[PageScore]) {
    println!("surviving guarded lines (clean rules run on the output):");
    for kind in clean::GUARDED_KINDS {
        let mut pages = 0usize;
        let mut lines = 0usize;
        let mut in_truth = 0usize;
        for s in scores {
            let mine: Vec<_> = s.survivors.iter().filter(|(v, _)| v.kind == kind).collect();
            pages += usize::from(!mine.is_empty());
            lines += mine.len();
            in_truth += mine.iter().filter(|(_, t)| *t).count();
        }
        println!(
            "  {:<13} pages {pages:>4}  lines {lines:>5}  (of them in the ground truth: {in_truth})",
            kind.as_str()
        );
    }
    let suspects: usize = scores.iter().map(|s| s.suspects.len()).sum();
    let pages = scores.iter().filter(|s| !s.suspects.is_empty()).count();
    println!(
        "kept lines with such a phrase inside (for review, --survivors FILE lists them): {suspects} on {pages} pages"
    );
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let load_started = Instant::now();
    if let Some(path) = &args.line_model {
        // Before anything touches the embedded model.
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let model = clean::model::LineModel::from_gz(&bytes)
            .with_context(|| format!("{} is not a line model (see `train clean --out`)", path.display()))?;
        clean::model::LineModel::replace_shipped(model)?;
    }
    let mut pages = load_pages(&args.dir, args.limit)?;
    match args.split {
        Split::All => {}
        Split::Heldout => pages.retain(|p| is_heldout(&p.id)),
        Split::Train => pages.retain(|p| !is_heldout(&p.id)),
    }
    if let Some(t) = &args.page_type {
        pages.retain(|p| p.page_type.as_deref() == Some(t.as_str()));
        if pages.is_empty() {
            bail!("no pages of type {t} (WCXB ground truth `_internal.page_type.primary`) in this split");
        }
    }
    let bytes: usize = pages.iter().map(|p| p.html.len()).sum();
    tracing::info!(
        pages = pages.len(),
        mb = bytes as f64 / 1e6,
        secs = load_started.elapsed().as_secs_f64(),
        "pages loaded"
    );
    let jobs = super::jobs(args.jobs);
    let file_combiner = match &args.combiner {
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let m = clean::model::LineModel::from_gz(&bytes)
                .with_context(|| format!("{} is not a line combiner file", path.display()))?;
            Some(m).filter(|m| !m.is_empty())
        }
        None => None,
    };
    let combiner = match &args.combiner {
        Some(_) => file_combiner.as_ref(),
        None => clean::combine::shipped(),
    };
    let started = Instant::now();
    let chunk = pages.len().div_ceil(jobs);
    let text_path = args.text;
    let extractor_baseline = args.baseline && !args.text;
    let text_from = args.text_from.as_deref();
    let scores: Vec<PageScore> = std::thread::scope(|scope| {
        let handles: Vec<_> = pages
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|p| match text_from {
                            Some(dir) => score_rendered(p, dir),
                            None => Ok(score_page_combined(p, text_path, extractor_baseline, combiner)),
                        })
                        .collect::<anyhow::Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("eval worker panicked"))
            .collect::<anyhow::Result<Vec<_>>>()
            .map(|parts| parts.into_iter().flatten().collect())
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    let mut mean = eval::MeanPrf::default();
    let mut base = eval::MeanPrf::default();
    let mut survived = 0usize;
    for s in &scores {
        mean.add(s.score);
        if let Some(b) = s.baseline {
            base.add(b);
        }
        survived += usize::from(s.comment_form_survived);
    }
    if let Some(path) = &args.per_page {
        let mut out = String::from("id\tprecision\trecall\tf1\tcomment_form_survived\tbaseline_f1\n");
        for s in &scores {
            out.push_str(&format!(
                "{}\t{:.4}\t{:.4}\t{:.4}\t{}\t{}\n",
                s.id,
                s.score.precision,
                s.score.recall,
                s.score.f1,
                s.comment_form_survived,
                s.baseline.map(|b| format!("{:.4}", b.f1)).unwrap_or_default()
            ));
        }
        std::fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let m = mean.mean();
    let path_name = if args.text {
        "scraped text (clean_text)"
    } else {
        "html (clean_html)"
    };
    println!(
        "pages: {}   path: {path_name}   split: {:?}",
        scores.len(),
        args.split
    );
    if args.text || extractor_baseline {
        let b = base.mean();
        println!(
            "{}  precision {:.4}  recall {:.4}  F1 {:.4}",
            if args.text {
                "raw visible text"
            } else {
                "rs-trafilatura  "
            },
            b.precision,
            b.recall,
            b.f1
        );
    }
    println!(
        "clean             precision {:.4}  recall {:.4}  F1 {:.4}",
        m.precision, m.recall, m.f1
    );
    println!("pages where comment-form text survived: {survived}");
    print_survivors(&scores);
    if let Some(path) = &args.survivors {
        let mut out = String::from("id\tkind\tin_truth\tline\n");
        for s in &scores {
            let survivors = s.survivors.iter().map(|(v, t)| (v, t, ""));
            for (v, in_truth, tag) in survivors.chain(s.suspects.iter().map(|(v, t)| (v, t, "suspect:"))) {
                out.push_str(&format!(
                    "{}\t{tag}{}\t{}\t{}\n",
                    s.id,
                    v.kind.as_str(),
                    in_truth,
                    v.line.replace('\t', " ")
                ));
            }
        }
        std::fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!(
        "time: {:.2} s ({:.1} pages/s, {:.2} MB/s incl. scoring, {jobs} thread(s))",
        elapsed,
        scores.len() as f64 / elapsed.max(1e-9),
        bytes as f64 / 1e6 / elapsed.max(1e-9)
    );
    Ok(())
}
