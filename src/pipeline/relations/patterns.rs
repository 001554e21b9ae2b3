//! A small pattern language over tokens and entity mentions, and its
//! matcher.
//!
//! Patterns are data (see `patterns_fr.rs`, `patterns_en.rs`, and the office
//! titles in `offices.rs`): one line of space-separated elements, matched
//! against a sentence's normalised tokens (see [`super::view::normalize`]):
//!
//! | element | matches |
//! |---|---|
//! | `word` | that normalised token |
//! | `a\|b\|c` | any of these tokens |
//! | `@name` | any token of the lexicon `name` (`@det`, `@de`, `@a`, `@hon`, ...) or class (`@num`, `@year`) |
//! | `!x` | `x` (any element above), and marks the trigger |
//! | `{s:PER}` `{o:LOC\|ORG}` `{c:LOC}` | a whole entity mention of these types, bound to slot s/o/c; `LOC/country` also requires the subtype, `DEM` a demonym mention (`kazakh`), `ANY` any type |
//! | `{t}` | one office title or a chain of them (`vice-premier ministre, ministre des Affaires étrangères`) |
//! | `{date}` | a date expression (`en novembre 2021`, `on Monday`, `le 3 mai`) |
//! | `..N` | up to N tokens (fewest first), never across `;`, `:` or a sentence-final mark |
//! | `x?` | optional element |
//! | `( a b \| c )` `( ... )?` | alternatives of sequences (spaces around `\|`), optionally optional |
//!
//! Matching backtracks over alternatives, optional elements and gaps, and
//! returns the first full match from a start token, preferring the longest
//! alternatives in the order written.

use super::offices::TitleMatch;
use super::view::{IdBuild, LazyIds, SentenceView, WordIds};
use crate::pipeline::record::EntityType;
use std::collections::HashSet;

/// One relation pattern of a table (`patterns_fr.rs`, `patterns_en.rs`).
#[derive(Debug, Clone, Copy)]
pub struct PatternDef {
    /// Stable name, reported as `extractor: "pattern:<name>"`.
    pub name: &'static str,
    /// Relation type it produces.
    pub kind: &'static str,
    pub src: &'static str,
    pub confidence: f32,
    /// Fixed attributes (e.g. `host` = `subject`).
    pub attrs: &'static [(&'static str, &'static str)],
}

/// Shorthand for the tables.
pub const fn p(name: &'static str, kind: &'static str, src: &'static str) -> PatternDef {
    PatternDef {
        name,
        kind,
        src,
        confidence: 0.9,
        attrs: &[],
    }
}

impl PatternDef {
    pub const fn conf(mut self, confidence: f32) -> Self {
        self.confidence = confidence;
        self
    }
    pub const fn attrs(mut self, attrs: &'static [(&'static str, &'static str)]) -> Self {
        self.attrs = attrs;
        self
    }
}

/// A compiled pattern with the words a sentence must contain for it to
/// match (checked first: most patterns are skipped without matching).
#[derive(Debug, Clone)]
pub struct Compiled {
    pub def: PatternDef,
    pub elems: Vec<Elem>,
    /// Each inner list: at least one of these words (ids) must be in the
    /// sentence.
    pub anchors: Vec<WordIds>,
    /// What the first matched token can be.
    pub start: Start,
}

impl Compiled {
    pub fn new(def: PatternDef) -> Compiled {
        let elems = compile(def.src);
        let anchors = elems
            .iter()
            .filter_map(|e| match e {
                Elem::Word { ids, .. } => Some(ids.clone()),
                Elem::Lex {
                    lex: Lex::List(list), ..
                } if list.words().len() < 40 => Some(list.get().clone()),
                _ => None,
            })
            .collect();
        let start = Start::of(&elems);
        Compiled {
            def,
            elems,
            anchors,
            start,
        }
    }
}

/// The tokens a pattern can start on, so that matching is only tried
/// there: most positions of most sentences are skipped with one lookup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Start {
    pub words: Vec<String>,
    pub lex: Vec<Lex>,
    /// Ids of `words` and of the words of the `lex` lists.
    pub ids: HashSet<u64, IdBuild>,
    /// A number or year may start the match.
    pub digit: bool,
    /// A mention may start the match.
    pub arg: bool,
    /// The slots a match can start with (what they accept of a mention).
    pub slots: Vec<TypeSpec>,
    /// An office title may start the match.
    pub title: bool,
    /// Anything may (a leading gap or date).
    pub any: bool,
}

