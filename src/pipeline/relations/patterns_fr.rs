//! French relation patterns (syntax in `patterns.rs`). Written over the
//! normalised tokens (lower case, no accents): "s'est entretenu par
//! téléphone avec" is `s' est entretenu par telephone avec`.
//!
//! Every pattern names both arguments by their role in the sentence, never
//! by a name: they must hold for any article.

use super::patterns::{p, PatternDef};

/// Optional apposition after a person: ", ministre des Affaires étrangères,".
/// (Kept as text so each pattern reads as one line.)
macro_rules! app {
    () => {
        "( , @det? {t} , )?"
    };
}

pub const PATTERNS: &[PatternDef] = &[
    // ---- holds_office -------------------------------------------------
    // "le président kazakh, Kassym-Jomart Tokaïev"; "du vice-premier
    // ministre, ministre des Affaires étrangères, Moukhtar Tleouberdi".
    p("fr_title_person", "holds_office", "{t} ,? {s:PER}"),
    // "Moukhtar Tleouberdi, ministre des Affaires étrangères du Kazakhstan"
    p("fr_person_title", "holds_office", "{s:PER} , @det? {t}").conf(0.85),
    p(
        "fr_person_is_title",
        "holds_office",
        "{s:PER} ( est | etait | devient | sera | a ete | , qui est | , actuel | , actuelle ) @det? {t}",
    )
    .conf(0.85),
    p(
        "fr_person_named_title",
        "holds_office",
        "{s:PER} ( , | a ete | vient d' etre )? nomme|nommee|elu|elue|designe|designee|reconduit|reconduite @det? au? poste? @de? {t}",
    )
    .conf(0.85),
    // ---- visit ----------------------------------------------------------
    // "visite de travail du vice-premier ministre, ..., Moukhtar Tleouberdi, à Bruxelles"
    p("fr_visit_of_to", "visit", "!visite ..3 @de @det? {t}? ,? {s:PER|ORG} ,? @a @det? {o:LOC} {date}?"),
    p(
        "fr_went_to",
        "visit",
        concat!("{s:PER|ORG} ", app!(), " ( s' | se ) est|sont|etait|etaient !rendu|rendue|rendus|rendues @a @det? {o:LOC} {date}?"),
    ),
    p(
        "fr_will_go_to",
        "visit",
        concat!("{s:PER|ORG} ", app!(), " se !rendra|rendront|rend|rendent|rendait @a @det? {o:LOC} {date}?"),
    ),
    p(
        "fr_visited",
        "visit",
        concat!("{s:PER|ORG} ", app!(), " ( a | ont | avait | avaient )? !visite|visitera|visiteront @det? {o:LOC} {date}?"),
    )
    .conf(0.85),
    p(
        "fr_arrived_in",
        "visit",
        concat!("{s:PER|ORG} ", app!(), " est|sont|etait !arrive|arrivee|arrives|arrivees @a @det? {o:LOC} {date}?"),
    ),
    p(
        "fr_made_visit",
        "visit",
        concat!("{s:PER|ORG} ", app!(), " a|ont|effectuera|effectue|effectuent ..1 ( une | sa | leur ) ..1 !visite ..3 @a @det? {o:LOC} {date}?"),
    ),
    p("fr_on_visit", "visit", concat!("{s:PER|ORG} ", app!(), " ..1 en !visite ..2 @a @det? {o:LOC} {date}?")).conf(0.85),
    // ---- communication (talked, phoned) -------------------------------
    // "M. Tleouberdi et le ministre français ..., Jean-Yves Le Drian, se sont entretenus par téléphone"
    p(
        "fr_x_and_y_talked",
        "communication",
        "{s:PER|ORG} et @det? {t}? ,? {o:PER|ORG} ,? ( se | s' ) sont|etaient|seront ..1 !entretenus|entretenues|parle|telephone|appeles",
    ),
    p(
        "fr_talked_with",
        "communication",
        concat!("{s:PER|ORG} ", app!(), " ( s' | se ) est|sont|etait ..1 !entretenu|entretenue|entretenus|entretenues ..3 avec @det? {t}? ,? {o:PER|ORG}"),
    ),
    p(
        "fr_had_talk_with",
        "communication",
        concat!("{s:PER|ORG} ", app!(), " a|ont|avait ( eu | tenu ) ( un | une ) !entretien|conversation|echange|appel ..2 avec @det? {t}? ,? {o:PER|ORG}"),
    ),
    p(
        "fr_phoned",
        "communication",
        concat!("{s:PER|ORG} ", app!(), " a|ont !telephone|appele a? @det? {t}? ,? {o:PER}"),
    )
    .attrs(&[("channel", "phone")]),
    p(
        "fr_talk_between",
        "communication",
        "!entretien|conversation|echange|appel ..1 entre @det? {t}? ,? {s:PER|ORG} ,? et @det? {t}? ,? {o:PER|ORG}",
    ),
    p(
        "fr_spoke_with",
        "communication",
        concat!("{s:PER|ORG} ", app!(), " a|ont !parle|discute|echange ..2 avec @det? {t}? ,? {o:PER|ORG}"),
    )
    .conf(0.8),
    // ---- meeting (met, negotiated) -------------------------------------
    p(
        "fr_met",
        "meeting",
        concat!("{s:PER|ORG} ", app!(), " a|ont|avait|avaient|va|vont|doit|doivent !rencontre|rencontrer @det? {t}? ,? {o:PER|ORG}"),
    ),
    p(
        "fr_received",
        "meeting",
        concat!("{s:PER|ORG} ", app!(), " a|ont|avait !recu|accueilli @det? {t}? ,? {o:PER}"),
    )
    .attrs(&[("host", "subject")]),
    p(
        "fr_x_and_y_met",
        "meeting",
        "{s:PER|ORG} et @det? {t}? ,? {o:PER|ORG} ,? se sont|seront !rencontres|rencontrees|reunis|vus",
    ),
    // "des négociations entre le ministre kazakh ..., Moukhtar Tleouberdi, et les dirigeants de l'UE"
    p(
        "fr_talks_between",
        "meeting",
        "!negociations|entretiens|rencontre|reunion|discussions|pourparlers|consultations entre @det? {t}? ,? {s:PER|ORG|LOC} ,? et @det? ( dirigeants|responsables|representants|autorites @de )? @det? {t}? ,? {o:PER|ORG|LOC}",
    )
    .attrs(&[("activity", "negotiation")])
    .conf(0.85),
    p(
        "fr_held_talks_with",
        "meeting",
        concat!("{s:PER|ORG} ", app!(), " a|ont|avait ( mene | tenu | eu | engage ) des !negociations|entretiens|discussions|pourparlers|consultations ..2 avec @det? {t}? ,? {o:PER|ORG|LOC}"),
    )
    .attrs(&[("activity", "negotiation")]),
    // ---- cooperation ---------------------------------------------------
    // "Le Kazakhstan et l'UE ont confirmé leur intention de développer une coopération"
    p("fr_x_and_y_cooperation", "cooperation", "{s:LOC|ORG} et @det? {o:LOC|ORG} ..8 !cooperation|cooperer|partenariat").conf(0.85),
    p(
        "fr_signed_with",
        "cooperation",
        "{s:LOC|ORG|PER} ..3 !signe|signent|signeront|signera ..4 accord|traite|memorandum|protocole|convention|partenariat ..6 avec @det? {o:LOC|ORG}",
    )
    .conf(0.85),
    p(
        "fr_agreement_between",
        "cooperation",
        "!accord|traite|memorandum|cooperation|partenariat ..3 entre @det? {s:LOC|ORG} et @det? {o:LOC|ORG}",
    )
    .conf(0.8),
    // ---- presides -------------------------------------------------------
    // "la présidence actuelle de la France au Conseil de l'Union européenne"
    p("fr_presidency_of_at", "presides", "!presidence ..2 @de @det? {s:LOC} au|a|aux|du|de|des @det? {o:ORG}"),
    // "la présidence française du Conseil de l'UE"
    p("fr_presidency_dem", "presides", "!presidence ..1 {s:DEM} ..1 du|de|des @det? {o:ORG}"),
    p(
        "fr_holds_presidency",
        "presides",
        "{s:LOC} ..2 assure|assurera|exerce|occupe|detient|assume|prend|prendra ..1 @det? !presidence ..2 du|de|des|a|au @det? {o:ORG}",
    ),
    p("fr_presides", "presides", "{s:LOC} !preside|presidait|presidera ..1 @det? {o:ORG}"),
    // ---- member_of / works_for ------------------------------------------
    p("fr_member_of", "member_of", "{s:PER} ( , | est | etait ) @det? !membre ..1 du|de|des @det? {o:ORG}"),
    p(
        "fr_works_for",
        "works_for",
        "{s:PER} , @det? !journaliste|correspondant|correspondante|employe|employee|salarie|salariee|analyste|economiste|chercheur|chercheuse|conseiller|conseillere|expert|experte ..2 de|du|des|chez|a|au @det? {o:ORG}",
    )
    .conf(0.8),
    p("fr_works_at", "works_for", "{s:PER} travaille|travaillait ( pour | chez | a | au ) @det? {o:ORG}").conf(0.85),
    // ---- located_in -----------------------------------------------------
    p(
        "fr_capital_of",
        "located_in",
        "{s:LOC} , @det? !capitale|ville|region|province|commune|localite|village ..2 @de @det? {o:LOC}",
    ),
    p("fr_situated_in", "located_in", "{s:LOC} ,? !situe|situee|situes|situees ..2 a|au|aux|en|dans @det? {o:LOC}"),
    p("fr_dem_capital", "located_in", "@det? !capitale {o:DEM} ,? {s:LOC}"),
];
