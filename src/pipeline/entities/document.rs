//! Document level: from the tagger's spans and the gazetteer's matches to
//! one entity per referent.
//!
//! 1. Mentions: tagger spans (person titles such as `M.` trimmed), plus
//!    gazetteer names the tagger missed (unambiguous ones only), plus lower
//!    case demonyms that qualify an office (`le président kazakh` is a mention
//!    of Kazakhstan; `partenaires européens` is not). A longer gazetteer name
//!    replaces the tagger's fragments of it; a gazetteer name inside a longer
//!    tagger span is ignored.
//! 2. Types: a name tagged PER once is PER throughout; otherwise the
//!    majority type of its mentions wins.
//! 3. Repeats: later occurrences of a found name that the tagger missed are
//!    added, and so is a person's surname on its own.
//! 4. Referents: mentions linked to the same gazetteer entity are one
//!    entity (`UE`, `EU`, `Union européenne`); a person's shorter forms join
//!    the full name they are part of (`Tleouberdi`, `M. Tleouberdi` →
//!    `Moukhtar Tleouberdi`); an all-caps acronym joins the organisation whose
//!    initials it spells; the rest group by normalised name.

use crate::pipeline::linking::{normalize, stable_id, Gazetteer, GazetteerMatch};
use crate::pipeline::record::{Entity, EntityType, Mention};
use crate::pipeline::tokens::Document;
use std::collections::HashMap;

use super::TagSpan;

/// Person titles that are not part of the name (CoNLL convention).
const TITLES: &[&str] = &[
    "m.", "mm.", "mme", "mme.", "mmes", "mlle", "mlle.", "dr", "dr.", "pr", "pr.", "me", "me.", "mr", "mr.",
    "mrs", "mrs.", "ms", "ms.", "sir", "dame", "mgr", "prof", "prof.", "lord", "lady", "sr.", "sra.", "herr",
    "frau",
];

/// Office nouns a demonym can qualify (`le président kazakh`, `il ministro
/// italiano`), lower case.
const OFFICES: &[&str] = &[
    "président",
    "présidente",
    "présidence",
    "vice-président",
    "ministre",
    "ministres",
    "ministère",
    "premier",
    "vice-premier",
    "chef",
    "cheffe",
    "gouvernement",
    "ambassadeur",
    "ambassadrice",
    "ambassade",
    "diplomatie",
    "diplomate",
    "homologue",
    "homologues",
    "parlement",
    "armée",
    "dirigeant",
    "dirigeants",
    "porte-parole",
    "chancelier",
    "chancelière",
    "roi",
    "reine",
    "monarque",
    "émir",
    "délégation",
    "autorités",
    "presidente",
    "ministro",
    "gobierno",
    "governo",
    "primo",
    "embajador",
    "ambasciatore",
    "presidência",
    "governo",
    "präsident",
    "minister",
    "regierung",
];

/// Heads of an office or body named after its portfolio (`ministre des
/// Affaires étrangères`, `ministère de l'Intérieur`, `secrétaire d'État aux
/// Transports`): the capitalised portfolio is part of the office, not an
/// organisation of its own. Lower case.
const PORTFOLIO_HEADS: &[&str] = &[
    "ministre",
    "ministres",
    "ministère",
    "ministères",
    "vice-ministre",
    "secrétaire",
    "secrétariat",
    "commissaire",
    "commissariat",
    "portefeuille",
    "minister",
    "ministers",
    "ministry",
    "secretary",
];

/// Words allowed between a portfolio head and the portfolio: prepositions
/// and articles (`des`, `de la`, `d'`, `of`), `chargé`, `d'État`.
const PORTFOLIO_LINKS: &[&str] = &[
    "de",
    "des",
    "du",
    "la",
    "le",
    "les",
    "l'",
    "l’",
    "d'",
    "d’",
    "à",
    "aux",
    "au",
    "chargé",
    "chargée",
    "délégué",
    "déléguée",
    "état",
    "of",
    "for",
    "the",
];

/// Articles a tagger span may wrongly start with (`Le Kazakhstan`).
const ARTICLES: &[&str] = &[
    "le", "la", "les", "l'", "l’", "the", "el", "los", "las", "il", "lo", "der", "die", "das",
];

/// Link data of a mention.
#[derive(Debug, Clone, PartialEq)]
struct LinkInfo {
    id: String,
    name: String,
    qid: Option<String>,
    subtype: Option<String>,
    kind: EntityType,
}

