//! Stage `relations`: typed relations between the article's entities, each
//! with its evidence, rolled up into article-level events.
//!
//! Two extractors feed one list:
//! * patterns (French and English, [`patterns`]) over tokens and entity
//!   mentions, for the news relation types (holds_office, visit,
//!   communication, cooperation, presides, ...), precise by construction;
//! * a pair classifier ([`classifier`]) trained on CoNLL04 for its five
//!   types (Work_For, Live_In, Located_In, OrgBased_In, Kill), run on
//!   English text, the language it was trained on.
//!
//! See `docs/relations-schema.md` for every type with an example.

pub mod classifier;
pub mod conll04;
pub mod events;
pub mod harness;
pub mod lexicon;
pub mod offices;
pub mod patterns;
pub mod patterns_en;
pub mod patterns_fr;
pub mod view;

use crate::pipeline::record::{Entity, EntityType, Event, Relation, Span};
use crate::pipeline::tokens::Document;
use classifier::PairClassifier;
use offices::TitleMatch;
use patterns::{Compiled, Ctx, Match, PatternDef};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;
use view::{Arg, IdBuild, IdFilter, LazyIds, SentenceView};

/// The loaded relation models.
#[derive(Debug, Clone, Default)]
pub struct RelationModels {
    /// The CoNLL04 pair classifier; `None` runs patterns only.
    pub classifier: Option<PairClassifier>,
}

/// The shipped CoNLL04 classifier (see docs/relations.md): trained by
/// `newsflow train relations`.
static EMBEDDED_CLASSIFIER: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/models/relations-conll04.bin"
));

impl RelationModels {
    /// Loads the classifier embedded in the binary.
    pub fn load() -> anyhow::Result<RelationModels> {
        Self::from_classifier_bytes(EMBEDDED_CLASSIFIER).map_err(|e| {
            e.context("the embedded relation classifier is unreadable: run `newsflow train relations`")
        })
    }

    /// Reads a classifier file written by `newsflow train relations`.
    pub fn from_classifier_bytes(bytes: &[u8]) -> anyhow::Result<RelationModels> {
        Ok(RelationModels {
            classifier: Some(PairClassifier::from_bytes(bytes)?),
        })
    }
}

/// The patterns of a language with two inverted indexes, so that a
/// sentence is read once for all patterns instead of once per pattern:
/// which patterns each word id helps anchor, and where each pattern can
/// start (one bit per pattern, hence at most 128 patterns per language).
struct PatternSet {
    pats: Vec<Compiled>,
    /// Per pattern, its `extractor` value (`pattern:<name>`), formatted once.
    extractors: Vec<String>,
    /// Word id -> the (pattern, anchor) pairs it satisfies and the
    /// patterns that can start on it: one lookup per token for both.
    words: WordTable,
    /// The ids of `words` in 4096 bits (512 bytes) for a few hundred pattern
    /// words: most words of a sentence are in no pattern, and a bit test
    /// rules them out before the hash lookup.
    filter: IdFilter<64>,
    /// Per pattern, the bits of all its anchors.
    all_anchors: Vec<u32>,
    /// Patterns without anchors.
    no_anchors: u128,
    /// Patterns that can start anywhere, on an office title, on a number.
    start_any: u128,
    /// Patterns that can start on a mention of this type (index
    /// `EntityType as usize`), demonym or not: one of their first slots
    /// takes it.
    start_arg: [[u128; 2]; 4],
    start_title: u128,
    start_digit: u128,
    /// Patterns of type holds_office.
    office: u128,
}

impl PatternSet {
    fn new(defs: &[&[PatternDef]]) -> PatternSet {
        let pats: Vec<Compiled> = defs
            .iter()
            .flat_map(|d| d.iter())
            .map(|d| Compiled::new(*d))
            .collect();
        assert!(
            pats.len() <= 128,
            "more than 128 patterns for one language: widen the start masks"
        );
        let mut set = PatternSet {
            extractors: pats.iter().map(|p| format!("pattern:{}", p.def.name)).collect(),
            pats: Vec::new(),
            words: WordTable::default(),
            filter: IdFilter::default(),
            all_anchors: Vec::new(),
            no_anchors: 0,
            start_any: 0,
            start_arg: [[0; 2]; 4],
            start_title: 0,
            start_digit: 0,
            office: 0,
        };
        let mut words: HashMap<u64, WordEntry, IdBuild> = HashMap::default();
        for (p, pat) in pats.iter().enumerate() {
            let bit = 1u128 << p;
            assert!(
                pat.anchors.len() <= 32,
                "pattern {}: over 32 anchors",
                pat.def.name
            );
            for (a, alts) in pat.anchors.iter().enumerate() {
                for &w in alts.ids() {
                    let list = &mut words.entry(w).or_default().anchors;
                    if !list.contains(&(p as u8, a as u8)) {
                        list.push((p as u8, a as u8));
                    }
                }
            }
            set.all_anchors.push(((1u64 << pat.anchors.len()) - 1) as u32);
            if pat.anchors.is_empty() {
                set.no_anchors |= bit;
            }
            for &w in &pat.start.ids {
                words.entry(w).or_default().start |= bit;
            }
            let flag = |on: bool| if on { bit } else { 0 };
            set.start_any |= flag(pat.start.any);
            for (k, kind) in [
                EntityType::PER,
                EntityType::ORG,
                EntityType::LOC,
                EntityType::MISC,
            ]
            .into_iter()
            .enumerate()
            {
                for demonym in [false, true] {
                    let takes = pat
                        .start
                        .slots
                        .iter()
                        .any(|t| patterns::may_accept(t, kind, demonym));
                    set.start_arg[k][usize::from(demonym)] |= flag(pat.start.arg && takes);
                }
            }
            set.start_title |= flag(pat.start.title);
            set.start_digit |= flag(pat.start.digit);
            set.office |= flag(pat.def.kind == "holds_office");
        }
        set.pats = pats;
        for &w in words.keys() {
            set.filter.add(w);
        }
        set.words = WordTable::new(words);
        set
    }

