//! The sequence tagger: an averaged structured perceptron over hashed
//! features with first-order label transitions and Viterbi decoding.
//!
//! Why a perceptron and not a CRF: it trains in minutes on this machine
//! (one pass is a Viterbi decode plus a sparse update), tags at the speed of
//! a few hundred memory reads per token, and on NER with rich features it is
//! within a point of a CRF (Collins 2002; Ratinov & Roth 2009).
//!
//! The label set is whatever the training data uses, so the same trainer
//! serves other tagging tasks (`train`, [`TaggerModel::tag`]). Labels named
//! `B-X`/`I-X` get the BIO constraint: `I-X` only after `B-X` or `I-X`.
//!
//! Partial supervision: a training token may allow several labels (a corpus
//! without MISC allows `O`, `B-MISC`, `I-MISC` where it says `O`); the
//! reference sequence is then the best one the current weights find within
//! the allowed labels (a latent-variable perceptron).
//!
//! Model file: gzip of a small JSON header, the quantised weights (one byte
//! each, see [`Codebook`]), the transitions and the word-cluster table.
//! Deterministic given the data and the seed. Files of the first format
//! (i16 weights) still load: their weights are re-quantised on load.

use super::features::{self, TokenInfo, TEMPLATES};
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};

/// First format: i16 weights with one linear scale.
const MAGIC_V1: &[u8; 8] = b"NFTAG01\n";
/// Current format: one-byte weight codes decoded through a [`Codebook`].
const MAGIC: &[u8; 8] = b"NFTAG02\n";

/// Weight codes are one byte; their values follow a power law so that the
/// many small weights keep their precision and the few large ones are not
/// clipped: `value(c) = sign(c) * max * (|c| / 127)^CODE_POWER`.
///
/// Why one byte and not i16: decoding reads one row of the weight table per
/// feature template and token, at random; the table's size decides whether
/// those reads hit the CPU cache. Halving the bytes per weight (and the
/// bucket count, see `train ner --bits`) is what brings the table into L3.
const CODE_POWER: f32 = 2.0;

/// The value of each weight code (index: the code as `u8`).
#[derive(Debug, Clone)]
struct Codebook {
    values: [f32; 256],
    max: f32,
}

impl Codebook {
    fn new(max: f32) -> Codebook {
        let mut values = [0f32; 256];
        for c in -127i32..=127 {
            let mag = max * (c.unsigned_abs() as f32 / 127.0).powf(CODE_POWER);
            values[c as i8 as u8 as usize] = if c < 0 { -mag } else { mag };
        }
        Codebook { values, max }
    }

    /// The nearest code of `v` (clamped to ±max).
    fn encode(&self, v: f32) -> i8 {
        if self.max <= 0.0 || v == 0.0 {
            return 0;
        }
        let r = (v.abs() / self.max).min(1.0);
        let lo = (r.powf(1.0 / CODE_POWER) * 127.0).floor().clamp(0.0, 127.0) as i32;
        // The power law is not linear: pick the closer of the two
        // neighbouring levels by value, not by code.
        let hi = (lo + 1).min(127);
        let level = |c: i32| self.max * (c as f32 / 127.0).powf(CODE_POWER);
        let c = if (level(hi) - v.abs()).abs() < (v.abs() - level(lo)).abs() {
            hi
        } else {
            lo
        };
        (if v < 0.0 { -c } else { c }) as i8
    }
}

/// One training sentence.
#[derive(Debug, Clone)]
pub struct Example {
    pub tokens: Vec<String>,
    /// Allowed label ids per token: a bit set (one bit = fully supervised).
    pub allowed: Vec<u32>,
    /// Language code (conjoined with some features).
    pub lang: String,
    /// Gazetteer tags per token (see [`TokenInfo::gaz`]); empty for none.
    pub gaz: Vec<u8>,
}

/// Training options.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainOptions {
    /// log2 of the number of weight buckets.
    pub bits: u32,
    pub epochs: usize,
    pub seed: u64,
    /// Averaged weights below this magnitude are dropped (smaller model).
    pub prune: f32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            bits: 20,
            epochs: 8,
            seed: 42,
            prune: 0.0,
        }
    }
}

/// Maps a lower-cased word hash to its clusters (coarse, fine).
#[derive(Debug, Clone, Default)]
pub struct ClusterTable {
    /// Open addressing, linear probing; key 0 = empty. Key and value share
    /// a slot so that a lookup touches one cache line, not two.
    slots: Vec<(u64, [u16; 2])>,
}

