//! Word clusters learnt from the training corpora's own text.
//!
//! Brown clustering is the classic NER feature but costs hours on millions
//! of tokens; this is the cheap alternative the training command can afford
//! in seconds: every frequent word gets a context vector by random indexing
//! (each neighbour word at offsets -2, -1, +1, +2 adds a fixed sparse random
//! ±1 vector, derived from its hash, into the slot for that offset), and
//! two-level spherical k-means groups the vectors: a coarse cluster and a
//! fine cluster inside it, used like Brown bit-string prefixes of two
//! lengths. Words that share contexts (`Paris`/`Londres`, `mardi`/`jeudi`,
//! surnames after `M.`) share clusters, which lets the tagger generalise to
//! words it never saw labelled.
//!
//! Deterministic: the random vectors come from hashes, k-means starts from
//! seeded picks.

use super::features::hash_lower;
use super::tagger::Rng;
use std::collections::HashMap;

const DIM_PER_SLOT: usize = 16;
const SLOTS: usize = 4;
const DIM: usize = DIM_PER_SLOT * SLOTS;

/// Options for [`learn`].
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Most frequent words to cluster.
    pub max_words: usize,
    /// Minimum count of a clustered word.
    pub min_count: u32,
    pub coarse: usize,
    /// Fine clusters per coarse cluster.
    pub fine: usize,
    pub iterations: usize,
    pub seed: u64,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            max_words: 80_000,
            min_count: 3,
            coarse: 48,
            fine: 16,
            iterations: 10,
            seed: 7,
        }
    }
}

fn add_random(v: &mut [f32], h: u64) {
    // Four ±1 entries chosen by the hash.
    let mut x = h;
    for _ in 0..4 {
        x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17) ^ 0x2545_f491_4f6c_dd1d;
        let idx = (x >> 8) as usize % DIM_PER_SLOT;
        v[idx] += if x & 1 == 0 { 1.0 } else { -1.0 };
    }
}

fn normalize(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

/// Spherical k-means over `rows` (indices into `vecs`), returns the cluster
/// of each row.
fn kmeans(vecs: &[[f32; DIM]], rows: &[usize], k: usize, iters: usize, rng: &mut Rng) -> Vec<usize> {
    if rows.is_empty() {
        return Vec::new();
    }
    let k = k.min(rows.len()).max(1);
    let mut picks: Vec<usize> = rows.to_vec();
    rng.shuffle(&mut picks);
    let mut centers: Vec<[f32; DIM]> = picks[..k].iter().map(|&r| vecs[r]).collect();
    let mut assign = vec![0usize; rows.len()];
    for _ in 0..iters {
        for (a, &r) in assign.iter_mut().zip(rows) {
            let v = &vecs[r];
            let mut best = f32::NEG_INFINITY;
            for (c, center) in centers.iter().enumerate() {
                let d: f32 = v.iter().zip(center).map(|(x, y)| x * y).sum();
                if d > best {
                    best = d;
                    *a = c;
                }
            }
        }
        let mut sums = vec![[0f32; DIM]; k];
        for (&a, &r) in assign.iter().zip(rows) {
            for (s, x) in sums[a].iter_mut().zip(&vecs[r]) {
                *s += x;
            }
        }
        for (c, s) in centers.iter_mut().zip(sums.iter_mut()) {
            if s.iter().any(|x| *x != 0.0) {
                normalize(s);
                *c = *s;
            }
        }
    }
    assign
}

/// Unit context vectors (random indexing) of the `vocab` words, in order.
fn context_vectors<'a>(
    sentences: impl Iterator<Item = &'a [String]>,
    vocab: &[(u64, u32)],
) -> Vec<[f32; DIM]> {
    let index: HashMap<u64, usize> = vocab.iter().enumerate().map(|(i, (h, _))| (*h, i)).collect();
    let mut vecs = vec![[0f32; DIM]; vocab.len()];
    let mut hashes: Vec<u64> = Vec::new();
    for s in sentences {
        hashes.clear();
        hashes.extend(s.iter().map(|t| hash_lower(t)));
        for (i, h) in hashes.iter().enumerate() {
            let Some(&w) = index.get(h) else { continue };
            for (slot, off) in [-2isize, -1, 1, 2].into_iter().enumerate() {
                let j = i as isize + off;
                let ctx = if j < 0 {
                    0x5eed_0001
                } else if j as usize >= hashes.len() {
                    0x5eed_0002
                } else {
                    hashes[j as usize]
                };
                let base = slot * DIM_PER_SLOT;
                add_random(&mut vecs[w][base..base + DIM_PER_SLOT], ctx);
            }
        }
    }
    for v in vecs.iter_mut() {
        // Damp the frequent-context dominance, then unit length.
        v.iter_mut().for_each(|x| *x = x.signum() * x.abs().sqrt());
        normalize(v);
    }
    vecs
}

