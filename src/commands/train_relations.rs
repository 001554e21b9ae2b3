//! `newsflow train relations`: trains the CoNLL04 pair classifier of the
//! relations stage and writes the model file the binary embeds.
//!
//! Reproducible: a fixed seed, a fixed number of epochs, no randomness
//! elsewhere; the same corpus gives the same bytes. With `--dev` it prints
//! strict micro P/R/F1 on the dev split given gold entities, per threshold
//! and per type, so the threshold written into the model can be chosen on
//! dev (never on test).
//!
//! `--entities` picks the mentions the pairs are built over: the gold ones
//! of the corpus, the ones the pipeline's entities stage finds when the
//! sentence is run through `newsflow enrich` as plain text (aligned to gold
//! for the labels, so the classifier learns with the entity noise it meets
//! at run time), or both. Over the found ones it also learns the CoNLL04
//! span convention for titles (`President Lincoln`, see
//! [`PrefixCounts`]).

use crate::pipeline::entities::EntityStage;
use crate::pipeline::relations::classifier::{
    training_pairs, Convention, PairClassifier, PrefixCounts, TrainConfig, TrainPair,
};
use crate::pipeline::relations::conll04::{self, relation_for, Example};
use crate::pipeline::relations::example_view;
use crate::pipeline::relations::harness::{gold_entity_scores, Harness, Run, Scores};
use crate::pipeline::relations::RelationModels;
use crate::pipeline::Pipeline;
use anyhow::Context;
use std::path::PathBuf;
use std::time::Instant;

const DEFAULT_DIR: &str = "../shared/corpora/relations/conll04";