    /// Bit `p` set when every anchor of pattern `p` is among `ids`; into
    /// `word_starts`, per token, the patterns that can start on its word
    /// (for [`PatternSet::starts`]); and into `limits`, per pattern, the
    /// last token a match can start on: the last from which every anchor
    /// still occurs (`u32::MAX` for a pattern without anchors). An anchor is
    /// a top-level word of the pattern, so a match starting further on would
    /// have to find it before its own start; the matcher skips those starts.
    fn anchored(&self, ids: &[u64], word_starts: &mut Vec<u128>, limits: &mut Vec<(u32, u32)>) -> u128 {
        // Per pattern: the anchors seen so far from the sentence's end, and
        // the token at which the last of them was seen.
        limits.clear();
        limits.resize(self.pats.len(), (0, u32::MAX));
        word_starts.clear();
        word_starts.resize(ids.len(), 0);
        let mut out = self.no_anchors;
        for (i, w) in ids.iter().enumerate().rev() {
            let Some(entry) = self.filter.may_hold(*w).then(|| self.words.get(*w)).flatten() else {
                continue;
            };
            word_starts[i] = entry.start;
            for &(p, a) in self.words.anchors(entry) {
                let (seen, limit) = &mut limits[p as usize];
                *seen |= 1 << a;
                let all = self.all_anchors[p as usize];
                if *limit == u32::MAX && *seen & all == all {
                    *limit = i as u32;
                    out |= 1 << p;
                }
            }
        }
        out
    }

    /// Per token, the patterns that can start there ([`patterns::Start::allows`]
    /// for all patterns at once), from the word starts [`PatternSet::anchored`]
    /// found, in place.
    fn starts(&self, ctx: &Ctx, titles: &[TitleMatch], starts: &mut [u128]) {
        let view = ctx.view;
        for (i, m) in starts.iter_mut().enumerate() {
            *m |= self.start_any;
            if let Some(a) = ctx.arg_starting_at(i) {
                let arg = &view.args[a];
                *m |= self.start_arg[arg.kind as usize][usize::from(arg.demonym)];
            }
            if patterns::starts_with_digit(&view.norm[i]) {
                *m |= self.start_digit;
            }
            if titles.iter().any(|t| t.start == i) {
                *m |= self.start_title;
            }
        }
    }
}

/// What a word means to a language's patterns (while [`PatternSet::new`]
/// collects them).
#[derive(Default)]
struct WordEntry {
    /// (pattern, anchor) pairs it satisfies.
    anchors: Vec<(u8, u8)>,
    /// Patterns that can start on it.
    start: u128,
}

/// [`PatternSet`]'s word entries in one open-addressed array, each slot
/// holding what [`PatternSet::anchored`] reads (the start mask and where
/// its anchor pairs lie in one shared list): a hit reads one slot and one
/// stretch of `pairs`. The stage runs just after the entities stage, which
/// evicts these tables: a `HashMap` of entries with an anchor vector each
/// cost a control-byte line, a bucket line and the vector's line per hit.
#[derive(Default)]
struct WordTable {
    /// A power of two, at most half full (a probe ends on an empty slot).
    slots: Vec<WordSlot>,
    pairs: Vec<(u8, u8)>,
}

#[derive(Clone, Copy, Default)]
struct WordSlot {
    /// Patterns that can start on the word.
    start: u128,
    id: u64,
    /// Its (pattern, anchor) pairs: `pairs[first..first + len]`.
    first: u16,
    len: u16,
    used: bool,
}

impl WordTable {
    fn new(words: HashMap<u64, WordEntry, IdBuild>) -> WordTable {
        let size = (2 * words.len()).next_power_of_two().max(16);
        let mut table = WordTable {
            slots: vec![WordSlot::default(); size],
            pairs: Vec::new(),
        };
        // In id order, so that the layout does not depend on the map's.
        let mut entries: Vec<(u64, WordEntry)> = words.into_iter().collect();
        entries.sort_unstable_by_key(|(id, _)| *id);
        for (id, entry) in entries {
            let first = u16::try_from(table.pairs.len()).expect("under 65536 anchor pairs");
            let len = u16::try_from(entry.anchors.len()).expect("under 65536 anchor pairs per word");
            table.pairs.extend(entry.anchors);
            let mut i = Self::home(id, size);
            while table.slots[i].used {
                i = (i + 1) & (size - 1);
            }
            table.slots[i] = WordSlot {
                start: entry.start,
                id,
                first,
                len,
                used: true,
            };
        }
        table
    }

    /// A slot's first probe: bits of the id below the top ones, which
    /// [`IdFilter`] reads (a filter false positive shares its top bits
    /// with a word of the table).
    #[inline]
    fn home(id: u64, size: usize) -> usize {
        (id >> 24) as usize & (size - 1)
    }

    #[inline]
    fn get(&self, id: u64) -> Option<&WordSlot> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut i = Self::home(id, self.slots.len());
        loop {
            let s = &self.slots[i];
            if !s.used {
                return None;
            }
            if s.id == id {
                return Some(s);
            }
            i = (i + 1) & mask;
        }
    }

    /// The (pattern, anchor) pairs of a slot.
    #[inline]
    fn anchors(&self, slot: &WordSlot) -> &[(u8, u8)] {
        &self.pairs[usize::from(slot.first)..][..usize::from(slot.len)]
    }
}

fn compiled(lang: &str) -> &'static PatternSet {
    static FR: OnceLock<PatternSet> = OnceLock::new();
    static EN: OnceLock<PatternSet> = OnceLock::new();
    static ALL: OnceLock<PatternSet> = OnceLock::new();
    match lang {
        "fr" => FR.get_or_init(|| PatternSet::new(&[patterns_fr::PATTERNS])),
        "en" => EN.get_or_init(|| PatternSet::new(&[patterns_en::PATTERNS])),
        _ => ALL.get_or_init(|| PatternSet::new(&[patterns_fr::PATTERNS, patterns_en::PATTERNS])),
    }
}

