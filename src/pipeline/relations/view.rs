//! The relation stage's view of one sentence: its tokens (surface and
//! normalised form, code point spans) and the entity mentions that fall in
//! it, as token ranges.
//!
//! Patterns and the pair classifier both read this view, and so does
//! training on CoNLL04 (whose tokens come from the corpus, not from the
//! tokenizer): one representation keeps what the classifier learns and what
//! it sees at run time the same.

use crate::pipeline::record::{EntityType, Span};
use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;

/// One entity mention inside a sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg<'a> {
    /// Index of the entity in the stage's entity slice.
    pub entity: usize,
    /// Token range of the mention inside the sentence (sentence-relative).
    pub tokens: Range<usize>,
    pub kind: EntityType,
    /// Finer type from linking (`country`, `city`, `international_org`, ...),
    /// borrowed from the entity (a copy per mention showed in profiles).
    pub subtype: Option<&'a str>,
    /// Code point span in the text.
    pub span: Span,
    /// The mention is an adjective standing for its entity (a demonym such
    /// as "kazakh" or "French" linked to a country).
    pub demonym: bool,
}

/// One sentence with its tokens and mentions.
#[derive(Debug, Clone)]
pub struct SentenceView<'a> {
    /// Code point span of the sentence.
    pub span: Span,
    /// Token surfaces.
    pub words: Vec<&'a str>,
    /// Normalised tokens: lower case, accents removed, typographic
    /// apostrophes and quotes folded (see [`normalize`]); borrowed from the
    /// surface when it already is in that form, stored inline otherwise
    /// (no allocation per word, see [`Norm`]).
    pub norm: Vec<Norm<'a>>,
    /// FNV-1a hash of each normalised token ([`word_id`]): patterns,
    /// lexicons and the classifier compare these integers, not strings.
    pub ids: Vec<u64>,
    /// Code point span of each token.
    pub spans: Vec<Span>,
    /// Mentions sorted by first token; they never overlap.
    pub args: Vec<Arg<'a>>,
    /// Code point and byte offset in the text from which the sentence's
    /// surface can be read (its first token; `(0, 0)` for a view of a lone
    /// sentence), so that reading a title's words does not scan the article
    /// from its start.
    pub origin: (usize, usize),
}

impl<'a> SentenceView<'a> {
    /// A view of these tokens (surface forms and code point spans) and
    /// mentions; normalises and hashes each token once.
    pub fn new(span: Span, words: Vec<&'a str>, spans: Vec<Span>, args: Vec<Arg<'a>>) -> SentenceView<'a> {
        let mut view = SentenceView {
            span,
            words,
            norm: Vec::new(),
            ids: Vec::new(),
            spans,
            args,
            origin: (0, 0),
        };
        view.normalise_words();
        view
    }

    /// Fills `norm` and `ids` (empty) from `words`.
    pub(crate) fn normalise_words(&mut self) {
        // One scratch buffer for the rare words that take the general path;
        // the others are normalised straight into their slot of `norm`.
        let mut scratch = String::new();
        let norm = &mut self.norm;
        norm.reserve(self.words.len());
        self.ids
            .extend(self.words.iter().map(|&w| push_norm(norm, w, &mut scratch)));
    }

    /// An empty view (no words, no mentions).
    pub(crate) fn empty() -> SentenceView<'a> {
        SentenceView {
            span: Span::new(0, 0),
            words: Vec::new(),
            norm: Vec::new(),
            ids: Vec::new(),
            spans: Vec::new(),
            args: Vec::new(),
            origin: (0, 0),
        }
    }

    /// This view emptied, its vectors kept (with their capacity) for the
    /// next sentence, whatever text that borrows from (see [`recycle`]).
    pub(crate) fn recycle(self) -> SentenceView<'static> {
        SentenceView {
            span: Span::new(0, 0),
            words: recycle(self.words),
            norm: recycle(self.norm),
            ids: recycle(self.ids),
            spans: recycle(self.spans),
            args: recycle(self.args),
            origin: (0, 0),
        }
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The mention starting at token `i`, if any.
    pub fn arg_starting_at(&self, i: usize) -> Option<usize> {
        self.args.iter().position(|a| a.tokens.start == i)
    }

    /// The mention covering token `i`, if any.
    pub fn arg_covering(&self, i: usize) -> Option<usize> {
        self.args.iter().position(|a| a.tokens.contains(&i))
    }

    /// Code point span of a token range (sentence-relative, non-empty).
    pub fn span_of(&self, r: Range<usize>) -> Span {
        Span::new(self.spans[r.start].start, self.spans[r.end - 1].end)
    }

    /// The normalised tokens joined by spaces, for a range.
    pub fn norm_text(&self, r: Range<usize>) -> String {
        self.norm[r].join(" ")
    }
}

