//! Gazetteers and linking: known places, organisations and demonyms with
//! their Wikidata QIDs, and stable ids for everything else.
//!
//! * [`Gazetteer::find`] finds every known name, abbreviation and demonym in
//!   a text (token-aligned, longest match, case-aware). The tagger uses the
//!   matches as features and as entities.
//! * [`Gazetteer::link`] maps a tagger-found mention to its canonical entity.
//! * [`stable_id`] gives an entity that is not in the gazetteer an id derived
//!   from its normalised name.
//!
//! The data (`data/gazetteer/*.tsv`) is built from registry packages and
//! curated files by `scripts/build-gazetteer.sh` and embedded in the binary;
//! see `docs/linking.md` for sources, licences and coverage.
//!
//! Ids: `wd:<QID>` for an entity with a Wikidata QID; otherwise
//! `nf:<type>:<slug>` where `<type>` is `per`, `org`, `loc` or `misc` and
//! `<slug>` is the name lower-cased, accents stripped, every run of other
//! characters one `-` (`nf:per:jean-yves-le-drian`).

mod data;
pub mod normalize;

use std::collections::HashMap;

use crate::pipeline::record::EntityType;
use crate::pipeline::tokens::Document;
use data::{flag, EntityRecord, FxBuild, NameEntry, Tables};

/// A known name found in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct GazetteerMatch {
    /// Code point offsets into the text, end exclusive.
    pub start: usize,
    pub end: usize,
    /// Type of the entity the name refers to (a demonym has its place's type).
    pub kind: EntityType,
    pub qid: Option<String>,
    /// Canonical name (English, Wikidata-style label).
    pub name: String,
    /// country, territory, capital, city, continent, region,
    /// international_org, government_body.
    pub subtype: Option<String>,
    /// The surface is a demonym or adjective (kazakh, French), not a name.
    pub is_demonym: bool,
    /// The surface is also a common word or a person's name, or several
    /// entities of comparable weight share it: the tagger should confirm it.
    pub ambiguous: bool,
}

impl GazetteerMatch {
    /// `wd:<QID>` when known, else the [`stable_id`] of the canonical name.
    pub fn entity_id(&self) -> String {
        entity_id(self.qid.as_deref(), &self.name, self.kind)
    }
}

/// The canonical entity of a tagger-found mention.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub qid: Option<String>,
    pub name: String,
    pub subtype: Option<String>,
    pub kind: EntityType,
}

impl Link {
    /// `wd:<QID>` when known, else the [`stable_id`] of the canonical name.
    pub fn entity_id(&self) -> String {
        entity_id(self.qid.as_deref(), &self.name, self.kind)
    }
}

fn entity_id(qid: Option<&str>, name: &str, kind: EntityType) -> String {
    match qid {
        Some(q) => format!("wd:{q}"),
        None => stable_id(name, kind),
    }
}

/// A stable id for an entity without a QID: `nf:<type>:<slug>`, the slug
/// being the name lower-cased, accents stripped, every run of other
/// characters one `-`, cut at 96 bytes. Equal for every spelling that differs
/// only in case, accents, punctuation or spacing (`Jean-Yves Le Drian`,
/// `JEAN YVES LE DRIAN`). A name with no letter or digit gets `nf:<type>:x`
/// followed by a 64-bit FNV-1a hash of its text, so it is still stable.
pub fn stable_id(name: &str, kind: EntityType) -> String {
    let t = kind.as_str().to_ascii_lowercase();
    let s = normalize::slug(name);
    if s.is_empty() {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.trim().bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("nf:{t}:x{h:016x}")
    } else {
        format!("nf:{t}:{s}")
    }
}

/// The loaded gazetteer. Built once per process ([`Gazetteer::load`]) and
/// shared read-only across threads.
///
/// Matching is one hash lookup per word: the text is folded into words (the
/// same folding as the names), and a word that starts some name is extended
/// to the name lengths that exist for it, longest first. On news text this
/// is several times faster than an Aho-Corasick automaton over the 40,000
/// names, and loads in a fraction of the time.
pub struct Gazetteer {
    entities: Vec<EntityRecord>,
    groups: Vec<Vec<NameEntry>>,
    /// Folded key (words joined by one space) -> group.
    by_key: HashMap<String, u32, FxBuild>,
    /// Folded first word -> bit n set when some name has n + 1 words.
    first_words: HashMap<Box<str>, u32, FxBuild>,
    /// The same for the names that may match a word written in lower case
    /// (French demonyms): most words of a text are lower case and need only
    /// this small, cache-resident table.
    first_words_lower: HashMap<Box<str>, u32, FxBuild>,
}