impl Start {
    pub fn of(elems: &[Elem]) -> Start {
        let mut s = Start::default();
        if s.add(elems) {
            s.any = true;
        }
        s.ids = s.words.iter().map(|w| super::view::word_id(w)).collect();
        for lex in &s.lex {
            match lex {
                Lex::List(list) => s.ids.extend(list.get().ids().iter().copied()),
                Lex::Num | Lex::Year => s.digit = true,
            }
        }
        s
    }

    /// Adds the first tokens of `elems`; true when `elems` can match nothing.
    fn add(&mut self, elems: &[Elem]) -> bool {
        for e in elems {
            let nullable = match e {
                Elem::Word { alts, .. } => {
                    self.words.extend(alts.iter().cloned());
                    false
                }
                Elem::Lex { lex, .. } => {
                    self.lex.push(*lex);
                    false
                }
                Elem::Slot { types, .. } => {
                    self.arg = true;
                    self.slots.push(types.clone());
                    // An honorific may precede the mention.
                    self.lex.push(Lex::List(&HON_IDS));
                    false
                }
                Elem::Title => {
                    self.title = true;
                    false
                }
                Elem::Date | Elem::Gap(_) => {
                    self.any = true;
                    false
                }
                Elem::Group { alts, optional } => {
                    let mut empty = *optional;
                    for alt in alts {
                        empty |= self.add(alt);
                    }
                    empty
                }
            };
            if !nullable {
                return false;
            }
        }
        true
    }

    /// Can a match start at token `i`?
    pub fn allows(&self, ctx: &Ctx, i: usize) -> bool {
        if self.any {
            return true;
        }
        self.ids.contains(&ctx.view.ids[i])
            || (self.digit && starts_with_digit(&ctx.view.norm[i]))
            || (self.arg && ctx.arg_starting_at(i).is_some())
            || (self.title && ctx.titles.iter().any(|t| t.start == i))
    }
}

/// Does a normalised token start with a digit (what `@num` and `@year`
/// need first)?
pub fn starts_with_digit(norm: &str) -> bool {
    norm.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

/// A compiled pattern element.
#[derive(Debug, Clone, PartialEq)]
pub enum Elem {
    Word {
        alts: Vec<String>,
        ids: WordIds,
        trigger: bool,
    },
    Lex {
        lex: Lex,
        trigger: bool,
    },
    Slot {
        slot: Slot,
        types: TypeSpec,
    },
    Title,
    Date,
    Gap(usize),
    Group {
        alts: Vec<Vec<Elem>>,
        optional: bool,
    },
}

/// The argument slots a pattern binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    S,
    O,
    C,
}

/// Which mentions a slot accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeSpec {
    /// Accepted types (empty: any).
    pub kinds: KindSet,
    /// Accepted subtypes (empty: any).
    pub subtypes: Vec<String>,
    /// Only demonym mentions (`kazakh`); otherwise demonyms are refused
    /// unless `demonym_ok`.
    pub demonym_only: bool,
    pub demonym_ok: bool,
}

/// A set of entity types, one bit each: held in the [`TypeSpec`] itself,
/// where the matcher tests it (a vector put every slot test of the matcher
/// behind a pointer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindSet(u8);

impl KindSet {
    pub fn add(&mut self, kind: EntityType) {
        self.0 |= 1 << kind as u8;
    }