/// `v` emptied, as a vector of `U`: the same allocation when `T` and `U`
/// have the same size and alignment (the standard library collects a
/// vector's own iterator in place), which is what the stage uses it for:
/// keeping a vector of borrowed values (`&'t str`, [`Arg<'t>`]) between
/// articles, where its element type must not borrow from the last text.
/// Nothing is converted: the vector is empty.
pub fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter()
        .map(|_| unreachable!("the vector was emptied"))
        .collect()
}

/// FNV-1a's offset basis and prime (64 bits).
pub(super) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// One FNV-1a step ([`word_id`] byte by byte; `lexicon` feeds it words
/// without joining them).
#[inline(always)]
pub(super) const fn fnv_step(h: u64, b: u8) -> u64 {
    (h ^ b as u64).wrapping_mul(FNV_PRIME)
}

/// The integer id of a normalised word: its FNV-1a hash (stable across
/// builds; 64 bits make a collision between the few hundred pattern words
/// and a text's words negligible).
pub const fn word_id(word: &str) -> u64 {
    let b = word.as_bytes();
    let mut h: u64 = FNV_OFFSET;
    let mut i = 0;
    while i < b.len() {
        h = fnv_step(h, b[i]);
        i += 1;
    }
    h
}

/// A set of word ids hashed to `64 * W` bits by the id's top bits (the
/// best mixed of FNV-1a): a clear bit means the id is not in the set, so
/// most words of a text, which are on no list, are ruled out by one bit
/// test instead of a hash lookup. `W` a power of two.
#[derive(Debug, Clone, PartialEq)]
pub struct IdFilter<const W: usize>([u64; W]);

impl<const W: usize> Default for IdFilter<W> {
    fn default() -> Self {
        IdFilter([0; W])
    }
}

impl<const W: usize> IdFilter<W> {
    #[inline]
    fn bit(id: u64) -> usize {
        // log2 of the bit count: 6 for the word, log2(W) for the words.
        (id >> (64 - 6 - W.trailing_zeros())) as usize
    }

    pub fn add(&mut self, id: u64) {
        let b = Self::bit(id);
        self.0[b / 64] |= 1 << (b % 64);
    }

    /// False only when `id` was never added.
    #[inline]
    pub fn may_hold(&self, id: u64) -> bool {
        let b = Self::bit(id);
        self.0[b / 64] & (1 << (b % 64)) != 0
    }
}

impl<const W: usize> FromIterator<u64> for IdFilter<W> {
    fn from_iter<I: IntoIterator<Item = u64>>(ids: I) -> Self {
        let mut f = IdFilter::default();
        ids.into_iter().for_each(|id| f.add(id));
        f
    }
}

/// A small closed word list as ids. Membership is a scan over integers for
/// a handful of words and a hash lookup (the ids are hashes already) for
/// longer lists, which the matcher and the modality test query per token.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WordIds {
    /// The first [`WordIds::HEAD`] ids (zero past the list's end), inline:
    /// most lists of a pattern are one to three words, and reading them
    /// from the heap was a cache miss per test in the matcher, which runs
    /// just after the entities stage has evicted the pattern data.
    head: [u64; WordIds::HEAD],
    ids: Vec<u64>,
    /// The same ids as a set, for lists longer than [`WordIds::SCAN`],
    /// behind a 256-bit filter (most tokens tested are on no list).
    set: Option<(IdFilter<4>, HashSet<u64, IdBuild>)>,
}

