//! Stage `language`: the language of the cleaned text. An input hint wins.
//!
//! Detection uses `whatlang` (trigram profiles, ~70 languages, no model
//! files, microseconds per article) rather than `lingua`: lingua is more
//! accurate on one to three words but its language models weigh tens of MB
//! each and take long to load, while a news article body is long enough for
//! trigrams. For short texts (titles, captions, datelines) where whatlang is
//! unreliable, function words are the evidence: a stop-word vote between
//! the languages the tagger was trained on decides when it can (`la`, `le`,
//! `des` vs `the`, `of`, `and`, ...). A short text with no function word at
//! all and made of names (`DAYTON, Ohio (AP)`, `Tokyo MAINICHI SHIMBUN`) has
//! no language to detect: trigrams of proper names are noise (whatlang
//! calls those two Welsh and Uzbek), so detection says `None` rather than
//! guess, and the stages fall back to their language-neutral behaviour.

/// Normalises a hint like `fr_FR`, `FR`, `fr-BE` to `fr`.
pub fn normalize_hint(hint: &str) -> Option<String> {
    let code: String = hint
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    (2..=3).contains(&code.len()).then_some(code)
}

/// The language of the text: the hint when given (normalised), else the
/// detected one; `None` when neither says anything.
pub fn resolve(hint: Option<&str>, text: &str) -> Option<String> {
    hint.and_then(normalize_hint)
        .or_else(|| detect(text).map(str::to_string))
}

/// Stop words of the tagger's main languages, for short texts.
const STOPWORDS: &[(&str, &[&str])] = &[
    (
        "fr",
        &[
            "le", "la", "les", "des", "du", "de", "et", "un", "une", "est", "dans", "pour", "avec", "sur",
            "au", "aux", "qui", "que", "ne", "pas", "il", "elle", "son", "sa", "ses", "l", "d", "a",
        ],
    ),
    (
        "en",
        &[
            "the", "of", "and", "to", "in", "is", "a", "for", "with", "on", "that", "by", "was", "as", "at",
            "from", "his", "her", "it", "be", "are", "has", "said", "were", "he", "she", "who", "an", "had",
            "have", "not", "but", "this", "their", "they", "its", "been", "will", "after", "we", "which",
        ],
    ),
    (
        "de",
        &[
            "der", "die", "das", "und", "ist", "nicht", "mit", "den", "dem", "ein", "eine", "von", "zu", "im",
        ],
    ),
    (
        "es",
        &[
            "el", "los", "las", "y", "en", "del", "que", "por", "con", "una", "para", "es", "se", "al",
        ],
    ),
    (
        "it",
        &[
            "il", "gli", "di", "che", "e", "della", "per", "con", "non", "una", "sono", "nel", "alla", "dei",
        ],
    ),
];

/// Short texts: the language whose stop words occur most, if any do and
/// one language clearly leads.
fn stopword_vote(text: &str) -> Option<&'static str> {
    let mut scores = [0usize; STOPWORDS.len()];
    for word in text.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()) {
        let w = word.to_lowercase();
        for (k, (_, list)) in STOPWORDS.iter().enumerate() {
            if list.contains(&w.as_str()) {
                scores[k] += 1;
            }
        }
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by_key(|&k| std::cmp::Reverse(scores[k]));
    (scores[order[0]] > 0 && scores[order[0]] > scores[order[1]]).then(|| STOPWORDS[order[0]].0)
}

/// Detects the language of `text` (ISO 639-1 where one exists, else the
/// ISO 639-3 code whatlang gives). Looks at the first 4 KB only: enough for
/// trigram statistics, and bounded time on huge inputs.
pub fn detect(text: &str) -> Option<&'static str> {
    let mut cut = text.len().min(4096);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let sample = &text[..cut];
    let info = whatlang::detect(sample);
    let reliable = info.as_ref().is_some_and(|i| i.is_reliable());
    if !reliable || sample.chars().filter(|c| c.is_alphabetic()).count() < 40 {
        if let Some(lang) = stopword_vote(sample) {
            return Some(lang);
        }
        if !reliable && mostly_names(sample) {
            return None;
        }
    }
    info.map(|i| iso639_1(i.lang()))
}

