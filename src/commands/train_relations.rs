//! `newsflow train relations`: trains the CoNLL04 pair classifier of the
//! relations stage and writes the model file the binary embeds.
//!
//! Reproducible: a fixed seed, a fixed number of epochs, no randomness
//! elsewhere; the same corpus gives the same bytes.
//!
//! `--entities` picks the mentions the pairs are built over: the gold ones
//! of the corpus, the ones the pipeline's entities stage finds when the
//! sentence is run through `newsflow enrich` as plain text (aligned to gold
//! for the labels, so the classifier learns with the entity noise it meets
//! at run time), or both. Over the found ones it also learns the CoNLL04
//! span conventions for arguments (titles such as `Mr.`, `City , State`
//! after "born in", the sentence's final period; see [`ConventionCounts`]).
//!
//! The probability threshold of each relation type is chosen by 5-fold
//! cross-validation on the training file (never on dev or test): the
//! out-of-fold scores of the pairs over found mentions, thresholds that
//! maximise micro F1 against all the folds' gold relations (those whose
//! mentions were not found count as misses, as they do end to end). The
//! dev file, when given, is scored once with the finished model.

use crate::pipeline::entities::EntityStage;
use crate::pipeline::relations::classifier::{
    candidates, dropped_templates, select, templates_without, training_pairs, Convention, ConventionCounts,
    PairClassifier, Scored, TrainConfig, TrainPair,
};
use crate::pipeline::relations::conll04::{self, Example, RELATION_TYPES};
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
    /// Fits on differently shuffled passes whose weights are averaged.
    #[arg(long, default_value_t = TrainConfig::default().bags)]
    pub bags: usize,
    /// Feature templates to leave out, comma-separated (for ablations: the
    /// model records which templates it uses).
    #[arg(long, value_delimiter = ',')]
    pub drop_templates: Vec<String>,
    /// One probability threshold for every relation type (stored in the
    /// model) instead of per-type thresholds chosen by cross-validation.
    #[arg(long)]
    pub threshold: Option<f32>,
    /// Cross-validate one threshold for all relation types rather than one
    /// per type.
    #[arg(long)]
    pub one_threshold: bool,
    /// Cross-validation folds for the thresholds.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// An NER model file to find the mentions with instead of the embedded
    /// one (train the classifier on a candidate entities model).
    #[arg(long)]
    pub ner_model: Option<PathBuf>,
    /// NER models for calibrating the thresholds, comma-separated, as many as `--folds`: model k
    /// trained by `newsflow train ner --conll04-holdout k/N` (without the train sentences whose index
    /// is k modulo N). The thresholds are then chosen over the mentions each finds in the fold it
    /// never saw, with the entity noise of unseen text: the embedded `ner.bin` has learnt CoNLL04
    /// train and finds nearly its gold mentions there, so thresholds chosen over those suit clean
    /// mentions only.
    #[arg(long, value_delimiter = ',')]
    pub jackknife_ner: Vec<PathBuf>,
    /// Learn the CoNLL04 argument conventions over the jackknifed mentions
    /// (titles the entities stage leaves out of unseen text).
    #[arg(long, requires = "jackknife_ner")]
    pub jackknife_conventions: bool,
    /// Also train on the pairs over the jackknifed mentions (a third copy
    /// of each sentence, with the entity noise of unseen text).
    #[arg(long, requires = "jackknife_ner")]
    pub jackknife_train: bool,
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
    let templates = templates_without(&args.drop_templates)?;
    if !args.drop_templates.is_empty() {
        eprintln!(
            "feature templates left out: {}",
            dropped_templates(templates).join(", ")
        );
    }
    // The entities stage only: the relation model may be missing or stale.
    let mut pipeline = Pipeline {
        entities: entity_stage(args.ner_model.as_deref())?,
        relations: RelationModels::default(),
    };
    let harness = Harness::default();
    // Each sentence's pairs: over its gold mentions, and over the mentions
    // the pipeline found (one list per sentence view).
    let mut gold_pairs: Vec<Vec<TrainPair>> = examples.iter().map(|_| Vec::new()).collect();
    let mut found_pairs: Vec<Vec<Vec<TrainPair>>> = examples.iter().map(|_| Vec::new()).collect();
    let mut convention = Convention::default();
    if args.entities != Mentions::Predicted {
        for (ex, out) in examples.iter().zip(&mut gold_pairs) {
            let view = example_view(ex);
            let gold: Vec<_> = ex.relations.iter().map(|r| (r.head, r.tail, r.label)).collect();
            training_pairs(&view, &gold, templates, out);
        }
    }
    let jackknife_runs = if args.jackknife_ner.is_empty() {
        None
    } else {
        Some(jackknife_runs(
            &examples,
            &args.jackknife_ner,
            args.folds,
            &harness,
        )?)
    };
    if args.entities != Mentions::Gold {
        let runs = examples
            .iter()
            .enumerate()
            .map(|(n, ex)| harness.run(&pipeline, ex, n))
            .collect::<anyhow::Result<Vec<_>>>()?;
        convention = match &jackknife_runs {
            Some(jk) if args.jackknife_conventions => learn_convention(jk, &examples),
            _ => learn_convention(&runs, &examples),
        };
        for (run, out) in runs.iter().zip(&mut found_pairs) {
            predicted_pairs(run, &convention, templates, out);
        }
    }
    let jackknifed = jackknife_runs.map(|runs| {
        let mut pairs: Vec<Vec<Vec<TrainPair>>> = examples.iter().map(|_| Vec::new()).collect();
        for (run, out) in runs.iter().zip(&mut pairs) {
            predicted_pairs(run, &convention, templates, out);
        }
        let reachable = pairs.iter().flatten().flatten().filter(|p| p.gold).count();
        let gold: usize = examples.iter().map(|e| e.relations.len()).sum();
        eprintln!(
            "jackknifed mentions: {reachable} of {gold} train relations have both arguments found ({:.1}%)",
            100.0 * reachable as f64 / gold.max(1) as f64
        );
        pairs
    });
    let extra = jackknifed.as_deref().filter(|_| args.jackknife_train);
    let config = TrainConfig {
        epochs: args.epochs,
        learning_rate: args.learning_rate,
        bits: args.bits,
        threshold: args.threshold.unwrap_or(TrainConfig::default().threshold),
        seed: args.seed,
        bags: args.bags,
        templates,
    };
    let sets = PairSets {
        gold: &gold_pairs,
        found: &found_pairs,
        extra,
    };
    let all = sets.select(|_| true);
    let mut model = PairClassifier::train(&all, &config);
    model.convention = convention;
    eprintln!(
        "trained on {} sentences ({:?} mentions: {} candidate pairs, {} positive) in {:.1}s",
        examples.len(),
        args.entities,
        all.len(),
        all.iter().filter(|p| p.gold).count(),
        started.elapsed().as_secs_f64()
    );
    if let Some(t) = args.threshold {
        model.thresholds = [t; RELATION_TYPES.len()];
    } else if args.entities == Mentions::Gold {
        eprintln!(
            "--entities gold: no found mentions to cross-validate thresholds on; all at {}",
            config.threshold
        );
    } else {
        model.thresholds = cross_validated_thresholds(
            &examples,
            &sets,
            jackknifed.as_deref(),
            &config,
            args.folds,
            !args.one_threshold,
        )?;
    }
    let c = &model.convention;
    eprintln!(
        "CoNLL04 argument conventions: title words {}; for one relation's role {}; joiners of `Place , Place` {}; final period {}",
        c.prefixes
            .iter()
            .map(|(k, w)| format!("{w}/{}", k.as_str()))
            .collect::<Vec<_>>()
            .join(" "),
        c.role_prefixes
            .iter()
            .map(|(l, side, w, inside)| {
                let role = if *side == 0 { "subject" } else { "object" };
                let how = if *inside { "in" } else { "out" };
                format!("{w} {how} ({} {role})", RELATION_TYPES[usize::from(*l)].0)
            })
            .collect::<Vec<_>>()
            .join(", "),
        c.joiners.join(" "),
        if c.trim_final_period { "left out" } else { "kept" }
    );

    let dev = args.dev.clone().or_else(|| {
        let p = PathBuf::from(DEFAULT_DIR).join("conll04_dev.json");
        p.exists().then_some(p)
    });
    if let Some(dev) = dev {
        let dev_examples = conll04::read(&dev)?;
        pipeline.relations = RelationModels {
            classifier: Some(model.clone()),
        };
        report_dev(&dev, &dev_examples, &model, &pipeline, &harness)?;
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

/// The training pairs of every sentence: over its gold mentions, over the
/// mentions the pipeline found (one list per sentence view), and `extra`
/// found mentions (the jackknifed ones, with `--jackknife-train`).
struct PairSets<'p> {
    gold: &'p [Vec<TrainPair>],
    found: &'p [Vec<Vec<TrainPair>>],
    extra: Option<&'p [Vec<Vec<TrainPair>>]>,
}