impl WordIds {
    /// Up to this many ids, a linear scan beats hashing.
    const SCAN: usize = 8;
    /// Ids held inline.
    const HEAD: usize = 4;

    pub fn new<S: AsRef<str>>(words: &[S]) -> WordIds {
        let ids: Vec<u64> = words.iter().map(|w| word_id(w.as_ref())).collect();
        let set =
            (ids.len() > Self::SCAN).then(|| (ids.iter().copied().collect(), ids.iter().copied().collect()));
        let mut head = [0; Self::HEAD];
        for (h, &id) in head.iter_mut().zip(&ids) {
            *h = id;
        }
        WordIds { head, ids, set }
    }

    /// The ids, in the order of the words given.
    pub fn ids(&self) -> &[u64] {
        &self.ids
    }

    #[inline]
    pub fn contains(&self, id: u64) -> bool {
        match &self.set {
            Some((filter, set)) => filter.may_hold(id) && set.contains(&id),
            None => match self.head.get(..self.ids.len()) {
                Some(head) => head.contains(&id),
                None => self.ids.contains(&id),
            },
        }
    }
}

/// A lazily built [`WordIds`] for a static list:
/// `static X: LazyIds = LazyIds::new(LIST);` then `X.contains(id)`.
pub struct LazyIds {
    words: &'static [&'static str],
    ids: std::sync::OnceLock<WordIds>,
}

impl std::fmt::Debug for LazyIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.words).finish()
    }
}

/// Two lists are the same list (they are statics).
impl PartialEq for LazyIds {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl LazyIds {
    pub fn words(&self) -> &'static [&'static str] {
        self.words
    }

    pub const fn new(words: &'static [&'static str]) -> LazyIds {
        LazyIds {
            words,
            ids: std::sync::OnceLock::new(),
        }
    }
    pub fn get(&self) -> &WordIds {
        self.ids.get_or_init(|| WordIds::new(self.words))
    }
    #[inline]
    pub fn contains(&self, id: u64) -> bool {
        self.get().contains(id)
    }
}

/// Hasher for keys that already are hashes ([`word_id`]).
#[derive(Default, Clone, Copy)]
pub struct IdBuild;

pub struct IdHasher(u64);

impl std::hash::BuildHasher for IdBuild {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Code point spans of tokens joined by single spaces, and the text's length.
pub fn spaced_spans<S: AsRef<str>>(words: &[S]) -> (Vec<Span>, usize) {
    let mut pos = 0;
    let spans = words
        .iter()
        .map(|w| {
            let s = Span::new(pos, pos + w.as_ref().chars().count());
            pos = s.end + 1;
            s
        })
        .collect();
    (spans, pos.saturating_sub(1))
}

/// [`normalize`], borrowing the word when it is already normal (ASCII
/// without upper case or backquote).
pub fn normalize_cow(word: &str) -> Cow<'_, str> {
    if is_normal(word) {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(normalize(word))
    }
}

/// Is the word already in [`normalize`]d form (ASCII without upper case or
/// backquote)? Most words of a text are.
#[inline]
fn is_normal(word: &str) -> bool {
    word.bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase() && b != b'`')
}

/// Bytes a [`Norm`] holds inline: 22 keeps it as small as a `Cow<str>`
/// (24 bytes) and covers nearly every word.
const INLINE: usize = 22;

/// A normalised word ([`normalize`]) of a [`SentenceView`]: the surface
/// itself when it already is normal, else the normalised form inline (up
/// to [`INLINE`] bytes) or, for longer words, on the heap. Building a view
/// was dominated by one allocation per capitalised or accented word with a
/// `Cow<str>`; this type dereferences to `str` just the same.
#[derive(Clone)]
pub enum Norm<'a> {
    Borrowed(&'a str),
    /// `buf[..len]` is valid UTF-8 (copied from a `str`).
    Inline {
        len: u8,
        buf: [u8; INLINE],
    },
    Heap(Box<str>),
}

