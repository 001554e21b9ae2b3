//! `newsflow enrich [FILE|-]`: the core from JSON Lines to stdout.
//!
//! One output line per non-blank input line, in input order, with the same
//! `id`. A line that cannot be enriched becomes `{"id", "error",
//! "error_kind", "line"}` and the run goes on. Memory stays bounded whatever
//! the input: a line over `--max-line-bytes` is skipped without being held
//! (a `too_large` error line), and a batch holds at most [`BATCH_BYTES`].

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
    /// Longest input line accepted, in bytes; a longer line gets a
    /// `too_large` error line and is never held in memory whole. The
    /// default takes a 10 MB HTML page even with JSON escaping doubling it.
    #[arg(long, default_value_t = 32 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_line_bytes: u64,
}

/// Lines processed together; bounds memory while keeping all cores busy.
const BATCH_LINES: usize = 256;

/// Input bytes held by one batch at most (a batch of 256 lines at the line
/// limit would otherwise hold 8 GiB). A line alone may exceed it.
const BATCH_BYTES: usize = 64 * 1024 * 1024;

/// What is kept of a line over the limit: enough for its `id` when the
/// object starts with it, as scrapers' records usually do.
const TOO_LARGE_HEAD: usize = 64 * 1024;

pub fn run(args: Args) -> anyhow::Result<()> {
    let pipeline = Pipeline::load().context("loading the models")?;
    let reader: Box<dyn BufRead> = match args.input.as_deref() {
        None => Box::new(io::stdin().lock()),
        Some(p) if p.as_os_str() == "-" => Box::new(io::stdin().lock()),
        Some(p) => Box::new(BufReader::new(
            File::open(p).with_context(|| format!("cannot open {}", p.display()))?,
        )),
    };
    let mut reader = reader;
    let limit = usize::try_from(args.max_line_bytes).unwrap_or(usize::MAX);
    let jobs = super::jobs(args.jobs);
    let mut out = BufWriter::new(io::stdout().lock());
    let mut batch: Vec<(usize, InputLine)> = Vec::with_capacity(BATCH_LINES);
    let mut batch_bytes = 0usize;
    let mut counts = Counts::default();
    let mut line_no = 0usize;
    loop {
        // `None` at the end of the input: the last, partial batch goes out.
        let next = read_line_bounded(&mut reader, limit).context("reading input")?;
        if let Some(line) = next.as_ref() {
            line_no += 1;
            if line.is_blank() {
                continue;
            }
            batch_bytes += line.held_bytes();
        }
        let done = next.is_none();
        batch.extend(next.map(|line| (line_no, line)));
        if batch.len() == BATCH_LINES || batch_bytes >= BATCH_BYTES || done {
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
            batch_bytes = 0;
        }
        if done {
            break;
        }
    }
    out.flush().context("writing output")?;
    tracing::info!(ok = counts.ok, errors = counts.errors, "enrich done");
    Ok(())
}

/// One line of input, as far as it was read.
#[derive(Debug, PartialEq)]
enum InputLine {
    /// The whole line, without its `\n`.
    Whole(Vec<u8>),
    /// A line over the limit: its size and its first [`TOO_LARGE_HEAD`] bytes.
    TooLarge {
        size: usize,
        limit: usize,
        head: Vec<u8>,
    },
}

impl InputLine {
    fn is_blank(&self) -> bool {
        match self {
            InputLine::Whole(line) => line.iter().all(u8::is_ascii_whitespace),
            InputLine::TooLarge { .. } => false,
        }
    }

    fn held_bytes(&self) -> usize {
        match self {
            InputLine::Whole(line) => line.len(),
            InputLine::TooLarge { head, .. } => head.len(),
        }
    }
}

/// Reads the next line, holding at most `limit` bytes of it: past the limit
/// the rest of the line is read and dropped. `None` at the end of input; a
/// last line without `\n` still counts.
fn read_line_bounded(reader: &mut impl BufRead, limit: usize) -> io::Result<Option<InputLine>> {
    let mut line = Vec::new();
    let mut size = 0usize;
    let mut read_any = false;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        read_any = true;
        let newline = chunk.iter().position(|&b| b == b'\n');
        let part = newline.unwrap_or(chunk.len());
        // Past the limit only the head is kept, for the error line's id.
        let over = size + part > limit;
        let room = if over {
            TOO_LARGE_HEAD.saturating_sub(line.len()).min(part)
        } else {
            part
        };
        line.extend_from_slice(&chunk[..room]);
        if over {
            line.truncate(TOO_LARGE_HEAD);
        }
        size += part;
        reader.consume(part + usize::from(newline.is_some()));
        if newline.is_some() {
            break;
        }
    }
    if !read_any {
        return Ok(None);
    }
    Ok(Some(if size > limit {
        InputLine::TooLarge {
            size,
            limit,
            head: line,
        }
    } else {
        InputLine::Whole(line)
    }))
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
    batch: &[(usize, InputLine)],
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
                        .map(|(no, line)| match line {
                            InputLine::Whole(line) => enrich_line(pipeline, stages, pretty, *no, line),
                            InputLine::TooLarge { size, limit, head } => {
                                too_large_line(*no, *size, *limit, head)
                            }
                        })
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
    error_line(line_no, id, kind, &message)
}