#[derive(Debug, Clone)]
struct Cand {
    start: usize,
    end: usize,
    /// Token range, when token-aligned.
    toks: Option<(usize, usize)>,
    kind: EntityType,
    /// Type from the tagger (None: gazetteer-only).
    tagged: Option<EntityType>,
    link: Option<LinkInfo>,
    demonym: bool,
}

fn info_of(m: &GazetteerMatch) -> LinkInfo {
    LinkInfo {
        id: m.entity_id(),
        name: m.name.clone(),
        qid: m.qid.clone(),
        subtype: m.subtype.clone(),
        kind: m.kind,
    }
}

fn is_title(tok: &str) -> bool {
    TITLES.iter().any(|t| t.eq_ignore_ascii_case(tok))
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// Builds the article's entities.
pub fn build(
    text: &str,
    doc: &Document,
    lang: &str,
    spans: &[TagSpan],
    matches: &[GazetteerMatch],
    gazetteer: &Gazetteer,
) -> Vec<Entity> {
    let toks = &doc.tokens;
    let tok_text = |i: usize| toks[i].text(text);
    // Code point → byte for surfaces of sub-token gazetteer matches.
    let surface = |c: &Cand| -> String {
        match c.toks {
            Some((s, e)) => text[toks[s].byte_start..toks[e - 1].byte_end].to_string(),
            None => {
                let b = byte_of(text, doc, c.start);
                let n = c.end - c.start;
                text[b..].chars().take(n).collect()
            }
        }
    };

    // 1. Tagger mentions, titles trimmed.
    let mut cands: Vec<Cand> = Vec::with_capacity(spans.len() + matches.len());
    for sp in spans {
        let (mut s, e) = (sp.start, sp.end);
        while sp.kind == EntityType::PER && s + 1 < e && is_title(tok_text(s)) {
            s += 1;
        }
        // Drop spans that are only punctuation.
        if !(s..e).any(|i| tok_text(i).chars().any(char::is_alphanumeric)) {
            continue;
        }
        if matches!(sp.kind, EntityType::ORG | EntityType::MISC)
            && names_a_portfolio(text, doc, s, matches)
            && !matches.iter().any(|m| m.start == toks[s].start && !m.is_demonym)
        {
            continue;
        }
        cands.push(Cand {
            start: toks[s].start,
            end: toks[e - 1].end,
            toks: Some((s, e)),
            kind: sp.kind,
            tagged: Some(sp.kind),
            link: None,
            demonym: false,
        });
    }

    // Gazetteer matches.
    let tok_range = |start: usize, end: usize| -> Option<(usize, usize)> {
        let s = doc.token_at_or_after(start);
        let e = doc.token_at_or_after(end);
        (s < e && toks[s].start == start && toks[e - 1].end == end).then_some((s, e))
    };
    let mut extra: Vec<Cand> = Vec::new();
    for m in matches {
        if m.is_demonym {
            let first_lower = text[byte_of(text, doc, m.start)..]
                .chars()
                .next()
                .is_some_and(char::is_lowercase);
            if first_lower && m.kind != EntityType::PER && qualifies_office(text, doc, m.start) {
                extra.push(Cand {
                    start: m.start,
                    end: m.end,
                    toks: tok_range(m.start, m.end),
                    kind: m.kind,
                    tagged: None,
                    link: Some(info_of(m)),
                    demonym: true,
                });
            }
            continue;
        }
        let overlapping: Vec<usize> = cands
            .iter()
            .enumerate()
            .filter(|(_, c)| c.start < m.end && m.start < c.end)
            .map(|(i, _)| i)
            .collect();
        if let [i] = overlapping[..] {
            let c = &mut cands[i];
            if c.start == m.start && c.end == m.end {
                c.link = Some(info_of(m));
                continue;
            }
            // `Le Kazakhstan`, `The Netherlands` at the start of a sentence:
            // the tagger took the article in; a known name that is the span
            // minus its leading article wins (`Le Havre`, `La Paz` are
            // gazetteer names themselves and match whole).
            let article_then_match = c.toks.is_some_and(|(s, e)| {
                e - s >= 2
                    && !m.ambiguous
                    && c.end == m.end
                    && toks[s + 1].start == m.start
                    && ARTICLES.contains(&lower(tok_text(s)).as_str())
            });
            if article_then_match {
                let s = c.toks.map_or(0, |t| t.0) + 1;
                c.start = m.start;
                c.toks = c.toks.map(|(_, e)| (s, e));
                c.link = Some(info_of(m));
                continue;
            }
            if c.start <= m.start && m.end <= c.end {
                continue; // nested in a longer name the tagger found
            }
        }
        if overlapping.is_empty() && m.ambiguous {
            continue;
        }
        // The match is longer than (or crosses) the tagger's pieces: it wins.
        let kind = overlapping
            .iter()
            .filter_map(|&i| cands[i].tagged)
            .max_by_key(|k| if *k == m.kind { 1 } else { 0 })
            .unwrap_or(m.kind);
        for &i in overlapping.iter().rev() {
            cands.remove(i);
        }
        extra.push(Cand {
            start: m.start,
            end: m.end,
            toks: tok_range(m.start, m.end),
            kind,
            tagged: (!overlapping.is_empty()).then_some(kind),
            link: Some(info_of(m)),
            demonym: false,
        });
    }
    cands.extend(extra);
    cands.sort_by_key(|c| (c.start, c.end));

    // Link tagger mentions the gazetteer did not match as such.
    let mut link_cache: HashMap<(String, EntityType), Option<LinkInfo>> = HashMap::new();
    for c in cands.iter_mut().filter(|c| c.link.is_none()) {
        let name = surface(c);
        let key = (name.clone(), c.kind);
        let link = link_cache
            .entry(key)
            .or_insert_with(|| {
                gazetteer.link(&name, c.kind, lang).map(|l| LinkInfo {
                    id: l.entity_id(),
                    name: l.name,
                    qid: l.qid,
                    subtype: l.subtype,
                    kind: l.kind,
                })
            })
            .clone();
        c.link = link;
    }

    // 2. Type consistency by surface (unlinked mentions).
    let mut votes: HashMap<String, [usize; 4]> = HashMap::new();
    for c in cands.iter().filter(|c| c.link.is_none()) {
        votes.entry(lower(&surface(c))).or_default()[kind_index(c.kind)] += 1;
    }
    for c in cands.iter_mut().filter(|c| c.link.is_none()) {
        if let Some(v) = votes.get(&lower(&surface(c))) {
            c.kind = consensus(v);
        }
    }

    // 3. Repeats the tagger missed, and surnames on their own.
    add_repeats(text, doc, &mut cands);

    // 4. Referents.
    group(text, doc, cands, &surface)
}

/// Byte offset of code point `cp`, walking from the token that holds it
/// (not from the start of the text: that is quadratic on long articles).
fn byte_of(text: &str, doc: &Document, cp: usize) -> usize {
    let (mut b, mut at) = match doc.tokens.partition_point(|t| t.start <= cp) {
        0 => (0, 0),
        i => (doc.tokens[i - 1].byte_start, doc.tokens[i - 1].start),
    };
    for ch in text[b..].chars() {
        if at == cp {
            break;
        }
        b += ch.len_utf8();
        at += 1;
    }
    b
}

fn kind_index(k: EntityType) -> usize {
    match k {
        EntityType::PER => 0,
        EntityType::ORG => 1,
        EntityType::LOC => 2,
        EntityType::MISC => 3,
    }
}

const KINDS: [EntityType; 4] = [
    EntityType::PER,
    EntityType::ORG,
    EntityType::LOC,
    EntityType::MISC,
];

/// PER once is PER throughout; else the majority (ties: ORG, LOC, MISC order).
fn consensus(v: &[usize; 4]) -> EntityType {
    if v[0] > 0 {
        return EntityType::PER;
    }
    let best = (1..4).fold(1, |b, k| if v[k] > v[b] { k } else { b });
    KINDS[best]
}

/// Does the span starting at token `s` name the portfolio of an office
/// (`ministre [kazakh] des Affaires étrangères`)? Walks back over linking
/// words (at least one), then at most one demonym (a gazetteer demonym
/// match, so that a verb such as `reçoit des` does not qualify), to a
/// lower-case portfolio head.
fn names_a_portfolio(text: &str, doc: &Document, s: usize, matches: &[GazetteerMatch]) -> bool {
    let sent_start = doc.sentence_of(s).map_or(0, |i| doc.sentences[i].tokens.start);
    let mut i = s;
    while i > sent_start && PORTFOLIO_LINKS.contains(&lower(doc.tokens[i - 1].text(text)).as_str()) {
        i -= 1;
    }
    if i == s || i == sent_start {
        return false;
    }
    let is_head = |k: usize| {
        let t = doc.tokens[k].text(text);
        PORTFOLIO_HEADS.contains(&lower(t).as_str()) && t.chars().next().is_some_and(char::is_lowercase)
    };
    if is_head(i - 1) {
        return true;
    }
    let demonym_at = |k: usize| {
        let start = doc.tokens[k].start;
        let at = matches.partition_point(|m| m.start < start);
        matches[at..]
            .iter()
            .take_while(|m| m.start == start)
            .any(|m| m.is_demonym)
    };
    i >= sent_start + 2 && demonym_at(i - 1) && is_head(i - 2)
}

/// Is the demonym at code point `start` qualifying an office noun a few
/// tokens before it, with no punctuation between?
fn qualifies_office(text: &str, doc: &Document, start: usize) -> bool {
    let i = doc.token_at_or_after(start);
    let i = if i < doc.tokens.len() && doc.tokens[i].start == start {
        i
    } else if i > 0 {
        i - 1 // inside a hyphenated token: not an office qualifier
    } else {
        return false;
    };
    if doc.tokens[i].start != start {
        return false;
    }
    let sent_start = doc.sentence_of(i).map_or(0, |s| doc.sentences[s].tokens.start);
    for back in 1..=4 {
        if i < sent_start + back {
            break;
        }
        let t = doc.tokens[i - back].text(text);
        if !t.chars().any(char::is_alphanumeric) {
            break;
        }
        let l = t.to_lowercase();
        if OFFICES.contains(&l.as_str()) {
            return true;
        }
    }
    false
}

/// Adds untagged later occurrences of names found elsewhere, and person
/// surnames on their own.
fn add_repeats(text: &str, doc: &Document, cands: &mut Vec<Cand>) {
    let toks = &doc.tokens;
    // Known token sequences (by first token) with their type and link.
    let mut known: HashMap<&str, Vec<(usize, Cand)>> = HashMap::new();
    for c in cands.iter() {
        let Some((s, e)) = c.toks else { continue };
        if c.demonym {
            continue;
        }
        let first = toks[s].text(text);
        if !first.chars().next().is_some_and(char::is_uppercase) || first.chars().count() < 2 {
            continue;
        }
        known.entry(first).or_default().push((e - s, c.clone()));
        if c.kind == EntityType::PER && e - s >= 2 {
            let last = toks[e - 1].text(text);
            if last.chars().count() >= 3 && last.chars().next().is_some_and(char::is_uppercase) {
                let mut sur = c.clone();
                sur.link = None;
                known.entry(last).or_default().push((1, sur));
            }
        }
    }
    if known.is_empty() {
        return;
    }
    let mut covered = vec![false; toks.len()];
    for c in cands.iter() {
        if let Some((s, e)) = c.toks {
            covered[s..e].iter_mut().for_each(|x| *x = true);
        } else {
            let s = doc.token_at_or_after(c.start).saturating_sub(1);
            for (k, t) in toks.iter().enumerate().skip(s) {
                if t.start >= c.end {
                    break;
                }
                if t.end > c.start {
                    covered[k] = true;
                }
            }
        }
    }
    let mut added = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if covered[i] {
            i += 1;
            continue;
        }
        let Some(options) = known.get(toks[i].text(text)) else {
            i += 1;
            continue;
        };
        let mut best: Option<(usize, &Cand)> = None;
        for (n, c) in options {
            let (cs, ce) = c.toks.expect("known names are token-aligned");
            let n = *n;
            if i + n > toks.len() || covered[i..i + n].iter().any(|&x| x) {
                continue;
            }
            let same = if n == 1 {
                true
            } else {
                (0..n).all(|k| toks[i + k].text(text) == toks[cs + k].text(text)) && ce - cs == n
            };
            if same && best.is_none_or(|(bn, _)| n > bn) {
                best = Some((n, c));
            }
        }
        match best {
            Some((n, c)) => {
                added.push(Cand {
                    start: toks[i].start,
                    end: toks[i + n - 1].end,
                    toks: Some((i, i + n)),
                    kind: c.kind,
                    tagged: None,
                    link: if n == c.toks.map_or(0, |(s, e)| e - s) {
                        c.link.clone()
                    } else {
                        None
                    },
                    demonym: false,
                });
                i += n;
            }
            None => i += 1,
        }
    }
    // A lone surname the tagger typed otherwise is still the person.
    let surnames: HashMap<&str, ()> = cands
        .iter()
        .filter(|c| c.kind == EntityType::PER && c.link.is_none())
        .filter_map(|c| {
            c.toks
                .filter(|(s, e)| e - s >= 2)
                .map(|(_, e)| (toks[e - 1].text(text), ()))
        })
        .collect();
    for c in cands.iter_mut() {
        if let Some((s, e)) = c.toks {
            if e - s == 1
                && c.kind != EntityType::PER
                && c.link.is_none()
                && surnames.contains_key(toks[s].text(text))
            {
                c.kind = EntityType::PER;
            }
        }
    }
    cands.extend(added);
    cands.sort_by_key(|c| (c.start, c.end));
}