/// Appends the normalised form of `word` ([`normalize`]) to `norm` and
/// returns its [`word_id`], in one pass over the word's bytes in the common
/// cases: a word already normal is hashed as it is checked and borrowed,
/// and a word whose characters are ASCII, Latin-1 (French accents) or
/// general punctuation (’ –) is lower-cased, folded and hashed straight
/// into the inline buffer of its slot in `norm` through [`fold_table`].
/// Anything else (other scripts, words longer than the inline buffer) takes
/// the [`normalize_into`] path through `scratch`, a buffer reused across
/// words.
///
/// Writing in place matters: building the form in a local buffer byte by
/// byte and then moving the 24-byte value into the vector read those bytes
/// back as one wide load before the byte stores had retired (a stalled
/// store-to-load forward), which `perf annotate` showed as the largest
/// single cost of building views on French text.
#[inline]
pub fn push_norm<'a>(norm: &mut Vec<Norm<'a>>, word: &'a str, scratch: &mut String) -> u64 {
    let bytes = word.as_bytes();
    let mut h = FNV_OFFSET;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b >= 0x80 || b.is_ascii_uppercase() || b == b'`' {
            break;
        }
        h = fnv_step(h, b);
        i += 1;
    }
    if i == bytes.len() {
        norm.push(Norm::Borrowed(word));
        return h;
    }
    if i <= INLINE {
        norm.push(Norm::Inline {
            len: 0,
            buf: [0; INLINE],
        });
        if let Some(Norm::Inline { len, buf }) = norm.last_mut() {
            if let Some((n, h)) = fold_into(bytes, i, h, buf) {
                *len = n;
                return h;
            }
        }
        norm.pop();
    }
    scratch.clear();
    normalize_into(word, scratch);
    norm.push(Norm::from_str(scratch));
    word_id(scratch)
}

/// The fast path of [`push_norm`] from byte `i` on (`bytes[..i]` is normal
/// and hashed into `h`): the normalised form written into `buf`, its length
/// and id; `None` when the word needs the general path.
#[inline]
fn fold_into(bytes: &[u8], mut i: usize, mut h: u64, buf: &mut [u8; INLINE]) -> Option<(u8, u64)> {
    buf[..i].copy_from_slice(&bytes[..i]);
    let mut len = i;
    // Read only for a non-ASCII character (its first use builds it).
    let mut table: Option<&FoldTable> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            if len == INLINE {
                return None;
            }
            let o = if b == b'`' { b'\'' } else { b.to_ascii_lowercase() };
            buf[len] = o;
            len += 1;
            h = fnv_step(h, o);
            i += 1;
            continue;
        }
        let table = *table.get_or_insert_with(fold_table);
        let folded = if (b == 0xC2 || b == 0xC3) && i + 1 < bytes.len() {
            // U+0080..U+00FF: two bytes (valid UTF-8: the second is a
            // continuation byte).
            let cp = (usize::from(b & 0x1F) << 6) | usize::from(bytes[i + 1] & 0x3F);
            i += 2;
            &table.latin1[cp - 0x80]
        } else if b == 0xE2 && i + 2 < bytes.len() && (bytes[i + 1] & 0xFE) == 0x80 {
            // U+2000..U+207F: three bytes.
            let cp = (usize::from(bytes[i + 1] & 0x3F) << 6) | usize::from(bytes[i + 2] & 0x3F);
            i += 3;
            table.punct.get(cp)?
        } else {
            return None;
        };
        let out = folded.as_slice();
        if len + out.len() > INLINE {
            return None;
        }
        for &o in out {
            buf[len] = o;
            len += 1;
            h = fnv_step(h, o);
        }
    }
    Some((len as u8, h))
}