    #[inline]
    pub fn contains(self, kind: EntityType) -> bool {
        self.0 & (1 << kind as u8) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Lexicons and token classes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lex {
    /// A closed word list.
    List(&'static LazyIds),
    /// A number (digits, possibly with separators).
    Num,
    /// A year (four digits, 1800-2199).
    Year,
}

impl Lex {
    /// Does token `pos` of the view match?
    fn matches_at(self, view: &SentenceView, pos: usize) -> bool {
        match self {
            Lex::List(list) => list.contains(view.ids[pos]),
            _ => self.matches(&view.norm[pos]),
        }
    }

    fn matches(self, norm: &str) -> bool {
        match self {
            Lex::List(list) => list.get().contains(super::view::word_id(norm)),
            Lex::Num => !norm.is_empty() && norm.chars().next().is_some_and(|c| c.is_ascii_digit()),
            Lex::Year => {
                norm.len() == 4
                    && norm.bytes().all(|b| b.is_ascii_digit())
                    && (1800..2200).contains(&norm.parse::<u32>().unwrap_or(0))
            }
        }
    }
}

/// Determiners (French and English).
pub const DET: &[&str] = &[
    "le", "la", "les", "l'", "un", "une", "the", "a", "an", "son", "sa", "ses", "leur", "its", "his", "her",
    "their",
];
/// French "of" forms.
pub const DE: &[&str] = &["de", "du", "des", "d'"];
/// French "to/in" forms.
pub const A: &[&str] = &["a", "au", "aux", "en"];
/// Honorifics before a name.
pub const HON: &[&str] = &[
    "m.", "mme", "mme.", "mlle", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "pr", "pr.", "sir",
    "madame", "monsieur",
];
/// Months, French and English, with common abbreviations.
pub const MONTHS: &[&str] = &[
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan.",
    "feb.",
    "mar.",
    "apr.",
    "jun.",
    "jul.",
    "aug.",
    "sep.",
    "sept.",
    "oct.",
    "nov.",
    "dec.",
];
/// Weekdays, French and English.
pub const WEEKDAYS: &[&str] = &[
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
/// Words that mark a call (channel = phone).
pub const PHONE: &[&str] = &[
    "telephone",
    "telephonique",
    "telephoniques",
    "phone",
    "telephoned",
    "phoned",
    "call",
    "called",
    "calls",
    "visioconference",
    "videoconference",
    "video",
];
/// Tokens a gap never crosses.
const STOPS: &[&str] = &[";", ":", ".", "!", "?", "»", "«", "\""];

// The lexicons as ids, for matching.
pub static DET_IDS: LazyIds = LazyIds::new(DET);
pub static DE_IDS: LazyIds = LazyIds::new(DE);
pub static A_IDS: LazyIds = LazyIds::new(A);
pub static HON_IDS: LazyIds = LazyIds::new(HON);
pub static MONTH_IDS: LazyIds = LazyIds::new(MONTHS);
pub static WEEKDAY_IDS: LazyIds = LazyIds::new(WEEKDAYS);
pub static PHONE_IDS: LazyIds = LazyIds::new(PHONE);
static STOP_IDS: LazyIds = LazyIds::new(STOPS);
static COMMA_IDS: LazyIds = LazyIds::new(&[","]);
static AND_IDS: LazyIds = LazyIds::new(&["et", "and"]);

fn lexicon(name: &str) -> Option<Lex> {
    Some(match name {
        "det" => Lex::List(&DET_IDS),
        "de" => Lex::List(&DE_IDS),
        "a" => Lex::List(&A_IDS),
        "hon" => Lex::List(&HON_IDS),
        "month" => Lex::List(&MONTH_IDS),
        "weekday" => Lex::List(&WEEKDAY_IDS),
        "phone" => Lex::List(&PHONE_IDS),
        "num" => Lex::Num,
        "year" => Lex::Year,
        _ => return None,
    })
}

/// Parses a pattern line. Panics on a malformed pattern: patterns are
/// compiled-in data, and a unit test compiles every one of them.
pub fn compile(src: &str) -> Vec<Elem> {
    let toks: Vec<&str> = src.split_whitespace().collect();
    let mut pos = 0;
    let elems = parse_seq(&toks, &mut pos, src);
    assert!(pos == toks.len(), "pattern `{src}`: unbalanced `)`");
    elems
}

fn parse_seq(toks: &[&str], pos: &mut usize, src: &str) -> Vec<Elem> {
    let mut out = Vec::new();
    while *pos < toks.len() {
        let t = toks[*pos];
        if t == "|" || t == ")" || t == ")?" {
            break;
        }
        *pos += 1;
        if t == "(" {
            let mut alts = vec![parse_seq(toks, pos, src)];
            while *pos < toks.len() && toks[*pos] == "|" {
                *pos += 1;
                alts.push(parse_seq(toks, pos, src));
            }
            let close = toks.get(*pos).copied();
            assert!(
                matches!(close, Some(")") | Some(")?")),
                "pattern `{src}`: missing `)`"
            );
            *pos += 1;
            out.push(Elem::Group {
                alts,
                optional: close == Some(")?"),
            });
            continue;
        }
        let (body, optional) = match t.strip_suffix('?') {
            Some(b) if !b.is_empty() => (b, true),
            _ => (t, false),
        };
        let elem = parse_atom(body, src);
        out.push(if optional {
            Elem::Group {
                alts: vec![vec![elem]],
                optional: true,
            }
        } else {
            elem
        });
    }
    out
}

fn parse_atom(t: &str, src: &str) -> Elem {
    let (t, trigger) = match t.strip_prefix('!') {
        Some(rest) => (rest, true),
        None => (t, false),
    };
    if let Some(n) = t.strip_prefix("..") {
        return Elem::Gap(
            n.parse()
                .unwrap_or_else(|_| panic!("pattern `{src}`: bad gap `{t}`")),
        );
    }
    if let Some(name) = t.strip_prefix('@') {
        let lex = lexicon(name).unwrap_or_else(|| panic!("pattern `{src}`: unknown lexicon `@{name}`"));
        return Elem::Lex { lex, trigger };
    }
    if t == "{t}" {
        return Elem::Title;
    }
    if t == "{date}" {
        return Elem::Date;
    }
    if let Some(inner) = t.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        let (name, spec) = inner
            .split_once(':')
            .unwrap_or_else(|| panic!("pattern `{src}`: slot `{t}` needs a type"));
        let slot = match name {
            "s" => Slot::S,
            "o" => Slot::O,
            "c" => Slot::C,
            _ => panic!("pattern `{src}`: unknown slot `{name}`"),
        };
        return Elem::Slot {
            slot,
            types: parse_types(spec, src),
        };
    }
    let alts: Vec<String> = t.split('|').map(str::to_string).collect();
    Elem::Word {
        ids: WordIds::new(&alts),
        alts,
        trigger,
    }
}

fn parse_types(spec: &str, src: &str) -> TypeSpec {
    let mut ts = TypeSpec {
        kinds: KindSet::default(),
        subtypes: Vec::new(),
        demonym_only: false,
        demonym_ok: false,
    };
    let (kinds, subtypes) = match spec.split_once('/') {
        Some((k, s)) => (k, Some(s)),
        None => (spec, None),
    };
    for k in kinds.split('|') {
        match k {
            "PER" => ts.kinds.add(EntityType::PER),
            "ORG" => ts.kinds.add(EntityType::ORG),
            "LOC" => ts.kinds.add(EntityType::LOC),
            "MISC" => ts.kinds.add(EntityType::MISC),
            "DEM" => {
                ts.demonym_ok = true;
                if kinds == "DEM" {
                    ts.demonym_only = true;
                }
            }
            "ANY" => {}
            _ => panic!("pattern `{src}`: unknown type `{k}`"),
        }
    }
    if let Some(s) = subtypes {
        ts.subtypes = s.split('|').map(str::to_string).collect();
    }
    ts
}

/// What a match binds: argument mentions (indices into the view's `args`),
/// titles (indices into the sentence's titles), the trigger and the date.
///
/// Kept small (40 bytes, u32 token and mention indices with [`NONE`] for
/// unset): the matcher passes a copy down every recursive step, and with
/// `Option<usize>` fields the copies were a visible part of its time.
/// Sentences of 2^32 tokens or more are far beyond any input newsflow
/// accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bindings {
    /// Slots s, o, c.
    args: [u32; 3],
    trigger: (u32, u32),
    date: (u32, u32),
    pub titles: [u16; 4],
    pub ntitles: u8,
}

impl Default for Bindings {
    fn default() -> Self {
        Bindings {
            args: [NONE; 3],
            trigger: (NONE, NONE),
            date: (NONE, NONE),
            titles: [0; 4],
            ntitles: 0,
        }
    }
}

impl Bindings {
    pub fn titles(&self) -> &[u16] {
        &self.titles[..self.ntitles as usize]
    }
    fn slot(&self, k: usize) -> Option<usize> {
        (self.args[k] != NONE).then_some(self.args[k] as usize)
    }
    /// The mention bound to slot s.
    pub fn s(&self) -> Option<usize> {
        self.slot(0)
    }
    /// The mention bound to slot o.
    pub fn o(&self) -> Option<usize> {
        self.slot(1)
    }
    /// The mention bound to slot c.
    pub fn c(&self) -> Option<usize> {
        self.slot(2)
    }
    /// Token range of the trigger words (first to last), if any.
    pub fn trigger(&self) -> Option<(usize, usize)> {
        (self.trigger.0 != NONE).then_some((self.trigger.0 as usize, self.trigger.1 as usize))
    }
    /// Token range of the date expression, if any.
    pub fn date(&self) -> Option<(usize, usize)> {
        (self.date.0 != NONE).then_some((self.date.0 as usize, self.date.1 as usize))
    }
    fn set_trigger(&mut self, i: usize) {
        let i = i as u32;
        self.trigger = if self.trigger.0 == NONE {
            (i, i + 1)
        } else {
            (self.trigger.0.min(i), self.trigger.1.max(i + 1))
        };
    }
}

/// Up to four (title, end) pairs, without allocating.
#[derive(Default)]
struct ArrayChain {
    items: [(u16, usize); 4],
    len: usize,
}

impl ArrayChain {
    fn push(&mut self, item: (u16, usize)) {
        self.items[self.len] = item;
        self.len += 1;
    }
    fn len(&self) -> usize {
        self.len
    }
}

impl std::ops::Index<std::ops::RangeTo<usize>> for ArrayChain {
    type Output = [(u16, usize)];
    fn index(&self, r: std::ops::RangeTo<usize>) -> &[(u16, usize)] {
        &self.items[..self.len][r]
    }
}

impl std::ops::Index<usize> for ArrayChain {
    type Output = (u16, usize);
    fn index(&self, i: usize) -> &(u16, usize) {
        &self.items[..self.len][i]
    }
}

/// A successful match: token range and bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub start: usize,
    pub end: usize,
    pub b: Bindings,
}

/// The sentence a pattern is matched against.
pub struct Ctx<'a, 'v> {
    pub view: &'a SentenceView<'v>,
    /// Office titles found in the sentence (empty while finding titles).
    pub titles: &'a [TitleMatch],
    /// Per token: the first mention starting there, the first covering it
    /// ([`NONE`] for none). The matcher asks at nearly every step; the
    /// view answers by scanning its mentions. One vector of pairs: one
    /// allocation per sentence.
    args_at: Vec<(u32, u32)>,
}

const NONE: u32 = u32::MAX;

impl<'a, 'v> Ctx<'a, 'v> {
    pub fn new(view: &'a SentenceView<'v>, titles: &'a [TitleMatch]) -> Self {
        Self::with_buffer(view, titles, Vec::new())
    }

