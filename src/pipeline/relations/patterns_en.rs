//! English relation patterns (syntax in `patterns.rs`), over normalised
//! tokens. The CoNLL04 types come from the classifier, not from here.

use super::patterns::{p, PatternDef};

/// Optional apposition after a person: ", the foreign minister,".
macro_rules! app {
    () => {
        "( , @det? {t} , )?"
    };
}

pub const PATTERNS: &[PatternDef] = &[
    // ---- holds_office -------------------------------------------------
    // "French Foreign Minister Roland Dumas", "the president of France, X"
    p("en_title_person", "holds_office", "{t} ,? {s:PER}"),
    // "Roland Dumas, France's foreign minister"
    p("en_person_title", "holds_office", "{s:PER} , @det? {t}").conf(0.85),
    p(
        "en_person_is_title",
        "holds_office",
        "{s:PER} ( is | was | became | , who is | has been | serves as | served as ) @det? {t}",
    )
    .conf(0.85),
    p(
        "en_person_named_title",
        "holds_office",
        "{s:PER} ( , | was | has been | , who was )? appointed|named|elected|nominated|reappointed ( as )? @det? {t}",
    )
    .conf(0.85),
    // ---- visit ----------------------------------------------------------
    p(
        "en_visited",
        "visit",
        concat!("{s:PER|ORG} ", app!(), " ( will | to | is | was | has | had )? !visited|visits|visit|visiting|toured|tours @det? {o:LOC} {date}?"),
    )
    .conf(0.85),
    p(
        "en_arrived_in",
        "visit",
        concat!("{s:PER|ORG} ", app!(), " ..2 !arrived|arrives|arrive|landed in {o:LOC} {date}?"),
    ),
    p(
        "en_travelled_to",
        "visit",
        concat!("{s:PER|ORG} ", app!(), " ..2 !traveled|travelled|travels|travel|flew|flies|fly|went|goes|returned to @det? {o:LOC} {date}?"),
    )
    .conf(0.85),
    p("en_visit_by_to", "visit", "!visit|trip ( by | of ) @det? {t}? ,? {s:PER|ORG} ,? to @det? {o:LOC} {date}?"),
    p("en_poss_visit", "visit", "{s:PER|ORG} 's ..2 !visit|trip to @det? {o:LOC} {date}?"),
    p(
        "en_on_visit",
        "visit",
        concat!("{s:PER|ORG} ", app!(), " ( is | was | will be | , )? on @det? ..2 !visit|trip|tour to|of @det? {o:LOC} {date}?"),
    ),
    // ---- communication ----------------------------------------------------
    p(
        "en_spoke_with",
        "communication",
        concat!("{s:PER|ORG} ", app!(), " !spoke|talked|speaks|talks|conferred|chatted ( by @phone | on the @phone | over the @phone )? with|to @det? {t}? ,? {o:PER|ORG}"),
    )
    .conf(0.8),
    p(
        "en_x_and_y_spoke",
        "communication",
        "{s:PER|ORG} and @det? {t}? ,? {o:PER|ORG} ,? !spoke|talked|conferred ( by @phone | on the @phone | over the @phone )?",
    ),
    p(
        "en_phoned",
        "communication",
        concat!("{s:PER|ORG} ", app!(), " !phoned|telephoned|rang @det? {t}? ,? {o:PER}"),
    )
    .attrs(&[("channel", "phone")]),
    p(
        "en_had_call_with",
        "communication",
        concat!("{s:PER|ORG} ", app!(), " had|held @det? ..1 !call|conversation|phone-call with @det? {t}? ,? {o:PER|ORG}"),
    ),
    p(
        "en_call_between",
        "communication",
        "!call|conversation|phone-call between @det? {t}? ,? {s:PER|ORG} and @det? {t}? ,? {o:PER|ORG}",
    ),
    // ---- meeting ----------------------------------------------------------
    p(
        "en_met",
        "meeting",
        concat!("{s:PER|ORG} ", app!(), " ( will | to | has | had | is to )? !met|meets|meet ( with )? @det? {t}? ,? {o:PER|ORG}"),
    ),
    p(
        "en_received",
        "meeting",
        concat!("{s:PER|ORG} ", app!(), " !received|hosted|welcomed @det? {t}? ,? {o:PER}"),
    )
    .attrs(&[("host", "subject")])
    .conf(0.8),
    p(
        "en_held_talks_with",
        "meeting",
        concat!("{s:PER|ORG} ", app!(), " ( held | holds | hold | will hold | opened ) !talks|negotiations|consultations|meeting|meetings with @det? {t}? ,? {o:PER|ORG|LOC}"),
    )
    .attrs(&[("activity", "negotiation")]),
    p(
        "en_negotiated_with",
        "meeting",
        concat!("{s:PER|ORG} ", app!(), " !negotiated|negotiates ..3 with @det? {t}? ,? {o:PER|ORG|LOC}"),
    )
    .attrs(&[("activity", "negotiation")]),
    p(
        "en_talks_between",
        "meeting",
        "!talks|negotiations|meeting|consultations between @det? {t}? ,? {s:PER|ORG|LOC} and @det? ( leaders|officials|representatives of )? @det? {t}? ,? {o:PER|ORG|LOC}",
    )
    .attrs(&[("activity", "negotiation")])
    .conf(0.85),
    p("en_x_and_y_met", "meeting", "{s:PER|ORG} and @det? {t}? ,? {o:PER|ORG} ,? !met|negotiated"),
    // ---- cooperation --------------------------------------------------------
    p("en_x_and_y_cooperation", "cooperation", "{s:LOC|ORG} and @det? {o:LOC|ORG} ..8 !cooperation|cooperate|partnership").conf(0.85),
    p(
        "en_signed_with",
        "cooperation",
        "{s:LOC|ORG|PER} ..3 !signed|signs|sign|signing ..4 agreement|treaty|deal|memorandum|accord|pact|partnership ..4 with @det? {o:LOC|ORG}",
    )
    .conf(0.85),
    p(
        "en_agreement_between",
        "cooperation",
        "!agreement|treaty|accord|pact|cooperation|partnership ..3 between @det? {s:LOC|ORG} and @det? {o:LOC|ORG}",
    )
    .conf(0.8),
    // ---- presides -------------------------------------------------------------
    p(
        "en_presidency_of",
        "presides",
        "{s:LOC|DEM} 's? current|rotating|six-month? !presidency of @det? {o:ORG}",
    ),
    p(
        "en_holds_presidency",
        "presides",
        "{s:LOC} ..1 holds|held|hold|assumed|assumes|took|takes|has ( over )? @det? current|rotating|six-month? !presidency of @det? {o:ORG}",
    ),
    p("en_presides", "presides", "{s:LOC} currently? !presides|chairs|chaired|presided over? @det? {o:ORG}"),
    // ---- member_of / works_for --------------------------------------------------
    p("en_member_of", "member_of", "{s:PER} ( , | is | was ) @det? !member of @det? {o:ORG}"),
    p(
        "en_works_for",
        "works_for",
        "{s:PER} , @det? ..1 !reporter|correspondent|employee|analyst|economist|researcher|adviser|advisor|editor|official|executive|engineer|lawyer ..2 of|at|for|with @det? {o:ORG}",
    )
    .conf(0.8),
    p("en_works_at", "works_for", "{s:PER} !works|worked|working for|at @det? {o:ORG}").conf(0.85),
    // ---- located_in ---------------------------------------------------------------
    p(
        "en_capital_of",
        "located_in",
        "{s:LOC} , @det? !capital|city|town|region|province|village|port ..2 of|in @det? {o:LOC}",
    ),
    p("en_situated_in", "located_in", "{s:LOC} ,? !located|situated in @det? {o:LOC}"),
];
