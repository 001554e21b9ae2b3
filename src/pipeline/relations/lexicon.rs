//! Small closed word lists the relation features need in training and at
//! run time alike: the class of a place name (country, US state), since
//! "Morgan City , La." (Located_In) and "Smith of Dallas , Texas" (Live_In)
//! hinge on knowing that "La." and "Texas" are states. The lists are
//! curated here rather than taken from the linking gazetteer so that the
//! classifier sees exactly the same feature on CoNLL04 (which has no links)
//! as in production.
//!
//! All entries are in [`super::view::normalize`]d form, tokens joined by
//! single spaces.

use super::view::{fnv_step, word_id, IdBuild, FNV_OFFSET};
use std::collections::HashMap;
use std::sync::OnceLock;

/// US states, with the AP-style and postal abbreviations CoNLL04 uses.
const US_STATES: &[&str] = &[
    "alabama",
    "ala.",
    "ala",
    "alaska",
    "arizona",
    "ariz.",
    "ariz",
    "arkansas",
    "ark.",
    "ark",
    "california",
    "calif.",
    "calif",
    "colorado",
    "colo.",
    "colo",
    "connecticut",
    "conn.",
    "conn",
    "delaware",
    "del.",
    "florida",
    "fla.",
    "fla",
    "georgia",
    "ga.",
    "ga",
    "hawaii",
    "idaho",
    "illinois",
    "ill.",
    "ill",
    "indiana",
    "ind.",
    "ind",
    "ind .",
    "iowa",
    "kansas",
    "kan.",
    "kan",
    "kentucky",
    "ky.",
    "ky",
    "louisiana",
    "la.",
    "maine",
    "maryland",
    "md.",
    "md",
    "massachusetts",
    "mass.",
    "mass",
    "michigan",
    "mich.",
    "mich",
    "mich .",
    "minnesota",
    "minn.",
    "minn",
    "mississippi",
    "miss.",
    "miss",
    "missouri",
    "mo.",
    "montana",
    "mont.",
    "nebraska",
    "neb.",
    "nevada",
    "nev.",
    "new hampshire",
    "n.h.",
    "n.h",
    "new jersey",
    "n.j.",
    "n.j",
    "new mexico",
    "n.m.",
    "n.m",
    "new york",
    "n.y.",
    "n.y",
    "n.y .",
    "north carolina",
    "n.c.",
    "n.c",
    "north dakota",
    "n.d.",
    "ohio",
    "oklahoma",
    "okla.",
    "okla",
    "oregon",
    "ore.",
    "pennsylvania",
    "pa.",
    "rhode island",
    "r.i.",
    "r.i",
    "south carolina",
    "s.c.",
    "s.c",
    "south dakota",
    "s.d.",
    "tennessee",
    "tenn.",
    "tenn",
    "texas",
    "tex.",
    "utah",
    "vermont",
    "vt.",
    "vt",
    "virginia",
    "va.",
    "va",
    "washington",
    "wash.",
    "wash",
    "west virginia",
    "w.va.",
    "w. va.",
    "wisconsin",
    "wis.",
    "wis",
    "wyoming",
    "wyo.",
    "dakota",
    "d.c.",
    "d.c",
];

/// Countries and country-like names as they appear in English news.
const COUNTRIES: &[&str] = &[
    "afghanistan",
    "albania",
    "algeria",
    "angola",
    "argentina",
    "armenia",
    "australia",
    "austria",
    "azerbaijan",
    "bahrain",
    "bangladesh",
    "belarus",
    "belgium",
    "bolivia",
    "bosnia",
    "brazil",
    "britain",
    "great britain",
    "bulgaria",
    "burma",
    "cambodia",
    "cameroon",
    "canada",
    "chad",
    "chile",
    "china",
    "colombia",
    "congo",
    "costa rica",
    "croatia",
    "cuba",
    "cyprus",
    "czech republic",
    "czechoslovakia",
    "denmark",
    "ecuador",
    "egypt",
    "el salvador",
    "england",
    "eritrea",
    "estonia",
    "ethiopia",
    "finland",
    "france",
    "georgia",
    "germany",
    "west germany",
    "east germany",
    "ghana",
    "greece",
    "guatemala",
    "haiti",
    "honduras",
    "hungary",
    "iceland",
    "india",
    "indonesia",
    "iran",
    "iraq",
    "ireland",
    "israel",
    "italy",
    "jamaica",
    "japan",
    "jordan",
    "kazakhstan",
    "kenya",
    "korea",
    "north korea",
    "south korea",
    "kuwait",
    "kyrgyzstan",
    "laos",
    "latvia",
    "lebanon",
    "liberia",
    "libya",
    "lithuania",
    "luxembourg",
    "macedonia",
    "malaysia",
    "mexico",
    "moldova",
    "mongolia",
    "morocco",
    "mozambique",
    "namibia",
    "nepal",
    "netherlands",
    "holland",
    "new zealand",
    "nicaragua",
    "niger",
    "nigeria",
    "norway",
    "oman",
    "pakistan",
    "panama",
    "paraguay",
    "peru",
    "philippines",
    "poland",
    "portugal",
    "qatar",
    "romania",
    "russia",
    "rwanda",
    "saudi arabia",
    "scotland",
    "senegal",
    "serbia",
    "singapore",
    "slovakia",
    "slovenia",
    "somalia",
    "south africa",
    "soviet union",
    "spain",
    "sri lanka",
    "sudan",
    "sweden",
    "switzerland",
    "syria",
    "taiwan",
    "tajikistan",
    "tanzania",
    "thailand",
    "tunisia",
    "turkey",
    "turkmenistan",
    "uganda",
    "ukraine",
    "united kingdom",
    "u.k.",
    "united states",
    "u.s.",
    "u.s",
    "us",
    "u.s.a.",
    "usa",
    "america",
    "uruguay",
    "uzbekistan",
    "venezuela",
    "vietnam",
    "wales",
    "yemen",
    "yugoslavia",
    "zaire",
    "zambia",
    "zimbabwe",
    "ussr",
    "u.s.s.r.",
    "soviet",
    "bosnia-herzegovina",
    "palestine",
    "kosovo",
    "montenegro",
    "belize",
];