    /// [`Ctx::new`], building its per-token table in `buf` (a vector
    /// [`Ctx::into_buffer`] gave back for an earlier sentence: one
    /// allocation per thread instead of one per sentence).
    pub fn with_buffer(view: &'a SentenceView<'v>, titles: &'a [TitleMatch], buf: Vec<(u32, u32)>) -> Self {
        let mut args_at = buf;
        args_at.clear();
        args_at.resize(view.len(), (NONE, NONE));
        // Last mention first, so that the first one wins, as in
        // `SentenceView::arg_starting_at` / `arg_covering`.
        for (a, arg) in view.args.iter().enumerate().rev() {
            if let Some(s) = args_at.get_mut(arg.tokens.start) {
                s.0 = a as u32;
            }
            let covered = arg.tokens.start.min(view.len())..arg.tokens.end.min(view.len());
            for c in args_at.get_mut(covered).into_iter().flatten() {
                c.1 = a as u32;
            }
        }
        Ctx {
            view,
            titles,
            args_at,
        }
    }

    /// The per-token table's vector, for [`Ctx::with_buffer`].
    pub fn into_buffer(self) -> Vec<(u32, u32)> {
        self.args_at
    }

    /// Same as [`SentenceView::arg_starting_at`], in constant time.
    #[inline]
    pub fn arg_starting_at(&self, i: usize) -> Option<usize> {
        self.args_at.get(i).filter(|a| a.0 != NONE).map(|a| a.0 as usize)
    }