thread_local! {
    /// Folding buffers reused across calls on one thread.
    static SCRATCH: std::cell::RefCell<(String, Vec<Word>)> = const { std::cell::RefCell::new((String::new(), Vec::new())) };
}

impl std::fmt::Debug for Gazetteer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gazetteer")
            .field("entities", &self.entities.len())
            .field("names", &self.groups.len())
            .finish()
    }
}

/// One candidate before overlap resolution.
struct Candidate {
    entity: u32,
    is_demonym: bool,
    ambiguous: bool,
}

/// One word of the folded text, with its place in the original.
#[derive(Debug, Clone, Copy)]
struct Word {
    /// Byte span in the folded buffer.
    fs: u32,
    fe: u32,
    /// Code point span in the original text (combining marks included).
    cs: u32,
    ce: u32,
    /// Byte span in the original text.
    bs: u32,
    be: u32,
}

/// Folds `text` into `buf` (words joined by one space) and lists the words.
fn fold_words(text: &str, buf: &mut String, words: &mut Vec<Word>) {
    buf.clear();
    words.clear();
    let mut cur: Option<Word> = None;
    for (cp, (b, c)) in text.char_indices().enumerate() {
        let folded = if c.is_ascii() {
            c.is_ascii_alphanumeric().then(|| c.to_ascii_lowercase())
        } else {
            normalize::fold_char(c)
        };
        match folded {
            Some('\0') => {
                if let Some(w) = cur.as_mut() {
                    w.ce = cp as u32 + 1;
                    w.be = (b + c.len_utf8()) as u32;
                }
            }
            Some(f) => {
                let w = cur.get_or_insert_with(|| {
                    if !buf.is_empty() {
                        buf.push(' ');
                    }
                    Word {
                        fs: buf.len() as u32,
                        fe: 0,
                        cs: cp as u32,
                        ce: 0,
                        bs: b as u32,
                        be: 0,
                    }
                });
                buf.push(f);
                w.fe = buf.len() as u32;
                w.ce = cp as u32 + 1;
                w.be = (b + c.len_utf8()) as u32;
            }
            None => {
                if let Some(w) = cur.take() {
                    words.push(w);
                }
            }
        }
    }
    if let Some(w) = cur.take() {
        words.push(w);
    }
}

impl Gazetteer {
    /// Loads the gazetteer embedded in the binary (about 1 MB of text; tens
    /// of milliseconds). Call once and share.
    pub fn load() -> anyhow::Result<Gazetteer> {
        let Tables {
            entities,
            by_key,
            groups,
        } = data::parse(data::ENTITIES_TSV, data::NAMES_TSV)?;
        let mut first_words: HashMap<Box<str>, u32, FxBuild> = HashMap::default();
        let mut first_words_lower: HashMap<Box<str>, u32, FxBuild> = HashMap::default();
        for (k, &g) in &by_key {
            let n_words = k.split(' ').count().min(32);
            let first = k.split(' ').next().unwrap_or_default();
            *first_words.entry(first.into()).or_default() |= 1 << (n_words - 1);
            if groups[g as usize]
                .iter()
                .any(|e| e.flags & (flag::ABBREV | flag::CAPITALISED) == 0)
            {
                *first_words_lower.entry(first.into()).or_default() |= 1 << (n_words - 1);
            }
        }
        Ok(Gazetteer {
            entities,
            groups,
            by_key,
            first_words,
            first_words_lower,
        })
    }

    /// Number of entities and of distinct folded names.
    pub fn len(&self) -> (usize, usize) {
        (self.entities.len(), self.groups.len())
    }