struct Group {
    kind_votes: [usize; 4],
    link: Option<LinkInfo>,
    /// Name tokens of the longest form (persons).
    name_tokens: Vec<String>,
    name: String,
    mentions: Vec<Mention>,
}

fn initials(name: &str) -> String {
    name.split(|c: char| c.is_whitespace() || c == '-' || c == '\'' || c == '’')
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_uppercase())
        .collect()
}

fn group(text: &str, doc: &Document, cands: Vec<Cand>, surface: &dyn Fn(&Cand) -> String) -> Vec<Entity> {
    let toks = &doc.tokens;
    let mut groups: Vec<Group> = Vec::new();
    let mut by_link: HashMap<String, usize> = HashMap::new();
    let mut by_name: HashMap<(EntityType, String), usize> = HashMap::new();
    // Longest persons first, so shorter forms find their full name.
    let mut order: Vec<usize> = (0..cands.len()).collect();
    order.sort_by_key(|&i| {
        let c = &cands[i];
        let n = c.toks.map_or(1, |(s, e)| e - s);
        (std::cmp::Reverse(n), c.start)
    });
    for &i in &order {
        let c = &cands[i];
        let surf = surface(c);
        let mention = Mention {
            start: c.start,
            end: c.end,
            text: surf.clone(),
        };
        if let Some(link) = &c.link {
            let g = *by_link.entry(link.id.clone()).or_insert_with(|| {
                groups.push(Group {
                    kind_votes: [0; 4],
                    link: Some(link.clone()),
                    name_tokens: Vec::new(),
                    name: link.name.clone(),
                    mentions: Vec::new(),
                });
                groups.len() - 1
            });
            let vote = c.tagged.unwrap_or(link.kind);
            groups[g].kind_votes[kind_index(vote)] += 1;
            groups[g].mentions.push(mention);
            continue;
        }
        let name_tokens: Vec<String> = match c.toks {
            Some((s, e)) => (s..e).map(|k| toks[k].text(text).to_string()).collect(),
            None => vec![surf.clone()],
        };
        let mut target = None;
        if c.kind == EntityType::PER {
            // Part of a longer person's name (contiguous sub-sequence).
            let mut best: Option<(usize, usize)> = None; // (group, distance)
            for (gi, g) in groups.iter().enumerate() {
                if g.link.is_some() || consensus(&g.kind_votes) != EntityType::PER {
                    continue;
                }
                let n = name_tokens.len();
                let contains =
                    g.name_tokens.len() >= n && g.name_tokens.windows(n).any(|w| w == &name_tokens[..]);
                if contains {
                    let dist = g
                        .mentions
                        .iter()
                        .map(|m| m.start.abs_diff(c.start))
                        .min()
                        .unwrap_or(usize::MAX);
                    if best.is_none_or(|(_, d)| dist < d) {
                        best = Some((gi, dist));
                    }
                }
            }
            target = best.map(|b| b.0);
        }
        let key = (c.kind, normalize::fold_key(&surf));
        if target.is_none() {
            target = by_name.get(&key).copied();
        }
        if target.is_none() && c.kind == EntityType::ORG {
            let caps = surf.chars().filter(|ch| ch.is_alphabetic()).count();
            if (2..=6).contains(&caps)
                && surf
                    .chars()
                    .filter(|ch| ch.is_alphabetic())
                    .all(char::is_uppercase)
            {
                target = groups.iter().position(|g| {
                    g.link.is_none()
                        && consensus(&g.kind_votes) == EntityType::ORG
                        && g.name_tokens.len() >= 2
                        && initials(&g.name) == surf
                });
            }
        }
        let g = match target {
            Some(g) => g,
            None => {
                groups.push(Group {
                    kind_votes: [0; 4],
                    link: None,
                    name_tokens: name_tokens.clone(),
                    name: surf.clone(),
                    mentions: Vec::new(),
                });
                groups.len() - 1
            }
        };
        by_name.entry(key).or_insert(g);
        groups[g].kind_votes[kind_index(c.kind)] += 1;
        groups[g].mentions.push(mention);
    }

    let text_len = doc.tokens.last().map_or(1, |t| t.end.max(1));
    let first_sentence_end = doc.sentences.first().map_or(0, |s| s.end);
    let mut entities: Vec<Entity> = groups
        .into_iter()
        .filter(|g| !g.mentions.is_empty())
        .map(|mut g| {
            g.mentions.sort_by_key(|m| (m.start, m.end));
            g.mentions.dedup_by_key(|m| (m.start, m.end));
            let kind = match &g.link {
                Some(l) if g.kind_votes.iter().sum::<usize>() == 0 => l.kind,
                Some(l) => {
                    let best = (0..4).fold(kind_index(l.kind), |b, k| {
                        if g.kind_votes[k] > g.kind_votes[b] {
                            k
                        } else {
                            b
                        }
                    });
                    KINDS[best]
                }
                None => consensus(&g.kind_votes),
            };
            let salience: f32 = g
                .mentions
                .iter()
                .map(|m| {
                    let lead = if m.start < first_sentence_end { 2.0 } else { 1.0 };
                    lead * (1.0 - 0.5 * m.start as f32 / text_len as f32)
                })
                .sum();
            let (id, name, subtype, qid) = match g.link {
                Some(l) => (l.id, l.name, l.subtype, l.qid),
                None => (stable_id(&g.name, kind), g.name, None, None),
            };
            Entity {
                id,
                name,
                kind,
                subtype,
                qid,
                count: g.mentions.len(),
                first: g.mentions[0].start,
                mentions: g.mentions,
                salience,
            }
        })
        .collect();
    // Entities with the same id (a person grouped two ways) merge.
    entities.sort_by(|a, b| a.id.cmp(&b.id).then(a.first.cmp(&b.first)));
    let mut merged: Vec<Entity> = Vec::with_capacity(entities.len());
    for e in entities {
        match merged.last_mut() {
            Some(last) if last.id == e.id => {
                last.mentions.extend(e.mentions);
                last.mentions.sort_by_key(|m| (m.start, m.end));
                last.mentions.dedup_by_key(|m| (m.start, m.end));
                last.count = last.mentions.len();
                last.first = last.mentions[0].start;
                last.salience += e.salience;
            }
            _ => merged.push(e),
        }
    }
    let max = merged.iter().map(|e| e.salience).fold(0f32, f32::max);
    for e in merged.iter_mut() {
        e.salience = if max > 0.0 {
            (e.salience / max * 1000.0).round() / 1000.0
        } else {
            0.0
        };
    }
    merged.sort_by_key(|e| e.first);
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::tokens;

    /// Is the token starting with `word` in `text` the start of a portfolio?
    fn portfolio(text: &str, word: &str) -> bool {
        let doc = tokens::analyze(text, "fr");
        let gaz = Gazetteer::load().expect("embedded gazetteer");
        let matches = gaz.find(text, &doc);
        let s = (0..doc.tokens.len())
            .find(|&i| doc.tokens[i].text(text) == word)
            .expect("word in text");
        names_a_portfolio(text, &doc, s, &matches)
    }

    #[test]
    fn portfolios_of_offices() {
        assert!(portfolio("le ministre des Affaires étrangères a dit", "Affaires"));
        assert!(portfolio(
            "le ministre kazakh des Affaires étrangères a dit",
            "Affaires"
        ));
        assert!(portfolio("le ministère de l'Intérieur", "Intérieur"));
        assert!(portfolio("le secrétaire d'État aux Transports", "Transports"));
        // A verb between the office and the name: a real organisation.
        assert!(!portfolio(
            "le ministre reçoit des Forces démocratiques",
            "Forces"
        ));
        // A capitalised head is a name the tagger keeps whole.
        assert!(!portfolio("Le Ministère des Affaires étrangères", "Affaires"));
        assert!(!portfolio("des Affaires étrangères", "Affaires"));
    }
}
