//! `cargo +nightly fuzz run clean` (from the repository root): any bytes, as
//! text and as HTML, through the whole clean stage. Must never panic or hang,
//! offsets must stay inside the input, and no line the clean rules classify
//! as comment form, share, subscribe or credit may survive in the output
//! (`survivors`: the final pass of both paths must have dropped it).
//! See docs/clean-robustness.md for the flags and the seed corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsflow::pipeline::clean::{clean_html, clean_text, html_to_text, survivors};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let c = clean_text(&s);
    let n = s.chars().count();
    for b in &c.boilerplate {
        assert!(b.start <= b.end && b.end <= n);
    }
    let left = survivors(&c.text);
    assert!(left.is_empty(), "text path kept {left:?}");
    let h = clean_html(&s);
    let left = survivors(&h.text);
    assert!(left.is_empty(), "html path kept {left:?}");
    if let Some(extracted) = &h.extracted {
        let m = extracted.chars().count();
        for b in &h.boilerplate {
            assert!(b.start <= b.end && b.end <= m);
        }
    }
    let _ = html_to_text(&s);
});