    /// Always false: `load` refuses an empty gazetteer.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Every known name, abbreviation and demonym in `text`, as
    /// non-overlapping, longest, leftmost matches aligned on token boundaries
    /// (a hyphen inside a token is a boundary too: `Kazakhstan-UE`,
    /// `kazakho-européenne`).
    ///
    /// Case rules: an abbreviation matches only with its exact case (`UE`,
    /// not `ue`); a name matches only when the text starts upper case like it
    /// (`Nice`, not `nice`); a lower-case demonym matches in any case
    /// (`kazakh`, `Kazakhs`); a name that is also a common word matches
    /// neither at the start of a sentence nor in an all-caps stretch.
    /// `doc` must be the tokenisation of `text` (it gives the sentence starts).
    pub fn find(&self, text: &str, doc: &Document) -> Vec<GazetteerMatch> {
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => {
                let (buf, words) = &mut *scratch;
                self.find_with(text, doc, buf, words)
            }
            // Re-entered on this thread (cannot happen today): fresh buffers.
            Err(_) => self.find_with(text, doc, &mut String::new(), &mut Vec::new()),
        })
    }

    fn find_with(
        &self,
        text: &str,
        doc: &Document,
        buf: &mut String,
        words: &mut Vec<Word>,
    ) -> Vec<GazetteerMatch> {
        fold_words(text, buf, words);
        let mut found: Vec<(u32, u32, Candidate)> = Vec::new();
        let mut i = 0;
        'words: while i < words.len() {
            let w = words[i];
            let lower = text[w.bs as usize..]
                .chars()
                .next()
                .is_some_and(char::is_lowercase);
            let table = if lower {
                &self.first_words_lower
            } else {
                &self.first_words
            };
            let Some(&lengths) = table.get(&buf[w.fs as usize..w.fe as usize]) else {
                i += 1;
                continue;
            };
            // Longest first; a longer name that fails its case rules gives
            // way to a shorter one at the same start.
            let max = (32 - lengths.leading_zeros() as usize).min(words.len() - i);
            for n in (1..=max).rev() {
                if lengths & (1 << (n - 1)) == 0 {
                    continue;
                }
                let last = words[i + n - 1];
                let Some(&g) = self.by_key.get(&buf[w.fs as usize..last.fe as usize]) else {
                    continue;
                };
                let (bs, be) = (w.bs as usize, last.be as usize);
                let group = &self.groups[g as usize];
                if let Some(c) = self.choose(group, &text[bs..be], text, bs, be, w.cs as usize, doc) {
                    found.push((w.cs, last.ce, c));
                    i += n;
                    continue 'words;
                }
            }
            i += 1;
        }
        found
            .into_iter()
            .map(|(start, end, c)| {
                let e = &self.entities[c.entity as usize];
                GazetteerMatch {
                    start: start as usize,
                    end: end as usize,
                    kind: e.kind,
                    qid: e.qid.as_deref().map(String::from),
                    name: String::from(&*e.name),
                    subtype: (!e.subtype.is_empty()).then(|| String::from(&*e.subtype)),
                    is_demonym: c.is_demonym,
                    ambiguous: c.ambiguous,
                }
            })
            .collect()
    }

    /// The best entry of a group that the surface may stand for, if any.
    #[allow(clippy::too_many_arguments)]
    fn choose(
        &self,
        group: &[NameEntry],
        surface: &str,
        text: &str,
        bs: usize,
        be: usize,
        start: usize,
        doc: &Document,
    ) -> Option<Candidate> {
        let first_upper = surface
            .chars()
            .find(|c| c.is_alphabetic())
            .is_some_and(char::is_uppercase);
        let before_hyphen = text[be..].starts_with(['-', '‐', '‑'])
            && text[be..].chars().nth(1).is_some_and(char::is_alphanumeric);
        // Rank: a primary name before a secondary spelling, then the larger
        // entity (population, or the fixed rank of countries and bodies).
        let mut best: Option<(&NameEntry, (bool, u64))> = None;
        let mut runner_up: Option<(bool, u64)> = None;
        let mut ambiguous_flag = false;
        let mut shouting: Option<bool> = None;
        let mut sentence_initial: Option<bool> = None;
        for entry in group {
            let f = entry.flags;
            if f & flag::ABBREV != 0 {
                if surface != &*entry.surface {
                    continue;
                }
            } else if f & flag::CAPITALISED != 0 && !first_upper {
                continue;
            }
            if f & flag::COMBINING != 0 && !before_hyphen {
                continue;
            }
            if f & flag::COMMON_WORD != 0 {
                let initial =
                    *sentence_initial.get_or_insert_with(|| is_sentence_initial(text, bs, start, doc));
                let caps = *shouting.get_or_insert_with(|| is_shouting(text, bs, be));
                if initial || caps {
                    continue;
                }
            }
            if f & flag::ABBREV != 0 && *shouting.get_or_insert_with(|| is_shouting(text, bs, be)) {
                ambiguous_flag = true;
            }
            let rank = (
                f & flag::SECONDARY == 0,
                self.entities[entry.entity as usize].prior,
            );
            match best {
                Some((b, brank)) if b.entity == entry.entity => {
                    // Same entity: a name reading beats a demonym reading
                    // only when it ranks at least as high.
                    if rank >= brank && f & flag::DEMONYM == 0 && b.flags & flag::DEMONYM != 0 {
                        best = Some((entry, rank));
                    }
                }
                Some((_, brank)) if rank > brank => {
                    runner_up = Some(brank);
                    best = Some((entry, rank));
                }
                Some(_) => runner_up = runner_up.max(Some(rank)),
                None => best = Some((entry, rank)),
            }
        }
        let (entry, (primary, prior)) = best?;
        let f = entry.flags;
        // Another entity of the same class and comparable weight (the two
        // Congos, Georgia): the name alone does not decide.
        let contested = runner_up.is_some_and(|(p, r)| p == primary && r.saturating_mul(10) >= prior);
        Some(Candidate {
            entity: entry.entity,
            is_demonym: f & flag::DEMONYM != 0,
            ambiguous: ambiguous_flag || contested || f & (flag::COMMON_WORD | flag::PERSON) != 0,
        })
    }

    /// The canonical entity for a tagger-found mention of type `kind`, when
    /// its surface (case, accents, punctuation, a leading article or elided
    /// determiner aside) is a known name. Countries and territories answer
    /// both LOC and ORG (a state acting as an organisation); `PER` and `MISC`
    /// mentions link only to entities of their own type. Among several
    /// entities sharing the name, the one named so in `lang` and then the
    /// largest wins.
    pub fn link(&self, name: &str, kind: EntityType, lang: &str) -> Option<Link> {
        let key = normalize::fold_key(name);
        if key.is_empty() {
            return None;
        }
        let lang_bit = data::lang_bit(lang);
        let try_key = |k: &str| -> Option<Link> {
            let g = *self.by_key.get(k)?;
            let mut best: Option<(&EntityRecord, (bool, bool, u64))> = None;
            for entry in &self.groups[g as usize] {
                if entry.flags & flag::COMBINING != 0 {
                    continue;
                }
                let e = &self.entities[entry.entity as usize];
                let compatible = e.kind == kind
                    || (kind == EntityType::ORG
                        && e.kind == EntityType::LOC
                        && matches!(&*e.subtype, "country" | "territory"));
                if !compatible {
                    continue;
                }
                let score = (
                    entry.flags & flag::DEMONYM == 0,
                    lang_bit != 0 && entry.langs & lang_bit != 0,
                    e.prior,
                );
                if best.as_ref().is_none_or(|(_, s)| score > *s) {
                    best = Some((e, score));
                }
            }
            best.map(|(e, _)| Link {
                qid: e.qid.as_deref().map(String::from),
                name: String::from(&*e.name),
                subtype: (!e.subtype.is_empty()).then(|| String::from(&*e.subtype)),
                kind: e.kind,
            })
        };
        try_key(&key).or_else(|| normalize::strip_article(&key).and_then(try_key))
    }
}