    /// Same as [`SentenceView::arg_covering`], in constant time.
    #[inline]
    pub fn arg_covering(&self, i: usize) -> Option<usize> {
        self.args_at.get(i).filter(|a| a.1 != NONE).map(|a| a.1 as usize)
    }
}

enum Rest<'a> {
    Nil,
    Cons(&'a [Elem], &'a Rest<'a>),
}

impl Ctx<'_, '_> {
    /// The first match of `elems` starting at token `start`.
    pub fn match_at(&self, elems: &[Elem], start: usize) -> Option<Match> {
        self.go(elems, &Rest::Nil, start, Bindings::default())
            .map(|(end, b)| Match { start, end, b })
    }

    /// All non-overlapping matches of a pattern, scanning left to right.
    pub fn find_all(&self, pattern: &Compiled) -> Vec<Match> {
        let mut out = Vec::new();
        self.find_each(pattern, |i| pattern.start.allows(self, i), |m| out.push(m));
        out
    }

    /// Calls `found` with each non-overlapping match of `pattern`, scanning
    /// left to right and trying only the tokens `may_start` accepts (a
    /// precomputed [`Start::allows`]).
    pub fn find_each(
        &self,
        pattern: &Compiled,
        may_start: impl Fn(usize) -> bool,
        mut found: impl FnMut(Match),
    ) {
        let mut i = 0;
        while i < self.view.len() {
            if !may_start(i) {
                i += 1;
                continue;
            }
            match self.match_at(&pattern.elems, i) {
                Some(m) if m.end > i => {
                    found(m);
                    i = m.end;
                }
                _ => i += 1,
            }
        }
    }

