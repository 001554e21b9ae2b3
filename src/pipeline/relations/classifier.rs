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

use super::conll04::relation_for;
use super::lexicon;
use super::view::{word_id as fnv, SentenceView};
use crate::pipeline::record::EntityType;
use anyhow::{bail, Context};

/// Bumped whenever features change: a model trained with other features is
/// refused at load time rather than silently scoring garbage.
pub const FEATURE_VERSION: u32 = 6;

const MAGIC: &[u8; 8] = b"NFRELPC1";

/// A trained pair classifier.
#[derive(Debug, Clone)]
pub struct PairClassifier {
    bits: u32,
    /// Weights quantised to i16 (`weight = q * scale`): the table stays a
    /// quarter of a MB at 2^17 slots, so scoring (one random load per
    /// feature) mostly hits the cache.
    weights: Vec<i16>,
    scale: f32,
    /// Probability above which a pair is emitted.
    pub threshold: f32,
    /// The CoNLL04 span convention for relation arguments.
    pub convention: Convention,
}

/// Title words the CoNLL04 annotation counts as part of a mention of a type
/// while the entities stage leaves them out (`Mr.`, `President` before a
/// person): a CoNLL04 relation's argument span includes such a word right
/// before its mention. Learnt from the training corpus by [`PrefixCounts`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Convention {
    /// (mention type, normalised word), sorted.
    pub prefixes: Vec<(EntityType, String)>,
}

