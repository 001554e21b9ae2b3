//! Statistical pair classifier for the CoNLL04 relation types.
//!
//! For every ordered pair of mentions in a sentence whose entity types fit a
//! relation's signature (Work_For is PER → ORG, ...), a binary logistic
//! regression scores "this pair is in that relation". Features are the
//! classic dependency-free ones of feature-based relation extraction (Zhou
//! et al. 2005, Roth & Yih 2004): the mentions' words and heads, the words
//! between them (bag, first, last, bigrams, the whole short sequence with
//! other mentions replaced by their type), the words around each argument,
//! distance, the mentions in between, whether each argument is the nearest
//! of its type to the other, and the class of place (US state, country...)
//! for locations. They are hashed (FNV-1a, stable across builds and
//! platforms) into a fixed table, one weight per (feature, relation), so the
//! model is a flat array and scoring a pair is a few dozen loads.
//!
//! Training is averaged AdaGrad over shuffled pairs, a few seconds on
//! CoNLL04 train. The shipped model stores only non-zero weights, quantised
//! to 16 bits, with delta-coded indices.

use super::conll04::{relation_for, RELATION_TYPES};
use super::lexicon;
use super::view::SentenceView;
use crate::pipeline::record::EntityType;
use anyhow::{bail, Context};

/// Bumped whenever features change: a model trained with other features is
/// refused at load time rather than silently scoring garbage.
pub const FEATURE_VERSION: u32 = 4;

const MAGIC: &[u8; 8] = b"NFRELPC1";

/// A trained pair classifier.
#[derive(Debug, Clone)]
pub struct PairClassifier {
    bits: u32,
    weights: Vec<f32>,
    /// Probability above which a pair is emitted.
    pub threshold: f32,
}

/// One scored candidate pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// Indices into the view's `args`.
    pub subject: usize,
    pub object: usize,
    /// Index into [`RELATION_TYPES`].
    pub label: usize,
    pub probability: f32,
}

/// Training settings.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    pub epochs: usize,
    pub learning_rate: f32,
    /// log2 of the hashed feature table size.
    pub bits: u32,
    pub seed: u64,
    pub threshold: f32,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 12,
            learning_rate: 0.2,
            bits: 18,
            seed: 0x5eed_cafe,
            threshold: 0.3,
        }
    }
}

/// A training pair: its hashed features, relation label and gold answer.
pub struct TrainPair {
    pub features: Vec<u64>,
    pub label: usize,
    pub gold: bool,
}

/// The candidate (subject, object, label) pairs of a sentence, in order.
pub fn candidates(view: &SentenceView) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    for s in 0..view.args.len() {
        for o in 0..view.args.len() {
            if s == o {
                continue;
            }
            if let Some(label) = relation_for(view.args[s].kind, view.args[o].kind) {
                out.push((s, o, label));
            }
        }
    }
    out
}

impl PairClassifier {
    /// Scores every candidate pair of the sentence.
    pub fn score_all(&self, view: &SentenceView) -> Vec<Scored> {
        let mut feats = Vec::with_capacity(128);
        let cache = ArgCache::new(view);
        candidates(view)
            .into_iter()
            .map(|(s, o, label)| {
                feats.clear();
                pair_features(view, &cache, s, o, &mut feats);
                Scored {
                    subject: s,
                    object: o,
                    label,
                    probability: sigmoid(self.score(&feats, label)),
                }
            })
            .collect()
    }

    /// The pairs to emit: above the threshold, and for two mentions at most
    /// one relation (the likelier direction).
    pub fn predict(&self, view: &SentenceView) -> Vec<Scored> {
        let scored = self.score_all(view);
        let mut kept: Vec<Scored> = Vec::new();
        for c in scored.into_iter().filter(|c| c.probability >= self.threshold) {
            if let Some(other) = kept.iter_mut().find(|k| {
                (k.subject == c.object && k.object == c.subject)
                    || (k.subject == c.subject && k.object == c.object)
            }) {
                if c.probability > other.probability {
                    *other = c;
                }
            } else {
                kept.push(c);
            }
        }
        kept
    }

    fn score(&self, feats: &[u64], label: usize) -> f32 {
        let mask = (1usize << self.bits) - 1;
        feats.iter().map(|&f| self.weights[slot(f, label) & mask]).sum()
    }

