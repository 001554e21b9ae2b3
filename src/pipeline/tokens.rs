//! Sentences and tokens of the cleaned text, with code point AND byte offsets.
//!
//! One hand-written pass over the characters, no regex and no allocation
//! beyond the two output vectors: the entities stage must run at hundreds of
//! thousands of tokens per second, and tokenisation is part of that budget.
//!
//! The conventions follow the training corpora (CoNLL-2003, WikiNEuRal,
//! WikiANN) so that the tagger sees at run time the tokens it was trained on:
//! * French elision is split after the apostrophe: `l'UE` → `l'` `UE`,
//!   `qu'il` → `qu'` `il`; English clitics before it: `Obama's` → `Obama` `'s`.
//!   Other internal apostrophes stay (`aujourd'hui`, `O'Brien`).
//! * Hyphens between letters or digits stay inside the token
//!   (`Jean-Yves`, `Kassym-Jomart`, `kazakho-européenne`, `2021-11-05`).
//! * A period stays attached to known abbreviations and titles (`M.`, `Mme.`,
//!   `Dr.`, `etc.`), to initials (`J.`), to dotted acronyms (`U.S.`) and
//!   inside numbers and domain names (`3.5`, `237online.com`); elsewhere it is
//!   its own token.
//! * Numbers keep their internal `.` `,` `/` `:` separators (`1,000`,
//!   `12/03/2021`, `14:30`).
//! * Every other punctuation mark, quotes (`«` `»` `“` `”` `"`) included, is a
//!   token of its own; `...` is one token.
//!
//! Sentences end at `.`, `!`, `?`, `…` (with any closing quotes or brackets
//! that follow) when the next token does not start in lower case, and at
//! every line break (the clean stage puts one block per line; titles and
//! captions carry no final period).

use std::ops::Range;

/// One token. `start`/`end` are code point offsets (end exclusive) into the
/// text, as in the output record; `byte_start`/`byte_end` index the `&str`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub byte_start: usize,
    pub byte_end: usize,
}

impl Token {
    /// The token's text.
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        &text[self.byte_start..self.byte_end]
    }
}

/// One sentence: its code point span and the range of its tokens in
/// [`Document::tokens`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub start: usize,
    pub end: usize,
    pub tokens: Range<usize>,
}

/// The tokens and sentences of one text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub tokens: Vec<Token>,
    pub sentences: Vec<Sentence>,
}

impl Document {
    /// The text of token `i`.
    pub fn token_text<'a>(&self, text: &'a str, i: usize) -> &'a str {
        self.tokens[i].text(text)
    }

    /// The tokens of sentence `s`.
    pub fn sentence_tokens(&self, s: usize) -> &[Token] {
        &self.tokens[self.sentences[s].tokens.clone()]
    }

    /// The index of the sentence holding token `i` (binary search).
    pub fn sentence_of(&self, i: usize) -> Option<usize> {
        let idx = self.sentences.partition_point(|s| s.tokens.end <= i);
        (idx < self.sentences.len() && self.sentences[idx].tokens.contains(&i)).then_some(idx)
    }

    /// The index of the first token starting at or after code point `pos`.
    pub fn token_at_or_after(&self, pos: usize) -> usize {
        self.tokens.partition_point(|t| t.start < pos)
    }
}

/// Tokenises `text` and splits it into sentences. `lang` (ISO 639-1) is
/// accepted for future language-specific rules; the current rules serve
/// French and English at once (elision prefixes never collide with English
/// words followed by an apostrophe and a letter).
pub fn analyze(text: &str, _lang: &str) -> Document {
    let tokens = tokenize(text);
    let sentences = split_sentences(text, &tokens);
    Document { tokens, sentences }
}

/// French elided words: the apostrophe ends the token (`l'`, `qu'`).
const ELISIONS: &[&str] = &[
    "l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu", "quelqu",
];

/// English clitics split before the apostrophe (`'s`, `n't` is handled apart).
const CLITICS: &[&str] = &["s", "re", "ve", "ll", "d", "m"];

/// Abbreviations that keep their period (lower case, without the period).
const ABBREVIATIONS: &[&str] = &[
    "m", "mm", "mme", "mmes", "mlle", "mlles", "dr", "drs", "pr", "me", "mgr", "st", "ste", "mr", "mrs",
    "ms", "jr", "sr", "prof", "gen", "gén", "gov", "sen", "rep", "lt", "col", "capt", "cpt", "sgt", "adm",
    "rev", "hon", "pres", "vs", "etc", "cf", "inc", "ltd", "corp", "co", "bros", "no", "nos", "vol", "av",
    "ave", "bd", "blvd", "dept", "univ", "mt", "ft", "fig", "env", "art", "ch", "éd", "ed", "jan", "feb",
    "fév", "mar", "apr", "avr", "jun", "jul", "juil", "aug", "sep", "sept", "oct", "nov", "dec", "déc",
    "e.g", "i.e", "p", "pp", "approx", "min", "max", "tél", "tel",
];