/// Learns clusters from sentences of tokens. Returns `(lower-case hash,
/// [coarse, fine])` pairs; ids start at 1 (0 means "no cluster").
pub fn learn<'a>(
    sentences: impl Iterator<Item = &'a [String]> + Clone,
    opts: &ClusterOptions,
) -> Vec<(u64, [u16; 2])> {
    // Count words (by lower-case hash).
    let mut counts: HashMap<u64, u32> = HashMap::new();
    for s in sentences.clone() {
        for t in s {
            *counts.entry(hash_lower(t)).or_default() += 1;
        }
    }
    let mut vocab: Vec<(u64, u32)> = counts.into_iter().filter(|(_, c)| *c >= opts.min_count).collect();
    vocab.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    vocab.truncate(opts.max_words);
    let vecs = context_vectors(sentences, &vocab);
    let mut rng = Rng::new(opts.seed);
    let all: Vec<usize> = (0..vecs.len()).collect();
    let coarse = kmeans(&vecs, &all, opts.coarse, opts.iterations, &mut rng);
    let mut out = vec![(0u64, [0u16; 2]); vecs.len()];
    for c in 0..opts.coarse {
        let rows: Vec<usize> = all.iter().copied().filter(|&r| coarse[r] == c).collect();
        let fine = kmeans(&vecs, &rows, opts.fine, opts.iterations, &mut rng);
        for (&r, f) in rows.iter().zip(fine) {
            out[r] = (vocab[r].0, [(c + 1) as u16, (c * opts.fine + f + 1) as u16]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_in_same_contexts_cluster_together() {
        let mut sents: Vec<Vec<String>> = Vec::new();
        for city in ["Paris", "Lyon", "Nantes", "Lille"] {
            for _ in 0..5 {
                sents.push(
                    ["il", "habite", "à", city, "depuis", "longtemps"]
                        .map(String::from)
                        .to_vec(),
                );
            }
        }
        for day in ["lundi", "mardi", "jeudi"] {
            for _ in 0..5 {
                sents.push(
                    ["elle", "viendra", day, "prochain", "avec", "nous"]
                        .map(String::from)
                        .to_vec(),
                );
            }
        }
        let opts = ClusterOptions {
            coarse: 2,
            fine: 2,
            min_count: 1,
            ..ClusterOptions::default()
        };
        let words = ["Paris", "Lille", "lundi", "jeudi"];
        let vocab: Vec<(u64, u32)> = words.iter().map(|w| (hash_lower(w), 5)).collect();
        let vecs = context_vectors(sents.iter().map(|s| s.as_slice()), &vocab);
        let cos = |a: usize, b: usize| -> f32 { vecs[a].iter().zip(&vecs[b]).map(|(x, y)| x * y).sum() };
        assert!(
            cos(0, 1) > cos(0, 2) && cos(0, 1) > cos(1, 3),
            "cities closer to cities than to days"
        );
        assert!(cos(2, 3) > cos(2, 0), "days closer to days");
        let pairs = learn(sents.iter().map(|s| s.as_slice()), &opts);
        assert!(pairs.iter().all(|(_, c)| c[0] >= 1 && c[1] >= 1));
        assert_eq!(pairs, learn(sents.iter().map(|s| s.as_slice()), &opts));
    }
}