impl Norm<'_> {
    fn from_str(s: &str) -> Norm<'static> {
        if s.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            Norm::Inline {
                len: s.len() as u8,
                buf,
            }
        } else {
            Norm::Heap(s.into())
        }
    }
}

impl std::ops::Deref for Norm<'_> {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        match self {
            Norm::Borrowed(s) => s,
            // SAFETY: `Norm::from_str` copies the first `len` bytes from a
            // `&str`, so they are valid UTF-8; the fields are never
            // written elsewhere.
            Norm::Inline { len, buf } => unsafe { std::str::from_utf8_unchecked(&buf[..*len as usize]) },
            Norm::Heap(s) => s,
        }
    }
}

impl AsRef<str> for Norm<'_> {
    fn as_ref(&self) -> &str {
        self
    }
}

impl std::borrow::Borrow<str> for Norm<'_> {
    fn borrow(&self) -> &str {
        self
    }
}

impl std::fmt::Debug for Norm<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl std::fmt::Display for Norm<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl PartialEq for Norm<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl PartialEq<str> for Norm<'_> {
    fn eq(&self, other: &str) -> bool {
        &**self == other
    }
}

impl PartialEq<&str> for Norm<'_> {
    fn eq(&self, other: &&str) -> bool {
        &**self == *other
    }
}

/// A character's normalised form as UTF-8 (at most 4 bytes).
#[derive(Clone, Copy, Default)]
struct Folded {
    len: u8,
    bytes: [u8; 4],
}

impl Folded {
    #[inline]
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// The normalised form of every character of U+0080..U+00FF (`latin1`,
/// index `c - 0x80`) and U+2000..U+206F (`punct`, index `c - 0x2000`),
/// computed once by [`normalize_into`] itself, so that the fast path of
/// [`push_norm`] cannot disagree with it (normalisation is character
/// by character).
struct FoldTable {
    latin1: [Folded; 128],
    punct: [Folded; 0x70],
}

fn fold_table() -> &'static FoldTable {
    static TABLE: std::sync::OnceLock<FoldTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let folded = |cp: u32| {
            let mut s = String::new();
            if let Some(c) = char::from_u32(cp) {
                normalize_into(c.encode_utf8(&mut [0; 4]), &mut s);
            }
            assert!(s.len() <= 4, "U+{cp:04X} normalises to over 4 bytes");
            let mut f = Folded {
                len: s.len() as u8,
                ..Folded::default()
            };
            f.bytes[..s.len()].copy_from_slice(s.as_bytes());
            f
        };
        FoldTable {
            latin1: std::array::from_fn(|k| folded(0x80 + k as u32)),
            punct: std::array::from_fn(|k| folded(0x2000 + k as u32)),
        }
    })
}

/// Lower-cases, removes accents, folds typographic apostrophes (’ ʼ `) to
/// `'` and dashes to `-`. "Téléphone" → "telephone", "l’" → "l'".
///
/// Patterns and lexicons are written in this form, so they match "Etats"
/// and "États", "l'UE" and "l’UE" alike.
pub fn normalize(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    normalize_into(word, &mut out);
    out
}

/// [`normalize`], appending to `out`.
pub fn normalize_into(word: &str, out: &mut String) {
    if word.is_ascii() {
        out.extend(word.bytes().map(|b| match b {
            b'`' => '\'',
            b => char::from(b.to_ascii_lowercase()),
        }));
        return;
    }
    for c in word.chars() {
        match c {
            // Latin-1 capitals (but the multiplication sign) lower-case to
            // the code point 0x20 above; the rest of Latin-1 and general
            // punctuation (’ – —) have no case: no Unicode table search for
            // the characters French and English text is made of.
            '\u{C0}'..='\u{DE}' if c != '\u{D7}' => fold(out, char::from_u32(c as u32 + 0x20).unwrap_or(c)),
            '\0'..='\u{FF}' => fold(out, c.to_ascii_lowercase()),
            '\u{2000}'..='\u{206F}' => fold(out, c),
            _ => c.to_lowercase().for_each(|l| fold(out, l)),
        }
    }
}