    /// Trains on pairs (see [`training_pairs`]).
    pub fn train(pairs: &[TrainPair], config: &TrainConfig) -> PairClassifier {
        let size = 1usize << config.bits;
        let mask = size - 1;
        let mut w = vec![0f32; size];
        // Averaging: u accumulates t * update, average = w - u / t.
        let mut u = vec![0f32; size];
        let mut g2 = vec![0f32; size];
        let mut order: Vec<usize> = (0..pairs.len()).collect();
        let mut rng = config.seed | 1;
        let mut t = 1f32;
        for _ in 0..config.epochs {
            shuffle(&mut order, &mut rng);
            for &i in &order {
                let p = &pairs[i];
                let z: f32 = p.features.iter().map(|&f| w[slot(f, p.label) & mask]).sum();
                let grad = sigmoid(z) - if p.gold { 1.0 } else { 0.0 };
                if grad.abs() > 1e-4 {
                    for &f in &p.features {
                        let k = slot(f, p.label) & mask;
                        g2[k] += grad * grad;
                        let step = config.learning_rate * grad / (1.0 + g2[k].sqrt());
                        w[k] -= step;
                        u[k] -= t * step;
                    }
                }
                t += 1.0;
            }
        }
        for k in 0..size {
            w[k] -= u[k] / t;
        }
        PairClassifier {
            bits: config.bits,
            weights: w,
            threshold: config.threshold,
        }
    }

    /// Serialises the model: non-zero weights quantised to i16, indices
    /// delta-coded as LEB128 varints.
    pub fn to_bytes(&self) -> Vec<u8> {
        let max = self.weights.iter().fold(0f32, |m, w| m.max(w.abs())).max(1e-9);
        let scale = max / i16::MAX as f32;
        let entries: Vec<(usize, i16)> = self
            .weights
            .iter()
            .enumerate()
            .filter_map(|(i, &w)| {
                let q = (w / scale).round() as i32;
                (q != 0).then_some((i, q.clamp(i16::MIN as i32, i16::MAX as i32) as i16))
            })
            .collect();
        let mut out = Vec::with_capacity(24 + entries.len() * 4);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FEATURE_VERSION.to_le_bytes());
        out.extend_from_slice(&self.bits.to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        out.extend_from_slice(&self.threshold.to_le_bytes());
        out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        let mut prev = 0usize;
        for (i, q) in entries {
            let mut delta = (i - prev) as u64;
            prev = i;
            loop {
                let byte = (delta & 0x7f) as u8;
                delta >>= 7;
                if delta == 0 {
                    out.push(byte);
                    break;
                }
                out.push(byte | 0x80);
            }
            out.extend_from_slice(&q.to_le_bytes());
        }
        out
    }