/// The error line of an input line over `--max-line-bytes`.
fn too_large_line(line_no: usize, size: usize, limit: usize, head: &[u8]) -> (String, bool) {
    let err = crate::pipeline::InputError::TooLarge {
        size,
        limit,
        setting: "--max-line-bytes",
    };
    let message = err.to_string();
    let id = std::str::from_utf8(head)
        .or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]))
        .ok()
        .and_then(leading_id);
    error_line(line_no, id, err.kind(), &message)
}

/// Logs an input line's failure and renders its error line.
fn error_line(line_no: usize, id: Option<String>, kind: &str, message: &str) -> (String, bool) {
    tracing::warn!(
        line = line_no,
        id = id.as_deref().unwrap_or(""),
        kind,
        "{message}"
    );
    let line = json!({ "id": id, "error": message, "error_kind": kind, "line": line_no });
    (line.to_string(), false)
}

/// The `id` of a JSON object of which only the beginning is at hand: the
/// members are read in order until `id` or the cut.
fn leading_id(head: &str) -> Option<String> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
    use std::cell::RefCell;

    struct FindId<'a>(&'a RefCell<Option<String>>);
    impl<'de> Visitor<'de> for FindId<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<String>()? {
                if key == "id" {
                    *self.0.borrow_mut() = match map.next_value::<serde_json::Value>()? {
                        serde_json::Value::String(s) if !s.is_empty() => Some(s),
                        serde_json::Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    };
                    return Ok(());
                }
                map.next_value::<IgnoredAny>()?;
            }
            Ok(())
        }
    }
    let found = RefCell::new(None);
    // The cut makes the parse fail after the id was seen: keep what was found.
    let _ = serde_json::Deserializer::from_str(head).deserialize_map(FindId(&found));
    found.into_inner()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of `input` as read with `limit`, through a small buffer
    /// so that lines span several reads.
    fn lines(input: &[u8], limit: usize) -> Vec<InputLine> {
        let mut reader = BufReader::with_capacity(7, input);
        std::iter::from_fn(|| read_line_bounded(&mut reader, limit).unwrap()).collect()
    }

    #[test]
    fn lines_within_the_limit_are_whole() {
        let got = lines(b"{\"id\":1}\n\n  \nlast without newline", 100);
        let want = [&b"{\"id\":1}"[..], b"", b"  ", b"last without newline"];
        assert_eq!(got, want.map(|l| InputLine::Whole(l.to_vec())));
        assert!(lines(b"", 100).is_empty());
        assert_eq!(lines(b"\n", 100), [InputLine::Whole(vec![])]);
    }

    #[test]
    fn a_line_over_the_limit_keeps_only_its_head_and_the_next_line_is_whole() {
        let long = format!(
            "{{\"id\":\"big\",\"text\":\"{}\"}}",
            "x".repeat(3 * TOO_LARGE_HEAD)
        );
        let input = format!("{long}\n{{\"id\":\"next\"}}");
        let got = lines(input.as_bytes(), 1000);
        assert_eq!(got.len(), 2);
        match &got[0] {
            InputLine::TooLarge { size, limit, head } => {
                assert_eq!((*size, *limit), (long.len(), 1000));
                assert_eq!(
                    head.len(),
                    TOO_LARGE_HEAD,
                    "memory held is the head, not the line"
                );
                assert_eq!(&head[..], &long.as_bytes()[..TOO_LARGE_HEAD]);
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
        assert_eq!(got[1], InputLine::Whole(b"{\"id\":\"next\"}".to_vec()));
        // Exactly at the limit is still whole.
        assert_eq!(lines(b"12345", 5), [InputLine::Whole(b"12345".to_vec())]);
        assert!(matches!(
            lines(b"123456", 5)[0],
            InputLine::TooLarge { size: 6, .. }
        ));
    }

    #[test]
    fn the_id_is_found_in_a_cut_object_when_it_comes_before_the_cut() {
        assert_eq!(
            leading_id(r#"{"id": "a1", "html": "<p>cut he"#),
            Some("a1".into())
        );
        assert_eq!(
            leading_id(r#"{"url": "u", "id": 42, "text": "cu"#),
            Some("42".into())
        );
        assert_eq!(leading_id(r#"{"html": "<p>cut before the id"#), None);
        assert_eq!(leading_id(r#"{"id": ["not", "an", "id"], "#), None);
        assert_eq!(leading_id(r#"[1, 2"#), None);
        assert_eq!(leading_id(""), None);
    }

    #[test]
    fn a_too_large_line_answers_with_its_id_and_what_to_do() {
        let (line, ok) = too_large_line(7, 5000, 1000, br#"{"id": "big", "text": "xxxx"#);
        assert!(!ok);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["id"], "big");
        assert_eq!(v["error_kind"], "too_large");
        assert_eq!(v["line"], 7);
        let message = v["error"].as_str().unwrap();
        assert!(
            message.contains("5000 bytes") && message.contains("--max-line-bytes"),
            "{message}"
        );
    }
}