/// Appends a lower-case character with accents removed and apostrophes and
/// dashes folded (see [`normalize`]).
#[inline]
fn fold(out: &mut String, c: char) {
    match c {
        '’' | 'ʼ' | '`' | '‘' => out.push('\''),
        '‐' | '‑' | '–' | '—' => out.push('-'),
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => out.push('a'),
        'ç' => out.push('c'),
        'è' | 'é' | 'ê' | 'ë' => out.push('e'),
        'ì' | 'í' | 'î' | 'ï' => out.push('i'),
        'ñ' => out.push('n'),
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' => out.push('o'),
        'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
        'ÿ' | 'ý' => out.push('y'),
        'œ' => out.push_str("oe"),
        'æ' => out.push_str("ae"),
        '\u{0300}'..='\u{036F}' => {}
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_folds_case_accents_and_apostrophes() {
        assert_eq!(normalize("Téléphone"), "telephone");
        assert_eq!(normalize("l’"), "l'");
        assert_eq!(normalize("ÉTATS-UNIS"), "etats-unis");
        assert_eq!(normalize("œuvre"), "oeuvre");
        assert_eq!(normalize("U.S."), "u.s.");
        assert_eq!(normalize("``"), "''");
        // Decomposed accents (NFD input) are dropped too.
        assert_eq!(normalize("e\u{301}te\u{301}"), "ete");
    }

    /// [`push_norm`] gives the string [`normalize`] gives and its
    /// [`word_id`], stored borrowed when the word is already normal, inline
    /// when it fits, on the heap otherwise.
    fn assert_norm_matches(w: &str, scratch: &mut String) {
        // After another word: the slot written in place is the last one.
        let mut norms = vec![Norm::Borrowed("x")];
        let id = push_norm(&mut norms, w, scratch);
        assert_eq!(norms.len(), 2, "{w:?}");
        let n = norms.pop().unwrap();
        let reference = normalize(w);
        assert_eq!(&*n, reference, "{w:?}");
        assert_eq!(id, word_id(&reference), "{w:?}");
        let stored = match n {
            Norm::Borrowed(_) => "borrowed",
            Norm::Inline { .. } => "inline",
            Norm::Heap(_) => "heap",
        };
        let expected = if is_normal(w) {
            "borrowed"
        } else if reference.len() <= INLINE {
            "inline"
        } else {
            "heap"
        };
        assert_eq!(stored, expected, "{w:?}");
    }

    /// A view's normalised words are the same strings [`normalize`] gives,
    /// whichever way they are stored.
    #[test]
    fn norm_storage_matches_normalize() {
        let words = [
            "plain",
            "Capital",
            "``",
            "O`Brien",
            "ÉTATS-UNIS",
            "l’",
            "Anticonstitutionnellement",
            "Überschallgeschwindigkeitsflugzeug",
        ];
        let mut scratch = String::new();
        for w in words {
            assert_norm_matches(w, &mut scratch);
        }
        let v = SentenceView::new(
            Span::new(0, 9),
            vec!["Le", "Téléphone"],
            vec![Span::new(0, 2); 2],
            vec![],
        );
        assert_eq!(v.norm_text(0..2), "le telephone");
        assert_eq!(v.ids[1], word_id("telephone"));
    }

    /// [`recycle`] keeps the allocation across element types of one size
    /// (the reason it exists: a pooled vector that lost its capacity would
    /// silently cost an allocation per sentence again).
    #[test]
    fn recycling_keeps_the_allocation() {
        let text = String::from("un deux trois");
        let words: Vec<&str> = text.split(' ').collect();
        let (ptr, cap) = (words.as_ptr() as usize, words.capacity());
        let kept: Vec<&'static str> = recycle(words);
        assert_eq!(
            (kept.as_ptr() as usize, kept.capacity(), kept.len()),
            (ptr, cap, 0)
        );
        let v = SentenceView::new(
            Span::new(0, 13),
            text.split(' ').collect(),
            vec![Span::new(0, 2); 3],
            vec![],
        );
        let r = v.recycle();
        assert!(r.words.capacity() >= 3 && r.norm.capacity() >= 3 && r.ids.capacity() >= 3);
        assert!(r.words.is_empty() && r.norm.is_empty() && r.ids.is_empty() && r.spans.is_empty());
    }

    /// A filter never rules out an id it holds, and rules out most others
    /// (what makes it worth a bit test before the lookup).
    #[test]
    fn id_filter_has_no_false_negatives() {
        let held: Vec<u64> = (0..200).map(|i| word_id(&format!("w{i}"))).collect();
        let f: IdFilter<64> = held.iter().copied().collect();
        assert!(held.iter().all(|&id| f.may_hold(id)));
        let passed = (0..10_000)
            .filter(|i| f.may_hold(word_id(&format!("other{i}"))))
            .count();
        assert!(passed < 1_000, "{passed} of 10000 absent ids passed");
        let small: IdFilter<4> = held[..20].iter().copied().collect();
        assert!(held[..20].iter().all(|&id| small.may_hold(id)));
        let ids = WordIds::new(&DENIED_LIKE);
        assert!(DENIED_LIKE.iter().all(|w| ids.contains(word_id(w))));
        assert!(!ids.contains(word_id("absent")));
        // Every size (inline, scanned, hashed) holds its words and no other.
        for n in 0..=DENIED_LIKE.len() {
            let ids = WordIds::new(&DENIED_LIKE[..n]);
            for (k, w) in DENIED_LIKE.iter().enumerate() {
                assert_eq!(ids.contains(word_id(w)), k < n, "{n} words, {w}");
            }
            assert!(!ids.contains(0) && !ids.contains(word_id("absent")));
            assert_eq!(ids.ids().len(), n);
        }
    }

    const DENIED_LIKE: [&str; 12] = [
        "pas", "jamais", "refuse", "not", "never", "n't", "refused", "rejects", "denied", "declined",
        "denies", "dementi",
    ];

    /// [`push_norm`]'s fast paths give what [`normalize`] and
    /// [`word_id`] give, for every character alone, inside words of every
    /// shape, and at the inline buffer's limit; stored the same way too.
    #[test]
    fn fused_normalisation_and_id_agree_with_normalize() {
        let mut scratch = String::new();
        let mut check = |w: &str| assert_norm_matches(w, &mut scratch);
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            check(&c.to_string());
            check(&format!("Ab{c}é’"));
        }
        for w in [
            "",
            "a",
            "É",
            "ÉTATS-UNIS",
            "l’UE",
            "d`",
            "Æsir",
            "Straße",
            "naïveté",
            "Ørsted",
            "Москва",
            "日本",
            "aaaaaaaaaaaaaaaaaaaaaé",
            "aaaaaaaaaaaaaaaaaaaaaaé",
            "aaaaaaaaaaaaaaaaaaaaaaa",
            "Aaaaaaaaaaaaaaaaaaaaaaa",
            "Æaaaaaaaaaaaaaaaaaaaaa",
            "Æaaaaaaaaaaaaaaaaaaaa",
            "é—é—é—é—é—é—é—",
            "x\u{2070}y",
            "x\u{206F}",
        ] {
            check(w);
        }
    }

    /// The per-character fast paths give what full Unicode lower-casing
    /// followed by the folding gives, for every character.
    #[test]
    fn fast_paths_agree_with_unicode_lowercasing() {
        let reference = |c: char| {
            let mut out = String::new();
            c.to_lowercase().for_each(|l| fold(&mut out, l));
            out
        };
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            // A non-ASCII neighbour keeps `normalize` off its ASCII path.
            let word: String = [c, 'é'].iter().collect();
            assert_eq!(normalize(&word), reference(c) + "e", "U+{:04X}", c as u32);
        }
    }
}