/// AP-style US state abbreviations (`Portland, Ore.`, `Fort Scott, Kan.`),
/// capitalised, without the period. The two-letter dotted ones (`N.Y.`,
/// `D.C.`) are dotted acronyms already.
const US_STATES: &[&str] = &[
    "Ala", "Ariz", "Calif", "Colo", "Conn", "Fla", "Kan", "Kans", "Ky", "Md", "Mich", "Minn", "Mont", "Neb",
    "Nebr", "Nev", "Okla", "Tenn", "Tex", "Vt", "Va", "Wis", "Wisc", "Wyo", "Ark", "Del", "Ga", "Ill", "Ind",
    "La", "Mass", "Miss", "Mo", "Ore", "Pa", "Wash",
];

/// The state abbreviations that are also words (`Ill.`, `Miss.`, `Wash.`,
/// `La.`): they keep their period only right after a comma (`Peoria, Ill.`).
const AMBIGUOUS_STATES: &[&str] = &[
    "Ark", "Del", "Ga", "Ill", "Ind", "La", "Mass", "Miss", "Mo", "Ore", "Pa", "Wash",
];

/// Is `w` (without its period) a US state abbreviation here? `after_comma`:
/// the previous non-space character is a comma.
fn is_state_abbreviation(w: &str, after_comma: bool) -> bool {
    US_STATES.contains(&w) && (after_comma || !AMBIGUOUS_STATES.contains(&w))
}

/// Abbreviations after which a sentence may still end when the next token is
/// capitalised (they are often the last word of a sentence).
const FINAL_ABBREVIATIONS: &[&str] = &["etc", "inc", "ltd", "corp", "co", "bros"];

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining(c)
}

fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{20D0}'..='\u{20FF}')
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '`')
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑')
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.chars().flat_map(char::to_lowercase).eq(b.chars())
    }
}

/// Cursor over the text with both offsets.
struct Cursor<'a> {
    chars: Vec<(usize, char)>,
    text: &'a str,
}

impl<'a> Cursor<'a> {
    fn byte(&self, i: usize) -> usize {
        self.chars.get(i).map_or(self.text.len(), |&(b, _)| b)
    }
    fn ch(&self, i: usize) -> Option<char> {
        self.chars.get(i).map(|&(_, c)| c)
    }
}

fn tokenize(text: &str) -> Vec<Token> {
    let cur = Cursor {
        chars: text.char_indices().collect(),
        text,
    };
    let n = cur.chars.len();
    let mut tokens = Vec::with_capacity(n / 5 + 1);
    let mut push = |tokens: &mut Vec<Token>, s: usize, e: usize| {
        if e > s {
            tokens.push(Token {
                start: s,
                end: e,
                byte_start: cur.byte(s),
                byte_end: cur.byte(e),
            });
        }
    };
    let mut i = 0;
    while i < n {
        let c = cur.chars[i].1;
        if c.is_whitespace() || c.is_control() {
            i += 1;
            continue;
        }
        if is_word_char(c) {
            i = word(&cur, i, &mut tokens, &mut push);
            continue;
        }
        // Punctuation: runs of dots are one token ("..."), everything else alone.
        let mut j = i + 1;
        if c == '.' {
            while cur.ch(j) == Some('.') {
                j += 1;
            }
        } else if is_hyphen(c) && cur.ch(j).is_some_and(is_hyphen) {
            while cur.ch(j).is_some_and(is_hyphen) {
                j += 1;
            }
        } else if is_apostrophe(c) {
            // English clitic at the start of a token: 's, 're ... ('s is
            // produced by `word` normally; this catches "’s" after a quote).
            let mut k = j;
            while cur.ch(k).is_some_and(char::is_alphabetic) {
                k += 1;
            }
            let clitic = &cur.text[cur.byte(j)..cur.byte(k)];
            if k > j
                && !cur.ch(k).is_some_and(is_word_char)
                && CLITICS.iter().any(|cl| eq_ignore_case(clitic, cl))
            {
                j = k;
            }
        }
        push(&mut tokens, i, j);
        i = j;
    }
    tokens
}