/// The stage: relations between `entities` found in `text` (tokenised as
/// `doc`), and the events they make. `lang` picks the pattern tables
/// (French, English, or both when it is neither) and whether the CoNLL04
/// classifier runs (English only: it learnt English words).
pub fn extract(
    text: &str,
    doc: &Document,
    entities: &[Entity],
    lang: &str,
    models: &RelationModels,
) -> (Vec<Relation>, Vec<Event>) {
    // The thread's buffers, taken out for this article (a nested call
    // would start from empty ones) and put back at the end.
    let mut scratch = SCRATCH.with(RefCell::take);
    let views = build_views(text, doc, entities, &mut scratch);
    let set = compiled(lang);
    let mut cands: Vec<Cand> = view::recycle(std::mem::take(&mut scratch.cands));
    let mut starts = std::mem::take(&mut scratch.starts);
    let mut marks = std::mem::take(&mut scratch.marks);
    let mut args_at = std::mem::take(&mut scratch.args_at);
    let mut limits = std::mem::take(&mut scratch.limits);
    for view in &views {
        let persons = view.args.iter().filter(|a| a.kind == EntityType::PER).count();
        if view.args.len() < 2 && persons == 0 {
            continue;
        }
        // Which patterns can apply: the sentence holds their anchor words,
        // and two mentions (or a person and a title for an office).
        let mut todo = set.anchored(&view.ids, &mut starts, &mut limits);
        if view.args.len() < 2 {
            todo &= set.office;
        }
        if persons == 0 {
            todo &= !set.office;
        }
        // The matcher's tables and the titles serve only the patterns tried
        // here (office patterns and `{t}` elements): with none left, neither
        // is built.
        if todo != 0 {
            let mut ctx = Ctx::with_buffer(view, &[], args_at);
            let titles = offices::find_titles_in(&ctx, lang);
            ctx.titles = &titles;
            if titles.is_empty() {
                todo &= !set.office;
            }
            if todo != 0 {
                set.starts(&ctx, &titles, &mut starts);
            }
            // The modality marks, once a pattern has matched in the sentence
            // (most sentences tried have no match).
            marks.clear();
            while todo != 0 {
                let p = todo.trailing_zeros() as usize;
                todo &= todo - 1;
                let pat = &set.pats[p];
                let bit = 1u128 << p;
                let last = limits[p].1 as usize;
                ctx.find_each(
                    pat,
                    |i| i <= last && starts[i] & bit != 0,
                    |m| {
                        if marks.is_empty() {
                            modality_marks(view, &mut marks);
                        }
                        let found = Found {
                            text,
                            view,
                            titles: &titles,
                            def: &pat.def,
                            extractor: &set.extractors[p],
                            marks: &marks,
                        };
                        from_match(&found, &m, &mut cands)
                    },
                );
            }
            args_at = ctx.into_buffer();
        }
        if classifier_applies(lang, view) {
            if let Some(clf) = &models.classifier {
                // Arguments come in the CoNLL04 span convention (a title
                // such as "Mr." inside, "City , State" after "born in" as
                // one place), see docs/relations.md.
                for p in clf.predict(view) {
                    cands.push(Cand {
                        kind: conll04::RELATION_TYPES[p.label].0,
                        subject: p.subject,
                        object: Some(p.object),
                        attributes: Attrs::default(),
                        evidence: view.span,
                        trigger: None,
                        confidence: p.probability,
                        extractor: Cow::Borrowed("classifier"),
                    });
                }
            }
        }
    }
    let relations = finish(&mut cands, entities, &mut scratch.order_cands);
    let events = events::events(&relations);
    scratch.cands = view::recycle(cands);
    scratch.starts = starts;
    scratch.marks = marks;
    scratch.args_at = args_at;
    scratch.limits = limits;
    scratch.keep_views(views);
    SCRATCH.with(|s| s.replace(scratch));
    (relations, events)
}