    /// Reads a model written by [`PairClassifier::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<PairClassifier> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(8)? != MAGIC {
            bail!("not a newsflow relation classifier (bad magic)");
        }
        let version = r.u32()?;
        if version != FEATURE_VERSION {
            bail!(
                "relation classifier has feature version {version}, this build needs {FEATURE_VERSION}: \
                 retrain it with `newsflow train relations`"
            );
        }
        let bits = r.u32()?;
        if !(10..=26).contains(&bits) {
            bail!("relation classifier: implausible table size 2^{bits}");
        }
        let scale = f32::from_le_bytes(r.take(4)?.try_into()?);
        let threshold = f32::from_le_bytes(r.take(4)?.try_into()?);
        let count = r.u32()? as usize;
        let mut weights = vec![0f32; 1 << bits];
        let mut index = 0usize;
        for _ in 0..count {
            let mut delta = 0u64;
            let mut shift = 0;
            loop {
                let b = r.take(1)?[0];
                delta |= u64::from(b & 0x7f) << shift;
                if b & 0x80 == 0 {
                    break;
                }
                shift += 7;
                if shift > 35 {
                    bail!("relation classifier: corrupt index");
                }
            }
            index += delta as usize;
            let q = i16::from_le_bytes(r.take(2)?.try_into()?);
            *weights
                .get_mut(index)
                .context("relation classifier: index out of range")? = f32::from(q) * scale;
        }
        if r.pos != bytes.len() {
            bail!("relation classifier: {} trailing bytes", bytes.len() - r.pos);
        }
        Ok(PairClassifier {
            bits,
            weights,
            threshold,
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> anyhow::Result<&'a [u8]> {
        let end = self.pos + n;
        if end > self.bytes.len() {
            bail!("relation classifier: truncated file");
        }
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> anyhow::Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into()?))
    }
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// The table slot of a feature for a relation label.
fn slot(feature: u64, label: usize) -> usize {
    let h = (feature ^ (label as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_mul(0xff51_afd7_ed55_8ccd);
    (h ^ (h >> 29)) as usize
}

fn shuffle(v: &mut [usize], state: &mut u64) {
    for i in (1..v.len()).rev() {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let j = (*state % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

/// FNV-1a over the parts, with a separator between them.
fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in p.as_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0x1f;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn bucket(n: usize) -> &'static str {
    match n {
        0 => "0",
        1 => "1",
        2 => "2",
        3 => "3",
        4 => "4",
        5..=6 => "5-6",
        7..=9 => "7-9",
        10..=14 => "10-14",
        _ => "15+",
    }
}

fn type_token(kind: EntityType) -> &'static str {
    match kind {
        EntityType::PER => "<PER>",
        EntityType::ORG => "<ORG>",
        EntityType::LOC => "<LOC>",
        EntityType::MISC => "<MISC>",
    }
}

/// The words of a token range with every mention collapsed to its type.
fn collapsed<'v>(view: &'v SentenceView, from: usize, to: usize) -> Vec<&'v str> {
    let mut out = Vec::new();
    let mut i = from;
    while i < to {
        if let Some(a) = view.arg_covering(i) {
            out.push(type_token(view.args[a].kind));
            i = view.args[a].tokens.end.max(i + 1);
        } else {
            out.push(view.norm[i].as_str());
            i += 1;
        }
    }
    out
}

/// Per-mention strings, computed once per sentence rather than per pair.
pub struct ArgCache {
    words: Vec<String>,
    class: Vec<Option<&'static str>>,
}

impl ArgCache {
    pub fn new(view: &SentenceView) -> ArgCache {
        let words: Vec<String> = view
            .args
            .iter()
            .map(|a| view.norm_text(a.tokens.clone()))
            .collect();
        let class = words.iter().map(|w| lexicon::place_class(w)).collect();
        ArgCache { words, class }
    }
}

/// Hashed features of the ordered pair (subject `s`, object `o`).
pub fn pair_features(view: &SentenceView, cache: &ArgCache, s: usize, o: usize, out: &mut Vec<u64>) {
    let sa = &view.args[s];
    let oa = &view.args[o];
    let forward = sa.tokens.start < oa.tokens.start;
    let dir = if forward { "F" } else { "B" };
    let (left, right) = if forward { (sa, oa) } else { (oa, sa) };
    let mut f = |parts: &[&str]| out.push(fnv(parts));

    f(&["bias", dir]);
    // The arguments themselves.
    let s_words = cache.words[s].as_str();
    let o_words = cache.words[o].as_str();
    let s_head = view.norm[sa.tokens.end - 1].as_str();
    let o_head = view.norm[oa.tokens.end - 1].as_str();
    f(&["sm", s_words]);
    f(&["om", o_words]);
    f(&["sh", s_head]);
    f(&["oh", o_head]);
    f(&["sl", bucket(sa.tokens.len().min(4))]);
    f(&["ol", bucket(oa.tokens.len().min(4))]);
    for w in &view.norm[sa.tokens.clone()] {
        f(&["sw", w]);
    }
    for w in &view.norm[oa.tokens.clone()] {
        f(&["ow", w]);
    }
    if let Some(c) = cache.class[s] {
        f(&["sc", c]);
    }
    if let Some(c) = cache.class[o] {
        f(&["oc", c]);
        if let Some(sc) = cache.class[s] {
            f(&["scoc", sc, c, dir]);
        }
    }

    // Between the two mentions.
    let between = collapsed(view, left.tokens.end, right.tokens.start);
    let n = right.tokens.start.saturating_sub(left.tokens.end);
    f(&["dist", bucket(n), dir]);
    if between.is_empty() {
        f(&["adjacent", dir]);
    }
    for w in &between {
        f(&["bw", w]);
        f(&["bwd", w, dir]);
    }
    if let (Some(first), Some(last)) = (between.first(), between.last()) {
        f(&["bf", first, dir]);
        f(&["bl", last, dir]);
        f(&["bfl", first, last, dir]);
    }
    for pair in between.windows(2) {
        f(&["bb", pair[0], pair[1], dir]);
    }
    if between.len() <= 5 {
        let mut parts = Vec::with_capacity(between.len() + 2);
        parts.push("bs");
        parts.extend(between.iter().copied());
        parts.push(dir);
        f(&parts);
    }
    let mut counts = [0usize; 4];
    for a in view
        .args
        .iter()
        .filter(|a| a.tokens.start >= left.tokens.end && a.tokens.end <= right.tokens.start)
    {
        counts[a.kind as usize] += 1;
    }
    for (k, name) in ["PER", "ORG", "LOC", "MISC"].iter().enumerate() {
        if counts[k] > 0 {
            f(&["eb", name, bucket(counts[k].min(3))]);
        }
    }
    let commas = between.iter().filter(|w| **w == ",").count();
    f(&["commas", bucket(commas.min(3)), dir]);

    // Context of each argument.
    let word = |i: isize| -> &str {
        if i < 0 {
            "<S>"
        } else if i as usize >= view.len() {
            "</S>"
        } else {
            view.norm[i as usize].as_str()
        }
    };
    let (ss, se) = (sa.tokens.start as isize, sa.tokens.end as isize);
    let (os, oe) = (oa.tokens.start as isize, oa.tokens.end as isize);
    f(&["s-1", word(ss - 1), dir]);
    f(&["s+1", word(se), dir]);
    f(&["o-1", word(os - 1), dir]);
    f(&["o+1", word(oe), dir]);
    f(&["s-2", word(ss - 2), word(ss - 1)]);
    f(&["o-2", word(os - 2), word(os - 1)]);
    f(&["s+2", word(se), word(se + 1)]);
    f(&["o+2", word(oe), word(oe + 1)]);
    let (ls, re) = (left.tokens.start as isize, right.tokens.end as isize);
    f(&["l-1", word(ls - 1), dir]);
    f(&["r+1", word(re), dir]);

    // Nearest-of-type: is the object the closest mention of its type to the
    // subject, and the subject the closest of its type to the object?
    let nearest = |from: &super::view::Arg, to: usize| -> bool {
        let d = |a: &super::view::Arg| {
            if a.tokens.start >= from.tokens.end {
                a.tokens.start - from.tokens.end
            } else {
                from.tokens.start.saturating_sub(a.tokens.end)
            }
        };
        let target = &view.args[to];
        let dt = d(target);
        !view
            .args
            .iter()
            .enumerate()
            .any(|(i, a)| i != to && a.kind == target.kind && a.tokens != from.tokens && d(a) < dt)
    };
    let on = nearest(sa, o);
    let sn = nearest(oa, s);
    f(&[
        "near",
        if on { "o" } else { "-" },
        if sn { "s" } else { "-" },
        dir,
    ]);
    f(&["nargs", bucket(view.args.len().min(7))]);
    let label = relation_for(sa.kind, oa.kind).map_or("-", |l| RELATION_TYPES[l].0);
    f(&["sig", label, dir, bucket(n)]);
}

/// Turns one sentence into training pairs (gold relations among candidates).
pub fn training_pairs(view: &SentenceView, gold: &[(usize, usize, usize)], out: &mut Vec<TrainPair>) {
    let cache = ArgCache::new(view);
    for (s, o, label) in candidates(view) {
        let mut features = Vec::with_capacity(128);
        pair_features(view, &cache, s, o, &mut features);
        out.push(TrainPair {
            features,
            label,
            gold: gold.contains(&(s, o, label)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same sentence fixture as the pattern tests use.
    use crate::pipeline::relations::patterns::tests::view;

    #[test]
    fn learns_a_separable_toy_problem_and_round_trips() {
        use EntityType::*;
        let pos = view(
            &["Smith", ",", "president", "of", "Acme"],
            &[(0, 1, PER), (4, 5, ORG)],
        );
        let neg = view(&["Smith", "sued", "Acme"], &[(0, 1, PER), (2, 3, ORG)]);
        let mut pairs = Vec::new();
        for _ in 0..20 {
            training_pairs(&pos, &[(0, 1, 0)], &mut pairs);
            training_pairs(&neg, &[], &mut pairs);
        }
        let model = PairClassifier::train(
            &pairs,
            &TrainConfig {
                bits: 14,
                ..Default::default()
            },
        );
        let p = model.predict(&pos);
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].subject, p[0].object, p[0].label), (0, 1, 0));
        assert!(model.predict(&neg).is_empty());
        let bytes = model.to_bytes();
        let back = PairClassifier::from_bytes(&bytes).unwrap();
        let a = model.score_all(&pos)[0].probability;
        let b = back.score_all(&pos)[0].probability;
        assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        assert!(PairClassifier::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(PairClassifier::from_bytes(b"garbage!").is_err());
    }

    #[test]
    fn candidates_follow_type_signatures() {
        use EntityType::*;
        let v = view(&["A", "B", "C"], &[(0, 1, PER), (1, 2, ORG), (2, 3, PER)]);
        let c = candidates(&v);
        // PER→ORG twice, PER→PER (Kill) both directions.
        assert_eq!(c.len(), 4);
        assert!(c.contains(&(0, 2, 4)) && c.contains(&(2, 0, 4)));
        assert!(!c.iter().any(|&(s, _, _)| s == 1));
    }
}
