//! `newsflow train relations`: trains the CoNLL04 pair classifier of the
//! relations stage and writes the model file the binary embeds.
//!
//! Reproducible: a fixed seed, a fixed number of epochs, no randomness
//! elsewhere; the same corpus gives the same bytes. With `--dev` it prints
//! strict micro P/R/F1 on the dev split given gold entities, per threshold
//! and per type, so the threshold written into the model can be chosen on
//! dev (never on test).

use crate::pipeline::relations::classifier::{training_pairs, PairClassifier, TrainConfig};
use crate::pipeline::relations::conll04::{self, Counts, RELATION_TYPES};
use crate::pipeline::relations::example_view;
use anyhow::Context;
use std::path::PathBuf;
use std::time::Instant;

const DEFAULT_DIR: &str = "../shared/corpora/relations/conll04";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// CoNLL04 JSON training files (default: ../shared/corpora/relations/conll04/conll04_train.json).
    #[arg(long = "train")]
    pub train: Vec<PathBuf>,
    /// CoNLL04 JSON file to report scores on, given gold entities (default: conll04_dev.json if present).
    #[arg(long)]
    pub dev: Option<PathBuf>,
    /// Where to write the model.
    #[arg(long, default_value = "models/relations-conll04.bin")]
    pub out: PathBuf,
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    pub epochs: usize,
    #[arg(long, default_value_t = TrainConfig::default().learning_rate)]
    pub learning_rate: f32,
    /// log2 of the hashed feature table.
    #[arg(long, default_value_t = TrainConfig::default().bits)]
    pub bits: u32,
    /// Probability above which a pair is a relation (stored in the model).
    #[arg(long, default_value_t = TrainConfig::default().threshold)]
    pub threshold: f32,
    /// Don't write the model (only report dev scores).
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let train_files = if args.train.is_empty() {
        vec![PathBuf::from(DEFAULT_DIR).join("conll04_train.json")]
    } else {
        args.train.clone()
    };
    let mut examples = Vec::new();
    for f in &train_files {
        examples.extend(conll04::read(f).with_context(|| {
            format!(
                "training data not found: pass --train FILE (CoNLL04 JSON), default {}",
                train_files[0].display()
            )
        })?);
    }
    let started = Instant::now();
    let mut pairs = Vec::new();
    for ex in &examples {
        let view = example_view(ex);
        let gold: Vec<_> = ex.relations.iter().map(|r| (r.head, r.tail, r.label)).collect();
        training_pairs(&view, &gold, &mut pairs);
    }
    let config = TrainConfig {
        epochs: args.epochs,
        learning_rate: args.learning_rate,
        bits: args.bits,
        threshold: args.threshold,
        ..TrainConfig::default()
    };
    let mut model = PairClassifier::train(&pairs, &config);
    eprintln!(
        "trained on {} sentences ({} candidate pairs, {} positive) in {:.1}s",
        examples.len(),
        pairs.len(),
        pairs.iter().filter(|p| p.gold).count(),
        started.elapsed().as_secs_f64()
    );

    let dev = args.dev.clone().or_else(|| {
        let p = PathBuf::from(DEFAULT_DIR).join("conll04_dev.json");
        p.exists().then_some(p)
    });
    if let Some(dev) = dev {
        let dev_examples = conll04::read(&dev)?;
        println!("dev {} (gold entities, classifier only):", dev.display());
        println!("threshold  precision  recall  F1");
        for t in [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7] {
            model.threshold = t;
            let (total, _) = gold_entity_scores(&model, &dev_examples);
            println!(
                "{t:>9.2}  {:>9.1}  {:>6.1}  {:>4.1}",
                100.0 * total.precision(),
                100.0 * total.recall(),
                100.0 * total.f1()
            );
        }
        model.threshold = args.threshold;
        let (total, per_type) = gold_entity_scores(&model, &dev_examples);
        println!("at threshold {:.2}, per type:", args.threshold);
        for (i, c) in per_type.iter().enumerate() {
            println!(
                "  {:<12} P {:>5.1}  R {:>5.1}  F1 {:>5.1}  (gold {})",
                RELATION_TYPES[i].0,
                100.0 * c.precision(),
                100.0 * c.recall(),
                100.0 * c.f1(),
                c.gold
            );
        }
        println!(
            "  {:<12} P {:>5.1}  R {:>5.1}  F1 {:>5.1}  (gold {})",
            "micro",
            100.0 * total.precision(),
            100.0 * total.recall(),
            100.0 * total.f1(),
            total.gold
        );
    }
    if !args.dry_run {
        let bytes = model.to_bytes();
        if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(&args.out, &bytes).with_context(|| format!("cannot write {}", args.out.display()))?;
        eprintln!("wrote {} ({} bytes)", args.out.display(), bytes.len());
    }
    Ok(())
}

/// Strict scores of the classifier alone given gold entities: total and per
/// relation type.
pub fn gold_entity_scores(model: &PairClassifier, examples: &[conll04::Example]) -> (Counts, Vec<Counts>) {
    let mut total = Counts::default();
    let mut per_type = vec![Counts::default(); RELATION_TYPES.len()];
    for ex in examples {
        let view = example_view(ex);
        let key = |a: usize| {
            let e = &ex.entities[a];
            (e.tokens.start, e.tokens.end, e.kind)
        };
        let predicted: Vec<_> = model
            .predict(&view)
            .into_iter()
            .map(|p| (p.label, key(p.subject), key(p.object)))
            .collect();
        let gold = conll04::strict_gold(ex);
        total.add(conll04::score(&predicted, &gold));
        for (t, counts) in per_type.iter_mut().enumerate() {
            let p: Vec<_> = predicted.iter().copied().filter(|r| r.0 == t).collect();
            let g: Vec<_> = gold.iter().copied().filter(|r| r.0 == t).collect();
            counts.add(conll04::score(&p, &g));
        }
    }
    (total, per_type)
}
