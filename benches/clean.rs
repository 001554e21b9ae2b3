//! Throughput of the whole clean stage on WCXB dev pages, side by side with
//! the extractor it builds on (`rs-trafilatura` alone), in the same run:
//! `cargo bench --no-default-features --bench clean`.
//! Criterion reports time per page set and MB/s (bytes of HTML); pages/s is
//! the page count over the median time (printed once at start).
//! Without `../shared` the bench runs on a synthetic article page.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::io::Read;
use std::path::Path;

/// The first `n` WCXB dev pages (every 10th page, for variety), or a
/// synthetic page when the corpus is absent.
fn pages(n: usize) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/boilerplate/wcxb-dev/html");
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    let mut out = Vec::new();
    for f in files.iter().step_by(10).take(n) {
        let raw = std::fs::read(f).expect("read page");
        let mut html = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut html)
            .expect("gunzip page");
        out.push(String::from_utf8_lossy(&html).into_owned());
    }
    if out.is_empty() {
        eprintln!("../shared/corpora/boilerplate/wcxb-dev absent: benchmarking a synthetic page");
        let para = "<p>Le Kazakhstan et l’Union européenne ont confirmé leur volonté de développer une \
                    coopération multidimensionnelle mutuellement bénéfique.</p>";
        out.push(format!(
            "<html><head><title>T</title></head><body><nav><a>Accueil</a><a>Monde</a></nav><article>{}\
             </article><footer>© 2024 Ex</footer></body></html>",
            para.repeat(30)
        ));
    }
    out
}

fn bench(c: &mut Criterion) {
    let pages = pages(40);
    let bytes: usize = pages.iter().map(String::len).sum();
    eprintln!("clean bench: {} pages, {:.2} MB", pages.len(), bytes as f64 / 1e6);
    let texts: Vec<String> = pages
        .iter()
        .map(|p| newsflow::pipeline::clean::html_to_text(p))
        .collect();
    let mut g = c.benchmark_group("clean_wcxb");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("rs_trafilatura_extract", |b| {
        b.iter(|| {
            for p in &pages {
                std::hint::black_box(rs_trafilatura::extract(p).ok());
            }
        })
    });
    g.bench_function("clean_html", |b| {
        b.iter(|| {
            for p in &pages {
                std::hint::black_box(newsflow::pipeline::clean::clean_html(p));
            }
        })
    });
    // Where the stage's time goes: our parse and rs-trafilatura with the
    // on-the-page guard (`html::parse`), then the stage without the line
    // combiner (adds the short-extraction switch's line model and the
    // rules), then the whole stage above (adds the combiner).
    g.bench_function("parse_and_extract", |b| {
        b.iter(|| {
            for p in &pages {
                std::hint::black_box(newsflow::pipeline::clean::html::parse(p, None, false).is_ok());
            }
        })
    });
    // The same with each visible line's place in the tree recorded (what
    // a shipped edit combiner needs).
    g.bench_function("parse_and_extract_with_dom", |b| {
        b.iter(|| {
            for p in &pages {
                std::hint::black_box(newsflow::pipeline::clean::html::parse(p, None, true).is_ok());
            }
        })
    });
    // A combiner file that is not embedded (`CLEAN_BENCH_COMBINER=FILE`, as
    // `newsflow train clean-html --out FILE` writes it): what shipping it
    // would cost.
    if let Ok(path) = std::env::var("CLEAN_BENCH_COMBINER") {
        let bytes = std::fs::read(&path).expect("read CLEAN_BENCH_COMBINER");
        let combiner = newsflow::pipeline::clean::model::LineModel::from_gz(&bytes).expect("a combiner file");
        g.bench_function("clean_html_with_file_combiner", |b| {
            b.iter(|| {
                for p in &pages {
                    std::hint::black_box(newsflow::pipeline::clean::html::clean_with(
                        p,
                        None,
                        Some(&combiner),
                    ));
                }
            })
        });
    }
    g.bench_function("clean_html_without_combiner", |b| {
        b.iter(|| {
            for p in &pages {
                std::hint::black_box(newsflow::pipeline::clean::html::clean_with(p, None, None));
            }
        })
    });
    g.bench_function("html_to_text", |b| {
        b.iter(|| {
            for p in &pages {
                std::hint::black_box(newsflow::pipeline::clean::html_to_text(p));
            }
        })
    });
    let text_bytes: usize = texts.iter().map(String::len).sum();
    g.throughput(Throughput::Bytes(text_bytes as u64));
    g.bench_function("clean_text_on_visible_text", |b| {
        b.iter(|| {
            for t in &texts {
                std::hint::black_box(newsflow::pipeline::clean::clean_text(t));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
