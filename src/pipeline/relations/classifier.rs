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
//! CoNLL04 train; the weights of several fits over differently shuffled
//! passes are averaged (bagging: the per-type thresholds chosen by
//! cross-validation moved by up to 0.2 from one shuffle seed to the next
//! with a single fit). The shipped model stores only non-zero weights,
//! quantised to 8 bits, with delta-coded indices. It is trained over gold
//! mentions, the mentions the entities stage finds in the training
//! sentences, and the mentions jackknifed NER models (each trained without
//! a fifth of CoNLL04 train) find in the sentences they never saw: only
//! those carry the entity noise of unseen text (`newsflow train relations
//! --jackknife-ner`, docs/relations.md).

use super::conll04::relation_for;
use super::conll04::RELATION_TYPES;
use super::lexicon;
use super::view::{word_id as fnv, SentenceView};
use crate::pipeline::record::{EntityType, Span};
use anyhow::{bail, Context};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Bumped whenever features change: a model trained with other features is
/// refused at load time rather than silently scoring garbage. Version 8:
/// XOR-and-rotate feature keys, one multiply per slot, i8 weights, the
/// template mask stored in the file, place classes for places only.
pub const FEATURE_VERSION: u32 = 8;

const MAGIC: &[u8; 8] = b"NFRELPC1";

/// A trained pair classifier.
#[derive(Debug, Clone)]
pub struct PairClassifier {
    bits: u32,
    /// Weights quantised to i8 (`weight = q * scale`): the table is 64 KB
    /// at 2^16 slots, so scoring (one random load per feature) mostly hits
    /// the cache. Jackknifed CV F1 on train was the same with i8 as with
    /// i16 weights (docs/relations.md).
    weights: Vec<i8>,
    scale: f32,
    /// The feature templates the model was trained with, one bit per
    /// template id (see [`templates_without`]).
    templates: u64,
    /// Probability from which a pair is emitted, per relation type (chosen
    /// by cross-validation on the training corpus, see `newsflow train
    /// relations`).
    pub thresholds: [f32; RELATION_TYPES.len()],
    /// The CoNLL04 span convention for relation arguments.
    pub convention: Convention,
    /// Weight sums of the features of small values, from `weights` (see
    /// [`PairClassifier::score_sentence`]).
    fixed: FixedSums,
}

/// The CoNLL04 span conventions for relation arguments where they differ
/// from the entities stage's (CoNLL-2003) ones, learnt from the training
/// corpus by [`ConventionCounts`]:
/// * title words inside a person's mention (`Mr. Smith`, `Mrs. Aquino`),
///   in general or for one relation type and role: the victim of a Kill is
///   `President Lincoln`, the subject of a Live_In `President` `Bush`;
/// * `City , State` as one place after a birth-place cue ("was born in
///   Concord , Mass", "a native of Salisbury , N.C"): CoNLL04 annotates
///   those as one Loc and the person lives in the pair, while elsewhere
///   (datelines, "based in Troy , Mich.") the two are separate places and
///   the first is located in the second;
/// * the period that ends a sentence is not part of an abbreviation ending
///   it (`... born in Amherst , Mass .`): the corpus makes it its own token,
///   the tokenizer keeps it on `Mass.`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Convention {
    /// (mention type, normalised word), sorted.
    pub prefixes: Vec<(EntityType, String)>,
    /// (relation label, role: 0 subject 1 object, normalised word, inside)
    /// where one relation's arguments follow their own rule; sorted.
    pub role_prefixes: Vec<(u8, u8, String, bool)>,
    /// Normalised words that, among the [`JOIN_WINDOW`] words before
    /// `Place , Place`, make the two one place; sorted.
    pub joiners: Vec<String>,
    /// Leave a sentence-final period out of the argument that ends with it.
    pub trim_final_period: bool,
}

/// A relation argument's role: (relation label, 0 for the subject or 1 for
/// the object); `None` when any.
pub type Role = Option<(usize, u8)>;

/// How many words before `Place , Place` a joiner word may stand ("was
/// born in", "a native of").
pub const JOIN_WINDOW: usize = 3;

impl Convention {
    /// The token range of mention `a` as a CoNLL04 relation argument in
    /// `role` ((label, 0 for the subject or 1 for the object), `None` for
    /// any): with a learnt title word right before it, when that word is in
    /// no other mention.
    pub fn argument_tokens(&self, view: &SentenceView, a: usize, role: Role) -> std::ops::Range<usize> {
        let arg = &view.args[a];
        let t = arg.tokens.clone();
        let Some(prev) = t.start.checked_sub(1) else {
            return t;
        };
        let word = &*view.norm[prev];
        let specific = role.and_then(|(label, side)| {
            let i = self
                .role_prefixes
                .binary_search_by(|(l, r, w, _)| (*l, *r, w.as_str()).cmp(&(label as u8, side, word)))
                .ok()?;
            Some(self.role_prefixes[i].3)
        });
        let known = specific.unwrap_or_else(|| {
            self.prefixes
                .binary_search_by(|(k, w)| (*k, w.as_str()).cmp(&(arg.kind, word)))
                .is_ok()
        });
        if known && view.arg_covering(prev).is_none() {
            prev..t.end
        } else {
            t
        }
    }

    /// The code point span of mention `a` as a CoNLL04 relation argument:
    /// [`Convention::argument_tokens`], without a sentence-final period when
    /// that convention was learnt.
    pub fn argument_span(&self, view: &SentenceView, a: usize, role: Role) -> Span {
        let t = self.argument_tokens(view, a, role);
        let span = view.span_of(t.clone());
        if self.trim_final_period && ends_with_final_period(view, t.end) {
            Span::new(span.start, span.end - 1)
        } else {
            span
        }
    }

    /// Is mention `a` the first of a `Place , Place` pair that a learnt
    /// joiner word before it makes one place?
    fn joins(&self, view: &SentenceView, a: usize) -> bool {
        !self.joiners.is_empty()
            && place_pair(view, a)
            && join_context(view, a).any(|w| self.joiners.binary_search_by(|j| j.as_str().cmp(w)).is_ok())
    }

    /// The view with every joined `Place , Place` pair as one mention (of
    /// the first place's entity); the view itself when there is none, which
    /// is nearly always (no copy).
    pub fn apply<'v, 'a>(&self, view: &'v SentenceView<'a>) -> Cow<'v, SentenceView<'a>> {
        if !(0..view.args.len()).any(|a| self.joins(view, a)) {
            return Cow::Borrowed(view);
        }
        let mut args = Vec::with_capacity(view.args.len());
        let mut a = 0;
        while a < view.args.len() {
            let mut arg = view.args[a].clone();
            if self.joins(view, a) {
                let next = &view.args[a + 1];
                arg.tokens = arg.tokens.start..next.tokens.end;
                arg.span = Span::new(arg.span.start, next.span.end);
                a += 1;
            }
            args.push(arg);
            a += 1;
        }
        let mut joined = view.clone();
        joined.args = args;
        Cow::Owned(joined)
    }
}

/// Mentions `a` and `a + 1` are two places separated by just a comma.
fn place_pair(view: &SentenceView, a: usize) -> bool {
    let (Some(x), Some(y)) = (view.args.get(a), view.args.get(a + 1)) else {
        return false;
    };
    x.kind == EntityType::LOC
        && y.kind == EntityType::LOC
        && y.tokens.start == x.tokens.end + 1
        && &*view.norm[x.tokens.end] == ","
        && !in_list(view, a)
}

/// Mentions `a` and `a + 1` are two items of a longer list of places
/// (`Brazoria , Fort Bend , Galveston and ...`), not `City , State`.
fn in_list(view: &SentenceView, a: usize) -> bool {
    let linked = |x: &super::view::Arg, y: &super::view::Arg| {
        x.kind == EntityType::LOC
            && y.kind == EntityType::LOC
            && y.tokens.start == x.tokens.end + 1
            && matches!(&*view.norm[x.tokens.end], "," | "and" | "or")
    };
    let before = a
        .checked_sub(1)
        .is_some_and(|p| linked(&view.args[p], &view.args[a]));
    let after = view.args.get(a + 2).is_some_and(|n| linked(&view.args[a + 1], n));
    before || after
}

/// The normalised words in the [`JOIN_WINDOW`] before mention `a`.
fn join_context<'v>(view: &'v SentenceView, a: usize) -> impl Iterator<Item = &'v str> {
    let start = view.args[a].tokens.start;
    view.norm[start.saturating_sub(JOIN_WINDOW)..start]
        .iter()
        .map(|w| &**w)
}

/// Token `end - 1` is the sentence's last and an abbreviation ending in the
/// sentence's period (`Mass.`, `N.C.`, `Jr.`).
fn ends_with_final_period(view: &SentenceView, end: usize) -> bool {
    end == view.len()
        && view.words[end - 1].len() > 1
        && view.words[end - 1].ends_with('.')
        && !view.words[end - 1].ends_with("..")
}

/// One prediction: a relation label between two entities, with each
/// argument's mention span in the CoNLL04 convention.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// Index into [`RELATION_TYPES`].
    pub label: usize,
    /// (entity index, argument span) of the subject.
    pub subject: (usize, Span),
    /// (entity index, argument span) of the object.
    pub object: (usize, Span),
    pub probability: f32,
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
    /// Models trained on differently shuffled passes whose weights are
    /// averaged into the one shipped: with one fit, the per-type
    /// thresholds cross-validated afterwards moved by up to 0.2 from one
    /// shuffle seed to the next.
    pub bags: usize,
    /// The feature templates to use (bit per template id).
    pub templates: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 12,
            learning_rate: 0.2,
            bits: 16,
            seed: 0x5eed_cafe,
            threshold: 0.3,
            bags: 5,
            templates: t::ALL,
        }
    }
}

