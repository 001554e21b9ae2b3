//! Text hygiene: what every cleaned line goes through, whatever its source.
//!
//! Each step only undoes damage done on the way from the publisher to us and
//! never rewrites real content:
//! * HTML entities left in scraped text (`&eacute;`, `&#8217;`) are decoded;
//! * mojibake, UTF-8 that was decoded as Latin-1 or Windows-1252 somewhere
//!   upstream ("europÃ©enne", "lâ€™UE"), is re-encoded and decoded again,
//!   only where the bytes form valid UTF-8 (so "Ã" in real text stays);
//! * characters that are never visible content (soft hyphens, zero-width
//!   spaces, BOMs, directional marks around Latin text) are removed;
//! * the result is in Unicode NFC (so "é" is one code point everywhere and
//!   offsets downstream are stable);
//! * runs of whitespace (including no-break and other Unicode spaces) become
//!   one space, and the line is trimmed.

use std::borrow::Cow;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Cleans one line (no line breaks expected; any inside become spaces).
pub fn clean_line(line: &str) -> String {
    let decoded = decode_entities(line);
    let repaired = repair_mojibake(&decoded);
    let visible = strip_invisible(&repaired);
    let nfc: Cow<str> = match is_nfc_quick(visible.chars()) {
        IsNormalized::Yes => Cow::Borrowed(&visible),
        _ => Cow::Owned(visible.nfc().collect()),
    };
    collapse_whitespace(&nfc)
}

/// Decodes HTML character references (all HTML5 named ones, decimal and
/// hexadecimal). Text without `&` is returned as is, without copying.
pub fn decode_entities(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    // Twice: scraped text is often double-escaped (`&amp;eacute;`).
    match html_escape::decode_html_entities(text) {
        Cow::Borrowed(_) => Cow::Borrowed(text),
        Cow::Owned(once) => {
            if once.contains('&') {
                Cow::Owned(html_escape::decode_html_entities(&once).into_owned())
            } else {
                Cow::Owned(once)
            }
        }
    }
}

/// Whether a character never carries visible content in running text.
/// ZWJ/ZWNJ and directional marks are meaningful between letters of some
/// scripts (Persian, Indic, emoji sequences, Arabic/Hebrew runs), so those
/// are only dropped next to ASCII or spaces, see [`strip_invisible`].
fn always_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}' | '\u{FFFC}' | '\u{FFFD}'
    ) || (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

fn context_invisible(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}' | '\u{200E}' | '\u{200F}')
}

/// Removes invisible characters (see [`always_invisible`]); ZWJ, ZWNJ, LRM
/// and RLM only when a neighbour is ASCII, a space or absent, where they
/// cannot shape anything.
pub fn strip_invisible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| always_invisible(c) || context_invisible(c)) {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        if always_invisible(c) {
            continue;
        }
        if context_invisible(c) {
            let trivial = |n: Option<&char>| n.is_none_or(|n| n.is_ascii() || n.is_whitespace());
            if trivial(i.checked_sub(1).and_then(|j| chars.get(j))) || trivial(chars.get(i + 1)) {
                continue;
            }
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// Collapses every run of Unicode whitespace to one ASCII space and trims.
pub fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The Windows-1252 byte for a character, where it has one (Latin-1 range
/// and the 27 printable characters CP1252 puts in 0x80..=0x9F; C1 controls
/// map to themselves, which is what a Latin-1 decoder produces).
fn cp1252_byte(c: char) -> Option<u8> {
    let b = match c {
        '\u{80}'..='\u{FF}' => c as u32 as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    };
    Some(b)
}

/// Lead bytes of 2- to 4-byte UTF-8 sequences, as Latin-1 characters
/// (Â Ã Ä ... ô): a mojibake sequence always starts with one of them.
fn is_lead(c: char) -> bool {
    ('\u{C2}'..='\u{F4}').contains(&c)
}

/// Repairs UTF-8 that was decoded as Latin-1/Windows-1252 ("europÃ©enne" →
/// "européenne", "lâ€™UE" → "l’UE"), also when it happened twice. Only
/// sequences that re-encode to *valid* UTF-8 multi-byte characters are
/// replaced, so genuine Latin-1 text ("Ã la carte" is not valid UTF-8 once
/// encoded) is left alone.
pub fn repair_mojibake(text: &str) -> Cow<'_, str> {
    let mut current = Cow::Borrowed(text);
    for _ in 0..2 {
        match repair_once(&current) {
            Some(fixed) => current = Cow::Owned(fixed),
            None => break,
        }
    }
    current
}

fn repair_once(text: &str) -> Option<String> {
    if !text.chars().any(is_lead) {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_lead(c) {
            let lead = c as u32 as u8;
            let len = if lead >= 0xF0 {
                4
            } else if lead >= 0xE0 {
                3
            } else {
                2
            };
            if i + len <= chars.len() {
                let bytes: Option<Vec<u8>> = chars[i..i + len].iter().map(|&c| cp1252_byte(c)).collect();
                if let Some(bytes) = bytes {
                    if let Ok(s) = std::str::from_utf8(&bytes) {
                        // A decoded C1 control means this was not mojibake of text.
                        if !s.chars().any(|d| d.is_control()) {
                            out.push_str(s);
                            changed = true;
                            i += len;
                            continue;
                        }
                    }
                }
            }
        }
        out.push(c);
        i += 1;
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_nfc_invisible_whitespace() {
        assert_eq!(clean_line("l&rsquo;UE &amp; la&nbsp;France"), "l’UE & la France");
        assert_eq!(clean_line("caf&amp;eacute;"), "café");
        assert_eq!(clean_line("&#8220;Oui&#x201D;"), "“Oui”");
        assert_eq!(clean_line("  a\u{00AD}b\u{200B}c \t d  "), "abc d");
        assert_eq!(clean_line("e\u{0301}"), "\u{00E9}");
        assert_eq!(clean_line("AT&T and R&D"), "AT&T and R&D");
    }

    #[test]
    fn zwj_kept_inside_scripts_that_use_it() {
        // Persian: ZWNJ between two Arabic-script letters is meaningful.
        let fa = "می\u{200C}خواهم";
        assert_eq!(clean_line(fa), fa);
        assert_eq!(clean_line("a\u{200C} b"), "a b");
    }

    #[test]
    fn mojibake_repaired() {
        assert_eq!(repair_mojibake("europÃ©enne"), "européenne");
        assert_eq!(repair_mojibake("lâ€™UE"), "l’UE");
        assert_eq!(repair_mojibake("Tokaïev"), "Tokaïev");
        assert_eq!(repair_mojibake("MÃ¼nchen"), "München");
        // Double mojibake.
        assert_eq!(repair_mojibake("ÃƒÂ©t\u{00C3}\u{00A9}"), "été");
        assert_eq!(repair_mojibake("Ð¼Ð¾Ñ\u{81}ÐºÐ²Ð°"), "москва");
        assert_eq!(repair_mojibake("Ãœber"), "Über");
    }

    #[test]
    fn real_latin1_text_untouched() {
        for s in ["Ã la carte", "Ça va", "Â", "naïve café", "Øresund Å", "±5 °C"] {
            assert_eq!(repair_mojibake(s), s, "{s}");
        }
    }
}