/// Are at least three quarters of the words capitalised (names, acronyms,
/// an all-caps slug)? Such a text says nothing about its language.
fn mostly_names(text: &str) -> bool {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    let names = words
        .iter()
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .count();
    !words.is_empty() && 4 * names >= 3 * words.len()
}

fn iso639_1(lang: whatlang::Lang) -> &'static str {
    use whatlang::Lang::*;
    match lang {
        Eng => "en",
        Fra => "fr",
        Deu => "de",
        Spa => "es",
        Ita => "it",
        Por => "pt",
        Nld => "nl",
        Pol => "pl",
        Rus => "ru",
        Ukr => "uk",
        Bel => "be",
        Bul => "bg",
        Srp => "sr",
        Hrv => "hr",
        Slv => "sl",
        Mkd => "mk",
        Ces => "cs",
        Slk => "sk",
        Hun => "hu",
        Ron => "ro",
        Ell => "el",
        Tur => "tr",
        Ara => "ar",
        Heb => "he",
        Yid => "yi",
        Pes => "fa",
        Urd => "ur",
        Hin => "hi",
        Ben => "bn",
        Mar => "mr",
        Guj => "gu",
        Pan => "pa",
        Tam => "ta",
        Tel => "te",
        Kan => "kn",
        Mal => "ml",
        Ori => "or",
        Nep => "ne",
        Sin => "si",
        Cmn => "zh",
        Jpn => "ja",
        Kor => "ko",
        Vie => "vi",
        Tha => "th",
        Khm => "km",
        Mya => "my",
        Ind => "id",
        Jav => "jv",
        Tgl => "tl",
        Swe => "sv",
        Dan => "da",
        Nob => "nb",
        Fin => "fi",
        Est => "et",
        Lav => "lv",
        Lit => "lt",
        Kat => "ka",
        Hye => "hy",
        Aze => "az",
        Uzb => "uz",
        Tuk => "tk",
        Amh => "am",
        Aka => "ak",
        Zul => "zu",
        Sna => "sn",
        Afr => "af",
        Lat => "la",
        Cat => "ca",
        Cym => "cy",
        Epo => "eo",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints() {
        assert_eq!(normalize_hint("fr_FR").as_deref(), Some("fr"));
        assert_eq!(normalize_hint("EN-us").as_deref(), Some("en"));
        assert_eq!(normalize_hint(""), None);
    }

    #[test]
    fn hint_wins_over_detection() {
        let fr = "Le Kazakhstan et l'Union européenne ont confirmé leur volonté de coopérer.";
        assert_eq!(resolve(Some("en_GB"), fr).as_deref(), Some("en"));
        assert_eq!(resolve(None, fr).as_deref(), Some("fr"));
    }

    #[test]
    fn detects_long_and_short_texts() {
        assert_eq!(
            detect("The foreign minister met his counterpart in Brussels on Wednesday to discuss trade."),
            Some("en")
        );
        assert_eq!(detect("Le ministre et la présidence"), Some("fr"));
        assert_eq!(detect("the president of France"), Some("en"));
        assert_eq!(detect(""), None);
        assert_eq!(detect("12345 !!!"), None);
        // Whatlang alone says cy, tl, uz, sl: the function words decide, and
        // a line of names has no language.
        assert_eq!(
            detect("Walesa said Solidarity wants to avoid unrest."),
            Some("en")
        );
        assert_eq!(
            detect("In 1752, flagmaker Betsy Ross was born in Philadelphia."),
            Some("en")
        );
        assert_eq!(detect("DAYTON, Ohio (AP)"), None);
        assert_eq!(detect("Tokyo MAINICHI SHIMBUN"), None);
        assert_eq!(detect("MEXICO CITY (AP)"), None);
        assert_eq!(detect("Le Kazakhstan et l'UE"), Some("fr"));
        let huge = "é".repeat(5000);
        let _ = detect(&huge);
    }
}