impl<'p> PairSets<'p> {
    /// The pairs of the sentences `keep` selects.
    fn select(&self, keep: impl Fn(usize) -> bool) -> Vec<&'p TrainPair> {
        (0..self.gold.len())
            .filter(|&n| keep(n))
            .flat_map(|n| {
                let extra = self.extra.map(|e| e[n].iter().flatten()).into_iter().flatten();
                self.gold[n]
                    .iter()
                    .chain(self.found[n].iter().flatten())
                    .chain(extra)
            })
            .collect()
    }
}

/// Learns the CoNLL04 argument conventions over the training runs: title
/// words and final periods first, then the words that join two places
/// (counted with the first two applied).
fn learn_convention(runs: &[Run], examples: &[Example]) -> Convention {
    let mut counts = ConventionCounts::default();
    for ex in examples {
        let relations: Vec<_> = ex.relations.iter().map(|r| (r.head, r.tail, r.label)).collect();
        counts.count_gold_roles(&example_view(ex), &relations);
    }
    for run in runs {
        for view in run.views() {
            counts.count_mentions(&view, |s, k| {
                let g = run.gold_entity(s, k)?;
                let roles = run.example.relations.iter().flat_map(|r| {
                    let side = |e: usize, side: u8| (e == g).then_some((r.label, side));
                    side(r.head, 0).into_iter().chain(side(r.tail, 1))
                });
                Some(roles.collect())
            });
        }
    }
    let first = counts.learnt(2);
    for run in runs {
        for view in run.views() {
            counts.count_joins(&view, &first, |s, k| run.gold_entity(s, k).is_some());
        }
    }
    eprintln!("{}", counts.summary());
    counts.learnt(3)
}