/// A training pair: its hashed features, relation label and gold answer,
/// and which mentions of its view it joins (for cross-validation, which
/// scores held-out views as [`PairClassifier::predict`] would).
pub struct TrainPair {
    pub features: Vec<u64>,
    pub label: usize,
    pub gold: bool,
    pub subject: usize,
    pub object: usize,
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
    /// Scores every candidate pair of the sentence: by
    /// [`PairClassifier::score_sentence`] where the sentence allows it
    /// (always for the stage's views), else pair by pair.
    pub fn score_all(&self, view: &SentenceView) -> Vec<Scored> {
        let mut out = Vec::new();
        self.score_into(view, &mut out);
        out
    }

    /// [`PairClassifier::score_all`], appended to `out`.
    fn score_into(&self, view: &SentenceView, out: &mut Vec<Scored>) {
        let done = SCORING.with(|cell| {
            let Ok(mut scratch) = cell.try_borrow_mut() else {
                return false;
            };
            // With every template (the shipped model) the per-feature
            // template test folds away: `templates` is a constant in that
            // copy (passed as a literal here, inside the closure, so that it
            // stays one).
            let done = if self.templates == t::ALL {
                self.score_sentence(view, t::ALL, &mut scratch, out)
            } else {
                self.score_sentence(view, self.templates, &mut scratch, out)
            };
            scratch.bound();
            done
        });
        if !done {
            self.score_pairs(view, self.templates, out);
        }
    }

    /// Scores every candidate pair by summing the weights of
    /// [`pair_features`] (training's features, in training's order): the
    /// definition [`PairClassifier::score_sentence`] must match bit for bit,
    /// and the path for views it does not take.
    fn score_pairs(&self, view: &SentenceView, templates: u64, out: &mut Vec<Scored>) {
        let mut cache = ArgCache::new(view);
        let shift = 64 - self.bits;
        // Off the stage's hot path since scoring by parts (views with
        // overlapping mentions and tests only), so it walks the shared
        // candidate list.
        for (s, o, label) in candidates(view) {
            // Each feature's weight is added as it is hashed: no feature
            // list per pair.
            let mut q = 0i32;
            pair_features(view, &mut cache, s, o, templates, &mut |f| {
                q += i32::from(self.weights[slot(f, label, shift)]);
            });
            out.push(Scored {
                subject: s,
                object: o,
                label,
                probability: sigmoid(q as f32 * self.scale),
            });
        }
    }