/// Scans one word-like token starting at `i` (a word character) and pushes
/// it (possibly as two tokens for elision or clitics). Returns the next index.
fn word(
    cur: &Cursor,
    start: usize,
    tokens: &mut Vec<Token>,
    push: &mut impl FnMut(&mut Vec<Token>, usize, usize),
) -> usize {
    let n = cur.chars.len();
    let mut i = start;
    let numeric_start = cur.chars[start].1.is_ascii_digit();
    // Segment lengths to recognise dotted acronyms (U.S., e.g.).
    let mut all_single_letter_segments = true;
    let mut seg_start = start;
    let mut had_internal_period = false;
    loop {
        while i < n && is_word_char(cur.chars[i].1) {
            i += 1;
        }
        if i - seg_start != 1 {
            all_single_letter_segments = false;
        }
        let Some(c) = cur.ch(i) else { break };
        let next = cur.ch(i + 1);
        let next_is_word = next.is_some_and(is_word_char);
        if is_apostrophe(c) && next_is_word {
            let head_text = &cur.text[cur.byte(start)..cur.byte(i)];
            if ELISIONS.iter().any(|e| eq_ignore_case(head_text, e)) {
                // l'UE → "l'" + rest.
                push(tokens, start, i + 1);
                return i + 1;
            }
            // English clitics: Obama's → "Obama" "'s"; don't → "do" "n't".
            let mut k = i + 1;
            while k < n && is_word_char(cur.chars[k].1) {
                k += 1;
            }
            let tail = &cur.text[cur.byte(i + 1)..cur.byte(k)];
            if CLITICS.iter().any(|cl| eq_ignore_case(tail, cl)) {
                push(tokens, start, i);
                push(tokens, i, k);
                return k;
            }
            if eq_ignore_case(tail, "t") && i > start && matches!(cur.chars[i - 1].1, 'n' | 'N') {
                push(tokens, start, i - 1);
                push(tokens, i - 1, k);
                return k;
            }
            // Internal apostrophe (aujourd'hui, O'Brien): keep going.
            i += 1;
            seg_start = i;
            all_single_letter_segments = false;
            continue;
        }
        if is_hyphen(c) && next_is_word {
            i += 1;
            seg_start = i;
            all_single_letter_segments = false;
            continue;
        }
        if c == '.' && next_is_word {
            // 3.5, U.S, 237online.com (no space after the period).
            had_internal_period = true;
            i += 1;
            seg_start = i;
            continue;
        }
        if numeric_start && matches!(c, ',' | '/' | ':') && next.is_some_and(|d| d.is_ascii_digit()) {
            i += 1;
            seg_start = i;
            all_single_letter_segments = false;
            continue;
        }
        break;
    }
    // Attach a final period to abbreviations, initials and dotted acronyms.
    if cur.ch(i) == Some('.') && cur.ch(i + 1) != Some('.') {
        let w = &cur.text[cur.byte(start)..cur.byte(i)];
        let first = cur.chars[start].1;
        let initial = i - start == 1 && first.is_uppercase();
        let acronym = had_internal_period && all_single_letter_segments;
        let after_comma = cur.chars[..start]
            .iter()
            .rev()
            .find(|(_, c)| !c.is_whitespace())
            .is_some_and(|&(_, c)| c == ',');
        if initial
            || acronym
            || ABBREVIATIONS.iter().any(|a| eq_ignore_case(w, a))
            || is_state_abbreviation(w, after_comma)
        {
            push(tokens, start, i + 1);
            return i + 1;
        }
    }
    push(tokens, start, i);
    i
}

fn is_terminator(tok: &str) -> bool {
    matches!(tok, "." | "!" | "?" | "…" | "?!" | "!?") || (tok.len() > 1 && tok.bytes().all(|b| b == b'.'))
}

fn is_closer(tok: &str) -> bool {
    matches!(tok, "»" | "”" | "\"" | ")" | "]" | "’" | "'" | "›")
}

