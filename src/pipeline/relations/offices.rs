//! Office titles: where they are in a sentence, what office they name
//! (normalised), and for which country or organisation when the title says
//! so ("le ministre kazakh des Affaires étrangères", "French Foreign
//! Minister", "président de la Commission européenne").
//!
//! | surface (fr / en) | office |
//! |---|---|
//! | président / president, chef de l'État, roi / king | `head_of_state` (`president` for an organisation) |
//! | premier ministre / prime minister, chancelier / chancellor | `head_of_government` |
//! | vice-premier ministre / deputy prime minister | `deputy_head_of_government` |
//! | vice-président / vice president | `vice_president` |
//! | ministre des Affaires étrangères / foreign minister, chef de la diplomatie | `foreign_minister` |
//! | ministre de la Défense / defence minister, ... | `minister` with a `portfolio` |
//! | ambassadeur / ambassador | `ambassador` |
//! | secrétaire général / secretary-general | `secretary_general` |
//! | porte-parole / spokesman | `spokesperson` |
//! | PDG, directeur général / chief executive, CEO | `ceo` |
//! | président du conseil d'administration / chairman | `chair` |
//! | chef du parti / party leader | `party_leader` |
//! | maire / mayor, gouverneur / governor, député / senator | `mayor`, `governor`, `legislator` |
//! | commissaire européen / commissioner, haut représentant | `commissioner`, `high_representative` |

use super::patterns::{compile, Ctx, Elem, Start};
use super::view::{word_id, IdBuild, IdFilter, SentenceView};
use crate::pipeline::record::EntityType;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// A set of word ids hashed to 256 bits (by the id's top byte, the best
/// mixed of FNV-1a): no false negatives, so "is every required word of a
/// title in the sentence" answered no is certain.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct WordBloom([u64; 4]);

impl WordBloom {
    fn add(&mut self, id: u64) {
        let b = (id >> 56) as usize;
        self.0[b >> 6] |= 1 << (b & 63);
    }

    /// Does it hold every bit of `other`?
    fn covers(&self, other: &WordBloom) -> bool {
        self.0.iter().zip(&other.0).all(|(a, b)| a & b == *b)
    }
}

/// One office title found in a sentence (token range sentence-relative).
#[derive(Debug, Clone, PartialEq)]
pub struct TitleMatch {
    pub start: usize,
    pub end: usize,
    /// Normalised office.
    pub office: &'static str,
    pub portfolio: Option<&'static str>,
    /// The mention of the country or organisation the office is for, when
    /// the title names it (index into the view's `args`).
    pub of: Option<usize>,
    /// Preceded by "ancien", "ex", "former", "late": a past office.
    pub former: bool,
}

/// Words before a title that make it a past office.
const FORMER: &[&str] = &[
    "ancien", "ancienne", "ex", "ex-", "former", "late", "feu", "defunt", "defunte", "then",
];

struct OfficeDef {
    elems: Vec<Elem>,
    start: Start,
    /// The words every match contains (top-level single words such as
    /// `de` `la` `defense` of "ministre de la Défense"): a sentence
    /// without one of them is not tried.
    required: WordBloom,
    office: &'static str,
    portfolio: Option<&'static str>,
}

/// Ministerial portfolios: (French words after "ministre de/du/des", English
/// words before "minister" or after "minister of", normalised code).
const PORTFOLIOS: &[(&str, &str, &str)] = &[
    ("la defense|des armees", "defense|defence", "defence"),
    ("l'interieur", "interior|home", "interior"),
    (
        "l'economie|l'economie et des finances",
        "economy|economic",
        "economy",
    ),
    ("finances|des finances", "finance", "finance"),
    ("la justice", "justice", "justice"),
    ("la sante", "health", "health"),
    ("commerce|du commerce", "trade|commerce", "trade"),
    ("l'energie", "energy|oil", "energy"),
    ("l'agriculture", "agriculture|farm", "agriculture"),
    ("l'education|l'education nationale", "education", "education"),
    ("la culture", "culture", "culture"),
    ("travail|du travail", "labor|labour", "labour"),
    ("l'environnement", "environment", "environment"),
    (
        "transports|des transports",
        "transport|transportation",
        "transport",
    ),
    ("l'industrie", "industry", "industry"),
    (
        "affaires europeennes|des affaires europeennes",
        "europe|european",
        "european_affairs",
    ),
];