/// Buffers the stage reuses from one article to the next on a thread: a
/// CoNLL04 sentence is an article of its own, and allocating every vector
/// afresh for each (views, mention lists, matcher tables, candidates) was
/// a tenth of the stage. Vectors of borrowed values are kept empty, with
/// `'static` in place of the text's lifetime ([`view::recycle`]).
#[derive(Default)]
struct Scratch {
    /// (start, end reversed, entity, mention) of every mention.
    order: Vec<(usize, std::cmp::Reverse<usize>, u32, u32)>,
    /// (sentence, mention) of the mentions on token boundaries.
    found: Vec<(usize, Arg<'static>)>,
    /// Emptied views with their vectors, the last first.
    views: Vec<SentenceView<'static>>,
    /// The emptied list of views.
    list: Vec<SentenceView<'static>>,
    cands: Vec<Cand<'static>>,
    starts: Vec<u128>,
    marks: Vec<u8>,
    args_at: Vec<(u32, u32)>,
    /// [`PatternSet::anchored`]'s per-pattern state.
    limits: Vec<(u32, u32)>,
    /// [`finish`]'s candidate order.
    order_cands: Vec<u32>,
}

/// Above this many elements a vector is not kept: one long article must
/// not hold a thread's memory afterwards.
const KEEP_MAX: usize = 1 << 12;

/// At most this many emptied views are kept, each of at most
/// [`KEEP_VIEW_TOKENS`] tokens and [`KEEP_VIEW_TOKENS`] mentions: about 2 MB
/// per thread at worst, a few kilobytes for news sentences.
const KEEP_VIEWS: usize = 64;
const KEEP_VIEW_TOKENS: usize = 512;

impl Scratch {
    /// Empties the views into the pool (see [`KEEP_VIEWS`]) and drops
    /// vectors that grew over [`KEEP_MAX`] elements.
    fn keep_views(&mut self, mut views: Vec<SentenceView>) {
        for v in views.drain(..) {
            let small = v.words.capacity() <= KEEP_VIEW_TOKENS && v.args.capacity() <= KEEP_VIEW_TOKENS;
            if self.views.len() < KEEP_VIEWS && small {
                self.views.push(v.recycle());
            }
        }
        if views.capacity() <= KEEP_MAX {
            self.list = view::recycle(views);
        }
        if self.found.capacity() > KEEP_MAX {
            self.found = Vec::new();
        }
        if self.order.capacity() > KEEP_MAX {
            self.order = Vec::new();
        }
        if self.starts.capacity() > KEEP_MAX
            || self.marks.capacity() > KEEP_MAX
            || self.args_at.capacity() > KEEP_MAX
        {
            self.starts = Vec::new();
            self.marks = Vec::new();
            self.args_at = Vec::new();
        }
        if self.cands.capacity() > KEEP_MAX {
            self.cands = Vec::new();
            self.order_cands = Vec::new();
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// English function words, to run the English classifier on English
/// sentences of an article whose language was not detected as English (a
/// one-sentence article is often too short for trigram detection).
const ENGLISH: &[&str] = &[
    "the", "of", "and", "to", "in", "is", "was", "for", "with", "on", "that", "by", "as", "at", "from",
    "his", "her", "it", "be", "are", "has", "said", "who", "he", "she", "were", "had", "have", "which",
];
const FRENCH: &[&str] = &[
    "le", "la", "les", "des", "du", "de", "et", "est", "dans", "pour", "avec", "sur", "au", "qui", "que",
    "une", "un",
];

/// Does the English CoNLL04 classifier apply to this sentence? On English
/// articles, on English-looking sentences of articles in other languages
/// (but not French ones: the French patterns cover those), and on articles
/// whose language is undetermined (`xx`: a dateline of names such as
/// `DAYTON, Ohio (AP)`) unless the sentence looks French.
fn classifier_applies(lang: &str, view: &SentenceView) -> bool {
    static ENGLISH_IDS: LazyIds = LazyIds::new(ENGLISH);
    static FRENCH_IDS: LazyIds = LazyIds::new(FRENCH);
    let count = |list: &LazyIds| view.ids.iter().filter(|&&w| list.contains(w)).count();
    match lang {
        "en" => true,
        "fr" => false,
        _ => {
            let (en, fr) = (count(&ENGLISH_IDS), count(&FRENCH_IDS));
            (en >= 2 && en > fr) || (lang == UNDETERMINED && fr <= en)
        }
    }
}

/// The language code the pipeline passes when detection found no language.
pub const UNDETERMINED: &str = "xx";

/// A relation before entity ids are resolved.
#[derive(Debug, Clone)]
struct Cand<'t> {
    kind: &'static str,
    /// (entity index, mention span)
    subject: (usize, Span),
    /// `None` only for an office whose country is not in its sentence.
    object: Option<(usize, Span)>,
    attributes: Attrs<'t>,
    evidence: Span,
    trigger: Option<Span>,
    confidence: f32,
    /// Borrowed from the pattern set until an inference is appended.
    extractor: Cow<'static, str>,
}

/// A candidate's attributes, kept as borrowed parts until the candidate
/// survives [`finish`]'s deduplication: most candidates repeat a relation
/// another pattern or title already found, and building their string maps
/// (a dozen small allocations each) was most of turning matches into
/// candidates. [`Attrs::to_map`] inserts in the order the map used to be
/// built in, so the attributes are the same.
#[derive(Debug, Clone, Default)]
struct Attrs<'t> {
    /// The pattern's fixed attributes, first.
    fixed: &'static [(&'static str, &'static str)],
    office: Option<&'static str>,
    /// Surface of the office title.
    title: Option<&'t str>,
    portfolio: Option<&'static str>,
    former: bool,
    modality: Option<&'static str>,
    phone: bool,
    /// Surface of the date expression, and its ISO form.
    date: Option<&'t str>,
    date_iso: Option<String>,
}

impl Attrs<'_> {
    /// The `office` attribute, as [`Attrs::to_map`] would give it.
    fn office(&self) -> Option<&str> {
        self.office.or_else(|| {
            self.fixed
                .iter()
                .rev()
                .find(|(k, _)| *k == "office")
                .map(|(_, v)| *v)
        })
    }