impl ClusterTable {
    pub fn from_pairs(pairs: &[(u64, [u16; 2])]) -> ClusterTable {
        if pairs.is_empty() {
            return ClusterTable::default();
        }
        let cap = (pairs.len() * 2).next_power_of_two();
        let mut t = ClusterTable {
            slots: vec![(0, [0, 0]); cap],
        };
        for &(k, v) in pairs {
            let k = k.max(1);
            let mut i = (k as usize) & (cap - 1);
            while t.slots[i].0 != 0 && t.slots[i].0 != k {
                i = (i + 1) & (cap - 1);
            }
            t.slots[i] = (k, v);
        }
        t
    }

    #[inline]
    pub fn get(&self, lower_hash: u64) -> [u16; 2] {
        if self.slots.is_empty() {
            return [0, 0];
        }
        let k = lower_hash.max(1);
        let mask = self.slots.len() - 1;
        let mut i = (k as usize) & mask;
        loop {
            let (key, val) = self.slots[i];
            if key == k {
                return val;
            }
            if key == 0 {
                return [0, 0];
            }
            i = (i + 1) & mask;
        }
    }

    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.0 != 0).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn pairs(&self) -> Vec<(u64, [u16; 2])> {
        let mut p: Vec<_> = self.slots.iter().filter(|s| s.0 != 0).copied().collect();
        p.sort_unstable();
        p
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    labels: Vec<String>,
    bits: u32,
    /// Format 1: the weight of i16 unit 1. Format 2: the largest weight
    /// magnitude (the codebook's `max`).
    scale: f32,
    templates: usize,
    /// Free-form provenance (data, options, date) for the model card.
    meta: serde_json::Value,
}

/// A trained tagger, ready to tag.
#[derive(Debug, Clone)]
pub struct TaggerModel {
    labels: Vec<String>,
    bits: u32,
    /// `buckets × labels`, one-byte codes (see [`Codebook`]).
    weights: Vec<i8>,
    codebook: Codebook,
    /// `(labels + 1) × labels`: row `labels` is the start state. Forbidden
    /// transitions are `-inf`.
    trans: Vec<f32>,
    pub clusters: ClusterTable,
    pub meta: serde_json::Value,
}

/// Reusable buffers for tagging (no allocation per sentence once warm).
#[derive(Debug, Default)]
pub struct Scratch {
    pub infos: Vec<TokenInfo>,
    scores: Vec<f32>,
    back: Vec<u8>,
    delta: Vec<f32>,
    pub out: Vec<u8>,
}

fn allowed_transitions(labels: &[String]) -> Vec<bool> {
    let l = labels.len();
    let mut ok = vec![true; (l + 1) * l];
    for (to, name) in labels.iter().enumerate() {
        if let Some(ty) = name.strip_prefix("I-") {
            for from in 0..=l {
                let fine = from < l && (labels[from] == format!("B-{ty}") || labels[from] == *name);
                ok[from * l + to] = fine;
            }
        }
    }
    ok
}

/// Viterbi over `scores` (`n × l`) and `trans`; `mask` (one bit set per
/// allowed label, per token) restricts the labels. Writes label ids to `out`.
fn viterbi(
    scores: &[f32],
    trans: &[f32],
    l: usize,
    mask: Option<&[u32]>,
    delta: &mut Vec<f32>,
    back: &mut Vec<u8>,
    out: &mut Vec<u8>,
) {
    let n = scores.len() / l;
    out.clear();
    if n == 0 {
        return;
    }
    delta.clear();
    delta.resize(n * l, f32::NEG_INFINITY);
    back.clear();
    back.resize(n * l, 0);
    let allowed = |i: usize, y: usize| mask.is_none_or(|m| m[i] & (1 << y) != 0);
    for y in 0..l {
        if allowed(0, y) {
            delta[y] = trans[l * l + y] + scores[y];
        }
    }
    for i in 1..n {
        let (prev, cur) = delta.split_at_mut(i * l);
        let prev = &prev[(i - 1) * l..];
        for y in 0..l {
            if !allowed(i, y) {
                continue;
            }
            let mut best = f32::NEG_INFINITY;
            let mut arg = 0u8;
            for (x, &p) in prev.iter().enumerate() {
                let v = p + trans[x * l + y];
                if v > best {
                    best = v;
                    arg = x as u8;
                }
            }
            cur[y] = best + scores[i * l + y];
            back[i * l + y] = arg;
        }
    }
    let last = &delta[(n - 1) * l..];
    let mut y = (0..l).fold(0, |b, y| if last[y] > last[b] { y } else { b });
    out.resize(n, 0);
    for i in (0..n).rev() {
        out[i] = y as u8;
        if i > 0 {
            y = back[i * l + y] as usize;
        }
    }
}