/// (pattern, office) for French titles. `{c:DEM}` is the demonym that may
/// follow the office noun ("le président kazakh").
const FR: &[(&str, &str)] = &[
    (
        "( vice-premier | vice-premiere | vice premier | vice premiere ) ministre {c:DEM}?",
        "deputy_head_of_government",
    ),
    ("( premier | premiere ) ministre {c:DEM}?", "head_of_government"),
    (
        "ministre {c:DEM}? ( de l'europe et )? des affaires etrangeres {c:DEM}?",
        "foreign_minister",
    ),
    (
        "chef|cheffe {c:DEM}? de la diplomatie {c:DEM}?",
        "foreign_minister",
    ),
    ("ministre {c:DEM}?", "minister"),
    ("president|presidente {c:DEM}?", "head_of_state"),
    ("chef|cheffe de l'etat {c:DEM}?", "head_of_state"),
    ("roi|reine|emir|sultan|monarque {c:DEM}?", "head_of_state"),
    ("vice-president|vice-presidente {c:DEM}?", "vice_president"),
    ("chef|cheffe du gouvernement {c:DEM}?", "head_of_government"),
    ("chancelier|chanceliere {c:DEM}?", "head_of_government"),
    ("ambassadeur|ambassadrice {c:DEM}?", "ambassador"),
    ("secretaire general|generale", "secretary_general"),
    ("secretaire-general|secretaire-generale", "secretary_general"),
    ("porte-parole", "spokesperson"),
    ("pdg|p.-d.g.|p-dg", "ceo"),
    (
        "president-directeur|presidente-directrice general|generale",
        "ceo",
    ),
    ("directeur|directrice general|generale", "ceo"),
    ("president|presidente du conseil d'administration", "chair"),
    (
        "chef|cheffe|dirigeant|dirigeante|leader|president|presidente du parti",
        "party_leader",
    ),
    ("maire", "mayor"),
    ("gouverneur|gouverneure", "governor"),
    ("depute|deputee|senateur|senatrice", "legislator"),
    ("commissaire europeen|europeenne", "commissioner"),
    ("commissaire", "commissioner"),
    ("haut|haute representant|representante", "high_representative"),
];

/// (pattern, office) for English titles.
const EN: &[(&str, &str)] = &[
    (
        "( deputy | vice ) ( prime minister | premier )",
        "deputy_head_of_government",
    ),
    ("prime minister", "head_of_government"),
    ("premier", "head_of_government"),
    ("foreign minister|secretary", "foreign_minister"),
    ("minister|secretary for|of foreign affairs", "foreign_minister"),
    ("secretary of state", "foreign_minister"),
    ("minister", "minister"),
    ("president|pres.", "head_of_state"),
    ("head of state", "head_of_state"),
    ("king|queen|emir|sultan|monarch", "head_of_state"),
    ("( vice president | vice-president )", "vice_president"),
    ("head of government", "head_of_government"),
    ("chancellor", "head_of_government"),
    ("ambassador", "ambassador"),
    ("( secretary-general | secretary general )", "secretary_general"),
    ("spokesman|spokeswoman|spokesperson", "spokesperson"),
    ("( chief executive officer | chief executive | ceo )", "ceo"),
    ("chairman|chairwoman|chair", "chair"),
    ("party leader", "party_leader"),
    ("leader", "party_leader"),
    ("mayor", "mayor"),
    ("governor|gov.", "governor"),
    (
        "senator|sen.|congressman|congresswoman|representative|rep.",
        "legislator",
    ),
    ("commissioner", "commissioner"),
    ("high representative", "high_representative"),
];

fn tables() -> &'static (Vec<OfficeDef>, Vec<OfficeDef>) {
    static TABLES: OnceLock<(Vec<OfficeDef>, Vec<OfficeDef>)> = OnceLock::new();
    TABLES.get_or_init(|| {
        let def = |src: &str, office: &'static str, portfolio: Option<&'static str>| {
            let elems = compile(src);
            let start = Start::of(&elems);
            assert!(
                !start.any && !start.arg && !start.title,
                "office `{src}` must start with words"
            );
            let mut required = WordBloom::default();
            for e in &elems {
                if let Elem::Word { ids, .. } = e {
                    if let [id] = ids.ids() {
                        required.add(*id);
                    }
                }
            }
            OfficeDef {
                required,
                elems,
                start,
                office,
                portfolio,
            }
        };
        let mut fr: Vec<OfficeDef> = FR.iter().map(|&(s, o)| def(s, o, None)).collect();
        let mut en: Vec<OfficeDef> = EN.iter().map(|&(s, o)| def(s, o, None)).collect();
        for &(fr_words, en_words, code) in PORTFOLIOS {
            for words in fr_words.split('|') {
                // "ministre de la Défense", "ministre kazakh de l'Économie":
                // `de` is written out, the rest word by word.
                let tail = if words.starts_with("la ") || words.starts_with("l'") {
                    format!("de {}", words.replacen("l'", "l' ", 1).replace("  ", " "))
                } else if words.starts_with("des ") || words.starts_with("du ") {
                    words.to_string()
                } else {
                    format!("( des | du | de ) {words}")
                };
                fr.push(def(
                    &format!("ministre {{c:DEM}}? {tail} {{c:DEM}}?"),
                    "minister",
                    Some(code),
                ));
            }
            en.push(def(
                &format!("{en_words} minister|secretary"),
                "minister",
                Some(code),
            ));
            en.push(def(
                &format!("minister|secretary of|for {en_words}"),
                "minister",
                Some(code),
            ));
        }
        (fr, en)
    })
}