    fn to_map(&self) -> BTreeMap<String, String> {
        // Inserted one by one, a later key replacing an earlier one, as
        // collecting did (without the vector it sorts in).
        let mut map: BTreeMap<String, String> = BTreeMap::new();
        let mut put = |k: &str, v: &str| {
            map.insert(k.to_string(), v.to_string());
        };
        for (k, v) in self.fixed {
            put(k, v);
        }
        if let Some(office) = self.office {
            put("office", office);
        }
        if let Some(title) = self.title {
            put("title", title);
        }
        if let Some(p) = self.portfolio {
            put("portfolio", p);
        }
        if self.former {
            put("status", "former");
        }
        if let Some(m) = self.modality {
            put("modality", m);
        }
        if self.phone {
            put("channel", "phone");
        }
        if let Some(d) = self.date {
            put("date", d);
        }
        if let Some(iso) = &self.date_iso {
            map.insert("date_iso".to_string(), iso.clone());
        }
        map
    }
}

/// Words that set a relation's modality, strongest first.
const DENIED: &[&str] = &[
    "pas",
    "jamais",
    "refuse",
    "refusent",
    "refusé",
    "rejete",
    "rejette",
    "rejettent",
    "dementi",
    "not",
    "never",
    "n't",
    "refused",
    "refuses",
    "rejected",
    "rejects",
    "declined",
    "denied",
    "denies",
];
const SIGNED: &[&str] = &[
    "signe",
    "signent",
    "signeront",
    "signera",
    "signed",
    "signs",
    "sign",
    "signing",
];
const AGREED: &[&str] = &[
    "convenu",
    "convenus",
    "convenues",
    "conviennent",
    "agreed",
    "agree",
    "agrees",
    "decide",
    "decided",
    "decident",
    "accepte",
    "accepted",
];
const INTENDED: &[&str] = &[
    "intention",
    "intentions",
    "volonte",
    "desir",
    "souhait",
    "souhaitent",
    "souhaite",
    "entendent",
    "entend",
    "comptent",
    "envisagent",
    "envisage",
    "veulent",
    "veut",
    "projettent",
    "prevoient",
    "prevoit",
    "vont",
    "va",
    "doit",
    "doivent",
    "rendra",
    "rendront",
    "visitera",
    "visiteront",
    "effectuera",
    "seront",
    "intend",
    "intends",
    "intended",
    "plan",
    "plans",
    "planned",
    "want",
    "wants",
    "seek",
    "seeks",
    "aim",
    "aims",
    "hope",
    "hopes",
    "willingness",
    "ready",
    "prets",
    "pretes",
    "will",
    "would",
];
const REPORTED: &[&str] = &[
    "selon",
    "d'apres",
    "according",
    "reportedly",
    "aurait",
    "auraient",
    "allegedly",
];

/// Relation kinds that describe something happening (they always carry a
/// modality).
const EVENT_KINDS: &[&str] = &["visit", "meeting", "communication", "cooperation"];

/// Bits of [`modality_marks`]: which modality list a word is on.
const M_DENIED: u8 = 1;
const M_SIGNED: u8 = 2;
const M_AGREED: u8 = 4;
const M_INTENDED: u8 = 8;
const M_REPORTED: u8 = 16;

/// Per token of the view, the modality lists its word is on (`M_*` bits):
/// one table lookup per token and sentence, instead of one per list, word
/// and match.
fn modality_marks(view: &SentenceView, out: &mut Vec<u8>) {
    type Table = (IdFilter<16>, HashMap<u64, u8, IdBuild>);
    static TABLE: OnceLock<Table> = OnceLock::new();
    let (filter, table) = TABLE.get_or_init(|| {
        let mut t: HashMap<u64, u8, IdBuild> = HashMap::default();
        for (list, bit) in [
            (DENIED, M_DENIED),
            (SIGNED, M_SIGNED),
            (AGREED, M_AGREED),
            (INTENDED, M_INTENDED),
            (REPORTED, M_REPORTED),
        ] {
            for w in list {
                *t.entry(view::word_id(w)).or_default() |= bit;
            }
        }
        (t.keys().copied().collect(), t)
    });
    out.clear();
    out.extend(view.ids.iter().map(|w| {
        if filter.may_hold(*w) {
            table.get(w).copied().unwrap_or(0)
        } else {
            0
        }
    }));
}

/// The modality of a match, from the [`modality_marks`] of its sentence.
fn modality(marks: &[u8], m: &Match, kind: &str) -> &'static str {
    let inside = marks[m.start..m.end].iter().fold(0, |a, &b| a | b);
    let has = |bit: u8| inside & bit != 0;
    if has(M_DENIED) {
        "denied"
    } else if kind == "cooperation" && has(M_SIGNED) {
        "signed"
    } else if kind == "cooperation" && has(M_AGREED) {
        "agreed"
    } else if has(M_INTENDED) {
        "intended"
    } else if marks.iter().any(|&b| b & M_REPORTED != 0) {
        "reported"
    } else {
        "stated"
    }
}

/// The text of the view's tokens `r` (non-empty). The words of the views
/// [`sentence_views`] builds are slices of `text`, so the surface is the
/// text from the first word's first byte to the last word's last: no scan.
/// For views of other words (built by [`SentenceView::new`]), the text is
/// read from the sentence's start (not the article's).
fn surface<'t>(text: &'t str, view: &SentenceView, r: std::ops::Range<usize>) -> &'t str {
    let (first, last) = (view.words[r.start], view.words[r.end - 1]);
    let base = text.as_ptr() as usize;
    let (a, b) = (first.as_ptr() as usize, last.as_ptr() as usize + last.len());
    if base <= a && a <= b && b <= base + text.len() {
        if let Some(s) = text.get(a - base..b - base) {
            return s;
        }
    }
    let span = view.span_of(r);
    let (cp, byte) = view.origin;
    let rest = &text[byte..];
    // Byte offsets of the span's ends: a copy of the slice rather than a
    // String collected char by char.
    let mut bounds = rest.char_indices().map(|(b, _)| b).chain([rest.len()]);
    let Some(a) = bounds.nth(span.start - cp) else {
        return "";
    };
    let b = match span.len() {
        0 => a,
        n => bounds.nth(n - 1).unwrap_or(rest.len()),
    };
    &rest[a..b]
}

/// What turning a pattern's matches in one sentence into candidates needs.
struct Found<'a, 't> {
    text: &'t str,
    view: &'a SentenceView<'t>,
    titles: &'a [TitleMatch],
    def: &'a PatternDef,
    /// `pattern:<name>`.
    extractor: &'static str,
    /// The sentence's [`modality_marks`].
    marks: &'a [u8],
}