    fn go(&self, elems: &[Elem], rest: &Rest, pos: usize, b: Bindings) -> Option<(usize, Bindings)> {
        let Some((first, tail)) = elems.split_first() else {
            return match rest {
                Rest::Nil => Some((pos, b)),
                Rest::Cons(next, more) => self.go(next, more, pos, b),
            };
        };
        let view = self.view;
        match first {
            Elem::Word { ids, trigger, .. } => {
                if !ids.contains(*view.ids.get(pos)?) {
                    return None;
                }
                let mut b = b;
                if *trigger {
                    b.set_trigger(pos);
                }
                self.go(tail, rest, pos + 1, b)
            }
            Elem::Lex { lex, trigger } => {
                if pos >= view.len() || !lex.matches_at(view, pos) {
                    return None;
                }
                let mut b = b;
                if *trigger {
                    b.set_trigger(pos);
                }
                self.go(tail, rest, pos + 1, b)
            }
            Elem::Slot { slot, types } => {
                // An honorific before a person's name is not part of it
                // (the word list is read only where no mention starts).
                let mut p = pos;
                if self.arg_starting_at(p).is_none() && view.ids.get(p).is_some_and(|&w| HON_IDS.contains(w))
                {
                    p += 1;
                }
                let a = self.arg_starting_at(p)?;
                let arg = &view.args[a];
                if !accepts(types, arg) {
                    return None;
                }
                let mut b = b;
                match slot {
                    Slot::S => b.args[0] = a as u32,
                    Slot::O => b.args[1] = a as u32,
                    Slot::C => b.args[2] = a as u32,
                }
                self.go(tail, rest, arg.tokens.end, b)
            }
            Elem::Title => {
                // Greedy chain of titles joined by `,` / `et` / `and`,
                // then backtrack on its length.
                let mut chain: ArrayChain = ArrayChain::default();
                let mut p = pos;
                while let Some((ti, t)) = self
                    .titles
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.start == p)
                    .max_by_key(|(_, t)| t.end)
                {
                    chain.push((ti as u16, t.end));
                    if chain.len() == 4 {
                        break;
                    }
                    let mut q = t.end;
                    let sep = |q: usize, words: &LazyIds| view.ids.get(q).is_some_and(|&w| words.contains(w));
                    if sep(q, &COMMA_IDS) {
                        q += 1;
                    }
                    if sep(q, &AND_IDS) {
                        q += 1;
                    }
                    if q == t.end {
                        break;
                    }
                    if sep(q, &DET_IDS) {
                        q += 1;
                    }
                    p = q;
                }
                for n in (1..=chain.len()).rev() {
                    let mut b2 = b;
                    for (k, (ti, _)) in chain[..n].iter().enumerate() {
                        b2.titles[k] = *ti;
                    }
                    b2.ntitles = n as u8;
                    if let Some(r) = self.go(tail, rest, chain[n - 1].1, b2) {
                        return Some(r);
                    }
                }
                None
            }
            Elem::Date => {
                let end = date_at(view, pos)?;
                let mut b = b;
                b.date = (pos as u32, end as u32);
                self.go(tail, rest, end, b)
            }
            Elem::Gap(n) => {
                let mut p = pos;
                for _ in 0..=*n {
                    if let Some(r) = self.go(tail, rest, p, b) {
                        return Some(r);
                    }
                    if p >= view.len() || STOP_IDS.contains(view.ids[p]) {
                        return None;
                    }
                    // A gap does not cut a mention in two.
                    p = match self.arg_covering(p) {
                        Some(a) => view.args[a].tokens.end,
                        None => p + 1,
                    };
                }
                None
            }
            Elem::Group { alts, optional } => {
                let next = Rest::Cons(tail, rest);
                for alt in alts {
                    if let Some(r) = self.go(alt, &next, pos, b) {
                        return Some(r);
                    }
                }
                if *optional {
                    self.go(tail, rest, pos, b)
                } else {
                    None
                }
            }
        }
    }
}

