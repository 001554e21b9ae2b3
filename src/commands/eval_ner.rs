//! `newsflow eval ner FILE`: strict span precision, recall and F1 (overall
//! and per type) of the entity tagger on a CoNLL-style file (token and tag
//! columns, IOB1 or IOB2; see `pipeline::entities::conll`).
//!
//! The file's own tokens are tagged (standard CoNLL evaluation), with the
//! same gazetteer features the stage uses. A `.json` file is read as CoNLL04
//! (`tokens`, BILOU `tags` over Peop/Org/Loc/Other, scored as PER/ORG/LOC/MISC). `--holdout` keeps only the
//! WikiNEuRal sentences `newsflow train ner` held out.

use crate::pipeline::entities::{conll, training, EntityModels};
use crate::pipeline::linking::Gazetteer;
use anyhow::Context;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// CoNLL-style file (`token tag`, `index token tag` or `token POS chunk tag`; blank line between
    /// sentences), or a CoNLL04 `.json` file.
    pub file: PathBuf,
    /// Language of the file (default: guessed from a `/fr/`-like path component, else `en`).
    #[arg(long)]
    pub lang: Option<String>,
    /// Only score these types (comma-separated), e.g. `PER,ORG,LOC`. Default: all.
    #[arg(long, value_delimiter = ',')]
    pub types: Vec<String>,
    /// Only the sentences held out of training (index % 5 == 4): for WikiNEuRal val files.
    #[arg(long)]
    pub holdout: bool,
    /// A model file to evaluate instead of the embedded one.
    #[arg(long)]
    pub model: Option<PathBuf>,
}

fn guess_lang(file: &std::path::Path) -> String {
    for c in file.components().rev() {
        let s = c.as_os_str().to_string_lossy();
        if s.len() == 2 && s.bytes().all(|b| b.is_ascii_lowercase()) {
            return s.into_owned();
        }
        if s.starts_with("conll2003-en") {
            return "en".into();
        }
    }
    "en".into()
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let models = match &args.model {
        Some(p) => EntityModels::from_file(p)?,
        None => EntityModels::load()?,
    };
    let gaz = Gazetteer::load().context("loading the gazetteer")?;
    let lang = args.lang.clone().unwrap_or_else(|| guess_lang(&args.file));
    let sentences = if args.file.extension().is_some_and(|e| e == "json") {
        training::read_conll04(&args.file)?
    } else {
        conll::read_conll(&args.file)?
    };
    let mut scores = conll::Scores::default();
    let mut tokens = 0usize;
    let started = Instant::now();
    let mut used = 0usize;
    for (i, s) in sentences.iter().enumerate() {
        if args.holdout && !training::is_holdout(i) {
            continue;
        }
        used += 1;
        tokens += s.tokens.len();
        let toks: Vec<&str> = s.tokens.iter().map(String::as_str).collect();
        let gtags = training::gazetteer_tags(&gaz, &s.tokens);
        let pred = models.tag_tokens(&toks, &gtags, &lang);
        let gold = training::to_iob2(&s.tags);
        scores.add(&conll::spans(&gold), &conll::spans(&pred), &args.types);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}: {used} sentences, {tokens} tokens, lang {lang}{}",
        args.file.display(),
        if args.holdout { " (held-out sentences)" } else { "" }
    );
    print!("{}", scores.table());
    eprintln!(
        "tagged in {secs:.2}s ({:.0} tokens/s, gazetteer lookup included)",
        tokens as f64 / secs.max(1e-9)
    );
    Ok(())
}