/// Turns one pattern match into candidate relations.
fn from_match<'t>(f: &Found<'_, 't>, m: &Match, out: &mut Vec<Cand<'t>>) {
    let Found {
        text,
        view,
        titles,
        def,
        extractor,
        marks,
    } = *f;
    let arg = |a: usize| (view.args[a].entity, view.args[a].span);
    let Some(s) = m.b.s() else { return };
    let trigger = m.b.trigger().map(|(a, b)| view.span_of(a..b));
    let extractor = Cow::Borrowed(extractor);
    if def.kind == "holds_office" {
        let chain = m.b.titles();
        // A chain shares the country its last title names: "Deputy Prime
        // Minister and Foreign Minister of Kazakhstan".
        let shared = chain.iter().rev().find_map(|&t| titles[t as usize].of);
        for &t in chain {
            let t = &titles[t as usize];
            let of = t.of.or(shared);
            let attributes = Attrs {
                office: Some(t.office),
                title: Some(surface(text, view, t.start..t.end)),
                portfolio: t.portfolio,
                former: t.former,
                ..Attrs::default()
            };
            out.push(Cand {
                kind: "holds_office",
                subject: arg(s),
                object: of.map(arg),
                attributes,
                evidence: view.span,
                trigger: Some(view.span_of(t.start..t.end)),
                confidence: def.confidence,
                extractor: extractor.clone(),
            });
        }
        return;
    }
    let Some(o) = m.b.o() else { return };
    let mut attributes = Attrs {
        fixed: def.attrs,
        ..Attrs::default()
    };
    let modality = modality(marks, m, def.kind);
    if EVENT_KINDS.contains(&def.kind) || modality != "stated" {
        attributes.modality = Some(modality);
    }
    if def.kind == "communication" {
        let to = (m.end + 4).min(view.len());
        if view.ids[m.start..to]
            .iter()
            .any(|&w| patterns::PHONE_IDS.contains(w))
        {
            attributes.phone = true;
        }
    }
    if let Some((a, b)) = m.b.date() {
        // Without the preposition: "en novembre 2021" → "novembre 2021".
        let a = if matches!(&*view.norm[a], "en" | "le" | "on" | "in" | "du" | "au") {
            a + 1
        } else {
            a
        };
        attributes.date = Some(surface(text, view, a..b));
        attributes.date_iso = patterns::iso_date(&view.norm[a..b]);
    }
    let mut objects = vec![o];
    // Coordinated objects: "les dirigeants de l'UE et de la Belgique".
    let mut p = view.args[o].tokens.end;
    loop {
        let w = |i: usize| view.norm.get(i).map(|w| &**w);
        let mut q = p;
        if w(q) == Some(",") {
            q += 1;
        }
        if matches!(w(q), Some("et" | "and")) {
            q += 1;
        }
        if q == p {
            break;
        }
        if matches!(
            w(q),
            Some("de" | "du" | "des" | "d'" | "of" | "with" | "avec" | "to" | "a" | "au" | "en" | "in")
        ) {
            q += 1;
        }
        if w(q).is_some_and(|x| patterns::DET.contains(&x)) {
            q += 1;
        }
        match view.arg_starting_at(q) {
            Some(a) if same_role(view.args[a].kind, view.args[o].kind) && a != s && !view.args[a].demonym => {
                objects.push(a);
                p = view.args[a].tokens.end;
            }
            _ => break,
        }
    }
    for o in objects {
        out.push(Cand {
            kind: def.kind,
            subject: arg(s),
            object: Some(arg(o)),
            attributes: attributes.clone(),
            evidence: view.span,
            trigger,
            confidence: def.confidence,
            extractor: extractor.clone(),
        });
    }
}

/// Can two mentions be coordinated as objects of one relation? Countries
/// and organisations can ("les dirigeants de l'UE et de la Belgique").
fn same_role(a: EntityType, b: EntityType) -> bool {
    let party = |k: EntityType| matches!(k, EntityType::LOC | EntityType::ORG);
    a == b || (party(a) && party(b))
}

/// Hasher for the small keys of [`finish`] (a relation type, two entity
/// indices, an office): a multiply-rotate mix per word written. SipHash's
/// per-key cost showed in profiles; flooding does not apply to keys made of
/// pattern names and entity indices.
#[derive(Default, Clone, Copy)]
struct MixBuild;

struct MixHasher(u64);

impl std::hash::BuildHasher for MixBuild {
    type Hasher = MixHasher;
    fn build_hasher(&self) -> MixHasher {
        MixHasher(0)
    }
}

impl std::hash::Hasher for MixHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Resolves offices without a stated country, drops self-relations and
/// duplicates, and orders relations by position. Empties `cands`; `order`
/// is a buffer.
fn finish(cands: &mut Vec<Cand>, entities: &[Entity], order: &mut Vec<u32>) -> Vec<Relation> {
    // An office whose sentence names no country takes the one the same
    // person's other offices name ("vice-premier ministre, ministre des
    // Affaires étrangères, M. X" + "le ministre kazakh ..., M. X"): the
    // first office of that holder that names one (an office given one here
    // names the same, so filling in place finds the same country).
    for i in 0..cands.len() {
        let c = &cands[i];
        if c.kind != "holds_office" || c.object.is_some() {
            continue;
        }
        let holder = c.subject.0;
        let known = cands
            .iter()
            .filter(|k| k.kind == "holds_office" && k.subject.0 == holder)
            .find_map(|k| k.object);
        if let Some(o) = known {
            let c = &mut cands[i];
            c.object = Some(o);
            c.confidence *= 0.85;
            c.extractor.to_mut().push_str("+inference:same_holder");
        }
    }
    // The candidates are sorted and deduplicated as indices: a candidate is
    // a few hundred bytes, and moving them in the sorts showed in profiles.
    order.clear();
    order.extend((0..cands.len() as u32).filter(|&i| {
        let c = &cands[i as usize];
        c.object.is_some_and(|o| o.0 != c.subject.0)
    }));
    // Best first (stable: ties keep the order found), then keep one
    // relation per (type, subject, object, office).
    order.sort_by(|&a, &b| {
        let (a, b) = (&cands[a as usize], &cands[b as usize]);
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.evidence.start.cmp(&b.evidence.start))
    });
    if order.len() <= 32 {
        // A few dozen candidates are compared with the kept ones before
        // them (an earlier duplicate has the key of an earlier kept one).
        let mut kept = 0;
        for k in 0..order.len() {
            let key = dedup_key(&cands[order[k] as usize]);
            if !order[..kept]
                .iter()
                .any(|&p| dedup_key(&cands[p as usize]) == key)
            {
                order[kept] = order[k];
                kept += 1;
            }
        }
        order.truncate(kept);
    } else {
        let mut seen: HashSet<(&str, usize, usize, Option<&str>), MixBuild> =
            HashSet::with_capacity_and_hasher(order.len(), MixBuild);
        order.retain(|&i| seen.insert(dedup_key(&cands[i as usize])));
    }
    order.sort_by_key(|&i| {
        let c = &cands[i as usize];
        (c.evidence.start, c.subject.1.start, c.object.map(|o| o.1.start))
    });
    let relations = order
        .iter()
        .map(|&i| {
            let c = &cands[i as usize];
            let (o, om) = c.object.expect("kept candidates have an object");
            Relation {
                kind: c.kind.to_string(),
                subject: entities[c.subject.0].id.clone(),
                object: entities[o].id.clone(),
                subject_mention: c.subject.1,
                object_mention: om,
                attributes: c.attributes.to_map(),
                evidence: c.evidence,
                trigger: c.trigger,
                confidence: (c.confidence * 1000.0).round() / 1000.0,
                extractor: c.extractor.to_string(),
            }
        })
        .collect();
    cands.clear();
    relations
}