impl Convention {
    /// The token range of mention `a` as a CoNLL04 relation argument: with
    /// a learnt title word right before it, when that word is in no other
    /// mention.
    pub fn argument_tokens(&self, view: &SentenceView, a: usize) -> std::ops::Range<usize> {
        let arg = &view.args[a];
        let t = arg.tokens.clone();
        let Some(prev) = t.start.checked_sub(1) else {
            return t;
        };
        let known = self
            .prefixes
            .binary_search_by(|(k, w)| (*k, w.as_str()).cmp(&(arg.kind, &*view.norm[prev])))
            .is_ok();
        if known && view.arg_covering(prev).is_none() {
            prev..t.end
        } else {
            t
        }
    }
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
            bits: 17,
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
        let mut cache = ArgCache::new(view);
        candidates(view)
            .into_iter()
            .map(|(s, o, label)| {
                feats.clear();
                pair_features(view, &mut cache, s, o, &mut feats);
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
        let q: i32 = feats
            .iter()
            .map(|&f| i32::from(self.weights[slot(f, label) & mask]))
            .sum();
        q as f32 * self.scale
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
        let max = w.iter().fold(0f32, |m, x| m.max(x.abs())).max(1e-9);
        let scale = max / f32::from(i16::MAX);
        let weights = w
            .iter()
            .map(|&x| {
                (x / scale)
                    .round()
                    .clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16
            })
            .collect();
        PairClassifier {
            bits: config.bits,
            weights,
            scale,
            threshold: config.threshold,
            convention: Convention::default(),
        }
    }

    /// Serialises the model: non-zero weights quantised to i16, indices
    /// delta-coded as LEB128 varints.
    pub fn to_bytes(&self) -> Vec<u8> {
        let scale = self.scale;
        let entries: Vec<(usize, i16)> = self
            .weights
            .iter()
            .enumerate()
            .filter(|(_, &q)| q != 0)
            .map(|(i, &q)| (i, q))
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
        out.extend_from_slice(&(self.convention.prefixes.len() as u32).to_le_bytes());
        for (kind, word) in &self.convention.prefixes {
            out.push(*kind as u8);
            out.push(word.len().min(255) as u8);
            out.extend_from_slice(&word.as_bytes()[..word.len().min(255)]);
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
        let mut weights = vec![0i16; 1 << bits];
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
                .context("relation classifier: index out of range")? = q;
        }
        let mut prefixes = Vec::new();
        for _ in 0..r.u32()? {
            let kind = match r.take(1)?[0] {
                0 => EntityType::PER,
                1 => EntityType::ORG,
                2 => EntityType::LOC,
                3 => EntityType::MISC,
                k => bail!("relation classifier: bad entity type {k} in the prefix table"),
            };
            let len = r.take(1)?[0] as usize;
            let word = std::str::from_utf8(r.take(len)?).context("relation classifier: prefix not UTF-8")?;
            prefixes.push((kind, word.to_string()));
        }
        prefixes.sort();
        if r.pos != bytes.len() {
            bail!("relation classifier: {} trailing bytes", bytes.len() - r.pos);
        }
        Ok(PairClassifier {
            bits,
            weights,
            scale,
            threshold,
            convention: Convention { prefixes },
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

/// Combines a feature's parts (template id first) into one hash. Integer
/// only: words enter as their precomputed [`fnv`] hashes.
#[inline]
fn combine(parts: &[u64]) -> u64 {
    let mut h: u64 = 0x243f_6a88_85a3_08d3;
    for &p in parts {
        h = (h.rotate_left(5) ^ p).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    h
}

/// Coarse size classes for counts and distances.
fn bucket(n: usize) -> u64 {
    match n {
        0..=4 => n as u64,
        5..=6 => 5,
        7..=9 => 6,
        10..=14 => 7,
        _ => 8,
    }
}

/// Stand-ins for a whole mention in word sequences, by entity type.
const TYPE_TOKENS: [u64; 4] = [fnv("<PER>"), fnv("<ORG>"), fnv("<LOC>"), fnv("<MISC>")];
const START: u64 = fnv("<S>");
const END: u64 = fnv("</S>");
const COMMA: u64 = fnv(",");

/// Feature templates (the first part of every feature).
mod t {
    pub const BIAS: u64 = 1;
    pub const S_MENTION: u64 = 2;
    pub const O_MENTION: u64 = 3;
    pub const S_HEAD: u64 = 4;
    pub const O_HEAD: u64 = 5;
    pub const S_LEN: u64 = 6;
    pub const O_LEN: u64 = 7;
    pub const S_WORD: u64 = 8;
    pub const O_WORD: u64 = 9;
    pub const S_CLASS: u64 = 10;
    pub const O_CLASS: u64 = 11;
    pub const CLASSES: u64 = 12;
    pub const DIST: u64 = 13;
    pub const ADJACENT: u64 = 14;
    pub const BETWEEN: u64 = 15;
    pub const BETWEEN_DIR: u64 = 16;
    pub const FIRST: u64 = 17;
    pub const LAST: u64 = 18;
    pub const FIRST_LAST: u64 = 19;
    pub const BIGRAM: u64 = 20;
    pub const SEQUENCE: u64 = 21;
    pub const MENTIONS_BETWEEN: u64 = 22;
    pub const COMMAS: u64 = 23;
    pub const S_PREV: u64 = 24;
    pub const S_NEXT: u64 = 25;
    pub const O_PREV: u64 = 26;
    pub const O_NEXT: u64 = 27;
    pub const S_PREV2: u64 = 28;
    pub const O_PREV2: u64 = 29;
    pub const S_NEXT2: u64 = 30;
    pub const O_NEXT2: u64 = 31;
    pub const LEFT_PREV: u64 = 32;
    pub const RIGHT_NEXT: u64 = 33;
    pub const NEAREST: u64 = 34;
    pub const ARGS: u64 = 35;
    pub const SIGNATURE: u64 = 36;
    pub const SUBTYPES: u64 = 37;
}

/// Per-sentence hashes, computed once rather than per pair: each token's
/// word, each mention's whole text and place class.
pub struct ArgCache {
    tokens: Vec<u64>,
    mentions: Vec<u64>,
    class: Vec<u64>,
    subtypes: Vec<u64>,
    /// Scratch for the words between two mentions.
    between: Vec<u64>,
}

impl ArgCache {
    pub fn new(view: &SentenceView) -> ArgCache {
        // The view's ids: FNV-1a hashes of the words (stable, so a model
        // file stays valid across builds).
        let tokens: Vec<u64> = view.ids.clone();
        let mentions = view
            .args
            .iter()
            .map(|a| combine(&tokens[a.tokens.clone()]))
            .collect();
        let class = view
            .args
            .iter()
            .map(|a| {
                let class = if a.tokens.len() == 1 {
                    lexicon::place_class(&view.norm[a.tokens.start])
                } else {
                    lexicon::place_class(&view.norm_text(a.tokens.clone()))
                };
                match class {
                    Some("country") => 1,
                    Some("us_state") => 2,
                    Some(_) => 3,
                    None => 0,
                }
            })
            .collect();
        let subtypes = view
            .args
            .iter()
            .map(|a| a.subtype.as_deref().map_or(0, fnv))
            .collect();
        ArgCache {
            tokens,
            mentions,
            class,
            subtypes,
            between: Vec::with_capacity(32),
        }
    }
}

/// The word hashes of a token range with every mention collapsed to its
/// type, into `out`.
fn collapse(view: &SentenceView, tokens: &[u64], from: usize, to: usize, out: &mut Vec<u64>) {
    out.clear();
    let mut i = from;
    while i < to {
        if let Some(a) = view.arg_covering(i) {
            out.push(TYPE_TOKENS[view.args[a].kind as usize]);
            i = view.args[a].tokens.end.max(i + 1);
        } else {
            out.push(tokens[i]);
            i += 1;
        }
    }
}

/// Hashed features of the ordered pair (subject `s`, object `o`).
pub fn pair_features(view: &SentenceView, cache: &mut ArgCache, s: usize, o: usize, out: &mut Vec<u64>) {
    let sa = &view.args[s];
    let oa = &view.args[o];
    let forward = sa.tokens.start < oa.tokens.start;
    let dir = u64::from(forward);
    let (left, right) = if forward { (sa, oa) } else { (oa, sa) };
    let mut f = |parts: &[u64]| out.push(combine(parts));
    let tok = &cache.tokens;

    f(&[t::BIAS, dir]);
    // The arguments themselves.
    f(&[t::S_MENTION, cache.mentions[s]]);
    f(&[t::O_MENTION, cache.mentions[o]]);
    f(&[t::S_HEAD, tok[sa.tokens.end - 1]]);
    f(&[t::O_HEAD, tok[oa.tokens.end - 1]]);
    f(&[t::S_LEN, sa.tokens.len().min(4) as u64]);
    f(&[t::O_LEN, oa.tokens.len().min(4) as u64]);
    for &w in &tok[sa.tokens.clone()] {
        f(&[t::S_WORD, w]);
    }
    for &w in &tok[oa.tokens.clone()] {
        f(&[t::O_WORD, w]);
    }
    // The finer type linking gave (country, city, international_org...):
    // also a sign the mention is a real name rather than tagger noise.
    f(&[t::SUBTYPES, cache.subtypes[s], cache.subtypes[o], dir]);
    let (sc, oc) = (cache.class[s], cache.class[o]);
    if sc != 0 {
        f(&[t::S_CLASS, sc]);
    }
    if oc != 0 {
        f(&[t::O_CLASS, oc]);
        if sc != 0 {
            f(&[t::CLASSES, sc, oc, dir]);
        }
    }

    // Between the two mentions.
    let n = right.tokens.start.saturating_sub(left.tokens.end);
    f(&[t::DIST, bucket(n), dir]);
    collapse(view, tok, left.tokens.end, right.tokens.start, &mut cache.between);
    let between = &cache.between;
    if between.is_empty() {
        f(&[t::ADJACENT, dir]);
    }
    for &w in between {
        f(&[t::BETWEEN, w]);
        f(&[t::BETWEEN_DIR, w, dir]);
    }
    if let (Some(&first), Some(&last)) = (between.first(), between.last()) {
        f(&[t::FIRST, first, dir]);
        f(&[t::LAST, last, dir]);
        f(&[t::FIRST_LAST, first, last, dir]);
    }
    for pair in between.windows(2) {
        f(&[t::BIGRAM, pair[0], pair[1], dir]);
    }
    if between.len() <= 5 {
        let mut parts = [0u64; 7];
        parts[0] = t::SEQUENCE;
        parts[1..=between.len()].copy_from_slice(between);
        parts[between.len() + 1] = dir;
        f(&parts[..between.len() + 2]);
    }
    let mut counts = [0usize; 4];
    for a in view
        .args
        .iter()
        .filter(|a| a.tokens.start >= left.tokens.end && a.tokens.end <= right.tokens.start)
    {
        counts[a.kind as usize] += 1;
    }
    for (k, &c) in counts.iter().enumerate() {
        if c > 0 {
            f(&[t::MENTIONS_BETWEEN, k as u64, bucket(c.min(3))]);
        }
    }
    let commas = between.iter().filter(|&&w| w == COMMA).count();
    f(&[t::COMMAS, bucket(commas.min(3)), dir]);

    // Context of each argument.
    let word = |i: isize| -> u64 {
        if i < 0 {
            START
        } else if i as usize >= tok.len() {
            END
        } else {
            tok[i as usize]
        }
    };
    let (ss, se) = (sa.tokens.start as isize, sa.tokens.end as isize);
    let (os, oe) = (oa.tokens.start as isize, oa.tokens.end as isize);
    f(&[t::S_PREV, word(ss - 1), dir]);
    f(&[t::S_NEXT, word(se), dir]);
    f(&[t::O_PREV, word(os - 1), dir]);
    f(&[t::O_NEXT, word(oe), dir]);
    f(&[t::S_PREV2, word(ss - 2), word(ss - 1)]);
    f(&[t::O_PREV2, word(os - 2), word(os - 1)]);
    f(&[t::S_NEXT2, word(se), word(se + 1)]);
    f(&[t::O_NEXT2, word(oe), word(oe + 1)]);
    let (ls, re) = (left.tokens.start as isize, right.tokens.end as isize);
    f(&[t::LEFT_PREV, word(ls - 1), dir]);
    f(&[t::RIGHT_NEXT, word(re), dir]);

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
    let on = u64::from(nearest(sa, o));
    let sn = u64::from(nearest(oa, s));
    f(&[t::NEAREST, on, sn, dir]);
    f(&[t::ARGS, bucket(view.args.len().min(7))]);
    let label = relation_for(sa.kind, oa.kind).map_or(9, |l| l as u64);
    f(&[t::SIGNATURE, label, dir, bucket(n)]);
}

/// How often the word right before a mention the entities stage found is
/// inside the corpus's mention (`President Lincoln`) rather than outside it
/// (`Sen. Jake Garn`), over training sentences run through the pipeline:
/// the span convention [`PairClassifier::argument_tokens`] applies.
#[derive(Debug, Default)]
pub struct PrefixCounts {
    counts: std::collections::BTreeMap<(EntityType, String), (u32, u32)>,
}

impl PrefixCounts {
    pub fn add(&mut self, kind: EntityType, word: &str, inside: bool) {
        let c = self.counts.entry((kind, word.to_string())).or_default();
        if inside {
            c.0 += 1;
        } else {
            c.1 += 1;
        }
    }

    /// The words inside at least `min` times and more often inside than
    /// outside.
    pub fn learnt(&self, min: u32) -> Convention {
        Convention {
            prefixes: self
                .counts
                .iter()
                .filter(|(_, &(i, o))| i >= min && i > o)
                .map(|(k, _)| k.clone())
                .collect(),
        }
    }
}

/// Turns one sentence into training pairs (gold relations among candidates).
pub fn training_pairs(view: &SentenceView, gold: &[(usize, usize, usize)], out: &mut Vec<TrainPair>) {
    let mut cache = ArgCache::new(view);
    for (s, o, label) in candidates(view) {
        let mut features = Vec::with_capacity(128);
        pair_features(view, &mut cache, s, o, &mut features);
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
        let mut model = model;
        model.convention.prefixes = vec![(PER, "mr.".to_string())];
        let bytes = model.to_bytes();
        let back = PairClassifier::from_bytes(&bytes).unwrap();
        assert_eq!(back.convention, model.convention);
        let a = model.score_all(&pos)[0].probability;
        let b = back.score_all(&pos)[0].probability;
        assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        assert!(PairClassifier::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(PairClassifier::from_bytes(b"garbage!").is_err());
    }

    #[test]
    fn title_words_join_arguments_when_learnt() {
        use EntityType::*;
        let mut counts = PrefixCounts::default();
        for _ in 0..3 {
            counts.add(PER, "mr.", true);
            counts.add(PER, "sen.", false);
        }
        counts.add(PER, "sen.", true);
        counts.add(PER, "dr.", true);
        let convention = counts.learnt(2);
        assert_eq!(convention.prefixes, vec![(PER, "mr.".to_string())]);
        let v = view(
            &["Mr.", "Smith", "met", "Sen.", "Jones", "in", "Mr.", "Acme"],
            &[(1, 2, PER), (4, 5, PER), (7, 8, ORG)],
        );
        assert_eq!(convention.argument_tokens(&v, 0), 0..2);
        assert_eq!(convention.argument_tokens(&v, 1), 4..5);
        // Learnt for persons only.
        assert_eq!(convention.argument_tokens(&v, 2), 7..8);
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
