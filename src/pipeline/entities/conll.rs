//! CoNLL-style NER files (one token per line, tag in the last column, blank
//! line between sentences) and strict span scoring.
//!
//! Accepted layouts: `token tag`, `index token tag` (WikiNEuRal, the shared
//! CoNLL-2003 copy), `token POS chunk tag` (original CoNLL-2003). Tokens
//! carrying a WikiANN language prefix (`fr:Paris`) lose it. `-DOCSTART-`
//! lines are skipped. Tags may be IOB1 or IOB2: spans are read with
//! conlleval's rules, so both score the same.

use anyhow::Context;
use std::collections::BTreeMap;
use std::path::Path;

/// One annotated sentence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sentence {
    pub tokens: Vec<String>,
    pub tags: Vec<String>,
}

/// Reads a CoNLL-style file.
pub fn read_conll(path: &Path) -> anyhow::Result<Vec<Sentence>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_conll(&text).with_context(|| format!("in {}", path.display()))
}

/// Parses CoNLL-style text (see the module doc for the layouts).
pub fn parse_conll(text: &str) -> anyhow::Result<Vec<Sentence>> {
    let mut out = Vec::new();
    let mut cur = Sentence::default();
    let mut prefix: Option<String> = None;
    for (no, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            if !cur.tokens.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let cols: Vec<&str> = line.split(['\t', ' ']).filter(|c| !c.is_empty()).collect();
        if cols.len() < 2 {
            anyhow::bail!(
                "line {}: expected a token and a tag column, got `{line}` (one token per line, tag last)",
                no + 1
            );
        }
        let tag = cols[cols.len() - 1];
        let token = if cols.len() >= 3 && cols[0].bytes().all(|b| b.is_ascii_digit()) {
            cols[1]
        } else {
            cols[0]
        };
        if token == "-DOCSTART-" {
            continue;
        }
        // WikiANN prefixes every token with its language (`fr:`).
        if prefix.is_none() {
            if let Some((p, rest)) = token.split_once(':') {
                if (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase()) && !rest.is_empty()
                {
                    prefix = Some(format!("{p}:"));
                } else {
                    prefix = Some(String::new());
                }
            } else {
                prefix = Some(String::new());
            }
        }
        let token = match prefix.as_deref() {
            Some(p) if !p.is_empty() => token.strip_prefix(p).filter(|t| !t.is_empty()).unwrap_or(token),
            _ => token,
        };
        cur.tokens.push(token.to_string());
        cur.tags.push(tag.to_string());
    }
    if !cur.tokens.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

/// The entity type of a tag (`B-PER` → `PER`), `None` for `O`.
fn tag_type(tag: &str) -> Option<&str> {
    match tag.split_once('-') {
        Some((_, ty)) if !ty.is_empty() => Some(ty),
        _ if tag == "O" || tag.is_empty() => None,
        _ => Some(tag),
    }
}

/// Strict spans `(start, end, type)` (token indices, end exclusive), with
/// conlleval's chunk rules (IOB1, IOB2, and BILOU's B/I/L/U read as IOB2).
pub fn spans<S: AsRef<str>>(tags: &[S]) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, &str)> = None;
    for (i, tag) in tags.iter().enumerate() {
        let tag = tag.as_ref();
        let ty = tag_type(tag);
        let prefix = tag.split_once('-').map_or("", |(p, _)| p);
        let starts = match (ty, open) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(t), Some((_, o))) => t != o || prefix == "B" || prefix == "U" || prefix == "S",
        };
        if ty.is_none() || starts {
            if let Some((s, o)) = open.take() {
                out.push((s, i, o.to_string()));
            }
        }
        if starts {
            open = ty.map(|t| (i, t));
        }
        if matches!(prefix, "L" | "U" | "E" | "S") {
            if let Some((s, o)) = open.take() {
                out.push((s, i + 1, o.to_string()));
            }
        }
    }
    if let Some((s, o)) = open {
        out.push((s, tags.len(), o.to_string()));
    }
    out
}

/// True positives, false positives and false negatives per type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scores {
    pub per_type: BTreeMap<String, [usize; 3]>,
}