/// The office definitions of a language (French, English, or both for any
/// other code, in that order) by the word id a title can start with: a
/// token is looked up once, not tested against every definition.
/// With a 1024-bit filter of its keys: a title starts on few words.
/// Each definition listed with its required words, so that the test of a
/// sentence's words against them reads one contiguous list instead of one
/// (cold) definition after another.
type StartIndex = (
    IdFilter<16>,
    HashMap<u64, Vec<(WordBloom, &'static OfficeDef)>, IdBuild>,
);

fn start_index(lang: &str) -> &'static StartIndex {
    static FR: OnceLock<StartIndex> = OnceLock::new();
    static EN: OnceLock<StartIndex> = OnceLock::new();
    static ALL: OnceLock<StartIndex> = OnceLock::new();
    let build = |defs: &[&'static [OfficeDef]]| {
        // A title starts on one of its written first words (not on a word
        // of a leading lexicon), and the definitions keep their table order,
        // which decides between titles of the same length.
        let (fr, en) = tables();
        let first_words: HashSet<u64, IdBuild> = fr
            .iter()
            .chain(en)
            .flat_map(|d| d.start.words.iter().map(|w| word_id(w)))
            .collect();
        let mut index: HashMap<u64, Vec<(WordBloom, &'static OfficeDef)>, IdBuild> = HashMap::default();
        for d in defs.iter().flat_map(|d| d.iter()) {
            for &w in d.start.ids.iter().filter(|w| first_words.contains(w)) {
                index.entry(w).or_default().push((d.required, d));
            }
        }
        (index.keys().copied().collect(), index)
    };
    let (fr, en) = tables();
    match lang {
        "fr" => FR.get_or_init(|| build(&[fr.as_slice()])),
        "en" => EN.get_or_init(|| build(&[en.as_slice()])),
        _ => ALL.get_or_init(|| build(&[fr.as_slice(), en.as_slice()])),
    }
}

/// Every office title of the sentence, longest at each start, with the
/// country or organisation it names if any: inside the title (a demonym),
/// after it ("de la France", "of France") or, in English, before it
/// ("French Foreign Minister", "France's foreign minister").
pub fn find_titles(view: &SentenceView, lang: &str) -> Vec<TitleMatch> {
    find_titles_in(&Ctx::new(view, &[]), lang)
}

/// [`find_titles`] in a sentence prepared for matching (its titles unused).
pub fn find_titles_in(ctx: &Ctx, lang: &str) -> Vec<TitleMatch> {
    let view = ctx.view;
    let (starts, index) = start_index(lang);
    let mut out: Vec<TitleMatch> = Vec::new();
    // The sentence's words, for the definitions' required-word filters:
    // built at the first title start word (most sentences have none).
    let mut words: Option<WordBloom> = None;
    let mut i = 0;
    while i < view.len() {
        let mut best: Option<TitleMatch> = None;
        // A title never starts inside a name ("Ministère des Affaires
        // étrangères" as an organisation is not a minister).
        let w = view.ids[i];
        if let Some(defs) = (starts.may_hold(w))
            .then(|| index.get(&w))
            .flatten()
            .filter(|_| ctx.arg_covering(i).is_none())
        {
            let words = words.get_or_insert_with(|| {
                let mut words = WordBloom::default();
                view.ids.iter().for_each(|&w| words.add(w));
                words
            });
            for (_, d) in defs.iter().filter(|(required, _)| words.covers(required)) {
                if let Some(m) = ctx.match_at(&d.elems, i) {
                    if best.as_ref().is_none_or(|b| m.end > b.end) {
                        best = Some(TitleMatch {
                            start: i,
                            end: m.end,
                            office: d.office,
                            portfolio: d.portfolio,
                            of: m.b.c(),
                            former: false,
                        });
                    }
                }
            }
        }
        match best {
            Some(mut t) => {
                extend(view, &mut t);
                t.former = t.start > 0 && FORMER.contains(&&*view.norm[t.start - 1]);
                i = t.end.max(i + 1);
                out.push(t);
            }
            None => i += 1,
        }
    }
    out
}

/// Attaches the country or organisation around a title.
fn extend(view: &SentenceView, t: &mut TitleMatch) {
    let w = |i: usize| view.norm.get(i).map(|w| &**w);
    let place_or_org = |a: usize| matches!(view.args[a].kind, EntityType::LOC | EntityType::ORG);
    if t.of.is_none() {
        // After: "de la France", "du Kazakhstan", "d'Espagne", "of France",
        // "of the European Commission".
        let mut p = t.end;
        if matches!(w(p), Some("de" | "du" | "des" | "d'" | "of")) {
            p += 1;
            if matches!(w(p), Some("la" | "l'" | "le" | "les" | "the")) {
                p += 1;
            }
            if let Some(a) = view
                .arg_starting_at(p)
                .filter(|&a| place_or_org(a) && !view.args[a].demonym)
            {
                t.of = Some(a);
                t.end = view.args[a].tokens.end;
            }
        }
    }
    if t.of.is_none() && t.start > 0 {
        // Before (English): "France 's foreign minister", "French Foreign
        // Minister", "U.S. President".
        let mut p = t.start;
        if w(p - 1) == Some("'s") && p >= 2 {
            p -= 1;
        }
        if let Some(a) = view.args.iter().position(|a| a.tokens.end == p) {
            let arg = &view.args[a];
            let demonym_like = arg.kind == EntityType::MISC && arg.subtype == Some("country");
            if place_or_org(a) || demonym_like {
                t.of = Some(a);
                t.start = arg.tokens.start;
            }
        }
    }
    if t.office == "head_of_state" {
        if let Some(a) = t.of {
            if view.args[a].kind == EntityType::ORG {
                t.office = "president";
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::relations::patterns::tests::view;
    use EntityType::*;

    #[test]
    fn french_titles_with_demonyms_and_complements() {
        let v = view(
            &[
                "le",
                "ministre",
                "kazakh",
                "des",
                "Affaires",
                "étrangères",
                ",",
                "Moukhtar",
                "Tleouberdi",
            ],
            &[(2, 3, LOC), (7, 9, PER)],
        );
        let t = find_titles(&v, "fr");
        assert_eq!(t.len(), 1);
        assert_eq!(
            (t[0].start, t[0].end, t[0].office, t[0].of),
            (1, 6, "foreign_minister", Some(0))
        );

        let v = view(
            &[
                "du",
                "vice-premier",
                "ministre",
                ",",
                "ministre",
                "des",
                "Affaires",
                "étrangères",
            ],
            &[],
        );
        let t = find_titles(&v, "fr");
        let offices: Vec<_> = t.iter().map(|t| t.office).collect();
        assert_eq!(offices, ["deputy_head_of_government", "foreign_minister"]);

        let v = view(
            &["ministre", "de", "la", "Défense", "de", "la", "France"],
            &[(6, 7, LOC)],
        );
        let t = find_titles(&v, "fr");
        assert_eq!(
            (t[0].office, t[0].portfolio, t[0].of, t[0].end),
            ("minister", Some("defence"), Some(0), 7)
        );

        let v = view(
            &["le", "président", "de", "la", "Commission", "européenne"],
            &[(4, 6, ORG)],
        );
        assert_eq!(find_titles(&v, "fr")[0].office, "president");
    }

    #[test]
    fn english_premodifiers() {
        let v = view(
            &["French", "Foreign", "Minister", "Roland", "Dumas"],
            &[(0, 1, LOC), (3, 5, PER)],
        );
        let t = find_titles(&v, "en");
        assert_eq!(
            (t[0].start, t[0].office, t[0].of),
            (0, "foreign_minister", Some(0))
        );
        let v = view(&["France", "'s", "defense", "minister"], &[(0, 1, LOC)]);
        let t = find_titles(&v, "en");
        assert_eq!(
            (t[0].start, t[0].office, t[0].portfolio),
            (0, "minister", Some("defence"))
        );
    }

    #[test]
    fn no_title_inside_a_name() {
        let v = view(
            &["le", "ministère", "des", "Affaires", "étrangères"],
            &[(1, 5, ORG)],
        );
        assert!(find_titles(&v, "fr").is_empty());
        let v = view(&["President", "Hotel"], &[(0, 2, ORG)]);
        assert!(find_titles(&v, "en").is_empty());
    }
}
