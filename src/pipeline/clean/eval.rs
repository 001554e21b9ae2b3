//! Scoring extracted text against ground truth, the way the WCXB benchmark
//! does it: both texts are lower-cased and split into words (maximal runs
//! of letters, digits and marks), and precision and recall are computed over
//! the two word multisets (bag of words, so order and duplicates count
//! exactly as often as they occur). A page's F1 is the harmonic mean of its
//! precision and recall; a corpus score is the mean over pages.
//!
//! Conventions for empty texts (so that an extractor cannot win by returning
//! nothing): both empty scores 1/1/1; one side empty scores 0/0/0.

use std::collections::HashMap;

/// Word-level precision, recall and F1 of one page.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// Splits text into lower-cased words: maximal runs of alphanumeric
/// characters (any script) plus combining marks, so "l’UE" gives `l` and
/// `ue`, and "don't" gives `don` and `t` on both sides alike.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() || is_mark(c) {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Combining marks (Devanagari vowel signs, Arabic harakat, ...) belong to
/// the word they modify; `char::is_alphanumeric` does not cover them.
pub(crate) fn is_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A | 0x064B..=0x065F
        | 0x0670 | 0x06D6..=0x06DC | 0x0900..=0x0903 | 0x093A..=0x094F | 0x0951..=0x0957
        | 0x0962..=0x0963 | 0x0981..=0x0983 | 0x09BC..=0x09D7 | 0x0A01..=0x0A51 | 0x0A81..=0x0ACD
        | 0x0B01..=0x0B57 | 0x0B82..=0x0BD7 | 0x0C00..=0x0C56 | 0x0C81..=0x0CD6 | 0x0D00..=0x0D57
        | 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF
        | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Scores `predicted` against `truth` over word multisets.
pub fn word_prf(predicted: &str, truth: &str) -> Prf {
    let p = words(predicted);
    let t = words(truth);
    match (p.is_empty(), t.is_empty()) {
        (true, true) => {
            return Prf {
                precision: 1.0,
                recall: 1.0,
                f1: 1.0,
            }
        }
        (true, false) | (false, true) => return Prf::default(),
        _ => {}
    }
    let mut bag: HashMap<&str, isize> = HashMap::with_capacity(t.len());
    for w in &t {
        *bag.entry(w.as_str()).or_default() += 1;
    }
    let mut overlap = 0usize;
    for w in &p {
        if let Some(n) = bag.get_mut(w.as_str()) {
            if *n > 0 {
                *n -= 1;
                overlap += 1;
            }
        }
    }
    let precision = overlap as f64 / p.len() as f64;
    let recall = overlap as f64 / t.len() as f64;
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    Prf {
        precision,
        recall,
        f1,
    }
}

/// Running mean of page scores.
#[derive(Debug, Clone, Copy, Default)]
pub struct MeanPrf {
    pub pages: usize,
    sum: (f64, f64, f64),
}

impl MeanPrf {
    pub fn add(&mut self, s: Prf) {
        self.pages += 1;
        self.sum.0 += s.precision;
        self.sum.1 += s.recall;
        self.sum.2 += s.f1;
    }

    pub fn mean(&self) -> Prf {
        let n = self.pages.max(1) as f64;
        Prf {
            precision: self.sum.0 / n,
            recall: self.sum.1 / n,
            f1: self.sum.2 / n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_on_punctuation_and_lowercase() {
        assert_eq!(words("Le Kazakhstan, l’UE!"), vec!["le", "kazakhstan", "l", "ue"]);
        assert_eq!(words("हिन्दी"), vec!["हिन्दी"]);
        assert!(words(" ,.; ").is_empty());
    }

    #[test]
    fn multiset_scores() {
        let s = word_prf("a a b", "a b c d");
        assert!((s.precision - 2.0 / 3.0).abs() < 1e-9);
        assert!((s.recall - 0.5).abs() < 1e-9);
        assert!((s.f1 - 4.0 / 7.0).abs() < 1e-9);
        assert_eq!(word_prf("", "").f1, 1.0);
        assert_eq!(word_prf("", "x").f1, 0.0);
        assert_eq!(word_prf("x", "").f1, 0.0);
        assert_eq!(word_prf("A b", "b a").f1, 1.0);
    }
}