    /// The relations to emit, their arguments in the CoNLL04 span
    /// convention (joined places, title words, final period).
    pub fn predict(&self, view: &SentenceView) -> Vec<Prediction> {
        let view = self.convention.apply(view);
        // The scored pairs go through a per-thread buffer, selected in
        // place: the returned list is the sentence's only allocation, and
        // only when it keeps a relation.
        PREDICTING.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scored) => {
                let out = self.predict_with(&view, &mut scored);
                if scored.capacity() > KEEP_MAX {
                    *scored = Vec::new();
                }
                out
            }
            Err(_) => self.predict_with(&view, &mut Vec::new()),
        })
    }

    /// [`PairClassifier::predict`] on the joined view, with `scored` as
    /// scratch.
    fn predict_with(&self, view: &SentenceView, scored: &mut Vec<Scored>) -> Vec<Prediction> {
        scored.clear();
        self.score_into(view, scored);
        select_in_place(&self.thresholds, scored);
        let arg = |a: usize, role| (view.args[a].entity, self.convention.argument_span(view, a, role));
        scored
            .iter()
            .map(|c| Prediction {
                label: c.label,
                subject: arg(c.subject, Some((c.label, 0))),
                object: arg(c.object, Some((c.label, 1))),
                probability: c.probability,
            })
            .collect()
    }

    /// The probability of a training pair under this model.
    pub fn probability(&self, pair: &TrainPair) -> f32 {
        sigmoid(self.score(&pair.features, pair.label))
    }

    fn score(&self, feats: &[u64], label: usize) -> f32 {
        let shift = 64 - self.bits;
        let q: i32 = feats
            .iter()
            .map(|&f| i32::from(self.weights[slot(f, label, shift)]))
            .sum();
        q as f32 * self.scale
    }

    /// Trains on pairs (see [`training_pairs`]).
    pub fn train(pairs: &[&TrainPair], config: &TrainConfig) -> PairClassifier {
        let size = 1usize << config.bits;
        let bags = config.bags.max(1);
        let mut sum = vec![0f32; size];
        for b in 0..bags {
            let seed = config
                .seed
                .wrapping_add((b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            for (s, x) in sum.iter_mut().zip(Self::fit(pairs, config, seed)) {
                *s += x;
            }
        }
        let w: Vec<f32> = sum.into_iter().map(|x| x / bags as f32).collect();
        let max = w.iter().fold(0f32, |m, x| m.max(x.abs())).max(1e-9);
        let levels = f32::from(i8::MAX);
        let scale = max / levels;
        let weights: Vec<i8> = w
            .iter()
            .map(|&x| (x / scale).round().clamp(-levels, levels) as i8)
            .collect();
        PairClassifier {
            bits: config.bits,
            fixed: FixedSums::new(&weights, config.bits, config.templates),
            weights,
            scale,
            templates: config.templates,
            thresholds: [config.threshold; RELATION_TYPES.len()],
            convention: Convention::default(),
        }
    }

    /// One averaged-AdaGrad fit, its pairs shuffled by `seed`: the averaged
    /// float weights.
    fn fit(pairs: &[&TrainPair], config: &TrainConfig, seed: u64) -> Vec<f32> {
        let size = 1usize << config.bits;
        let shift = 64 - config.bits;
        let mut w = vec![0f32; size];
        // Averaging: u accumulates t * update, average = w - u / t.
        let mut u = vec![0f32; size];
        let mut g2 = vec![0f32; size];
        let mut order: Vec<usize> = (0..pairs.len()).collect();
        let mut rng = seed | 1;
        let mut t = 1f32;
        for _ in 0..config.epochs {
            shuffle(&mut order, &mut rng);
            for &i in &order {
                let p = &pairs[i];
                let z: f32 = p.features.iter().map(|&f| w[slot(f, p.label, shift)]).sum();
                let grad = sigmoid(z) - if p.gold { 1.0 } else { 0.0 };
                if grad.abs() > 1e-4 {
                    for &f in &p.features {
                        let k = slot(f, p.label, shift);
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
        w
    }

    /// Serialises the model: non-zero weights quantised to i8, indices
    /// delta-coded as LEB128 varints.
    pub fn to_bytes(&self) -> Vec<u8> {
        let scale = self.scale;
        let entries: Vec<(usize, i8)> = self
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
        out.extend_from_slice(&self.templates.to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        for t in &self.thresholds {
            out.extend_from_slice(&t.to_le_bytes());
        }
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
        out.extend_from_slice(&(self.convention.joiners.len() as u32).to_le_bytes());
        for word in &self.convention.joiners {
            out.push(word.len().min(255) as u8);
            out.extend_from_slice(&word.as_bytes()[..word.len().min(255)]);
        }
        out.push(u8::from(self.convention.trim_final_period));
        out.extend_from_slice(&(self.convention.role_prefixes.len() as u32).to_le_bytes());
        for (label, side, word, inside) in &self.convention.role_prefixes {
            out.extend_from_slice(&[*label, *side, u8::from(*inside)]);
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
        let templates = u64::from_le_bytes(r.take(8)?.try_into()?);
        if templates & !t::ALL != 0 {
            bail!("relation classifier: unknown feature templates {templates:#x}");
        }
        let scale = f32::from_le_bytes(r.take(4)?.try_into()?);
        let mut thresholds = [0f32; RELATION_TYPES.len()];
        for t in &mut thresholds {
            *t = f32::from_le_bytes(r.take(4)?.try_into()?);
        }
        let count = r.u32()? as usize;
        let mut weights = vec![0i8; 1 << bits];
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
            let q = i8::from_le_bytes(r.take(1)?.try_into()?);
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
        let mut joiners = Vec::new();
        for _ in 0..r.u32()? {
            let len = r.take(1)?[0] as usize;
            let word = std::str::from_utf8(r.take(len)?).context("relation classifier: joiner not UTF-8")?;
            joiners.push(word.to_string());
        }
        joiners.sort();
        let trim_final_period = match r.take(1)?[0] {
            0 => false,
            1 => true,
            b => bail!("relation classifier: bad final-period flag {b}"),
        };
        let mut role_prefixes = Vec::new();
        for _ in 0..r.u32()? {
            let head = r.take(3)?;
            let (label, side, inside) = (head[0], head[1], head[2] != 0);
            if usize::from(label) >= RELATION_TYPES.len() || side > 1 {
                bail!("relation classifier: bad role {label}/{side} in the prefix table");
            }
            let len = r.take(1)?[0] as usize;
            let word = std::str::from_utf8(r.take(len)?).context("relation classifier: prefix not UTF-8")?;
            role_prefixes.push((label, side, word.to_string(), inside));
        }
        role_prefixes.sort();
        if r.pos != bytes.len() {
            bail!("relation classifier: {} trailing bytes", bytes.len() - r.pos);
        }
        Ok(PairClassifier {
            bits,
            fixed: FixedSums::new(&weights, bits, templates),
            weights,
            scale,
            templates,
            thresholds,
            convention: Convention {
                prefixes,
                role_prefixes,
                joiners,
                trim_final_period,
            },
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

/// The scored pairs at or above their type's threshold, and for two
/// mentions at most one relation (the likelier one).
pub fn select(thresholds: &[f32; RELATION_TYPES.len()], mut scored: Vec<Scored>) -> Vec<Scored> {
    select_in_place(thresholds, &mut scored);
    scored
}

/// [`select`] on `scored` itself.
fn select_in_place(thresholds: &[f32; RELATION_TYPES.len()], scored: &mut Vec<Scored>) {
    // In place: the kept pairs are compacted to the front of `scored`
    // (`kept` of them), in the order of their first appearance, each
    // replaced by a later pair of the same two mentions that is likelier.
    // No second vector per sentence.
    let mut kept = 0;
    for i in 0..scored.len() {
        let c = scored[i];
        // Not `<`: a NaN probability is below every threshold.
        let passes = c.probability >= thresholds[c.label];
        if !passes {
            continue;
        }
        if let Some(other) = scored[..kept].iter_mut().find(|k| {
            (k.subject == c.object && k.object == c.subject)
                || (k.subject == c.subject && k.object == c.object)
        }) {
            if c.probability > other.probability {
                *other = c;
            }
        } else {
            scored[kept] = c;
            kept += 1;
        }
    }
    scored.truncate(kept);
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// The table slot of a feature for a relation label: the top `64 - shift`
/// bits of one multiplication (the best-mixed bits of the product; one
/// multiply per feature, no mask).
#[inline(always)]
fn slot(feature: u64, label: usize, shift: u32) -> usize {
    ((feature ^ LABEL_KEYS[label]).wrapping_mul(0xff51_afd7_ed55_8ccd) >> shift) as usize
}

/// Per relation label, what a feature is XORed with before its slot is
/// taken: the labels' weights of one feature land in unrelated slots.
const LABEL_KEYS: [u64; RELATION_TYPES.len()] = {
    let mut keys = [0u64; RELATION_TYPES.len()];
    let mut i = 0;
    while i < keys.len() {
        keys[i] = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        i += 1;
    }
    keys
};

fn shuffle(v: &mut [usize], state: &mut u64) {
    for i in (1..v.len()).rev() {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let j = (*state % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

/// A feature's key from its parts (template id first): the template's
/// random key XOR every further part rotated by its position. Only XORs
/// and rotations, a few instructions per feature (a multiply per part made
/// hashing half the classifier's time); [`slot`]'s multiplication mixes the
/// result. Words enter as their 64-bit FNV-1a ids and small values
/// (direction, buckets, classes) land in separate bit ranges, so two
/// distinct features practically never share a key.
#[inline(always)]
fn feature_key(parts: &[u64]) -> u64 {
    let mut h = TEMPLATE_KEYS[parts[0] as usize];
    for (i, &p) in parts[1..].iter().enumerate() {
        h ^= p.rotate_left(11 * (i as u32 + 1));
    }
    h
}

/// One random 64-bit key per template id (splitmix64 of the id).
const TEMPLATE_KEYS: [u64; t::NAMES.len() + 1] = {
    let mut keys = [0u64; t::NAMES.len() + 1];
    let mut i = 0;
    while i < keys.len() {
        let mut z = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        keys[i] = z ^ (z >> 31);
        i += 1;
    }
    keys
};

/// Hashes a sequence of word ids into one (a mention's whole text): a
/// multiply per word, once per mention and sentence.
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

    /// Template names by id (`NAMES[id - 1]`), as `newsflow train relations
    /// --drop-templates` takes them.
    pub const NAMES: [&str; 37] = [
        "bias",
        "s_mention",
        "o_mention",
        "s_head",
        "o_head",
        "s_len",
        "o_len",
        "s_word",
        "o_word",
        "s_class",
        "o_class",
        "classes",
        "dist",
        "adjacent",
        "between",
        "between_dir",
        "first",
        "last",
        "first_last",
        "bigram",
        "sequence",
        "mentions_between",
        "commas",
        "s_prev",
        "s_next",
        "o_prev",
        "o_next",
        "s_prev2",
        "o_prev2",
        "s_next2",
        "o_next2",
        "left_prev",
        "right_next",
        "nearest",
        "args",
        "signature",
        "subtypes",
    ];

    /// Every template's bit.
    pub const ALL: u64 = ((1u64 << (NAMES.len() + 1)) - 1) & !1;
}

/// The template mask without the named templates (names as in
/// `t::NAMES`); an unknown name is an error that lists the known ones.
pub fn templates_without(drop: &[String]) -> anyhow::Result<u64> {
    let mut mask = t::ALL;
    for name in drop {
        let Some(i) = t::NAMES.iter().position(|n| n.eq_ignore_ascii_case(name)) else {
            bail!(
                "unknown feature template {name:?}; the templates are: {}",
                t::NAMES.join(", ")
            );
        };
        mask &= !(1u64 << (i + 1));
    }
    Ok(mask)
}

/// The names of the templates missing from a mask.
pub fn dropped_templates(mask: u64) -> Vec<&'static str> {
    (0..t::NAMES.len())
        .filter(|i| mask >> (i + 1) & 1 == 0)
        .map(|i| t::NAMES[i])
        .collect()
}

/// Per-sentence hashes, computed once rather than per pair: each token's
/// word, each mention's whole text and place class.
pub struct ArgCache<'v> {
    /// The view's word ids.
    tokens: &'v [u64],
    /// Per mention: its whole text's hash, its place class (1 country,
    /// 2 US state, 0 none or not a place) and its
    /// subtype's hash, in one allocation.
    args: Vec<ArgHashes>,
    /// Per token, the first mention covering it ([`NO_ARG`] for none):
    /// [`SentenceView::arg_covering`] in constant time, which `collapse`
    /// asks for every token between two mentions of every pair (a linear
    /// scan over the mentions was the largest part of `pair_features`).
    cover: Vec<u32>,
    /// Scratch for the words between two mentions.
    between: Vec<u64>,
}

/// Each mention's [`ArgHashes`], into `out`.
#[inline(never)]
fn arg_hashes(view: &SentenceView, out: &mut Vec<ArgHashes>) {
    out.clear();
    out.extend(view.args.iter().map(|a| {
        // Places only: the class lookups were a good part of the
        // per-sentence cost, and a person or organisation named like a
        // state is no place.
        // One word: its id is the lookup key already; more: the joined
        // text hashed word by word, with no joined string.
        let class = if a.kind != EntityType::LOC {
            0
        } else if a.tokens.len() == 1 {
            lexicon::place_class_id(view.ids[a.tokens.start])
        } else {
            lexicon::place_class_words(view.norm[a.tokens.clone()].iter().map(|w| &**w))
        };
        ArgHashes {
            mention: combine(&view.ids[a.tokens.clone()]),
            class: match class {
                lexicon::PLACE_COUNTRY => 1,
                lexicon::PLACE_US_STATE => 2,
                _ => 0,
            },
            subtype: a.subtype.map_or(0, fnv),
        }
    }));
}

/// No mention covers the token.
const NO_ARG: u32 = u32::MAX;

/// What [`ArgCache`] keeps per mention.
#[derive(Clone, Copy)]
struct ArgHashes {
    mention: u64,
    class: u64,
    subtype: u64,
}

impl<'v> ArgCache<'v> {
    pub fn new(view: &'v SentenceView) -> ArgCache<'v> {
        // The view's ids: FNV-1a hashes of the words (stable, so a model
        // file stays valid across builds).
        let tokens: &[u64] = &view.ids;
        let mut args = Vec::with_capacity(view.args.len());
        arg_hashes(view, &mut args);
        let mut cover = vec![NO_ARG; view.len()];
        // Last mention first, so that the first one covering a token wins,
        // as in `SentenceView::arg_covering`.
        for (a, arg) in view.args.iter().enumerate().rev() {
            let covered = arg.tokens.start.min(view.len())..arg.tokens.end.min(view.len());
            for c in cover.get_mut(covered).into_iter().flatten() {
                *c = a as u32;
            }
        }
        ArgCache {
            tokens,
            args,
            cover,
            between: Vec::with_capacity(32),
        }
    }
}

/// Number of relation labels.
const LABELS: usize = RELATION_TYPES.len();

/// No relation between two entity types (in [`FixedSums::labels`]).
const NO_LABEL: u8 = u8::MAX;

/// Weight sums that depend on the model only (and on a few small values of
/// a pair), computed when the model is built: per pair, one load each in
/// place of hashing their features. Every entry is the exact integer sum
/// of the quantised weights [`pair_features`] would add for those values.
#[derive(Debug, Clone)]
struct FixedSums {
    /// The relation label of a (subject type, object type) pair, or
    /// [`NO_LABEL`] ([`relation_for`] without its search).
    labels: [[u8; 4]; 4],
    /// BIAS (by direction) + ARGS (by size class of the mention count).
    bias_args: [[[i32; 9]; 2]; LABELS],
    /// DIST + SIGNATURE by distance class, + ADJACENT at distance 0 (the
    /// words between two mentions are none exactly when they are
    /// adjacent).
    dist: [[[i32; 9]; 2]; LABELS],
    /// COMMAS by count (0 to 3).
    commas: [[[i32; 4]; 2]; LABELS],
    /// NEAREST by (object nearest, subject nearest) as `on * 2 + sn`.
    nearest: [[[i32; 4]; 2]; LABELS],
    /// CLASSES by (subject class, object class) as `sc * 4 + oc`, both
    /// non-zero.
    classes: [[[i32; 16]; 2]; LABELS],
    /// MENTIONS_BETWEEN by (entity type, count 1 to 3).
    mentions_between: [[[i32; 4]; 4]; LABELS],
}

impl FixedSums {
    fn new(weights: &[i8], bits: u32, templates: u64) -> FixedSums {
        let shift = 64 - bits;
        let w = |parts: &[u64], label: usize| -> i32 {
            if templates >> parts[0] & 1 != 0 {
                i32::from(weights[slot(feature_key(parts), label, shift)])
            } else {
                0
            }
        };
        let kinds = [
            EntityType::PER,
            EntityType::ORG,
            EntityType::LOC,
            EntityType::MISC,
        ];
        let mut fixed = FixedSums {
            labels: [[NO_LABEL; 4]; 4],
            bias_args: [[[0; 9]; 2]; LABELS],
            dist: [[[0; 9]; 2]; LABELS],
            commas: [[[0; 4]; 2]; LABELS],
            nearest: [[[0; 4]; 2]; LABELS],
            classes: [[[0; 16]; 2]; LABELS],
            mentions_between: [[[0; 4]; 4]; LABELS],
        };
        for (i, &s) in kinds.iter().enumerate() {
            for (j, &o) in kinds.iter().enumerate() {
                fixed.labels[i][j] = relation_for(s, o).map_or(NO_LABEL, |l| l as u8);
            }
        }
        for l in 0..LABELS {
            for dir in 0..2u64 {
                let d = dir as usize;
                for b in 0..9u64 {
                    fixed.bias_args[l][d][b as usize] = w(&[t::BIAS, dir], l) + w(&[t::ARGS, b], l);
                    fixed.dist[l][d][b as usize] = w(&[t::DIST, b, dir], l)
                        + w(&[t::SIGNATURE, l as u64, dir, b], l)
                        + if b == 0 { w(&[t::ADJACENT, dir], l) } else { 0 };
                }
                for c in 0..4u64 {
                    fixed.commas[l][d][c as usize] = w(&[t::COMMAS, c, dir], l);
                    fixed.nearest[l][d][c as usize] = w(&[t::NEAREST, c >> 1, c & 1, dir], l);
                }
                for sc in 1..4u64 {
                    for oc in 1..4u64 {
                        fixed.classes[l][d][(sc * 4 + oc) as usize] = w(&[t::CLASSES, sc, oc, dir], l);
                    }
                }
            }
            for k in 0..4u64 {
                for c in 1..4u64 {
                    fixed.mentions_between[l][k as usize][c as usize] = w(&[t::MENTIONS_BETWEEN, k, c], l);
                }
            }
        }
        fixed
    }
}

/// Per-thread buffers of [`PairClassifier::score_sentence`], kept from one
/// sentence to the next (a CoNLL04 sentence is an article of its own, so
/// allocating them per sentence would cost more than the sums they save).
#[derive(Default)]
struct Scoring {
    /// Per mention: its whole text's hash, place class and subtype hash.
    args: Vec<ArgHashes>,
    /// The whole sentence collapsed as `collapse` collapses a range: each
    /// mention one type token, every other token its word.
    seq: Vec<u64>,
    /// Per token (and one past the end): the index in `seq` of the first
    /// element that starts at or after it. Between two non-overlapping
    /// mentions, `collapse(left end, right start)` is
    /// `seq[at[left end]..at[right start]]`.
    at: Vec<u32>,
    /// Commas in `seq` before each index (prefix counts).
    commas: Vec<u32>,
    /// Mentions of each entity type before each mention index.
    kinds: Vec<[u32; 4]>,
    /// Per (mention, role, label, direction): the weights of the features
    /// of that mention alone in that role ([`NOT_YET`] until first asked).
    roles: Vec<i32>,
    /// Per (mention, role, label): the part of `roles` that does not depend
    /// on the direction.
    plain: Vec<i32>,
    /// Per (mention, entity type): the least distance from the mention to
    /// another mention of that type ([`NOT_YET`] until first asked,
    /// `u32::MAX` for none).
    near: Vec<u32>,
    /// Per (label, direction): the stretch of `seq` its pairs' between
    /// words lie in, their total length, and where its prefix sums start
    /// in `prefix` (`u32::MAX` when they are not built).
    groups: [Group; LABELS * 2],
    /// Prefix sums of the between-word weights (BETWEEN, BETWEEN_DIR and
    /// BIGRAM ending at each element) of the groups that pay for them.
    prefix: Vec<i32>,
    /// The BIGRAM weight ending at each element, by the same offsets.
    bigram: Vec<i32>,
}

/// A sum not computed yet.
const NOT_YET: i32 = i32::MIN;
const NEAR_NOT_YET: u32 = u32::MAX - 1;

/// The candidate pairs of one (label, direction) in a sentence.
#[derive(Clone, Copy, Default)]
struct Group {
    lo: u32,
    hi: u32,
    total: u32,
    offset: u32,
}

impl Scoring {
    /// Drops buffers that grew over [`KEEP_MAX`] elements: one long
    /// sentence must not hold a thread's memory afterwards.
    fn bound(&mut self) {
        let big = [
            self.args.capacity(),
            self.seq.capacity(),
            self.at.capacity(),
            self.commas.capacity(),
            self.kinds.capacity(),
            self.roles.capacity(),
            self.plain.capacity(),
            self.near.capacity(),
            self.prefix.capacity(),
            self.bigram.capacity(),
        ]
        .into_iter()
        .any(|c| c > KEEP_MAX);
        if big {
            *self = Scoring::default();
        }
    }
}

/// Above this many elements a [`Scoring`] buffer is not kept.
const KEEP_MAX: usize = 1 << 12;

thread_local! {
    static SCORING: std::cell::RefCell<Scoring> = std::cell::RefCell::new(Scoring::default());
    /// [`PairClassifier::predict`]'s scored pairs.
    static PREDICTING: std::cell::RefCell<Vec<Scored>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The mentions are sorted, non-empty, inside the sentence and do not
/// overlap (what the stage's views guarantee): the words between two of
/// them are then a slice of one collapsed sentence.
fn disjoint(view: &SentenceView) -> bool {
    let len = view.len();
    let mut prev_end = 0;
    view.args.iter().all(|a| {
        let ok = a.tokens.start >= prev_end && a.tokens.start < a.tokens.end && a.tokens.end <= len;
        prev_end = a.tokens.end;
        ok
    })
}

impl PairClassifier {
    /// [`PairClassifier::score_pairs`] by parts, exactly (the weights are
    /// integers, so any grouping of the sum gives the same total):
    /// * the features of one mention in one role (its words, head, length,
    ///   class and context) are summed once per (mention, role, label,
    ///   direction) and reused for every pair it is in;
    /// * the features of a few small values (distance class, commas,
    ///   nearest flags, ...) are read from [`FixedSums`];
    /// * the between words' BETWEEN, BETWEEN_DIR and BIGRAM weights are
    ///   prefix-sum differences over the collapsed sentence, for the
    ///   (label, direction) groups whose pairs' between words add up to
    ///   more than the stretch they lie in (else summed per pair);
    /// * only SUBTYPES, FIRST, LAST, FIRST_LAST and SEQUENCE are hashed per
    ///   pair.
    ///
    /// Returns false, scoring nothing, when the mentions are not sorted
    /// and disjoint ([`disjoint`]).
    #[inline(always)]
    fn score_sentence(
        &self,
        view: &SentenceView,
        templates: u64,
        sc: &mut Scoring,
        out: &mut Vec<Scored>,
    ) -> bool {
        if !disjoint(view) {
            return false;
        }
        let shift = 64 - self.bits;
        let fixed = &self.fixed;
        let weights = &self.weights[..];
        let weights_of = Weights {
            weights,
            shift,
            templates,
        };
        let w = |parts: &[u64], label: usize| weights_of.get(parts, label);
        let args = &view.args;
        let n_args = args.len();
        if n_args < 2 {
            return true;
        }
        let tok: &[u64] = &view.ids;
        let len = tok.len();

        // Nothing to score without two mentions of a relation's types.
        let mut count = [0usize; 4];
        for a in args {
            count[a.kind as usize] += 1;
        }
        let any = (0..4).any(|x| {
            (0..4).any(|y| fixed.labels[x][y] != NO_LABEL && count[x] > 0 && count[y] > usize::from(x == y))
        });
        if !any {
            return true;
        }
        arg_hashes(view, &mut sc.args);
        collapse_sentence(view, sc);
        let at = &sc.at;
        let seq = &sc.seq;

        sc.roles.clear();
        sc.roles.resize(n_args * 2 * LABELS * 2, NOT_YET);
        sc.plain.clear();
        sc.plain.resize(n_args * 2 * LABELS, NOT_YET);
        sc.near.clear();
        sc.near.resize(n_args * 4, NEAR_NOT_YET);
        let word = |i: isize| -> u64 {
            if i < 0 {
                START
            } else if i as usize >= len {
                END
            } else {
                tok[i as usize]
            }
        };
        // Which (label, direction) groups pay for prefix sums.
        sc.groups = [Group {
            lo: u32::MAX,
            ..Group::default()
        }; LABELS * 2];
        let label_of = |s: usize, o: usize| fixed.labels[args[s].kind as usize][args[o].kind as usize];
        for s in 0..n_args {
            for o in 0..n_args {
                let label = label_of(s, o);
                if label == NO_LABEL || s == o {
                    continue;
                }
                let forward = args[s].tokens.start < args[o].tokens.start;
                let (l, r) = if forward { (s, o) } else { (o, s) };
                let (a, b) = (at[args[l].tokens.end], at[args[r].tokens.start]);
                let g = &mut sc.groups[usize::from(label) * 2 + usize::from(forward)];
                g.lo = g.lo.min(a);
                g.hi = g.hi.max(b);
                g.total += b - a;
            }
        }
        sc.prefix.clear();
        sc.bigram.clear();
        for (gi, g) in sc.groups.iter_mut().enumerate() {
            g.offset = u32::MAX;
            if g.lo == u32::MAX || g.total <= g.hi - g.lo {
                continue;
            }
            let (label, dir) = (gi / 2, (gi % 2) as u64);
            g.offset = sc.prefix.len() as u32;
            let mut sum = 0i32;
            sc.prefix.push(0);
            for j in g.lo as usize..g.hi as usize {
                let x = seq[j];
                let bigram = if j > g.lo as usize {
                    w(&[t::BIGRAM, seq[j - 1], x, dir], label)
                } else {
                    0
                };
                sum += w(&[t::BETWEEN, x], label) + w(&[t::BETWEEN_DIR, x, dir], label) + bigram;
                sc.prefix.push(sum);
                sc.bigram.push(bigram);
            }
            // `bigram` at the offsets of `prefix`: element `lo + k` at
            // `offset + k`.
            sc.bigram.push(0);
        }

        let args_class = bucket(n_args.min(7));
        for s in 0..n_args {
            for o in 0..n_args {
                let label = label_of(s, o);
                if label == NO_LABEL || s == o {
                    continue;
                }
                let label = usize::from(label);
                let (sa, oa) = (&args[s], &args[o]);
                let forward = sa.tokens.start < oa.tokens.start;
                let dir = u64::from(forward);
                let d = usize::from(forward);
                let (l, r) = if forward { (s, o) } else { (o, s) };
                let (left, right) = (&args[l], &args[r]);
                let n = right.tokens.start.saturating_sub(left.tokens.end);
                let mut q =
                    fixed.bias_args[label][d][args_class as usize] + fixed.dist[label][d][bucket(n) as usize];

                // Each mention in its role.
                for (m, role) in [(s, 0usize), (o, 1)] {
                    let k = ((m * 2 + role) * LABELS + label) * 2 + d;
                    if sc.roles[k] == NOT_YET {
                        let pk = (m * 2 + role) * LABELS + label;
                        if sc.plain[pk] == NOT_YET {
                            sc.plain[pk] =
                                mention_sum(&w, tok, &sc.args[m], &args[m].tokens, role, label, &word);
                        }
                        sc.roles[k] =
                            sc.plain[pk] + mention_dir_sum(&w, &args[m].tokens, role, label, dir, &word);
                    }
                    q += sc.roles[k];
                }
                let (sh, oh) = (sc.args[s], sc.args[o]);
                if sh.class != 0 && oh.class != 0 {
                    q += fixed.classes[label][d][(sh.class * 4 + oh.class) as usize];
                }

                // Between the two mentions.
                let (a, b) = (at[left.tokens.end] as usize, at[right.tokens.start] as usize);
                let g = &sc.groups[label * 2 + d];
                let direct = g.offset == u32::MAX;
                if !direct && a < b {
                    let (pa, pb) = (
                        g.offset as usize + a - g.lo as usize,
                        g.offset as usize + b - g.lo as usize,
                    );
                    // The bigram ending at the slice's first element is
                    // not the slice's.
                    q += sc.prefix[pb] - sc.prefix[pa] - sc.bigram[pa];
                }
                q += pair_sum(&w, &seq[a..b], (sh.subtype, oh.subtype), label, dir, direct);
                // The mentions strictly between `l` and `r` in order are
                // the ones inside the gap (sorted, disjoint mentions).
                let (before, upto) = (&sc.kinds[l + 1], &sc.kinds[r]);
                for k in 0..4 {
                    let c = upto[k].saturating_sub(before[k]);
                    if c > 0 {
                        q += fixed.mentions_between[label][k][c.min(3) as usize];
                    }
                }
                let commas = (sc.commas[b] - sc.commas[a]).min(3) as usize;
                q += fixed.commas[label][d][commas];

                // Nearest of type, by the least distance from each side.
                let on = nearest_distance(args, &mut sc.near, s, oa.kind) >= gap(sa, oa);
                let sn = nearest_distance(args, &mut sc.near, o, sa.kind) >= gap(oa, sa);
                q += fixed.nearest[label][d][usize::from(on) * 2 + usize::from(sn)];

                out.push(Scored {
                    subject: s,
                    object: o,
                    label,
                    probability: sigmoid(q as f32 * self.scale),
                });
            }
        }
        true
    }
}

/// The model's weights as [`PairClassifier::score_sentence`] reads them.
#[derive(Clone, Copy)]
struct Weights<'m> {
    weights: &'m [i8],
    shift: u32,
    /// The template mask: a constant where the caller passes one, so that
    /// the test per feature folds away.
    templates: u64,
}

impl Weights<'_> {
    /// The weight of the feature with these parts for `label` (0 when its
    /// template is not in the model).
    #[inline(always)]
    fn get(&self, parts: &[u64], label: usize) -> i32 {
        if self.templates >> parts[0] & 1 != 0 {
            i32::from(self.weights[slot(feature_key(parts), label, self.shift)])
        } else {
            0
        }
    }
}

/// Fills `sc.seq`, `sc.at`, `sc.commas` and `sc.kinds` for a view whose
/// mentions are [`disjoint`] (and at least one). Only the stretch from the
/// first mention to the end of the last is collapsed: no pair's between
/// words lie outside it, and `at` is only read at mention bounds.
#[inline(never)]
fn collapse_sentence(view: &SentenceView, sc: &mut Scoring) {
    let tok: &[u64] = &view.ids;
    let (Some(first), Some(last)) = (view.args.first(), view.args.last()) else {
        return;
    };
    sc.seq.clear();
    sc.commas.clear();
    sc.kinds.clear();
    sc.at.clear();
    sc.at.resize(tok.len() + 1, 0);
    let mut kinds = [0u32; 4];
    let mut commas = 0u32;
    let mut i = first.tokens.start;
    for a in &view.args {
        sc.kinds.push(kinds);
        kinds[a.kind as usize] += 1;
        for (t, &w) in tok.iter().enumerate().take(a.tokens.start).skip(i) {
            sc.at[t] = sc.seq.len() as u32;
            sc.commas.push(commas);
            commas += u32::from(w == COMMA);
            sc.seq.push(w);
        }
        // Tokens inside a mention are never a slice bound: they get the
        // mention's own index.
        let here = sc.seq.len() as u32;
        for x in &mut sc.at[a.tokens.clone()] {
            *x = here;
        }
        sc.commas.push(commas);
        sc.seq.push(TYPE_TOKENS[a.kind as usize]);
        i = a.tokens.end;
    }
    sc.kinds.push(kinds);
    sc.at[last.tokens.end] = sc.seq.len() as u32;
    sc.commas.push(commas);
}

/// Tokens from mention `from` to mention `a` (0 when they touch or
/// overlap), as NEAREST measures them.
#[inline(always)]
fn gap(from: &super::view::Arg, a: &super::view::Arg) -> u32 {
    let d = if a.tokens.start >= from.tokens.end {
        a.tokens.start - from.tokens.end
    } else {
        from.tokens.start.saturating_sub(a.tokens.end)
    };
    d as u32
}

/// The least [`gap`] from mention `from` to a mention of type `kind` over
/// other tokens (`u32::MAX` for none), cached in `near`.
#[inline(always)]
fn nearest_distance(args: &[super::view::Arg], near: &mut [u32], from: usize, kind: EntityType) -> u32 {
    let k = from * 4 + kind as usize;
    if near[k] == NEAR_NOT_YET {
        let f = &args[from];
        near[k] = args
            .iter()
            .filter(|a| a.kind == kind && a.tokens != f.tokens)
            .map(|a| gap(f, a))
            .min()
            .unwrap_or(u32::MAX);
    }
    near[k]
}

/// The weights of a pair's features that are hashed per pair: SUBTYPES,
/// FIRST, LAST, FIRST_LAST and SEQUENCE over the collapsed words between
/// the two mentions, and, when `direct` (no prefix sums for the pair's
/// group), BETWEEN, BETWEEN_DIR and BIGRAM.
#[inline(always)]
fn pair_sum(
    w: &impl Fn(&[u64], usize) -> i32,
    between: &[u64],
    subtypes: (u64, u64),
    label: usize,
    dir: u64,
    direct: bool,
) -> i32 {
    let mut q = w(&[t::SUBTYPES, subtypes.0, subtypes.1, dir], label);
    if let (Some(&first), Some(&last)) = (between.first(), between.last()) {
        if direct {
            for &x in between {
                q += w(&[t::BETWEEN, x], label) + w(&[t::BETWEEN_DIR, x, dir], label);
            }
            for pair in between.windows(2) {
                q += w(&[t::BIGRAM, pair[0], pair[1], dir], label);
            }
        }
        q += w(&[t::FIRST, first, dir], label);
        q += w(&[t::LAST, last, dir], label);
        q += w(&[t::FIRST_LAST, first, last, dir], label);
    }
    if between.len() <= 5 {
        let mut parts = [0u64; 7];
        parts[0] = t::SEQUENCE;
        parts[1..=between.len()].copy_from_slice(between);
        parts[between.len() + 1] = dir;
        q += w(&parts[..between.len() + 2], label);
    }
    q
}

/// The templates of one mention's own features, by role.
struct RoleTemplates {
    mention: u64,
    head: u64,
    len: u64,
    word: u64,
    class: u64,
    prev: u64,
    next: u64,
    prev2: u64,
    next2: u64,
}

/// [`RoleTemplates`] of the subject (0) and the object (1).
const ROLES: [RoleTemplates; 2] = [
    RoleTemplates {
        mention: t::S_MENTION,
        head: t::S_HEAD,
        len: t::S_LEN,
        word: t::S_WORD,
        class: t::S_CLASS,
        prev: t::S_PREV,
        next: t::S_NEXT,
        prev2: t::S_PREV2,
        next2: t::S_NEXT2,
    },
    RoleTemplates {
        mention: t::O_MENTION,
        head: t::O_HEAD,
        len: t::O_LEN,
        word: t::O_WORD,
        class: t::O_CLASS,
        prev: t::O_PREV,
        next: t::O_NEXT,
        prev2: t::O_PREV2,
        next2: t::O_NEXT2,
    },
];

/// The weights of one mention's own features in `role` (0 subject, 1
/// object) that do not depend on the direction: its text, head, length,
/// words, place class and the two words on either side.
#[inline(always)]
fn mention_sum(
    w: &impl Fn(&[u64], usize) -> i32,
    tok: &[u64],
    hashes: &ArgHashes,
    tokens: &std::ops::Range<usize>,
    role: usize,
    label: usize,
    word: &impl Fn(isize) -> u64,
) -> i32 {
    let r = &ROLES[role];
    let (start, end) = (tokens.start as isize, tokens.end as isize);
    let mut q = w(&[r.mention, hashes.mention], label)
        + w(&[r.head, tok[tokens.end - 1]], label)
        + w(&[r.len, tokens.len().min(4) as u64], label);
    for &x in &tok[tokens.clone()] {
        q += w(&[r.word, x], label);
    }
    if hashes.class != 0 {
        q += w(&[r.class, hashes.class], label);
    }
    q + w(&[r.prev2, word(start - 2), word(start - 1)], label)
        + w(&[r.next2, word(end), word(end + 1)], label)
}

/// The weights of one mention's own features in `role` that depend on the
/// direction: the word before and after it, and LEFT_PREV or RIGHT_NEXT
/// when it is the pair's left or right mention.
#[inline(always)]
fn mention_dir_sum(
    w: &impl Fn(&[u64], usize) -> i32,
    tokens: &std::ops::Range<usize>,
    role: usize,
    label: usize,
    dir: u64,
    word: &impl Fn(isize) -> u64,
) -> i32 {
    let r = &ROLES[role];
    let (prev, next) = (word(tokens.start as isize - 1), word(tokens.end as isize));
    // Forward, the subject is on the left; backward, on the right.
    let left = (role == 0) == (dir == 1);
    w(&[r.prev, prev, dir], label)
        + w(&[r.next, next, dir], label)
        + if left {
            w(&[t::LEFT_PREV, prev, dir], label)
        } else {
            w(&[t::RIGHT_NEXT, next, dir], label)
        }
}

/// The word hashes of a token range with every mention collapsed to its
/// type, into `out`.
fn collapse(view: &SentenceView, tokens: &[u64], cover: &[u32], from: usize, to: usize, out: &mut Vec<u64>) {
    out.clear();
    let mut i = from;
    while i < to {
        if let Some(a) = cover.get(i).filter(|&&a| a != NO_ARG).map(|&a| a as usize) {
            out.push(TYPE_TOKENS[view.args[a].kind as usize]);
            i = view.args[a].tokens.end.max(i + 1);
        } else {
            out.push(tokens[i]);
            i += 1;
        }
    }
}

/// Hashed features of the ordered pair (subject `s`, object `o`).
/// Only the templates whose bit is set in `templates` are hashed; each
/// feature goes to `sink` as soon as it is (scoring adds its weight there,
/// training collects it). Always inlined into its two callers: scoring's
/// sink then adds into a register (out of line, the sum lived in memory and
/// every feature's add waited on the previous one's store).
#[inline(always)]
pub fn pair_features(
    view: &SentenceView,
    cache: &mut ArgCache,
    s: usize,
    o: usize,
    templates: u64,
    sink: &mut impl FnMut(u64),
) {
    let sa = &view.args[s];
    let oa = &view.args[o];
    let forward = sa.tokens.start < oa.tokens.start;
    let dir = u64::from(forward);
    let (left, right) = if forward { (sa, oa) } else { (oa, sa) };
    let mut f = |parts: &[u64]| {
        if templates >> parts[0] & 1 != 0 {
            sink(feature_key(parts))
        }
    };
    let tok = cache.tokens;

    f(&[t::BIAS, dir]);
    // The arguments themselves.
    let (sh, oh) = (cache.args[s], cache.args[o]);
    f(&[t::S_MENTION, sh.mention]);
    f(&[t::O_MENTION, oh.mention]);
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
    f(&[t::SUBTYPES, sh.subtype, oh.subtype, dir]);
    let (sc, oc) = (sh.class, oh.class);
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
    collapse(
        view,
        tok,
        &cache.cover,
        left.tokens.end,
        right.tokens.start,
        &mut cache.between,
    );
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

/// Counts from which [`Convention`] is learnt, over training sentences run
/// through the pipeline (the mentions the entities stage really finds),
/// each compared with the corpus's mentions by an `is_gold(span, type)`
/// oracle.
#[derive(Debug, Default)]
pub struct ConventionCounts {
    /// (type, word right before a found mention) → (inside the gold
    /// mention, outside it).
    prefixes: BTreeMap<(EntityType, String), (u32, u32)>,
    /// The same for the arguments of gold relations, by (label, role, word).
    role_prefixes: BTreeMap<(u8, u8, String), (u32, u32)>,
    /// Word before `Place , Place` → (the pair is one gold place, two).
    joiners: BTreeMap<String, (u32, u32)>,
    /// Sentence-final abbreviations: (gold without the period, with it).
    trim: (u32, u32),
}

impl ConventionCounts {
    /// First pass: title words before mentions, and final periods. `gold`
    /// says whether a span of a type is a gold mention, and if so the
    /// (label, role) of each gold relation it is an argument of.
    pub fn count_mentions(
        &mut self,
        view: &SentenceView,
        gold: impl Fn(Span, EntityType) -> Option<Vec<(usize, u8)>>,
    ) {
        let is_gold = |s, k| gold(s, k).is_some();
        for a in &view.args {
            if ends_with_final_period(view, a.tokens.end) {
                let trimmed = Span::new(a.span.start, a.span.end - 1);
                match (is_gold(trimmed, a.kind), is_gold(a.span, a.kind)) {
                    (true, false) => self.trim.0 += 1,
                    (false, true) => self.trim.1 += 1,
                    _ => {}
                }
            }
            let Some(prev) = a.tokens.start.checked_sub(1) else {
                continue;
            };
            let capitalised = view.words[prev].chars().next().is_some_and(char::is_uppercase);
            if !capitalised || view.arg_covering(prev).is_some() {
                continue;
            }
            let (inside, roles) = if let Some(roles) = gold(view.span_of(prev..a.tokens.end), a.kind) {
                (true, roles)
            } else if let Some(roles) = gold(a.span, a.kind) {
                (false, roles)
            } else {
                continue;
            };
            let word = view.norm[prev].to_string();
            let count = |c: &mut (u32, u32)| {
                if inside {
                    c.0 += 1;
                } else {
                    c.1 += 1;
                }
            };
            count(self.prefixes.entry((a.kind, word.clone())).or_default());
            for (label, side) in roles {
                count(
                    self.role_prefixes
                        .entry((label as u8, side, word.clone()))
                        .or_default(),
                );
            }
        }
    }

    /// Title words of the corpus's own person arguments, by relation
    /// role, over a view of gold mentions and its gold relations
    /// (subject, object, label): the first word of a longer argument is
    /// inside, a capitalised word right before an argument outside. Only
    /// the words the entities stage also leaves before a mention it finds
    /// become rules (see [`ConventionCounts::learnt`]), so first names do
    /// not. This counts every gold argument, also where the entities model
    /// finds the title itself on the training sentences it has learnt.
    pub fn count_gold_roles(&mut self, view: &SentenceView, relations: &[(usize, usize, usize)]) {
        let capitalised = |i: usize| view.words[i].chars().next().is_some_and(char::is_uppercase);
        for &(subject, object, label) in relations {
            for (a, side) in [(subject, 0u8), (object, 1)] {
                // Persons only: an organisation's `The`, `Russian` is part
                // of its name, and the entities stage mostly finds it.
                if view.args[a].kind != EntityType::PER {
                    continue;
                }
                let t = &view.args[a].tokens;
                let (word, inside) = if t.len() > 1 && capitalised(t.start) {
                    (t.start, true)
                } else if t.start > 0 && capitalised(t.start - 1) && view.arg_covering(t.start - 1).is_none()
                {
                    (t.start - 1, false)
                } else {
                    continue;
                };
                let c = self
                    .role_prefixes
                    .entry((label as u8, side, view.norm[word].to_string()))
                    .or_default();
                if inside {
                    c.0 += 1;
                } else {
                    c.1 += 1;
                }
            }
        }
    }

    /// Second pass, with the conventions of the first learnt: the words
    /// before each `Place , Place` pair, counted once per pair.
    pub fn count_joins(
        &mut self,
        view: &SentenceView,
        convention: &Convention,
        is_gold: impl Fn(Span, EntityType) -> bool,
    ) {
        for a in 0..view.args.len() {
            if !place_pair(view, a) {
                continue;
            }
            let (x, y) = (
                convention.argument_span(view, a, None),
                convention.argument_span(view, a + 1, None),
            );
            let one = if is_gold(Span::new(x.start, y.end), EntityType::LOC) {
                true
            } else if is_gold(x, EntityType::LOC) || is_gold(y, EntityType::LOC) {
                false
            } else {
                continue;
            };
            let mut seen: Vec<&str> = Vec::with_capacity(JOIN_WINDOW);
            for w in join_context(view, a) {
                if seen.contains(&w) {
                    continue;
                }
                seen.push(w);
                let c = self.joiners.entry(w.to_string()).or_default();
                if one {
                    c.0 += 1;
                } else {
                    c.1 += 1;
                }
            }
        }
    }

    /// The convention: title words inside at least `min` times and more
    /// often inside than outside; joiner words seen at least `min` times
    /// before one place and more than twice as often as before two (a
    /// wrong join costs two relations: the place's own and its
    /// Located_In); the final period left out when it more often is.
    pub fn learnt(&self, min: u32) -> Convention {
        let prefixes: Vec<(EntityType, String)> = self
            .prefixes
            .iter()
            .filter(|(_, &(i, o))| i >= min && i > o)
            .map(|(k, _)| k.clone())
            .collect();
        // A relation's own rule where its arguments were seen at least
        // `min` times with a clear majority that the general rule
        // contradicts (in general `President` stays out of the mention, for
        // the victim of a Kill it is in).
        let role_prefixes = self
            .role_prefixes
            .iter()
            .filter_map(|((label, side, word), &(i, o))| {
                let inside = if i >= min && i > 2 * o {
                    true
                } else if o >= min && o > 2 * i {
                    false
                } else {
                    return None;
                };
                let kind = RELATION_TYPES[usize::from(*label)];
                let kind = if *side == 0 { kind.1 } else { kind.2 };
                if !self.prefixes.contains_key(&(kind, word.clone())) {
                    // Never left before a found mention: no title word.
                    return None;
                }
                let general = prefixes.binary_search(&(kind, word.clone())).is_ok();
                (inside != general).then(|| (*label, *side, word.clone(), inside))
            })
            .collect();
        Convention {
            prefixes,
            role_prefixes,
            joiners: self
                .joiners
                .iter()
                .filter(|(_, &(one, two))| one >= min && one > 2 * two)
                .map(|(k, _)| k.clone())
                .collect(),
            trim_final_period: self.trim.0 > self.trim.1,
        }
    }

    /// What was counted, for the training log.
    pub fn summary(&self) -> String {
        let mut joiners: Vec<_> = self.joiners.iter().filter(|(_, c)| c.0 + c.1 >= 3).collect();
        joiners.sort_by_key(|(_, c)| std::cmp::Reverse(c.0 + c.1));
        let joiners: Vec<String> = joiners
            .iter()
            .take(12)
            .map(|(w, (one, two))| format!("{w} {one}/{two}"))
            .collect();
        format!(
            "final period: {} left out, {} kept; words before `Place , Place` (one/two): {}",
            self.trim.0,
            self.trim.1,
            joiners.join(", ")
        )
    }
}

/// Turns one sentence into training pairs (gold relations among candidates).
/// Only the templates of the mask `templates` are hashed (see
/// [`TrainConfig::templates`]).
pub fn training_pairs(
    view: &SentenceView,
    gold: &[(usize, usize, usize)],
    templates: u64,
    out: &mut Vec<TrainPair>,
) {
    let mut cache = ArgCache::new(view);
    for (s, o, label) in candidates(view) {
        let mut features = Vec::with_capacity(128);
        pair_features(view, &mut cache, s, o, templates, &mut |f| features.push(f));
        out.push(TrainPair {
            features,
            label,
            gold: gold.contains(&(s, o, label)),
            subject: s,
            object: o,
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
            training_pairs(&pos, &[(0, 1, 0)], t::ALL, &mut pairs);
            training_pairs(&neg, &[], t::ALL, &mut pairs);
        }
        let model = PairClassifier::train(
            &pairs.iter().collect::<Vec<_>>(),
            &TrainConfig {
                bits: 14,
                ..Default::default()
            },
        );
        let p = model.predict(&pos);
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].subject.0, p[0].object.0, p[0].label), (0, 1, 0));
        assert_eq!(
            (p[0].subject.1, p[0].object.1),
            (pos.args[0].span, pos.args[1].span)
        );
        assert!(model.predict(&neg).is_empty());
        // A type's own threshold silences it.
        let mut strict = model.clone();
        strict.thresholds[0] = 1.0;
        assert!(strict.predict(&pos).is_empty());
        let mut model = model;
        model.thresholds[4] = 0.55;
        model.convention = Convention {
            prefixes: vec![(PER, "mr.".to_string())],
            role_prefixes: vec![(4, 1, "president".to_string(), true)],
            joiners: vec!["born".to_string(), "native".to_string()],
            trim_final_period: true,
        };
        let bytes = model.to_bytes();
        let back = PairClassifier::from_bytes(&bytes).unwrap();
        assert_eq!(back.convention, model.convention);
        assert_eq!(back.thresholds, model.thresholds);
        let a = model.score_all(&pos)[0].probability;
        let b = back.score_all(&pos)[0].probability;
        assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        assert!(PairClassifier::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(PairClassifier::from_bytes(b"garbage!").is_err());
    }

    /// Gold spans by token range of a `view` fixture (single spaces), with
    /// the relation roles of each.
    type Gold = [(usize, usize, EntityType, &'static [(usize, u8)])];
    fn oracle<'v>(
        v: &'v SentenceView<'_>,
        gold: &'v Gold,
    ) -> impl Fn(Span, EntityType) -> Option<Vec<(usize, u8)>> + 'v {
        move |span, kind| {
            gold.iter()
                .find(|&&(a, b, k, _)| k == kind && v.span_of(a..b) == span)
                .map(|g| g.3.to_vec())
        }
    }

    #[test]
    fn title_words_join_arguments_when_learnt() {
        use EntityType::*;
        let mut counts = ConventionCounts::default();
        // "Mr." is inside the gold mention three times, "Sen." outside
        // three times and inside once, "Dr." inside once; "President" is
        // outside but inside for the victim of a Kill (label 4, object).
        let titled =
            |title: &'static str| view(&["Smith", "met", title, "Jones"], &[(0, 1, PER), (3, 4, PER)]);
        const KILLED: &[(usize, u8)] = &[(4, 1)];
        for (title, inside, roles, n) in [
            ("Mr.", true, &[][..], 3),
            ("Sen.", false, &[], 3),
            ("Sen.", true, &[], 1),
            ("Dr.", true, &[], 1),
            ("President", false, &[], 4),
            ("President", true, KILLED, 3),
        ] {
            let v = titled(title);
            let gold: &Gold = &[(0, 1, PER, &[]), (if inside { 2 } else { 3 }, 4, PER, roles)];
            for _ in 0..n {
                counts.count_mentions(&v, oracle(&v, gold));
            }
        }
        let convention = counts.learnt(2);
        assert_eq!(convention.prefixes, vec![(PER, "mr.".to_string())]);
        assert_eq!(
            convention.role_prefixes,
            vec![(4, 1, "president".to_string(), true)]
        );
        let v = view(
            &[
                "Mr.",
                "Smith",
                "met",
                "Sen.",
                "Jones",
                "in",
                "Mr.",
                "Acme",
                "and",
                "President",
                "Lee",
            ],
            &[(1, 2, PER), (4, 5, PER), (7, 8, ORG), (10, 11, PER)],
        );
        assert_eq!(convention.argument_tokens(&v, 0, None), 0..2);
        assert_eq!(convention.argument_tokens(&v, 1, None), 4..5);
        // Learnt for persons only.
        assert_eq!(convention.argument_tokens(&v, 2, None), 7..8);
        // The victim's title; not for other roles.
        assert_eq!(convention.argument_tokens(&v, 3, Some((4, 1))), 9..11);
        assert_eq!(convention.argument_tokens(&v, 3, Some((4, 0))), 10..11);
        assert_eq!(convention.argument_tokens(&v, 3, Some((1, 0))), 10..11);
    }

    #[test]
    fn role_titles_are_learnt_from_gold_arguments() {
        use EntityType::*;
        let mut counts = ConventionCounts::default();
        // The entities stage leaves "President" out, and so does the corpus
        // in general...
        let found = view(&["Smith", "met", "President", "Lee"], &[(0, 1, PER), (3, 4, PER)]);
        let general: &Gold = &[(0, 1, PER, &[]), (3, 4, PER, &[])];
        for _ in 0..3 {
            counts.count_mentions(&found, oracle(&found, general));
        }
        // ... but a Kill's victim has it inside, in the corpus's own
        // arguments (whatever the entities model finds on them); a first
        // name inside a killer's mention is no title word.
        let gold = view(
            &["John", "Smith", "killed", "President", "Lee"],
            &[(0, 2, PER), (3, 5, PER)],
        );
        for _ in 0..3 {
            counts.count_gold_roles(&gold, &[(0, 1, 4)]);
        }
        let convention = counts.learnt(2);
        assert!(convention.prefixes.is_empty());
        assert_eq!(
            convention.role_prefixes,
            vec![(4, 1, "president".to_string(), true)]
        );
    }

    #[test]
    fn birth_places_join_and_final_periods_are_learnt() {
        use EntityType::*;
        let born = view(
            &["Smith", "was", "born", "in", "Concord", ",", "Mass."],
            &[(0, 1, PER), (4, 5, LOC), (6, 7, LOC)],
        );
        let born_gold: &Gold = &[(0, 1, PER, &[]), (4, 7, LOC, &[])];
        let dateline = view(&["DAYTON", ",", "Ohio", "in"], &[(0, 1, LOC), (2, 3, LOC)]);
        let dateline_gold: &Gold = &[(0, 1, LOC, &[]), (2, 3, LOC, &[])];
        let based = view(
            &["Acme", ",", "based", "in", "Troy", ",", "Mich.", ",", "said"],
            &[(0, 1, ORG), (4, 5, LOC), (6, 7, LOC)],
        );
        let based_gold: &Gold = &[(0, 1, ORG, &[]), (4, 5, LOC, &[]), (6, 7, LOC, &[])];
        let mut counts = ConventionCounts::default();
        // The corpus's "Mass" leaves the sentence's period out.
        let mass = Span::new(born.spans[6].start, born.spans[6].end - 1);
        let trimmed_gold = |span: Span, kind: EntityType| {
            kind == LOC && (span == mass || span == Span::new(born.spans[4].start, mass.end))
        };
        for _ in 0..3 {
            counts.count_mentions(&born, |s, k| trimmed_gold(s, k).then(Vec::new));
        }
        let first = counts.learnt(2);
        assert!(first.trim_final_period);
        assert_eq!(first.argument_span(&born, 2, None), mass);
        assert_eq!(first.argument_span(&based, 2, None), based.args[2].span);
        for _ in 0..3 {
            counts.count_joins(&born, &first, |s, k| {
                trimmed_gold(s, k) || oracle(&born, born_gold)(s, k).is_some()
            });
            counts.count_joins(&dateline, &first, |s, k| {
                oracle(&dateline, dateline_gold)(s, k).is_some()
            });
            counts.count_joins(&based, &first, |s, k| oracle(&based, based_gold)(s, k).is_some());
        }
        let convention = counts.learnt(2);
        // "in" precedes both kinds: not a joiner.
        assert_eq!(convention.joiners, vec!["born".to_string(), "was".to_string()]);
        let joined = convention.apply(&born);
        assert!(matches!(joined, Cow::Owned(_)));
        assert_eq!(joined.args.len(), 2);
        assert_eq!(joined.args[1].tokens, 4..7);
        assert_eq!(
            convention.argument_span(&joined, 1, None),
            Span::new(born.spans[4].start, mass.end)
        );
        assert!(matches!(convention.apply(&based), Cow::Borrowed(_)));
        assert!(matches!(convention.apply(&dateline), Cow::Borrowed(_)));
        assert!(counts.summary().contains("born 3/0"));
        // Places in a list are not `City , State`, even after a joiner.
        let list = view(
            &[
                "Flooding",
                "was",
                "in",
                "Brazoria",
                ",",
                "Fort",
                "Bend",
                ",",
                "Galveston",
                "and",
                "Harris",
            ],
            &[(3, 4, LOC), (5, 7, LOC), (8, 9, LOC), (10, 11, LOC)],
        );
        assert!(matches!(convention.apply(&list), Cow::Borrowed(_)));
        let two = view(
            &["Flooding", "was", "in", "Brazoria", ",", "Texas"],
            &[(3, 4, LOC), (5, 6, LOC)],
        );
        assert_eq!(convention.apply(&two).args.len(), 1);
    }

    #[test]
    fn templates_are_named_and_dropped_templates_emit_nothing() {
        use EntityType::*;
        let mask = templates_without(&["between_dir".to_string(), "BIGRAM".to_string()]).unwrap();
        assert_eq!(dropped_templates(mask), vec!["between_dir", "bigram"]);
        assert_eq!(dropped_templates(t::ALL), Vec::<&str>::new());
        let err = templates_without(&["betwen".to_string()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("between_dir"), "{err}");
        // Four words between the mentions: the full set has a feature per
        // word for each of the two templates, the reduced set none.
        let v = view(
            &["Smith", "is", "the", "new", "head", "of", "Acme"],
            &[(0, 1, PER), (6, 7, ORG)],
        );
        let count = |templates| {
            let mut cache = ArgCache::new(&v);
            let mut n = 0;
            pair_features(&v, &mut cache, 0, 1, templates, &mut |_| n += 1);
            n
        };
        assert_eq!(count(t::ALL) - count(mask), 5 + 4);
        // The mask travels with the model.
        let mut pairs = Vec::new();
        training_pairs(&v, &[(0, 1, 0)], mask, &mut pairs);
        let model = PairClassifier::train(
            &pairs.iter().collect::<Vec<_>>(),
            &TrainConfig {
                bits: 12,
                templates: mask,
                ..Default::default()
            },
        );
        let back = PairClassifier::from_bytes(&model.to_bytes()).unwrap();
        assert_eq!(back.templates, mask);
        assert_eq!(back.score_all(&v), model.score_all(&v));
    }

    /// A model with every slot a pseudo-random non-zero weight, so that a
    /// feature summed twice or missed changes the score.
    fn random_model(bits: u32, templates: u64, rng: &mut u64) -> PairClassifier {
        let weights: Vec<i8> = (0..1usize << bits)
            .map(|_| {
                let q = (next(rng) % 255) as i16 - 127;
                if q == 0 {
                    1
                } else {
                    q as i8
                }
            })
            .collect();
        PairClassifier {
            bits,
            fixed: FixedSums::new(&weights, bits, templates),
            weights,
            scale: 0.013,
            templates,
            thresholds: [0.5; RELATION_TYPES.len()],
            convention: Convention::default(),
        }
    }

    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// A random sentence over a small vocabulary (repeated words, commas,
    /// listed places) with up to 9 mentions: sorted and disjoint when
    /// `disjoint`, else overlapping and in any order.
    fn random_view(rng: &mut u64, disjoint: bool) -> SentenceView<'static> {
        use EntityType::*;
        const WORDS: [&str; 12] = [
            "the", ",", "of", "in", "said", "Texas", "France", "Acme", "Smith", "and", "killed", "Mr.",
        ];
        const KINDS: [EntityType; 4] = [PER, ORG, LOC, MISC];
        const SUBTYPES: [Option<&str>; 3] = [None, Some("country"), Some("city")];
        let len = 1 + (next(rng) % 40) as usize;
        let words: Vec<&'static str> = (0..len).map(|_| WORDS[(next(rng) % 12) as usize]).collect();
        let mut args = Vec::new();
        if disjoint {
            let mut i = 0;
            while i < len {
                i += (next(rng) % 6) as usize;
                let end = i + 1 + (next(rng) % 3) as usize;
                if end > len {
                    break;
                }
                args.push((i, end, KINDS[(next(rng) % 4) as usize]));
                i = end;
            }
        } else {
            for _ in 0..next(rng) % 8 {
                let start = (next(rng) % len as u64) as usize;
                let end = (start + 1 + (next(rng) % 4) as usize).min(len);
                args.push((start, end, KINDS[(next(rng) % 4) as usize]));
            }
        }
        let mut v = view(&words, &args);
        for a in &mut v.args {
            a.subtype = SUBTYPES[(next(rng) % 3) as usize];
        }
        v
    }

    fn bits_of(scored: &[Scored]) -> Vec<(usize, usize, usize, u32)> {
        scored
            .iter()
            .map(|c| (c.subject, c.object, c.label, c.probability.to_bits()))
            .collect()
    }

    /// `select` in place keeps what a second vector kept: the same pairs,
    /// in the same order, on random scored lists with repeated mention
    /// pairs in both directions and probabilities around the thresholds.
    #[test]
    fn select_in_place_matches_the_two_vector_selection() {
        fn reference(thresholds: &[f32; RELATION_TYPES.len()], scored: Vec<Scored>) -> Vec<Scored> {
            let mut kept: Vec<Scored> = Vec::new();
            for c in scored
                .into_iter()
                .filter(|c| c.probability >= thresholds[c.label])
            {
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
        let mut rng = 0x1234_5678_9abc_def1u64;
        let mut next = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let thresholds = [0.3, 0.5, 0.4, 0.6, 0.2];
        let mut merged = 0;
        for _ in 0..2000 {
            let len = next(12) as usize;
            let scored: Vec<Scored> = (0..len)
                .map(|_| Scored {
                    subject: next(4) as usize,
                    object: next(4) as usize,
                    label: next(RELATION_TYPES.len() as u64) as usize,
                    probability: if next(50) == 0 {
                        f32::NAN
                    } else {
                        next(11) as f32 / 10.0
                    },
                })
                .collect();
            let want = reference(&thresholds, scored.clone());
            let got = select(&thresholds, scored.clone());
            assert_eq!(format!("{got:?}"), format!("{want:?}"));
            // Lists where two passing pairs joined the same mentions.
            let passing = scored
                .iter()
                .filter(|c| c.probability >= thresholds[c.label])
                .count();
            merged += usize::from(want.len() < passing && !want.is_empty());
        }
        assert!(merged > 100, "too few lists with a merged pair: {merged}");
    }

    #[test]
    fn sentence_scoring_is_the_sum_over_pair_features_bit_for_bit() {
        let mut rng = 0x1234_5678_9abc_def1u64;
        let shipped = crate::pipeline::relations::RelationModels::load()
            .unwrap()
            .classifier
            .unwrap();
        let models = [
            random_model(12, t::ALL, &mut rng),
            random_model(10, t::ALL, &mut rng),
            // Templates dropped, some of them summed in advance.
            random_model(
                12,
                templates_without(&["bias".into(), "s_word".into(), "between".into(), "o_prev".into()])
                    .unwrap(),
                &mut rng,
            ),
            random_model(12, t::ALL & next(&mut rng) & next(&mut rng), &mut rng),
            shipped,
        ];
        let (mut fast, mut fallback, mut prefixed, mut direct) = (0, 0, 0, 0);
        for round in 0..600 {
            let disjoint = round % 3 != 0;
            let v = random_view(&mut rng, disjoint);
            for model in &models {
                let mut reference = Vec::new();
                model.score_pairs(&v, model.templates, &mut reference);
                let mut sc = Scoring::default();
                let mut sums = Vec::new();
                let took = model.score_sentence(&v, model.templates, &mut sc, &mut sums);
                let overlapping = v.args.windows(2).any(|w| w[1].tokens.start < w[0].tokens.end);
                assert_eq!(took, !overlapping, "{:?}", v.args);
                if took {
                    fast += 1;
                    assert_eq!(bits_of(&sums), bits_of(&reference), "{:?} {:?}", v.words, v.args);
                    if v.args.len() >= 2 {
                        prefixed += sc.groups.iter().filter(|g| g.offset != u32::MAX).count();
                        direct += sc
                            .groups
                            .iter()
                            .filter(|g| g.offset == u32::MAX && g.lo != u32::MAX)
                            .count();
                    }
                } else {
                    fallback += 1;
                }
                // The public entry point, whichever path it takes.
                assert_eq!(bits_of(&model.score_all(&v)), bits_of(&reference));
            }
        }
        // Both paths, and both ways of summing the between words, ran.
        assert!(fast > 1000 && fallback > 300, "{fast} {fallback}");
        assert!(prefixed > 500 && direct > 500, "{prefixed} {direct}");
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