impl TaggerModel {
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Fills `scratch.infos` for the tokens (clusters included); the caller
    /// may then set gazetteer tags before [`TaggerModel::decode`].
    pub fn prepare<'a>(&self, tokens: impl Iterator<Item = &'a str>, scratch: &mut Scratch) {
        scratch.infos.clear();
        for tok in tokens {
            let mut info = features::token_info(tok);
            info.cluster = self.clusters.get(info.lower);
            scratch.infos.push(info);
        }
    }

    /// Decodes the prepared tokens into `scratch.out` (label ids).
    pub fn decode(&self, lang: &str, scratch: &mut Scratch) {
        let l = self.labels.len();
        let mask = (1usize << self.bits) - 1;
        let lang_h = features::hash_str(lang);
        let n = scratch.infos.len();
        scratch.scores.clear();
        scratch.scores.resize(n * l, 0.0);
        // Two passes per block of tokens: first every feature's row offset,
        // prefetched, then the sums. The weight table is tens of MB, so each
        // row is a cache (and TLB) miss; issuing them all up front lets the
        // memory system serve them in parallel instead of one by one.
        const BLOCK: usize = 16;
        let mut feats = [0u64; TEMPLATES];
        let mut rows = [0u32; BLOCK * TEMPLATES];
        let mut acc = [0f32; 32];
        let values = &self.codebook.values;
        for block in (0..n).step_by(BLOCK) {
            let end = (block + BLOCK).min(n);
            for i in block..end {
                features::features(&scratch.infos, i, lang_h, &mut feats);
                let base = (i - block) * TEMPLATES;
                for (r, &f) in rows[base..base + TEMPLATES].iter_mut().zip(&feats) {
                    let b = (f as usize & mask) * l;
                    prefetch(&self.weights[b]);
                    *r = b as u32;
                }
            }
            for i in block..end {
                let base = (i - block) * TEMPLATES;
                let rows = &rows[base..base + TEMPLATES];
                let out = &mut scratch.scores[i * l..(i + 1) * l];
                if l == NER_LABELS {
                    // The NER label count: a fixed-size row lets the compiler
                    // keep the sums in registers and unroll the inner loop.
                    out.copy_from_slice(&sum_rows::<NER_LABELS>(&self.weights, rows, values));
                } else {
                    acc[..l].fill(0.0);
                    for &b in rows {
                        let b = b as usize;
                        for (a, &w) in acc[..l].iter_mut().zip(&self.weights[b..b + l]) {
                            *a += values[w as u8 as usize];
                        }
                    }
                    out.copy_from_slice(&acc[..l]);
                }
            }
        }
        let Scratch {
            scores,
            back,
            delta,
            out,
            ..
        } = scratch;
        viterbi(scores, &self.trans, l, None, delta, back, out);
    }

    /// Tags one sentence; returns one label per token.
    pub fn tag(&self, tokens: &[&str]) -> Vec<&str> {
        self.tag_lang(tokens, "xx")
    }

    /// Tags one sentence in a given language.
    pub fn tag_lang(&self, tokens: &[&str], lang: &str) -> Vec<&str> {
        let mut scratch = Scratch::default();
        self.prepare(tokens.iter().copied(), &mut scratch);
        self.decode(lang, &mut scratch);
        scratch
            .out
            .iter()
            .map(|&y| self.labels[y as usize].as_str())
            .collect()
    }

    /// Serialises the model (gzip).
    pub fn to_bytes(&self) -> anyhow::Result<Vec<u8>> {
        let header = Header {
            labels: self.labels.clone(),
            bits: self.bits,
            scale: self.codebook.max,
            templates: TEMPLATES,
            meta: self.meta.clone(),
        };
        let mut raw = Vec::with_capacity(self.weights.len() + 1024);
        raw.extend_from_slice(MAGIC);
        let h = serde_json::to_vec(&header)?;
        raw.extend_from_slice(&(h.len() as u32).to_le_bytes());
        raw.extend_from_slice(&h);
        raw.extend(self.weights.iter().map(|&w| w as u8));
        for t in &self.trans {
            raw.extend_from_slice(&t.to_le_bytes());
        }
        let pairs = self.clusters.pairs();
        raw.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
        for (k, v) in pairs {
            raw.extend_from_slice(&k.to_le_bytes());
            raw.extend_from_slice(&v[0].to_le_bytes());
            raw.extend_from_slice(&v[1].to_le_bytes());
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&raw)?;
        Ok(gz.finish()?)
    }

    /// Reads a model written by [`TaggerModel::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<TaggerModel> {
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut raw)
            .context("model file is not gzip: retrain with `newsflow train ner`")?;
        let mut r = Reader { buf: &raw, pos: 0 };
        let v1 = match r.take(8)? {
            m if m == MAGIC => false,
            m if m == MAGIC_V1 => true,
            _ => bail!("not a newsflow tagger model (bad magic): retrain with `newsflow train ner`"),
        };
        let hlen = r.u32()? as usize;
        let header: Header = serde_json::from_slice(r.take(hlen)?).context("bad model header")?;
        if header.templates != TEMPLATES {
            bail!(
                "model was trained with {} feature templates, this build has {}: retrain with `newsflow train ner`",
                header.templates,
                TEMPLATES
            );
        }
        let l = header.labels.len();
        if l == 0 || l > 32 || header.bits > 26 {
            bail!("model header is inconsistent ({l} labels, {} bits)", header.bits);
        }
        let nw = (1usize << header.bits) * l;
        let mut weights = huge_page_vec::<i8>(nw);
        let codebook = if v1 {
            let wb = r.take(nw * 2)?;
            let max = wb
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]).unsigned_abs())
                .max()
                .unwrap_or(0);
            let codebook = Codebook::new(f32::from(max) * header.scale);
            weights.extend(
                wb.chunks_exact(2)
                    .map(|c| codebook.encode(f32::from(i16::from_le_bytes([c[0], c[1]])) * header.scale)),
            );
            codebook
        } else {
            weights.extend(r.take(nw)?.iter().map(|&b| b as i8));
            Codebook::new(header.scale)
        };
        let tb = r.take((l + 1) * l * 4)?;
        let trans = tb
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let nc = r.u32()? as usize;
        let mut pairs = Vec::with_capacity(nc);
        for _ in 0..nc {
            let c = r.take(12)?;
            let k = u64::from_le_bytes(c[..8].try_into().expect("8 bytes"));
            pairs.push((
                k,
                [
                    u16::from_le_bytes([c[8], c[9]]),
                    u16::from_le_bytes([c[10], c[11]]),
                ],
            ));
        }
        Ok(TaggerModel {
            labels: header.labels,
            bits: header.bits,
            weights,
            codebook,
            trans,
            clusters: ClusterTable::from_pairs(&pairs),
            meta: header.meta,
        })
    }
}