/// [`place_class_words`]'s answer for a country.
pub const PLACE_COUNTRY: u8 = 1;
/// [`place_class_words`]'s answer for a US state.
pub const PLACE_US_STATE: u8 = 2;

/// The listed places by the [`word_id`] of their normalised text: states
/// win for the few names that are both ("georgia").
fn place_table() -> &'static HashMap<u64, u8, IdBuild> {
    static TABLE: OnceLock<HashMap<u64, u8, IdBuild>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = HashMap::default();
        for c in COUNTRIES {
            t.insert(word_id(c), PLACE_COUNTRY);
        }
        for s in US_STATES {
            t.insert(word_id(s), PLACE_US_STATE);
        }
        t
    })
}

/// The class of a place name (`"us_state"`, `"country"`), from its
/// normalised text.
pub fn place_class(norm: &str) -> Option<&'static str> {
    match place_table().get(&word_id(norm)).copied() {
        Some(PLACE_COUNTRY) => Some("country"),
        Some(PLACE_US_STATE) => Some("us_state"),
        _ => None,
    }
}

/// [`place_class`] of the normalised words joined by single spaces, as
/// [`PLACE_COUNTRY`], [`PLACE_US_STATE`] or 0 for none, without building
/// the joined string: the classifier asks this for every place mention
/// of every sentence, and the joined `String` was one allocation per
/// multi-word place. One word's class is its [`word_id`] looked up, which
/// the caller usually has already ([`place_class_id`]).
pub fn place_class_words<'w>(words: impl IntoIterator<Item = &'w str>) -> u8 {
    // FNV-1a over the joined text's bytes, fed word by word: the same
    // value as `word_id(&words.join(" "))` (a test checks it on every
    // listed name).
    let mut h = FNV_OFFSET;
    for (i, w) in words.into_iter().enumerate() {
        if i > 0 {
            h = fnv_step(h, b' ');
        }
        for &b in w.as_bytes() {
            h = fnv_step(h, b);
        }
    }
    place_class_id(h)
}

/// The place class of a name by its normalised text's [`word_id`]: as
/// [`place_class_words`].
#[inline]
pub fn place_class_id(id: u64) -> u8 {
    place_table().get(&id).copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(place_class("calif."), Some("us_state"));
        assert_eq!(place_class("u.s."), Some("country"));
        assert_eq!(place_class("dallas"), None);
    }

    /// The word-by-word lookup gives [`place_class`]'s answer for every
    /// listed name (split on its spaces, as the view's words would be),
    /// and for names that are not listed.
    #[test]
    fn word_lookup_agrees_with_the_string_lookup() {
        let code = |c: Option<&str>| match c {
            Some("country") => PLACE_COUNTRY,
            Some("us_state") => PLACE_US_STATE,
            _ => 0,
        };
        let extra = [
            "dallas",
            "new",
            "york",
            "new  york",
            "",
            "united states of america",
            "south",
        ];
        let mut multi = 0;
        for name in COUNTRIES.iter().chain(US_STATES).chain(&extra) {
            let want = code(place_class(name));
            assert_eq!(place_class_words(name.split(' ')), want, "{name:?}");
            assert_eq!(place_class_id(word_id(name)), want, "{name:?}");
            if name.contains(' ') && want != 0 {
                multi += 1;
            }
        }
        assert!(multi > 5, "too few multi-word names compared: {multi}");
        assert_eq!(place_class_words(["new", "york"]), PLACE_US_STATE);
        assert_eq!(place_class_words(["georgia"]), PLACE_US_STATE);
        assert_eq!(place_class_words(["united", "kingdom"]), PLACE_COUNTRY);
        assert_eq!(place_class_words(["new", "yorkshire"]), 0);
    }
}