/// Does a slot of these types take a mention of this kind, demonym or not,
/// with some subtype? (False only when [`accepts`] is false whatever the
/// subtype.)
pub fn may_accept(types: &TypeSpec, kind: EntityType, demonym: bool) -> bool {
    if demonym {
        if !types.demonym_ok {
            return false;
        }
    } else if types.demonym_only {
        return false;
    }
    types.kinds.is_empty() || demonym || types.kinds.contains(kind)
}

fn accepts(types: &TypeSpec, arg: &super::view::Arg) -> bool {
    if arg.demonym {
        if !types.demonym_ok {
            return false;
        }
    } else if types.demonym_only {
        return false;
    }
    if !types.kinds.is_empty() && !arg.demonym && !types.kinds.contains(arg.kind) {
        return false;
    }
    if !types.subtypes.is_empty() && !arg.subtype.is_some_and(|s| types.subtypes.iter().any(|t| t == s)) {
        return false;
    }
    true
}

/// A date expression at `pos`: `(le|en|on|in|du)? weekday? num? month year?`,
/// or a weekday alone, or `en|in year`. Returns its end.
pub fn date_at(view: &SentenceView, pos: usize) -> Option<usize> {
    let w = |i: usize| view.norm.get(i).map(|w| &**w);
    let mut p = pos;
    if matches!(
        w(p),
        Some("le" | "en" | "on" | "in" | "du" | "au" | "ce" | "cette" | "last" | "next" | "this")
    ) {
        p += 1;
    }
    let mut found = false;
    if w(p).is_some_and(|x| WEEKDAYS.contains(&x)) {
        p += 1;
        found = true;
    }
    let before_num = p;
    if w(p).is_some_and(|x| Lex::Num.matches(x) && x.len() <= 2) || matches!(w(p), Some("1er")) {
        p += 1;
    }
    if w(p).is_some_and(|x| MONTHS.contains(&x)) {
        p += 1;
        found = true;
        if w(p).is_some_and(|x| Lex::Num.matches(x) && x.len() <= 3)
            && !w(p + 1).is_some_and(|x| Lex::Year.matches(x))
        {
            // "May 3" (English order)
            p += 1;
        }
        if w(p) == Some(",") && w(p + 1).is_some_and(|x| Lex::Year.matches(x)) {
            p += 1;
        }
        if w(p).is_some_and(|x| Lex::Year.matches(x)) {
            p += 1;
        }
    } else if p > before_num {
        // A bare number is not a date.
        p = before_num;
    }
    if !found {
        // "en 2021"
        if matches!(w(pos), Some("en" | "in")) && w(pos + 1).is_some_and(|x| Lex::Year.matches(x)) {
            return Some(pos + 2);
        }
        return None;
    }
    Some(p)
}