/// What makes two candidates the same relation for [`finish`]: type,
/// subject and object (in either order for a symmetric type), office.
fn dedup_key<'c>(c: &'c Cand) -> (&'static str, usize, usize, Option<&'c str>) {
    let o = c.object.map_or(usize::MAX, |o| o.0);
    let (a, b) = if matches!(c.kind, "communication" | "cooperation") {
        (c.subject.0.min(o), c.subject.0.max(o))
    } else {
        (c.subject.0, o)
    };
    (c.kind, a, b, c.attributes.office())
}

/// The sentences of `doc` that hold two mentions or a person, as views.
/// Mentions that do not start and end on token boundaries (a demonym
/// inside "kazakho-européenne") or that cross sentences are left out.
pub fn sentence_views<'t>(text: &'t str, doc: &Document, entities: &'t [Entity]) -> Vec<SentenceView<'t>> {
    build_views(text, doc, entities, &mut Scratch::default())
}

/// [`sentence_views`], with vectors from `scratch`.
fn build_views<'t>(
    text: &'t str,
    doc: &Document,
    entities: &'t [Entity],
    scratch: &mut Scratch,
) -> Vec<SentenceView<'t>> {
    // Every mention by start, longest first, then in entity and mention
    // order: the order the views list them in. Walking the tokens in that
    // order finds each mention's first token (a binary search per mention
    // made a chain of dependent loads over tokens the stage reads first).
    let order = &mut scratch.order;
    order.clear();
    for (ei, e) in entities.iter().enumerate() {
        for (mi, m) in e.mentions.iter().enumerate() {
            order.push((m.start, std::cmp::Reverse(m.end), ei as u32, mi as u32));
        }
    }
    order.sort_unstable();
    let mut found: Vec<(usize, Arg<'t>)> = view::recycle(std::mem::take(&mut scratch.found));
    let mut t = 0;
    for &(start, std::cmp::Reverse(end), ei, mi) in order.iter() {
        // `doc.token_at_or_after(start)`, then `token_at_or_after(end)` by
        // walking on (a mention is a few tokens long).
        while t < doc.tokens.len() && doc.tokens[t].start < start {
            t += 1;
        }
        let i = t;
        let j = i + doc.tokens[i..].iter().take_while(|t| t.start < end).count();
        if i >= j || doc.tokens[i].start != start || doc.tokens[j - 1].end != end {
            continue;
        }
        let Some(si) = doc.sentence_of(i) else { continue };
        let sent = &doc.sentences[si];
        if !sent.tokens.contains(&(j - 1)) {
            continue;
        }
        let e = &entities[ei as usize];
        found.push((
            si,
            Arg {
                entity: ei as usize,
                tokens: i - sent.tokens.start..j - sent.tokens.start,
                kind: e.kind,
                subtype: e.subtype.as_deref(),
                span: Span::new(start, end),
                demonym: e.kind == EntityType::LOC
                    && e.mentions[mi as usize]
                        .text
                        .chars()
                        .next()
                        .is_some_and(char::is_lowercase),
            },
        ));
    }
    // `found` is in (sentence, first token, last token reversed, entity,
    // mention) order: token boundaries are mention boundaries.
    let mut views: Vec<SentenceView<'t>> = view::recycle(std::mem::take(&mut scratch.list));
    let mut k = 0;
    while k < found.len() {
        let si = found[k].0;
        let n = found[k..].iter().take_while(|(s, _)| *s == si).count();
        let group = &found[k..k + n];
        k += n;
        // A relation needs two mentions, or a person (an office whose
        // country another sentence names): skip the others before building.
        if n < 2 && group[0].1.kind != EntityType::PER {
            continue;
        }
        let mut view: SentenceView<'t> = scratch.views.pop().unwrap_or_else(SentenceView::empty);
        let mut end = 0;
        view.args.extend(group.iter().filter_map(|(_, a)| {
            let keep = a.tokens.start >= end;
            if keep {
                end = a.tokens.end;
            }
            keep.then(|| a.clone())
        }));
        let sent = &doc.sentences[si];
        let toks = &doc.tokens[sent.tokens.clone()];
        view.span = Span::new(sent.start, sent.end);
        view.words.extend(toks.iter().map(|t| t.text(text)));
        view.spans.extend(toks.iter().map(|t| Span::new(t.start, t.end)));
        view.normalise_words();
        view.origin = toks.first().map_or((0, 0), |t| (t.start, t.byte_start));
        views.push(view);
    }
    scratch.found = view::recycle(found);
    views
}