fn split_sentences(text: &str, tokens: &[Token]) -> Vec<Sentence> {
    let mut sentences = Vec::new();
    let mut first = 0;
    let close = |sentences: &mut Vec<Sentence>, first: usize, last: usize| {
        if last > first {
            sentences.push(Sentence {
                start: tokens[first].start,
                end: tokens[last - 1].end,
                tokens: first..last,
            });
        }
    };
    let mut i = 0;
    while i < tokens.len() {
        let tok = tokens[i].text(text);
        // A line break between this token and the next ends the sentence.
        let line_break = tokens
            .get(i + 1)
            .is_some_and(|next| text[tokens[i].byte_end..next.byte_start].contains('\n'));
        let mut end_here = line_break;
        let mut last = i + 1;
        if !end_here {
            let abbreviation_end = tok.ends_with('.') && tok.len() > 1 && {
                let stem = &tok[..tok.len() - 1];
                FINAL_ABBREVIATIONS.iter().any(|a| eq_ignore_case(stem, a)) || US_STATES.contains(&stem)
            };
            if is_terminator(tok) || abbreviation_end {
                // Take closing quotes/brackets that follow on the same line.
                while last < tokens.len()
                    && is_closer(tokens[last].text(text))
                    && !text[tokens[last - 1].byte_end..tokens[last].byte_start].contains('\n')
                {
                    last += 1;
                }
                end_here = match tokens.get(last) {
                    None => true,
                    Some(next) => {
                        let c = next.text(text).chars().next().unwrap_or(' ');
                        !c.is_lowercase() && (!abbreviation_end || c.is_uppercase())
                    }
                };
                if !end_here {
                    last = i + 1;
                }
            }
        }
        if end_here {
            close(&mut sentences, first, last);
            first = last;
            i = last;
        } else {
            i += 1;
        }
    }
    close(&mut sentences, first, tokens.len());
    sentences
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<&str> {
        let d = analyze(text, "fr");
        (0..d.tokens.len()).map(|i| d.token_text(text, i)).collect()
    }

    fn sents(text: &str) -> Vec<String> {
        let d = analyze(text, "fr");
        d.sentences
            .iter()
            .map(|s| text.chars().skip(s.start).take(s.end - s.start).collect())
            .collect()
    }

    #[test]
    fn ap_state_abbreviations_keep_their_period() {
        assert_eq!(
            toks("in Portland, Ore. and Fresno, Calif., Calif. police"),
            ["in", "Portland", ",", "Ore.", "and", "Fresno", ",", "Calif.", ",", "Calif.", "police"]
        );
        // Ambiguous ones only after a comma: `Ill.` here ends a sentence.
        assert_eq!(
            toks("He was ill. Peoria, Ill."),
            ["He", "was", "ill", ".", "Peoria", ",", "Ill."]
        );
        assert_eq!(toks("Miss. Miss"), ["Miss", ".", "Miss"]);
        // A state abbreviation may end a sentence before a capitalised word.
        assert_eq!(
            sents("He lives in Fort Scott, Kan. The mayor said so."),
            ["He lives in Fort Scott, Kan.", "The mayor said so."]
        );
    }

    #[test]
    fn french_elision_and_names() {
        assert_eq!(
            toks("l’UE et d'Astana, qu'il aujourd'hui"),
            ["l’", "UE", "et", "d'", "Astana", ",", "qu'", "il", "aujourd'hui"]
        );
        assert_eq!(
            toks("Jean-Yves Le Drian et Kassym-Jomart Tokaïev"),
            ["Jean-Yves", "Le", "Drian", "et", "Kassym-Jomart", "Tokaïev"]
        );
        assert_eq!(toks("L'Union européenne"), ["L'", "Union", "européenne"]);
    }

    #[test]
    fn abbreviations_initials_acronyms() {
        assert_eq!(
            toks("M. Tleouberdi, Mme Dupont et Dr. No aux U.S. avec J. Smith."),
            [
                "M.",
                "Tleouberdi",
                ",",
                "Mme",
                "Dupont",
                "et",
                "Dr.",
                "No",
                "aux",
                "U.S.",
                "avec",
                "J.",
                "Smith",
                "."
            ]
        );
        assert_eq!(
            sents("M. Tleouberdi est venu. Il est reparti."),
            ["M. Tleouberdi est venu.", "Il est reparti."]
        );
    }

    #[test]
    fn english_clitics() {
        assert_eq!(toks("Obama's plan don't"), ["Obama", "'s", "plan", "do", "n't"]);
    }

    #[test]
    fn quotes_numbers_dates() {
        assert_eq!(
            toks("« Bonjour » “yes” 1,000.5 le 12/03/2021 à 14:30, 2021-11-05 3,5 % 237online.com..."),
            [
                "«",
                "Bonjour",
                "»",
                "“",
                "yes",
                "”",
                "1,000.5",
                "le",
                "12/03/2021",
                "à",
                "14:30",
                ",",
                "2021-11-05",
                "3,5",
                "%",
                "237online.com",
                "..."
            ]
        );
    }

    #[test]
    fn sentences_with_quotes_and_lines() {
        assert_eq!(
            sents("« Il est là. » Elle part.\nTitre sans point\nUn autre? oui."),
            [
                "« Il est là. »",
                "Elle part.",
                "Titre sans point",
                "Un autre? oui."
            ]
        );
    }

    #[test]
    fn offsets_are_code_points_and_bytes() {
        let text = "Tokaïev à Bruxelles";
        let d = analyze(text, "fr");
        let t = d.tokens[2];
        assert_eq!((t.start, t.end), (10, 19));
        assert_eq!(&text[t.byte_start..t.byte_end], "Bruxelles");
        assert_eq!(d.sentence_of(2), Some(0));
        assert_eq!(d.token_at_or_after(8), 1);
    }

    #[test]
    fn degenerate_inputs() {
        assert!(analyze("", "fr").tokens.is_empty());
        assert!(analyze("   \n\n ", "fr").sentences.is_empty());
        assert_eq!(toks("'''"), ["'", "'", "'"]);
        assert_eq!(toks("a-"), ["a", "-"]);
        assert_eq!(toks("x.'"), ["x", ".", "'"]);
    }
}
