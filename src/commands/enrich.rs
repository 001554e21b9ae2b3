//! `newsflow enrich [FILE|-]`: the core from JSON Lines to stdout.
//!
//! One output line per non-blank input line, in input order, with the same
//! `id`. A line that cannot be enriched becomes `{"id", "error",
//! "error_kind", "line"}` and the run goes on.

use crate::pipeline::{Article, Pipeline, Stages};
use anyhow::Context;
use serde_json::json;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// JSON Lines file of articles (`{"id", "text" or "html", "lang"?, ...}`); `-` or nothing for stdin.
    pub input: Option<PathBuf>,
    /// Stages to run, comma-separated: clean, entities, relations.
    #[arg(long, default_value = "clean,entities,relations")]
    pub stages: Stages,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Pretty-print each record (then it is no longer one line per record).
    #[arg(long)]
    pub pretty: bool,
}

/// Lines processed together; bounds memory while keeping all cores busy.
const BATCH_LINES: usize = 256;

pub fn run(args: Args) -> anyhow::Result<()> {
    let pipeline = Pipeline::load().context("loading the models")?;
    let reader: Box<dyn BufRead> = match args.input.as_deref() {
        None => Box::new(io::stdin().lock()),
        Some(p) if p.as_os_str() == "-" => Box::new(io::stdin().lock()),
        Some(p) => Box::new(BufReader::new(
            File::open(p).with_context(|| format!("cannot open {}", p.display()))?,
        )),
    };
    let jobs = super::jobs(args.jobs);
    let mut out = BufWriter::new(io::stdout().lock());
    let mut batch: Vec<(usize, Vec<u8>)> = Vec::with_capacity(BATCH_LINES);
    let mut counts = Counts::default();
    let mut line_no = 0usize;
    let mut lines = reader.split(b'\n');
    loop {
        // `None` at the end of the input: the last, partial batch goes out.
        let next = lines.next().transpose().context("reading input")?;
        if let Some(line) = next.as_ref() {
            line_no += 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
        }
        let done = next.is_none();
        batch.extend(next.map(|line| (line_no, line)));
        if batch.len() == BATCH_LINES || done {
            write_batch(
                &pipeline,
                args.stages,
                jobs,
                args.pretty,
                &batch,
                &mut out,
                &mut counts,
            )?;
            batch.clear();
        }
        if done {
            break;
        }
    }
    out.flush().context("writing output")?;
    tracing::info!(ok = counts.ok, errors = counts.errors, "enrich done");
    Ok(())
}

#[derive(Default)]
struct Counts {
    ok: usize,
    errors: usize,
}

fn write_batch(
    pipeline: &Pipeline,
    stages: Stages,
    jobs: usize,
    pretty: bool,
    batch: &[(usize, Vec<u8>)],
    out: &mut impl Write,
    counts: &mut Counts,
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let chunk = batch.len().div_ceil(jobs);
    let results: Vec<(String, bool)> = std::thread::scope(|scope| {
        let handles: Vec<_> = batch
            .chunks(chunk)
            .map(|lines| {
                scope.spawn(move || {
                    lines
                        .iter()
                        .map(|(no, line)| enrich_line(pipeline, stages, pretty, *no, line))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("enrich worker panicked outside catch_unwind"))
            .collect()
    });
    for (line, ok) in results {
        if ok {
            counts.ok += 1;
        } else {
            counts.errors += 1;
        }
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Enriches one input line into one output line, and whether it succeeded.
/// Never panics: a panic in a stage is caught and reported as that line's
/// error.
pub fn enrich_line(
    pipeline: &Pipeline,
    stages: Stages,
    pretty: bool,
    line_no: usize,
    line: &[u8],
) -> (String, bool) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let text = std::str::from_utf8(line).map_err(|e| {
            let err = crate::pipeline::InputError::NotUtf8(e.valid_up_to());
            (None, err.kind(), err.to_string())
        })?;
        let article = Article::from_json_str(text, None)
            .map_err(|e| (best_effort_id(text), e.kind(), e.to_string()))?;
        let record = pipeline
            .enrich(&article, stages)
            .map_err(|e| (Some(article.id.clone()), e.kind(), e.to_string()))?;
        let json = if pretty {
            serde_json::to_string_pretty(&record)
        } else {
            serde_json::to_string(&record)
        };
        json.map_err(|e| (Some(article.id.clone()), "serialize", e.to_string()))
    }));
    let (id, kind, message) = match outcome {
        Ok(Ok(json)) => return (json, true),
        Ok(Err(err)) => err,
        Err(panic) => {
            let text = std::str::from_utf8(line).ok();
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            (
                text.and_then(best_effort_id),
                "panic",
                format!("internal error (please report): {message}"),
            )
        }
    };
    tracing::warn!(
        line = line_no,
        id = id.as_deref().unwrap_or(""),
        kind,
        "{message}"
    );
    let line = json!({ "id": id, "error": message, "error_kind": kind, "line": line_no });
    (line.to_string(), false)
}

/// The `id` of a line that failed later, if the line is a JSON object with one.
fn best_effort_id(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    match value.get("id")? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