/// Builds the view of a CoNLL04 sentence: tokens joined by single spaces,
/// every gold entity a mention of its own entity (index = entity order).
pub fn example_view(ex: &conll04::Example) -> SentenceView<'_> {
    let (spans, len) = view::spaced_spans(&ex.tokens);
    let args = ex
        .entities
        .iter()
        .enumerate()
        .map(|(i, e)| Arg {
            entity: i,
            tokens: e.tokens.clone(),
            kind: e.kind,
            subtype: None,
            span: Span::new(spans[e.tokens.start].start, spans[e.tokens.end - 1].end),
            demonym: false,
        })
        .collect();
    SentenceView::new(
        Span::new(0, len),
        ex.tokens.iter().map(String::as_str).collect(),
        spans,
        args,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles_and_has_an_anchor_or_slots() {
        for lang in ["fr", "en", "de"] {
            for c in &compiled(lang).pats {
                assert!(!c.elems.is_empty(), "{}", c.def.name);
                assert!(
                    c.def.confidence > 0.0 && c.def.confidence <= 1.0,
                    "{}",
                    c.def.name
                );
            }
        }
        assert_eq!(
            compiled("de").pats.len(),
            patterns_fr::PATTERNS.len() + patterns_en::PATTERNS.len()
        );
        let names: HashSet<&str> = compiled("de").pats.iter().map(|c| c.def.name).collect();
        assert_eq!(names.len(), compiled("de").pats.len(), "pattern names are unique");
    }

    /// [`surface`] reads a view's words where they lie in the text, and
    /// falls back to scanning from the sentence's start for words that are
    /// copies: both give the text of the tokens' code point span.
    #[test]
    fn surface_by_bytes_and_by_scan_agree() {
        let text = "Intro. Le vice-Premier ministre s’est rendu à Bruxelles en novembre 2021.";
        let doc = crate::pipeline::tokens::analyze(text, "fr");
        let sent = doc.sentences.last().unwrap();
        let toks = &doc.tokens[sent.tokens.clone()];
        let spans: Vec<Span> = toks.iter().map(|t| Span::new(t.start, t.end)).collect();
        let borrowed: Vec<&str> = toks.iter().map(|t| t.text(text)).collect();
        let copies: Vec<String> = borrowed.iter().map(|w| w.to_string()).collect();
        let origin = (toks[0].start, toks[0].byte_start);
        let span = Span::new(sent.start, sent.end);
        let mut in_text = SentenceView::new(span, borrowed, spans.clone(), vec![]);
        in_text.origin = origin;
        let mut copied = SentenceView::new(span, copies.iter().map(String::as_str).collect(), spans, vec![]);
        copied.origin = origin;
        assert!(toks.len() > 8);
        for i in 0..toks.len() {
            for j in i + 1..=toks.len() {
                let s = in_text.span_of(i..j);
                let want: String = text.chars().skip(s.start).take(s.len()).collect();
                assert_eq!(surface(text, &in_text, i..j), want);
                assert_eq!(surface(text, &copied, i..j), want);
            }
        }
    }

    /// One entity per name, mentioned wherever the name occurs.
    fn entities(text: &str, names: &[(&str, EntityType, Option<&str>)]) -> Vec<Entity> {
        use crate::pipeline::record::Mention;
        names
            .iter()
            .enumerate()
            .map(|(i, &(name, kind, subtype))| {
                let mentions: Vec<Mention> = text
                    .match_indices(name)
                    .map(|(b, _)| {
                        let start = text[..b].chars().count();
                        Mention {
                            start,
                            end: start + name.chars().count(),
                            text: name.to_string(),
                        }
                    })
                    .collect();
                Entity {
                    id: format!("e{i}"),
                    name: name.to_string(),
                    kind,
                    subtype: subtype.map(str::to_string),
                    qid: None,
                    count: mentions.len(),
                    first: mentions[0].start,
                    mentions,
                    salience: 0.0,
                }
            })
            .collect()
    }

    /// The buffers kept per thread between articles carry nothing from one
    /// article into the next: an article gives the same output after
    /// another one, on a fresh thread, and through the public view builder.
    #[test]
    fn reused_buffers_do_not_leak_between_articles() {
        use EntityType::*;
        let a = "Le ministre kazakh des Affaires étrangères, Moukhtar Tleouberdi, s’est rendu à Bruxelles \
                 le 3 mai 2021. Moukhtar Tleouberdi s’est entretenu par téléphone avec Jean-Yves Le Drian.";
        let ea = entities(
            a,
            &[
                ("kazakh", LOC, Some("country")),
                ("Moukhtar Tleouberdi", PER, None),
                ("Bruxelles", LOC, Some("city")),
                ("Jean-Yves Le Drian", PER, None),
            ],
        );
        let b =
            "Emmanuel Macron a rencontré Olaf Scholz à Berlin. La France et l’Allemagne ont signé un accord.";
        let eb = entities(
            b,
            &[
                ("Emmanuel Macron", PER, None),
                ("Olaf Scholz", PER, None),
                ("Berlin", LOC, Some("city")),
                ("France", LOC, Some("country")),
                ("Allemagne", LOC, Some("country")),
            ],
        );
        let models = RelationModels::default();
        let run = |text: &str, ents: &[Entity]| {
            let doc = crate::pipeline::tokens::analyze(text, "fr");
            extract(text, &doc, ents, "fr", &models)
        };
        let first = run(a, &ea);
        assert!(first.0.len() >= 2, "{:?}", first.0);
        let other = run(b, &eb);
        assert!(!other.0.is_empty());
        assert_eq!(run(a, &ea), first);
        assert_eq!(
            std::thread::scope(|s| s.spawn(|| run(a, &ea)).join().unwrap()),
            first
        );
        assert_eq!(run(b, &eb), other);
        let doc = crate::pipeline::tokens::analyze(a, "fr");
        let views = sentence_views(a, &doc, &ea);
        assert_eq!(views.len(), 2);
        assert_eq!(views[0].args.len(), 3);
    }

    /// [`WordTable`] finds every word it was built from, with its start
    /// mask and anchor pairs, and no other id (probing past collisions).
    #[test]
    fn word_table_finds_every_word_and_no_other() {
        let id = |k: u32| view::word_id(&format!("w{k}"));
        let entry = |k: u32| WordEntry {
            anchors: (0..(k % 4) as u8).map(|a| (k as u8, a)).collect(),
            start: u128::from(k % 3 == 0) << (k % 128),
        };
        let words: HashMap<u64, WordEntry, IdBuild> = (0..300).map(|k| (id(k), entry(k))).collect();
        let table = WordTable::new(words);
        assert!(table.slots.len() >= 600);
        for k in 0..300 {
            let (slot, e) = (table.get(id(k)).expect("a word of the table"), entry(k));
            assert_eq!((slot.start, table.anchors(slot)), (e.start, e.anchors.as_slice()));
        }
        assert!((0..2000).all(|k| table.get(view::word_id(&format!("x{k}"))).is_none()));
        assert!(WordTable::default().get(1).is_none());
    }

    #[test]
    fn embedded_classifier_loads() {
        assert!(RelationModels::load().unwrap().classifier.is_some());
    }
}