/// Label count of the NER model (O + B/I × PER, ORG, LOC, MISC).
const NER_LABELS: usize = 9;

/// Sums the weight rows starting at `rows` (offsets into `weights`) for `L`
/// labels.
#[inline(always)]
fn sum_rows<const L: usize>(weights: &[i8], rows: &[u32], values: &[f32; 256]) -> [f32; L] {
    let mut acc = [0f32; L];
    for &b in rows {
        let b = b as usize;
        let row: &[i8; L] = weights[b..b + L].try_into().expect("row of L labels");
        for k in 0..L {
            acc[k] += values[row[k] as u8 as usize];
        }
    }
    acc
}

/// Hints the CPU to fetch the cache line holding `x`.
#[inline(always)]
fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint; any address is allowed, and this one is
    // a valid reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch(x as *const T as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// A vector whose pages the kernel is asked to back with huge pages
/// (`madvise(MADV_HUGEPAGE)`, Linux): the tagger reads its weight table at
/// random, so with 4 KB pages nearly every read is also a TLB miss.
fn huge_page_vec<T: Copy>(len: usize) -> Vec<T> {
    let v: Vec<T> = Vec::with_capacity(len);
    #[cfg(target_os = "linux")]
    {
        let bytes = len * std::mem::size_of::<T>();
        let start = v.as_ptr() as usize;
        let aligned = (start + 4095) & !4095;
        if bytes > (2 << 20) && aligned < start + bytes {
            // SAFETY: the range lies inside this vector's own (untouched)
            // allocation; madvise only changes how it is backed.
            unsafe {
                libc::madvise(
                    aligned as *mut libc::c_void,
                    start + bytes - aligned,
                    libc::MADV_HUGEPAGE,
                );
            }
        }
    }
    v
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> anyhow::Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let Some(end) = end else {
            bail!("model file is truncated: retrain with `newsflow train ner`")
        };
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> anyhow::Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// A small deterministic generator (splitmix64) for shuffling.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// Generic training entry point: fully labelled sentences (tokens, labels).
pub fn train(sentences: &[(Vec<String>, Vec<String>)], opts: &TrainOptions) -> TaggerModel {
    let mut labels: Vec<String> = sentences.iter().flat_map(|(_, t)| t.iter().cloned()).collect();
    labels.sort();
    labels.dedup();
    if let Some(p) = labels.iter().position(|l| l == "O") {
        let o = labels.remove(p);
        labels.insert(0, o);
    }
    let examples: Vec<Example> = sentences
        .iter()
        .map(|(toks, tags)| Example {
            tokens: toks.clone(),
            allowed: tags
                .iter()
                .map(|t| 1u32 << labels.iter().position(|l| l == t).expect("label collected above"))
                .collect(),
            lang: "xx".into(),
            gaz: Vec::new(),
        })
        .collect();
    train_examples(&examples, labels, ClusterTable::default(), opts, |_, _| {})
}

/// Trains on examples with label bit sets. `progress(epoch, errors)` is
/// called after each epoch.
pub fn train_examples(
    examples: &[Example],
    labels: Vec<String>,
    clusters: ClusterTable,
    opts: &TrainOptions,
    mut progress: impl FnMut(usize, usize),
) -> TaggerModel {
    let l = labels.len();
    assert!(l > 0 && l <= 32, "between 1 and 32 labels");
    let buckets = 1usize << opts.bits;
    let mask = buckets - 1;
    let mut w = vec![0f32; buckets * l];
    let mut u = vec![0f32; buckets * l];
    let ok = allowed_transitions(&labels);
    let mut tw = vec![0f32; (l + 1) * l];
    let mut tu = vec![0f32; (l + 1) * l];
    let neg = |t: &mut Vec<f32>| {
        for (v, &fine) in t.iter_mut().zip(&ok) {
            if !fine {
                *v = f32::NEG_INFINITY;
            }
        }
    };
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = Rng::new(opts.seed);
    let mut c = 1f32;
    let mut infos: Vec<TokenInfo> = Vec::new();
    let mut feats: Vec<[u64; TEMPLATES]> = Vec::new();
    let (mut scores, mut delta, mut back) = (Vec::new(), Vec::new(), Vec::new());
    let (mut pred, mut gold) = (Vec::new(), Vec::new());
    let mut trans = tw.clone();
    for epoch in 0..opts.epochs {
        rng.shuffle(&mut order);
        let mut errors = 0usize;
        for &e in &order {
            let ex = &examples[e];
            let n = ex.tokens.len();
            if n == 0 {
                continue;
            }
            infos.clear();
            for (i, tok) in ex.tokens.iter().enumerate() {
                let mut info = features::token_info(tok);
                info.cluster = clusters.get(info.lower);
                info.gaz = ex.gaz.get(i).copied().unwrap_or(0);
                infos.push(info);
            }
            let lang_h = features::hash_str(&ex.lang);
            feats.resize(n, [0; TEMPLATES]);
            scores.clear();
            scores.resize(n * l, 0.0);
            for i in 0..n {
                features::features(&infos, i, lang_h, &mut feats[i]);
                for &f in &feats[i] {
                    let b = (f as usize & mask) * l;
                    for (s, &wv) in scores[i * l..(i + 1) * l].iter_mut().zip(&w[b..b + l]) {
                        *s += wv;
                    }
                }
            }
            trans.copy_from_slice(&tw);
            neg(&mut trans);
            viterbi(&scores, &trans, l, None, &mut delta, &mut back, &mut pred);
            let partial = ex.allowed.iter().any(|a| a.count_ones() != 1);
            if partial {
                viterbi(
                    &scores,
                    &trans,
                    l,
                    Some(&ex.allowed),
                    &mut delta,
                    &mut back,
                    &mut gold,
                );
            } else {
                gold.clear();
                gold.extend(ex.allowed.iter().map(|a| a.trailing_zeros() as u8));
            }
            if pred != gold {
                errors += 1;
                for i in 0..n {
                    let (g, p) = (gold[i] as usize, pred[i] as usize);
                    if g != p {
                        for &f in &feats[i] {
                            let b = (f as usize & mask) * l;
                            w[b + g] += 1.0;
                            u[b + g] += c;
                            w[b + p] -= 1.0;
                            u[b + p] -= c;
                        }
                    }
                    let (gp, pp) = if i == 0 {
                        (l, l)
                    } else {
                        (gold[i - 1] as usize, pred[i - 1] as usize)
                    };
                    if g != p || gp != pp {
                        tw[gp * l + g] += 1.0;
                        tu[gp * l + g] += c;
                        tw[pp * l + p] -= 1.0;
                        tu[pp * l + p] -= c;
                    }
                }
            }
            c += 1.0;
        }
        progress(epoch + 1, errors);
    }
    // Averaging: w_avg = w - u / c.
    let mut max = 0f32;
    for (wv, uv) in w.iter_mut().zip(&u) {
        *wv -= uv / c;
        if wv.abs() < opts.prune {
            *wv = 0.0;
        }
        max = max.max(wv.abs());
    }
    drop(u);
    for (t, uv) in tw.iter_mut().zip(&tu) {
        *t -= uv / c;
    }
    neg(&mut tw);
    let codebook = Codebook::new(max);
    let weights = w.iter().map(|&v| codebook.encode(v)).collect();
    TaggerModel {
        labels,
        bits: opts.bits,
        weights,
        codebook,
        trans: tw,
        clusters,
        meta: serde_json::json!({ "options": opts }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Vec<(Vec<String>, Vec<String>)> {
        let s = |t: &str, l: &str| {
            (
                t.split(' ').map(String::from).collect::<Vec<_>>(),
                l.split(' ').map(String::from).collect::<Vec<_>>(),
            )
        };
        vec![
            s("Jean Dupont visite Paris .", "B-PER I-PER O B-LOC O"),
            s("Marie Curie habite Lyon .", "B-PER I-PER O B-LOC O"),
            s("Paul Martin visite Marseille .", "B-PER I-PER O B-LOC O"),
            s("il visite Nantes avec Luc Besson", "O O B-LOC O B-PER I-PER"),
        ]
    }

    #[test]
    fn learns_a_toy_task_and_round_trips() {
        let opts = TrainOptions {
            bits: 12,
            epochs: 10,
            ..TrainOptions::default()
        };
        let model = train(&toy(), &opts);
        assert_eq!(model.labels()[0], "O");
        let tags = model.tag(&["Pierre", "Durand", "visite", "Toulouse", "."]);
        assert_eq!(tags, ["B-PER", "I-PER", "O", "B-LOC", "O"]);
        let bytes = model.to_bytes().unwrap();
        let back = TaggerModel::from_bytes(&bytes).unwrap();
        assert_eq!(back.tag(&["Pierre", "Durand", "visite", "Toulouse", "."]), tags);
        assert!(TaggerModel::from_bytes(&bytes[..bytes.len() / 2]).is_err());
        assert!(TaggerModel::from_bytes(b"junk").is_err());
        assert!(model.tag(&[]).is_empty());
    }

    #[test]
    fn training_is_deterministic() {
        let opts = TrainOptions {
            bits: 10,
            epochs: 3,
            ..TrainOptions::default()
        };
        let a = train(&toy(), &opts).to_bytes().unwrap();
        let b = train(&toy(), &opts).to_bytes().unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bio_constraint_holds() {
        let labels: Vec<String> = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
            .map(String::from)
            .to_vec();
        let ok = allowed_transitions(&labels);
        let l = labels.len();
        assert!(!ok[l * l + 2], "I-PER cannot start a sentence");
        assert!(ok[l + 2], "B-PER -> I-PER");
        assert!(!ok[3 * l + 2], "B-LOC -> I-PER is forbidden");
    }

    #[test]
    fn cluster_table_lookup() {
        let t = ClusterTable::from_pairs(&[(5, [1, 2]), (0, [3, 4]), (1 << 40, [5, 6])]);
        assert_eq!(t.get(5), [1, 2]);
        assert_eq!(t.get(1 << 40), [5, 6]);
        assert_eq!(t.get(77), [0, 0]);
    }
}
