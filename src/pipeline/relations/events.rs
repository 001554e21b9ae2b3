//! Article-level events in the spirit of GDELT's CAMEO codes, rolled up
//! from relations: one event per (code, actors), listing every relation it
//! rests on.
//!
//! | relation | CAMEO | name |
//! |---|---|---|
//! | cooperation, modality intended | 03 / 030 | Express intent to cooperate |
//! | communication by phone | 04 / 041 | Discuss by telephone |
//! | communication, meeting | 04 / 040 | Consult |
//! | visit | 04 / 042 | Make a visit |
//! | meeting where the subject received the object | 04 / 043 | Host a visit |
//! | meeting, activity negotiation | 04 / 046 | Engage in negotiation |
//! | cooperation, stated or agreed | 05 / 050 | Engage in diplomatic cooperation |
//! | cooperation, signed | 05 / 057 | Sign formal agreement |
//! | cooperation, denied | 12 / 120 | Reject |
//! | Kill | 18 / 180 | Use unconventional violence (assault) |
//!
//! `code` is the top-level (root) code; the attribute `cameo` holds the
//! finer code and `modality` the relation's when it is not `stated`.

use crate::pipeline::record::{Event, Relation};
use std::collections::BTreeMap;

/// The CAMEO (root, code, name) of a relation, if it is an event.
pub fn cameo(r: &Relation) -> Option<(&'static str, &'static str, &'static str)> {
    let attr = |k: &str| r.attributes.get(k).map(String::as_str);
    let modality = attr("modality").unwrap_or("stated");
    Some(match r.kind.as_str() {
        "cooperation" => match modality {
            "intended" => ("03", "030", "Express intent to cooperate"),
            "denied" => ("12", "120", "Reject"),
            "signed" => ("05", "057", "Sign formal agreement"),
            _ => ("05", "050", "Engage in diplomatic cooperation"),
        },
        "communication" if attr("channel") == Some("phone") => ("04", "041", "Discuss by telephone"),
        "communication" => ("04", "040", "Consult"),
        "visit" => ("04", "042", "Make a visit"),
        "meeting" if attr("host") == Some("subject") => ("04", "043", "Host a visit"),
        "meeting" if attr("activity") == Some("negotiation") => ("04", "046", "Engage in negotiation"),
        "meeting" => ("04", "040", "Consult"),
        "Kill" => ("18", "180", "Use unconventional violence"),
        _ => return None,
    })
}

/// Rolls relations up into events (relations whose modality is `denied`
/// for a visit or meeting make none: nothing happened).
pub fn events(relations: &[Relation]) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::with_capacity(relations.len());
    for (i, r) in relations.iter().enumerate() {
        let Some((root, code, name)) = cameo(r) else {
            continue;
        };
        let modality = r.attributes.get("modality").map(String::as_str);
        if modality == Some("denied") && r.kind != "cooperation" {
            continue;
        }
        let symmetric = matches!(r.kind.as_str(), "cooperation" | "communication") || code == "046";
        // Compared by reference: the actors are only copied for a new event.
        let same = |e: &Event| {
            e.attributes.get("cameo").map(String::as_str) == Some(code)
                && match &e.actors[..] {
                    [a, b] => {
                        (*a == r.subject && *b == r.object)
                            || (symmetric && *a == r.object && *b == r.subject)
                    }
                    _ => false,
                }
        };
        if let Some(e) = out.iter_mut().find(|e| same(e)) {
            e.relations.push(i);
            if let Some(d) = r.attributes.get("date") {
                e.attributes.entry("date".into()).or_insert_with(|| d.clone());
            }
            continue;
        }
        let mut attributes = BTreeMap::new();
        attributes.insert("cameo".to_string(), code.to_string());
        if let Some(m) = modality.filter(|m| *m != "stated") {
            attributes.insert("modality".to_string(), m.to_string());
        }
        if let Some(d) = r.attributes.get("date") {
            attributes.insert("date".to_string(), d.clone());
        }
        out.push(Event {
            code: root.to_string(),
            name: name.to_string(),
            actors: vec![r.subject.clone(), r.object.clone()],
            relations: vec![i],
            attributes,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::record::Span;

    fn rel(kind: &str, s: &str, o: &str, attrs: &[(&str, &str)]) -> Relation {
        Relation {
            kind: kind.into(),
            subject: s.into(),
            object: o.into(),
            subject_mention: Span::new(0, 1),
            object_mention: Span::new(2, 3),
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            evidence: Span::new(0, 3),
            trigger: None,
            confidence: 0.9,
            extractor: "test".into(),
        }
    }

    #[test]
    fn roll_up() {
        let rels = vec![
            rel("cooperation", "kz", "eu", &[("modality", "intended")]),
            rel("cooperation", "eu", "kz", &[("modality", "intended")]),
            rel("communication", "a", "b", &[("channel", "phone")]),
            rel("visit", "a", "bru", &[("date", "novembre 2021")]),
            rel("holds_office", "a", "kz", &[("office", "foreign_minister")]),
            rel("visit", "a", "par", &[("modality", "denied")]),
        ];
        let ev = events(&rels);
        assert_eq!(ev.len(), 3);
        assert_eq!((ev[0].code.as_str(), ev[0].relations.clone()), ("03", vec![0, 1]));
        assert_eq!(ev[1].attributes["cameo"], "041");
        assert_eq!(ev[2].name, "Make a visit");
        assert_eq!(ev[2].attributes["date"], "novembre 2021");
    }
}
