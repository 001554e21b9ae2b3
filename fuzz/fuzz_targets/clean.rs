//! `cargo +nightly fuzz run clean` (from the repository root): any bytes, as
//! text and as HTML, through the whole clean stage. Must never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsflow::pipeline::clean::{clean_html, clean_text, html_to_text};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let c = clean_text(&s);
    let n = s.chars().count();
    for b in &c.boilerplate {
        assert!(b.start <= b.end && b.end <= n);
    }
    let _ = clean_html(&s);
    let _ = html_to_text(&s);
});