/// The training sentences run through jackknifed NER models: sentence `n`
/// with `models[n % folds]`, which was trained without it.
fn jackknife_runs<'e>(
    examples: &'e [Example],
    models: &[PathBuf],
    folds: usize,
    harness: &Harness,
) -> anyhow::Result<Vec<Run<'e>>> {
    anyhow::ensure!(
        models.len() == folds,
        "--jackknife-ner takes one model per fold: {} given, --folds {folds}",
        models.len()
    );
    let pipelines = models
        .iter()
        .enumerate()
        .map(|(k, file)| {
            let entities = entity_stage(Some(file)).with_context(|| {
                format!(
                    "--jackknife-ner: cannot load {} (make it with `newsflow train ner --conll04-holdout {k}/{folds}`)",
                    file.display()
                )
            })?;
            Ok(Pipeline {
                entities,
                relations: RelationModels::default(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    examples
        .iter()
        .enumerate()
        .map(|(n, ex)| harness.run(&pipelines[n % folds], ex, n))
        .collect()
}

/// Per-type thresholds by `folds`-fold cross-validation over sentences: a
/// model trained without fold `f` scores fold `f`'s pairs over found
/// mentions (those of `jackknifed` when given, else `found_pairs`); then
/// coordinate ascent over a grid picks the thresholds that maximise micro
/// F1 of [`select`]'s output against every gold relation.
fn cross_validated_thresholds(
    examples: &[Example],
    sets: &PairSets,
    jackknifed: Option<&[Vec<Vec<TrainPair>>]>,
    config: &TrainConfig,
    folds: usize,
    per_type: bool,
) -> anyhow::Result<[f32; RELATION_TYPES.len()]> {
    anyhow::ensure!(folds >= 2, "--folds must be at least 2");
    let scored_pairs = jackknifed.unwrap_or(sets.found);
    // Out-of-fold scores, one list per found-mention view, with the answer.
    let mut views: Vec<Vec<(Scored, bool)>> = Vec::new();
    for f in 0..folds {
        let model = PairClassifier::train(&sets.select(|n| n % folds != f), config);
        for pairs in scored_pairs.iter().skip(f).step_by(folds) {
            for view in pairs {
                views.push(
                    view.iter()
                        .map(|p| {
                            let scored = Scored {
                                subject: p.subject,
                                object: p.object,
                                label: p.label,
                                probability: model.probability(p),
                            };
                            (scored, p.gold)
                        })
                        .collect(),
                );
            }
        }
    }
    let gold: usize = examples.iter().map(|e| e.relations.len()).sum();
    let f1 = |t: &[f32; RELATION_TYPES.len()]| {
        let (mut predicted, mut correct) = (0usize, 0usize);
        for view in &views {
            let scored: Vec<Scored> = view.iter().map(|p| p.0).collect();
            for kept in select(t, scored) {
                predicted += 1;
                correct += usize::from(view.iter().any(|(s, g)| *g && *s == kept));
            }
        }
        2.0 * correct as f64 / (predicted + gold).max(1) as f64
    };
    let grid: Vec<f32> = (3..=16).map(|i| i as f32 * 0.05).collect();
    // One threshold for all types first (ties keep the lower one).
    let mut best = [config.threshold; RELATION_TYPES.len()];
    let mut best_f1 = f1(&best);
    for &t in &grid {
        let score = f1(&[t; RELATION_TYPES.len()]);
        if score > best_f1 + 1e-9 {
            best = [t; RELATION_TYPES.len()];
            best_f1 = score;
        }
    }
    eprintln!(
        "cross-validation ({folds} folds, found mentions): micro F1 {:.2} at {:.2} for every type",
        100.0 * best_f1,
        best[0]
    );
    for _round in 0..if per_type { 3 } else { 0 } {
        let before = best;
        for label in 0..RELATION_TYPES.len() {
            for &t in &grid {
                let mut trial = best;
                trial[label] = t;
                let score = f1(&trial);
                // Ties keep the lower threshold: nothing learnt to prefer fewer relations.
                if score > best_f1 + 1e-9 {
                    best = trial;
                    best_f1 = score;
                }
            }
        }
        if before == best {
            break;
        }
    }
    eprintln!(
        "cross-validated thresholds (micro F1 {:.2}): {}",
        100.0 * best_f1,
        RELATION_TYPES
            .iter()
            .zip(best)
            .map(|((name, _, _), t)| format!("{name} {t:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(best)
}

/// Dev scores of the finished model, given gold entities and end to end,
/// per type.
fn report_dev(
    path: &std::path::Path,
    examples: &[Example],
    model: &PairClassifier,
    pipeline: &Pipeline,
    harness: &Harness,
) -> anyhow::Result<()> {
    println!("dev {}: strict micro P / R / F1 per type", path.display());
    println!("gold entities:");
    print!("{}", gold_entity_scores(model, examples).table());
    println!("end to end:");
    let mut scores = Scores::default();
    for (n, ex) in examples.iter().enumerate() {
        let run = harness.run(pipeline, ex, n)?;
        scores.add(&run.relations(), &conll04::strict_gold(ex));
    }
    print!("{}", scores.table());
    Ok(())
}

/// The entities stage: the embedded model, or a model file. (Not
/// `Pipeline::load`, which refuses a stale embedded classifier.)
pub fn entity_stage(ner_model: Option<&std::path::Path>) -> anyhow::Result<EntityStage> {
    match ner_model {
        Some(p) => EntityStage::with_model_file(p),
        None => EntityStage::load().context("loading the entities stage"),
    }
}

/// Training pairs over the mentions the pipeline found, one list per
/// sentence view (places joined by the convention): a pair is positive
/// when both its arguments (in the CoNLL04 span convention) are gold
/// entities of the right type in a gold relation.
fn predicted_pairs(run: &Run, convention: &Convention, templates: u64, out: &mut Vec<Vec<TrainPair>>) {
    let ex = run.example;
    for view in run.views() {
        let view = convention.apply(&view);
        let gold_of =
            |a: usize, role| run.gold_entity(convention.argument_span(&view, a, role), view.args[a].kind);
        let mut gold = Vec::new();
        for (s, o, label) in candidates(&view) {
            let (Some(gs), Some(go)) = (gold_of(s, Some((label, 0))), gold_of(o, Some((label, 1)))) else {
                continue;
            };
            if ex
                .relations
                .iter()
                .any(|r| r.head == gs && r.tail == go && r.label == label)
            {
                gold.push((s, o, label));
            }
        }
        let mut pairs = Vec::new();
        training_pairs(&view, &gold, templates, &mut pairs);
        out.push(pairs);
    }
}