/// Which mentions the training pairs are built over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mentions {
    /// The corpus's gold mentions.
    Gold,
    /// The mentions the pipeline finds in the sentence as plain text.
    Predicted,
    /// Both: every sentence twice.
    Both,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// CoNLL04 JSON training files (default: ../shared/corpora/relations/conll04/conll04_train.json).
    #[arg(long = "train")]
    pub train: Vec<PathBuf>,
    /// CoNLL04 JSON file to report scores on, given gold entities and end
    /// to end (default: conll04_dev.json if present).
    #[arg(long)]
    pub dev: Option<PathBuf>,
    /// Where to write the model.
    #[arg(long, default_value = "models/relations-conll04.bin")]
    pub out: PathBuf,
    /// The mentions training pairs are built over.
    #[arg(long, value_enum, default_value = "both")]
    pub entities: Mentions,
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    pub epochs: usize,
    #[arg(long, default_value_t = TrainConfig::default().learning_rate)]
    pub learning_rate: f32,
    /// log2 of the hashed feature table.
    #[arg(long, default_value_t = TrainConfig::default().bits)]
    pub bits: u32,
    /// Seed of the shuffling (training is otherwise deterministic).
    #[arg(long, default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
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
    // The entities stage only: the relation model may be missing or stale.
    let pipeline = pipeline_with(RelationModels::default())?;
    let harness = Harness::default();
    let mut pairs = Vec::new();
    let mut convention = Convention::default();
    if args.entities != Mentions::Predicted {
        for ex in &examples {
            let view = example_view(ex);
            let gold: Vec<_> = ex.relations.iter().map(|r| (r.head, r.tail, r.label)).collect();
            training_pairs(&view, &gold, &mut pairs);
        }
    }
    if args.entities != Mentions::Gold {
        let runs = examples
            .iter()
            .enumerate()
            .map(|(n, ex)| harness.run(&pipeline, ex, n))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut counts = PrefixCounts::default();
        for run in &runs {
            count_prefixes(run, &mut counts);
        }
        convention = counts.learnt(2);
        for run in &runs {
            predicted_pairs(run, &convention, &mut pairs);
        }
    }
    let config = TrainConfig {
        epochs: args.epochs,
        learning_rate: args.learning_rate,
        bits: args.bits,
        threshold: args.threshold,
        seed: args.seed,
    };
    let mut model = PairClassifier::train(&pairs, &config);
    model.convention = convention;
    eprintln!(
        "trained on {} sentences ({:?} mentions: {} candidate pairs, {} positive) in {:.1}s",
        examples.len(),
        args.entities,
        pairs.len(),
        pairs.iter().filter(|p| p.gold).count(),
        started.elapsed().as_secs_f64()
    );
    if !model.convention.prefixes.is_empty() {
        let words: Vec<String> = model
            .convention
            .prefixes
            .iter()
            .map(|(k, w)| format!("{w}/{}", k.as_str()))
            .collect();
        eprintln!("title words inside CoNLL04 mentions: {}", words.join(" "));
    }

    let dev = args.dev.clone().or_else(|| {
        let p = PathBuf::from(DEFAULT_DIR).join("conll04_dev.json");
        p.exists().then_some(p)
    });
    if let Some(dev) = dev {
        let dev_examples = conll04::read(&dev)?;
        report_dev(&dev, &dev_examples, &mut model, &harness, args.threshold)?;
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

/// Dev scores per threshold, given gold entities and end to end; then the
/// per-type table at the chosen threshold, which stays in the model.
fn report_dev(
    path: &std::path::Path,
    examples: &[Example],
    model: &mut PairClassifier,
    harness: &Harness,
    threshold: f32,
) -> anyhow::Result<()> {
    println!("dev {}: strict micro P / R / F1", path.display());
    println!("threshold  gold entities          end to end");
    for t in [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6] {
        model.threshold = t;
        let g = gold_entity_scores(model, examples).total;
        let e = end_to_end_scores(model, examples, harness)?.total;
        println!(
            "{t:>9.2}  {:>5.1} {:>5.1} {:>5.1}     {:>5.1} {:>5.1} {:>5.1}",
            100.0 * g.precision(),
            100.0 * g.recall(),
            100.0 * g.f1(),
            100.0 * e.precision(),
            100.0 * e.recall(),
            100.0 * e.f1()
        );
    }
    model.threshold = threshold;
    println!("at threshold {threshold:.2}, gold entities:");
    print!("{}", gold_entity_scores(model, examples).table());
    println!("at threshold {threshold:.2}, end to end:");
    print!("{}", end_to_end_scores(model, examples, harness)?.table());
    Ok(())
}

/// The whole pipeline with this classifier, on every sentence.
fn end_to_end_scores(
    model: &PairClassifier,
    examples: &[Example],
    harness: &Harness,
) -> anyhow::Result<Scores> {
    let pipeline = pipeline_with(RelationModels {
        classifier: Some(model.clone()),
    })?;
    let mut scores = Scores::default();
    for (n, ex) in examples.iter().enumerate() {
        let run = harness.run(&pipeline, ex, n)?;
        scores.add(&run.relations(), &conll04::strict_gold(ex));
    }
    Ok(scores)
}

/// The pipeline with the shipped entities stage and these relation models
/// (not `Pipeline::load`, which refuses a stale embedded classifier).
fn pipeline_with(relations: RelationModels) -> anyhow::Result<Pipeline> {
    Ok(Pipeline {
        entities: EntityStage::load().context("loading the entities stage")?,
        relations,
    })
}

/// Counts, for every found mention, whether the capitalised word right
/// before it belongs to the gold mention (inside) or not (outside).
fn count_prefixes(run: &Run, counts: &mut PrefixCounts) {
    for view in run.views() {
        for a in &view.args {
            let Some(prev) = a.tokens.start.checked_sub(1) else {
                continue;
            };
            let capitalised = view.words[prev].chars().next().is_some_and(char::is_uppercase);
            if !capitalised || view.arg_covering(prev).is_some() {
                continue;
            }
            let with = view.span_of(prev..a.tokens.end);
            if run.gold_entity(with, a.kind).is_some() {
                counts.add(a.kind, &view.norm[prev], true);
            } else if run.gold_entity(a.span, a.kind).is_some() {
                counts.add(a.kind, &view.norm[prev], false);
            }
        }
    }
}

/// Training pairs over the mentions the pipeline found: a pair is positive
/// when both its arguments (in the CoNLL04 span convention) are gold
/// entities of the right type in a gold relation.
fn predicted_pairs(run: &Run, convention: &Convention, out: &mut Vec<TrainPair>) {
    let ex = run.example;
    for view in run.views() {
        let gold_of: Vec<Option<usize>> = (0..view.args.len())
            .map(|a| {
                run.gold_entity(
                    view.span_of(convention.argument_tokens(&view, a)),
                    view.args[a].kind,
                )
            })
            .collect();
        let mut gold = Vec::new();
        for (s, gs) in gold_of.iter().enumerate() {
            for (o, go) in gold_of.iter().enumerate() {
                let (Some(gs), Some(go)) = (gs, go) else { continue };
                let Some(label) = relation_for(view.args[s].kind, view.args[o].kind) else {
                    continue;
                };
                if ex
                    .relations
                    .iter()
                    .any(|r| r.head == *gs && r.tail == *go && r.label == label)
                {
                    gold.push((s, o, label));
                }
            }
        }
        training_pairs(&view, &gold, out);
    }
}