/// Precision, recall, F1 (percent) from counts.
pub fn prf(tp: usize, fp: usize, fn_: usize) -> (f64, f64, f64) {
    let p = if tp + fp == 0 {
        0.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let r = if tp + fn_ == 0 {
        0.0
    } else {
        tp as f64 / (tp + fn_) as f64
    };
    let f = if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) };
    (100.0 * p, 100.0 * r, 100.0 * f)
}

impl Scores {
    /// Adds one sentence. Only types in `keep` count (all when empty).
    pub fn add(&mut self, gold: &[(usize, usize, String)], pred: &[(usize, usize, String)], keep: &[String]) {
        let counts = |t: &str| keep.is_empty() || keep.iter().any(|k| k == t);
        for g in gold.iter().filter(|g| counts(&g.2)) {
            let e = self.per_type.entry(g.2.clone()).or_default();
            if pred.contains(g) {
                e[0] += 1;
            } else {
                e[2] += 1;
            }
        }
        for p in pred.iter().filter(|p| counts(&p.2)) {
            if !gold.contains(p) {
                self.per_type.entry(p.2.clone()).or_default()[1] += 1;
            }
        }
    }

    /// Micro-averaged counts over all types.
    pub fn total(&self) -> [usize; 3] {
        self.per_type
            .values()
            .fold([0; 3], |a, c| [a[0] + c[0], a[1] + c[1], a[2] + c[2]])
    }

    /// Micro F1 in percent.
    pub fn f1(&self) -> f64 {
        let [tp, fp, fn_] = self.total();
        prf(tp, fp, fn_).2
    }

    /// A printable table (overall, then per type).
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<8} {:>7} {:>7} {:>7} {:>7} {:>7}\n",
            "type", "P", "R", "F1", "gold", "pred"
        );
        let mut row = |name: &str, c: [usize; 3]| {
            let (p, r, f) = prf(c[0], c[1], c[2]);
            s.push_str(&format!(
                "{name:<8} {p:>7.2} {r:>7.2} {f:>7.2} {:>7} {:>7}\n",
                c[0] + c[2],
                c[0] + c[1]
            ));
        };
        row("overall", self.total());
        for (t, c) in &self.per_type {
            row(t, *c);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_and_prefixes() {
        let s = parse_conll("fr:Jean\tB-PER\nfr:Dupont\tI-PER\n\nfr:à\tO\n").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].tokens, ["Jean", "Dupont"]);
        let s = parse_conll("-DOCSTART- -X- O O\n\n0\tEU\tB-ORG\n1\trejects\tO\n").unwrap();
        assert_eq!(s[0].tokens, ["EU", "rejects"]);
        let s = parse_conll("EU NNP B-NP I-ORG\nrejects VBZ B-VP O\n").unwrap();
        assert_eq!(s[0].tags, ["I-ORG", "O"]);
        assert!(parse_conll("lonely\n").is_err());
    }

    #[test]
    fn iob1_and_iob2_spans_agree() {
        let iob1 = ["I-PER", "I-PER", "B-PER", "O", "I-LOC"];
        let iob2 = ["B-PER", "I-PER", "B-PER", "O", "B-LOC"];
        assert_eq!(spans(&iob1), spans(&iob2));
        assert_eq!(
            spans(&iob2),
            [(0, 2, "PER".into()), (2, 3, "PER".into()), (4, 5, "LOC".into())]
        );
        let bilou = ["U-Loc", "B-Org", "I-Org", "L-Org", "O"];
        assert_eq!(spans(&bilou), [(0, 1, "Loc".into()), (1, 4, "Org".into())]);
    }

    #[test]
    fn strict_scores() {
        let mut s = Scores::default();
        let gold = spans(&["B-PER", "I-PER", "O", "B-LOC"]);
        let pred = spans(&["B-PER", "O", "O", "B-LOC"]);
        s.add(&gold, &pred, &[]);
        assert_eq!(s.per_type["PER"], [0, 1, 1]);
        assert_eq!(s.per_type["LOC"], [1, 0, 0]);
        assert!((s.f1() - 50.0).abs() < 1e-9);
        let mut only_loc = Scores::default();
        only_loc.add(&gold, &pred, &["LOC".into()]);
        assert!((only_loc.f1() - 100.0).abs() < 1e-9);
    }
}