/// Whether the word starting at byte `bs` (code point `start`) opens its
/// sentence. Uses the document's sentences; without them, looks back for a
/// sentence-final mark or a line break.
fn is_sentence_initial(text: &str, bs: usize, start: usize, doc: &Document) -> bool {
    if !doc.sentences.is_empty() {
        let i = doc.token_at_or_after(start);
        let Some(s) = doc.sentence_of(i.min(doc.tokens.len().saturating_sub(1))) else {
            return true;
        };
        // The first token of the sentence that is a word (skips opening
        // quotes and dashes).
        let first_word = doc.tokens[doc.sentences[s].tokens.clone()]
            .iter()
            .find(|t| text[t.byte_start..t.byte_end].chars().any(char::is_alphanumeric));
        return first_word.is_none_or(|t| t.start >= start);
    }
    for c in text[..bs].chars().rev() {
        if c.is_alphanumeric() {
            return false;
        }
        if matches!(c, '.' | '!' | '?' | '…' | '\n') {
            return true;
        }
    }
    true
}

/// Whether the surroundings of `[bs, be)` on its line are written in
/// capitals (a headline): there, case tells nothing about abbreviations or
/// names.
fn is_shouting(text: &str, bs: usize, be: usize) -> bool {
    let before = text[..bs].chars().rev().take(30).take_while(|&c| c != '\n');
    let after = text[be..].chars().take(30).take_while(|&c| c != '\n');
    let (mut upper, mut lower) = (0, 0);
    for c in before.chain(after) {
        if c.is_lowercase() {
            lower += 1;
        } else if c.is_uppercase() {
            upper += 1;
        }
    }
    lower == 0 && upper >= 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::tokens;
    use std::sync::OnceLock;

    pub(crate) fn gaz() -> &'static Gazetteer {
        static G: OnceLock<Gazetteer> = OnceLock::new();
        G.get_or_init(|| Gazetteer::load().expect("embedded gazetteer loads"))
    }

    fn find(text: &str) -> Vec<(String, String, Option<String>, bool)> {
        let doc = tokens::analyze(text, "fr");
        gaz()
            .find(text, &doc)
            .into_iter()
            .map(|m| {
                let surface: String = text.chars().skip(m.start).take(m.end - m.start).collect();
                (surface, m.name, m.qid, m.is_demonym)
            })
            .collect()
    }

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Gazetteer>();
    }

    #[test]
    fn stable_ids() {
        assert_eq!(
            stable_id("Jean-Yves Le Drian", EntityType::PER),
            "nf:per:jean-yves-le-drian"
        );
        assert_eq!(
            stable_id("JEAN YVES  LE DRIAN", EntityType::PER),
            "nf:per:jean-yves-le-drian"
        );
        assert_eq!(stable_id("Tokaïev", EntityType::PER), "nf:per:tokaiev");
        let a = stable_id("«»", EntityType::MISC);
        assert!(
            a.starts_with("nf:misc:x") && a.len() == "nf:misc:x".len() + 16,
            "{a}"
        );
        assert_eq!(a, stable_id("«»", EntityType::MISC));
        assert_ne!(a, stable_id("!!", EntityType::MISC));
    }

    #[test]
    fn folded_words_map_back() {
        let text = "À l’ÉGARD de  Bruxelles! Toka\u{0069}\u{0308}ev";
        let (mut buf, mut words) = (String::new(), Vec::new());
        fold_words(text, &mut buf, &mut words);
        assert_eq!(buf, "a l egard de bruxelles tokaiev");
        assert_eq!(words.len(), 6);
        let w = words[4];
        assert_eq!(&buf[w.fs as usize..w.fe as usize], "bruxelles");
        assert_eq!((w.cs, w.ce), (14, 23));
        assert_eq!(&text[w.bs as usize..w.be as usize], "Bruxelles");
        // A trailing combining mark belongs to its word.
        let w = words[5];
        assert_eq!(&text[w.bs as usize..w.be as usize], "Toka\u{0069}\u{0308}ev");
        assert_eq!(w.ce as usize, text.chars().count());
        fold_words("", &mut buf, &mut words);
        assert!(buf.is_empty() && words.is_empty());
        fold_words("...", &mut buf, &mut words);
        assert!(buf.is_empty() && words.is_empty());
    }

    #[test]
    fn abbreviations_need_their_case() {
        let got = find("L'UE et l'ONU, mais pas un ue ni une onu.");
        let names: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
        assert_eq!(names, ["European Union", "United Nations"]);
    }

    #[test]
    fn demonyms_any_case_names_capitalised() {
        let got = find("Le président kazakh et les Kazakhs; nice day in Nice, says the Frenchman.");
        let s: Vec<(&str, bool)> = got.iter().map(|g| (g.0.as_str(), g.3)).collect();
        assert!(s.contains(&("kazakh", true)), "{got:?}");
        assert!(s.contains(&("Kazakhs", true)), "{got:?}");
        assert!(s.contains(&("Nice", false)), "{got:?}");
        assert!(!s.contains(&("nice", false)), "{got:?}");
        assert!(s.contains(&("Frenchman", true)), "{got:?}");
    }

    #[test]
    fn link_normalises() {
        let g = gaz();
        let l = g.link("la Belgique", EntityType::LOC, "fr").unwrap();
        assert_eq!((l.qid.as_deref(), l.name.as_str()), (Some("Q31"), "Belgium"));
        let l = g.link("l'UE", EntityType::ORG, "fr").unwrap();
        assert_eq!(l.qid.as_deref(), Some("Q458"));
        let l = g.link("BRUXELLES", EntityType::LOC, "fr").unwrap();
        assert_eq!(l.qid.as_deref(), Some("Q239"));
        assert_eq!(l.entity_id(), "wd:Q239");
        // A state acting as an organisation.
        assert_eq!(
            g.link("France", EntityType::ORG, "en").unwrap().qid.as_deref(),
            Some("Q142")
        );
        // People do not link to places.
        assert!(g.link("Paris", EntityType::PER, "en").is_none());
        assert!(g.link("Moukhtar Tleouberdi", EntityType::PER, "fr").is_none());
        let l = g.link("OTSC", EntityType::ORG, "fr").unwrap();
        assert_eq!(l.name, "Collective Security Treaty Organization");
        assert_eq!(l.entity_id(), "nf:org:collective-security-treaty-organization");
    }
}