/// `YYYY-MM` or `YYYY-MM-DD` of a date expression's normalised tokens,
/// when it has a month and a year.
pub fn iso_date<S: AsRef<str>>(words: &[S]) -> Option<String> {
    let words: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
    let month = words.iter().find_map(|w| MONTHS.iter().position(|m| m == w))?;
    // MONTHS lists French, English, then English abbreviations (no May).
    let month = match month {
        0..=11 => month + 1,
        12..=23 => month - 11,
        _ => [1, 2, 3, 4, 6, 7, 8, 9, 9, 10, 11, 12][month - 24],
    };
    let year = words.iter().find(|w| Lex::Year.matches(w))?;
    let day = words
        .iter()
        .find(|w| w.len() <= 2 && w.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse::<u32>().ok())
        .filter(|d| (1..=31).contains(d))
        .or_else(|| words.contains(&"1er").then_some(1));
    Some(match day {
        Some(d) => format!("{year}-{month:02}-{d:02}"),
        None => format!("{year}-{month:02}"),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::pipeline::record::Span;
    use crate::pipeline::relations::view::Arg;

    /// A view from space-separated tokens; mentions given as (first, end, type).
    pub(crate) fn view<'a>(words: &[&'a str], args: &[(usize, usize, EntityType)]) -> SentenceView<'a> {
        let (spans, len) = crate::pipeline::relations::view::spaced_spans(words);
        let args = args
            .iter()
            .enumerate()
            .map(|(i, &(a, b, kind))| Arg {
                entity: i,
                tokens: a..b,
                kind,
                subtype: None,
                span: Span::new(spans[a].start, spans[b - 1].end),
                demonym: words[a].chars().next().is_some_and(char::is_lowercase),
            })
            .collect();
        SentenceView::new(Span::new(0, len + 1), words.to_vec(), spans, args)
    }

    #[test]
    fn words_slots_gaps_groups() {
        use EntityType::*;
        let v = view(
            &[
                "M.",
                "Dupont",
                "s'",
                "est",
                "entretenu",
                "par",
                "téléphone",
                "avec",
                "Smith",
                ".",
            ],
            &[(1, 2, PER), (8, 9, PER)],
        );
        let ctx = Ctx::new(&v, &[]);
        let pat =
            compile("{s:PER} ( s' | se ) est|sont ..1 !entretenu ( par !@phone )? avec @det? {o:PER|ORG}");
        let m = ctx.match_at(&pat, 0).expect("match with the honorific skipped");
        assert_eq!((m.b.s(), m.b.o(), m.end), (Some(0), Some(1), 9));
        assert_eq!(m.b.trigger(), Some((4, 7)));
        // Types are enforced.
        let pat = compile("{s:PER} ..6 avec {o:LOC}");
        assert!(ctx.match_at(&pat, 0).is_none());
        // Gaps are bounded.
        let pat = compile("{s:PER} ..2 avec {o:PER}");
        assert!(ctx.match_at(&pat, 0).is_none());
        let c = Compiled::new(p("t", "meeting", "avec {o:PER}"));
        assert_eq!(ctx.find_all(&c).len(), 1);
        assert_eq!(c.start.words, ["avec"]);
        let c = Compiled::new(p("t", "meeting", "( le | la )? @det? {s:PER} avec"));
        assert!(c.start.arg && !c.start.any && c.start.words.contains(&"la".to_string()));
        assert!(Compiled::new(p("t", "meeting", "..2 avec")).start.any);
    }

    #[test]
    fn demonyms_only_where_allowed() {
        use EntityType::*;
        let v = view(&["le", "président", "kazakh"], &[(2, 3, LOC)]);
        let ctx = Ctx::new(&v, &[]);
        assert!(ctx.match_at(&compile("le president {c:DEM}"), 0).is_some());
        assert!(ctx.match_at(&compile("le president {c:LOC}"), 0).is_none());
        assert!(ctx.match_at(&compile("le president {c:LOC|DEM}"), 0).is_some());
    }

    #[test]
    fn dates() {
        let v = view(
            &[
                "à",
                "Bruxelles",
                "en",
                "novembre",
                "2021",
                ",",
                "on",
                "May",
                "3",
                ",",
                "1994",
            ],
            &[],
        );
        assert_eq!(date_at(&v, 2), Some(5));
        assert_eq!(date_at(&v, 6), Some(11));
        assert_eq!(date_at(&v, 0), None);
        let v = view(&["le", "3", "mai", "et", "en", "2020", "le", "12"], &[]);
        assert_eq!(date_at(&v, 0), Some(3));
        assert_eq!(date_at(&v, 4), Some(6));
        assert_eq!(date_at(&v, 6), None);
    }

    #[test]
    fn iso_dates() {
        let w = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(iso_date(&w("novembre 2021")).as_deref(), Some("2021-11"));
        assert_eq!(iso_date(&w("may 3 , 1994")).as_deref(), Some("1994-05-03"));
        assert_eq!(iso_date(&w("1er sept. 2020")).as_deref(), Some("2020-09-01"));
        assert_eq!(iso_date(&w("mercredi")), None);
    }

    #[test]
    #[should_panic(expected = "unknown lexicon")]
    fn bad_patterns_are_refused() {
        compile("@nope {s:PER}");
    }
}
