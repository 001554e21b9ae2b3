//! The Kafka job's configuration: defaults, then a TOML file, then
//! `NEWSFLOW_…` environment variables, then command-line flags (later wins).
//!
//! Every setting is documented in `config/newsflow.example.toml`; a test
//! checks that the example parses and sets every key. librdkafka properties
//! pass through untouched from the `[kafka]` (both clients), `[consumer]` and
//! `[producer]` tables, so SASL, TLS and tuning work exactly as librdkafka
//! documents them. Secrets are masked whenever the config is printed.

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// The whole configuration of `newsflow run` / `newsflow replay`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Bootstrap servers, `HOST:PORT[,HOST:PORT…]` (librdkafka `bootstrap.servers`).
    pub brokers: String,
    /// Consumer group of the live job. Replicas with the same group share the partitions.
    pub group_id: String,
    /// Stages to run: any of `clean`, `entities`, `relations`, comma-separated.
    pub stages: String,
    /// Messages larger than this many bytes go to the DLQ as `too_large`.
    pub max_article_bytes: usize,
    pub topics: Topics,
    pub processing: Processing,
    pub delivery: Delivery,
    pub metrics: Metrics,
    /// librdkafka properties for both the consumer and the producer (SASL, TLS, ...).
    pub kafka: BTreeMap<String, PropValue>,
    /// librdkafka properties for the consumer only (win over `[kafka]`).
    pub consumer: BTreeMap<String, PropValue>,
    /// librdkafka properties for the producer only (win over `[kafka]`).
    pub producer: BTreeMap<String, PropValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Topics {
    /// Raw articles are read from here.
    pub input: String,
    /// One enriched record per article, keyed by article id.
    pub enriched: String,
    /// One record per relation, keyed by subject entity id. Empty: do not publish relations.
    pub relations: String,
    /// Messages that cannot be processed, untouched, with reason headers.
    pub dlq: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Processing {
    /// Worker threads running the pipeline; 0 = one per core.
    pub workers: usize,
    /// Records consumed but not yet acknowledged by the broker, per partition;
    /// the partition is paused at this bound. Also bounds duplicates after a crash.
    pub max_in_flight_per_partition: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Delivery {
    /// `at-least-once` (default) or `exactly-once` (transactions; readers use `isolation.level=read_committed`).
    pub mode: DeliveryMode,
    /// How often acknowledged offsets are committed (or, in exactly-once mode, transactions committed).
    pub commit_interval_ms: u64,
    /// First wait before retrying a transient error (queue full, broker down); doubles up to the max.
    pub retry_backoff_ms: u64,
    pub retry_backoff_max_ms: u64,
    /// On SIGTERM/SIGINT: how long to wait for in-flight records to be acknowledged before giving up.
    pub shutdown_timeout_ms: u64,
    /// Exactly-once only: the producer's `transactional.id`. Must be stable across restarts of the
    /// same replica and unique per replica. Default: `<group_id>-<hostname>`.
    pub transactional_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryMode {
    AtLeastOnce,
    ExactlyOnce,
}

impl fmt::Display for DeliveryMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeliveryMode::AtLeastOnce => "at-least-once",
            DeliveryMode::ExactlyOnce => "exactly-once",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Metrics {
    /// Address of `/metrics`, `/health` and `/ready`. Empty: no HTTP server.
    pub listen: String,
    /// How often librdkafka reports statistics (consumer lag), in ms; 0 = off.
    pub statistics_interval_ms: u64,
}

/// A librdkafka property value: TOML strings, integers, floats and booleans
/// are all accepted and passed as strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PropValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl fmt::Display for PropValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropValue::Bool(b) => write!(f, "{b}"),
            PropValue::Int(i) => write!(f, "{i}"),
            PropValue::Float(x) => write!(f, "{x}"),
            PropValue::Str(s) => f.write_str(s),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            brokers: String::new(),
            group_id: "newsflow".into(),
            stages: "clean,entities,relations".into(),
            max_article_bytes: 4 * 1024 * 1024,
            topics: Topics::default(),
            processing: Processing::default(),
            delivery: Delivery::default(),
            metrics: Metrics::default(),
            kafka: BTreeMap::new(),
            consumer: BTreeMap::new(),
            producer: BTreeMap::new(),
        }
    }
}

impl Default for Topics {
    fn default() -> Self {
        Topics {
            input: "articles.raw".into(),
            enriched: "articles.enriched".into(),
            relations: "articles.relations".into(),
            dlq: "articles.dlq".into(),
        }
    }
}

impl Default for Processing {
    fn default() -> Self {
        Processing {
            workers: 0,
            max_in_flight_per_partition: 500,
        }
    }
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery {
            mode: DeliveryMode::AtLeastOnce,
            commit_interval_ms: 1000,
            retry_backoff_ms: 100,
            retry_backoff_max_ms: 10_000,
            shutdown_timeout_ms: 30_000,
            transactional_id: String::new(),
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            listen: "0.0.0.0:9464".into(),
            statistics_interval_ms: 5000,
        }
    }
}

/// Settings given on the command line; `None` leaves the lower layers alone.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CliOverrides {
    /// TOML config file (every setting: config/newsflow.example.toml).
    #[arg(long, short = 'c', env = "NEWSFLOW_CONFIG")]
    pub config: Option<PathBuf>,
    /// Bootstrap servers, HOST:PORT[,HOST:PORT...].
    #[arg(long)]
    pub brokers: Option<String>,
    /// Consumer group id.
    #[arg(long)]
    pub group_id: Option<String>,
    /// Topic raw articles are read from.
    #[arg(long)]
    pub input_topic: Option<String>,
    /// Topic enriched records are written to.
    #[arg(long)]
    pub enriched_topic: Option<String>,
    /// Topic relation records are written to.
    #[arg(long)]
    pub relations_topic: Option<String>,
    /// Dead-letter topic.
    #[arg(long)]
    pub dlq_topic: Option<String>,
    /// Stages: clean,entities,relations (any subset).
    #[arg(long)]
    pub stages: Option<String>,
    /// Worker threads (0 = one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// at-least-once or exactly-once.
    #[arg(long)]
    pub delivery_mode: Option<String>,
    /// Address for /metrics, /health, /ready (empty string: off).
    #[arg(long)]
    pub metrics_listen: Option<String>,
    /// A librdkafka property for both clients, KEY=VALUE (repeatable), like kcat's -X.
    #[arg(short = 'X', value_name = "KEY=VALUE")]
    pub kafka: Vec<String>,
}

/// The settings' top-level names, for picking environment variables.
const TOP_LEVEL_KEYS: &[&str] = &[
    "brokers",
    "group_id",
    "stages",
    "max_article_bytes",
    "topics",
    "processing",
    "delivery",
    "metrics",
    "kafka",
    "consumer",
    "producer",
];

/// Keys whose values never get printed.
fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "jaas",
        "key.pem",
        "private",
        "credential",
    ]
    .iter()
    .any(|s| k.contains(s))
}

/// librdkafka property names use dots; environment variables cannot, so
/// `NEWSFLOW_KAFKA__SASL_PASSWORD` means `sasl.password`. No librdkafka
/// property has an underscore, so the mapping is lossless.
fn normalize_props(props: BTreeMap<String, PropValue>) -> BTreeMap<String, PropValue> {
    props.into_iter().map(|(k, v)| (k.replace('_', "."), v)).collect()
}

impl Config {
    /// Loads defaults < file < `NEWSFLOW_…` env < CLI flags, and validates.
    pub fn load(cli: &CliOverrides) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = &cli.config {
            if !path.is_file() {
                bail!(
                    "config file {} does not exist (see config/newsflow.example.toml for a documented one)",
                    path.display()
                );
            }
            figment = figment.merge(Toml::file(path));
        }
        // Only variables naming a setting: other NEWSFLOW_* variables
        // (NEWSFLOW_LOG, NEWSFLOW_CONFIG, test and script settings) are not
        // configuration, while a typo inside a known table is still an error.
        figment = figment.merge(
            Env::prefixed("NEWSFLOW_")
                .filter(|key| {
                    let top = key.as_str().split("__").next().unwrap_or("").to_ascii_lowercase();
                    TOP_LEVEL_KEYS.contains(&top.as_str())
                })
                .split("__"),
        );
        let mut config: Config = figment.extract().map_err(|e| {
            anyhow::anyhow!(
                "invalid configuration: {e} (every setting is documented in config/newsflow.example.toml)"
            )
        })?;
        config.kafka = normalize_props(config.kafka);
        config.consumer = normalize_props(config.consumer);
        config.producer = normalize_props(config.producer);
        config.apply(cli)?;
        config.validate()?;
        Ok(config)
    }

    /// Parses a TOML document on top of the defaults (tests, examples).
    pub fn from_toml_str(toml: &str) -> anyhow::Result<Config> {
        let config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(toml))
            .extract()
            .context("invalid configuration")?;
        config.validate()?;
        Ok(config)
    }

    fn apply(&mut self, cli: &CliOverrides) -> anyhow::Result<()> {
        let set = |dst: &mut String, src: &Option<String>| {
            if let Some(v) = src {
                *dst = v.clone();
            }
        };
        set(&mut self.brokers, &cli.brokers);
        set(&mut self.group_id, &cli.group_id);
        set(&mut self.topics.input, &cli.input_topic);
        set(&mut self.topics.enriched, &cli.enriched_topic);
        set(&mut self.topics.relations, &cli.relations_topic);
        set(&mut self.topics.dlq, &cli.dlq_topic);
        set(&mut self.stages, &cli.stages);
        set(&mut self.metrics.listen, &cli.metrics_listen);
        if let Some(w) = cli.workers {
            self.processing.workers = w;
        }
        if let Some(mode) = &cli.delivery_mode {
            self.delivery.mode = match mode.as_str() {
                "at-least-once" => DeliveryMode::AtLeastOnce,
                "exactly-once" => DeliveryMode::ExactlyOnce,
                other => bail!("--delivery-mode must be at-least-once or exactly-once, not `{other}`"),
            };
        }
        for kv in &cli.kafka {
            let (k, v) = kv
                .split_once('=')
                .with_context(|| format!("-X takes KEY=VALUE (a librdkafka property), got `{kv}`"))?;
            self.kafka
                .insert(k.trim().to_owned(), PropValue::Str(v.to_owned()));
        }
        Ok(())
    }

    /// Checks what can be checked without a broker; errors say what to change.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.brokers.trim().is_empty() {
            bail!("no brokers: pass --brokers HOST:PORT, set NEWSFLOW_BROKERS, or set `brokers` in the config file");
        }
        self.stages().map_err(|e| anyhow::anyhow!("`stages`: {e}"))?;
        let t = &self.topics;
        for (name, value) in [("input", &t.input), ("enriched", &t.enriched), ("dlq", &t.dlq)] {
            if value.trim().is_empty() {
                bail!("`topics.{name}` is empty: give a topic name");
            }
        }
        for (name, value) in [
            ("enriched", &t.enriched),
            ("relations", &t.relations),
            ("dlq", &t.dlq),
        ] {
            if *value == t.input {
                bail!("`topics.{name}` is the input topic `{value}`: the job would read its own output");
            }
        }
        if self.group_id.trim().is_empty() {
            bail!("`group_id` is empty: give the consumer group a name");
        }
        if self.processing.max_in_flight_per_partition == 0 {
            bail!("`processing.max_in_flight_per_partition` must be at least 1");
        }
        if self.max_article_bytes == 0 {
            bail!("`max_article_bytes` must be at least 1");
        }
        if self.delivery.commit_interval_ms == 0 {
            bail!("`delivery.commit_interval_ms` must be at least 1");
        }
        if self.delivery.retry_backoff_ms == 0
            || self.delivery.retry_backoff_max_ms < self.delivery.retry_backoff_ms
        {
            bail!(
                "`delivery.retry_backoff_ms` must be at least 1 and at most `delivery.retry_backoff_max_ms`"
            );
        }
        if !self.metrics.listen.is_empty() {
            self.metrics
                .listen
                .parse::<std::net::SocketAddr>()
                .with_context(|| format!("`metrics.listen` = `{}` is not HOST:PORT", self.metrics.listen))?;
        }
        for table in [&self.kafka, &self.consumer] {
            for key in ["enable.auto.commit", "enable.auto.offset.store"] {
                if table.get(key).is_some_and(|v| v.to_string() != "false") {
                    bail!("`{key}` cannot be turned on: newsflow commits offsets itself, only once the output is acknowledged");
                }
            }
            if table.contains_key("group.id") {
                bail!("set the consumer group with `group_id`, not the librdkafka property `group.id`");
            }
        }
        if self.delivery.mode == DeliveryMode::AtLeastOnce && !self.delivery.transactional_id.is_empty() {
            bail!("`delivery.transactional_id` is set but `delivery.mode` is at-least-once: set mode = \"exactly-once\" or remove it");
        }
        Ok(())
    }

    pub fn stages(&self) -> Result<crate::pipeline::Stages, String> {
        self.stages.parse()
    }

    /// Worker threads: the setting, or one per core.
    pub fn workers(&self) -> usize {
        match self.processing.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    /// The transactional id for exactly-once mode.
    pub fn transactional_id(&self) -> String {
        if !self.delivery.transactional_id.is_empty() {
            return self.delivery.transactional_id.clone();
        }
        let host = std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "local".into());
        format!("{}-{host}", self.group_id)
    }

    /// librdkafka properties of the consumer: newsflow's own settings, then
    /// `[kafka]`, then `[consumer]`.
    pub fn consumer_properties(&self) -> BTreeMap<String, String> {
        let mut p = BTreeMap::new();
        p.insert("bootstrap.servers".into(), self.brokers.clone());
        p.insert("group.id".into(), self.group_id.clone());
        p.insert("enable.auto.commit".into(), "false".into());
        p.insert("enable.auto.offset.store".into(), "false".into());
        p.insert("auto.offset.reset".into(), "earliest".into());
        p.insert(
            "partition.assignment.strategy".into(),
            "cooperative-sticky".into(),
        );
        if self.metrics.statistics_interval_ms > 0 {
            p.insert(
                "statistics.interval.ms".into(),
                self.metrics.statistics_interval_ms.to_string(),
            );
        }
        if self.delivery.mode == DeliveryMode::ExactlyOnce {
            p.insert("isolation.level".into(), "read_committed".into());
        }
        for (k, v) in self.kafka.iter().chain(&self.consumer) {
            p.insert(k.clone(), v.to_string());
        }
        p
    }

    /// librdkafka properties of the producer. Idempotence and an unbounded
    /// delivery timeout by default: librdkafka then retries transient
    /// failures itself, in order, and never gives a record up.
    pub fn producer_properties(&self) -> BTreeMap<String, String> {
        let mut p = BTreeMap::new();
        p.insert("bootstrap.servers".into(), self.brokers.clone());
        p.insert("enable.idempotence".into(), "true".into());
        p.insert("acks".into(), "all".into());
        p.insert("message.timeout.ms".into(), "0".into());
        // lz4, not zstd: librdkafka builds a fresh zstd context per batch
        // (zeroing its tables), which with the small batches of a steady
        // stream cost about 7% of `newsflow run`'s CPU (perf, docs/performance.md);
        // lz4's per-batch cost is negligible. Set compression.type=zstd in
        // [producer] to trade that CPU for smaller topics.
        p.insert("compression.type".into(), "lz4".into());
        p.insert("linger.ms".into(), "5".into());
        if self.delivery.mode == DeliveryMode::ExactlyOnce {
            p.insert("transactional.id".into(), self.transactional_id());
            // A transaction must be able to fail and be retried: bounded.
            p.insert("message.timeout.ms".into(), "60000".into());
        }
        for (k, v) in self.kafka.iter().chain(&self.producer) {
            p.insert(k.clone(), v.to_string());
        }
        p
    }

    /// The effective configuration as TOML, secrets masked.
    pub fn to_masked_toml(&self) -> String {
        let mut masked = self.clone();
        for table in [&mut masked.kafka, &mut masked.consumer, &mut masked.producer] {
            for (k, v) in table.iter_mut() {
                if is_secret(k) {
                    *v = PropValue::Str("********".into());
                }
            }
        }
        if masked.brokers.contains('@') {
            masked.brokers = "********".into();
        }
        toml_string(&masked)
    }
}

/// Writes the config as TOML. figment exposes no TOML writer and the tree is
/// two levels deep with scalar leaves, so a direct writer beats a dependency.
fn toml_string(config: &Config) -> String {
    let value = serde_json::to_value(config).expect("config serialises");
    let mut out = String::new();
    let obj = value.as_object().expect("config is an object");
    for (k, v) in obj.iter().filter(|(_, v)| !v.is_object()) {
        out.push_str(&format!("{k} = {}\n", toml_scalar(v)));
    }
    for (k, v) in obj.iter().filter(|(_, v)| v.is_object()) {
        out.push_str(&format!("\n[{k}]\n"));
        for (kk, vv) in v.as_object().expect("object") {
            let key = if kk.contains('.') {
                format!("\"{kk}\"")
            } else {
                kk.clone()
            };
            out.push_str(&format!("{key} = {}\n", toml_scalar(vv)));
        }
    }
    out
}

fn toml_scalar(v: &serde_json::Value) -> String {
    match v {
        // JSON string escaping is valid TOML basic-string escaping.
        serde_json::Value::String(s) => serde_json::to_string(s).expect("string"),
        other => other.to_string(),
    }
}

/// The example config shipped in the repo, for tests and `check-config --example`.
pub const EXAMPLE_TOML: &str = include_str!("../config/newsflow.example.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_parses_and_sets_every_key() {
        let example = Config::from_toml_str(EXAMPLE_TOML).unwrap();
        // Every field of the config appears in the example file, documented.
        let keys = serde_json::to_value(Config::default()).unwrap();
        for (k, v) in keys.as_object().unwrap() {
            if let Some(obj) = v.as_object() {
                assert!(EXAMPLE_TOML.contains(&format!("[{k}]")), "example lacks [{k}]");
                for kk in obj.keys() {
                    assert!(
                        EXAMPLE_TOML.contains(&format!("\n{kk} ="))
                            || EXAMPLE_TOML.contains(&format!("# {kk} =")),
                        "example lacks {k}.{kk}"
                    );
                }
            } else {
                assert!(EXAMPLE_TOML.contains(&format!("\n{k} =")), "example lacks {k}");
            }
        }
        assert_eq!(example.topics, Topics::default());
        assert_eq!(TOP_LEVEL_KEYS.len(), keys.as_object().unwrap().len());
        for k in TOP_LEVEL_KEYS {
            assert!(keys.get(*k).is_some(), "{k}");
        }
    }

    #[test]
    fn printed_config_masks_secrets_and_round_trips() {
        let c = Config::from_toml_str(
            r#"
            brokers = "k:9092"
            [kafka]
            "sasl.password" = "hunter2"
            "sasl.username" = "me"
            "ssl.key.pem" = "-----BEGIN"
            "socket.timeout.ms" = 30000
            "#,
        )
        .unwrap();
        let printed = c.to_masked_toml();
        assert!(
            !printed.contains("hunter2") && !printed.contains("BEGIN"),
            "{printed}"
        );
        assert!(printed.contains("\"sasl.username\" = \"me\""), "{printed}");
        let back = Config::from_toml_str(&printed).unwrap();
        assert_eq!(back.kafka["socket.timeout.ms"].to_string(), "30000");
        assert_eq!(back.topics, c.topics);
    }

    #[test]
    fn rejects_what_would_break_delivery() {
        let err = |t: &str| format!("{:#}", Config::from_toml_str(t).unwrap_err());
        assert!(err("").contains("no brokers"));
        assert!(err("brokers='a:1'\n[topics]\nenriched='articles.raw'").contains("read its own output"));
        assert!(err("brokers='a:1'\n[kafka]\n'enable.auto.commit'=true").contains("cannot be turned on"));
        assert!(err("brokers='a:1'\nstages='foo'").contains("unknown stage"));
        assert!(err("brokers='a:1'\nbogus=1").contains("bogus"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's closure signature
    fn layers_env_and_cli_over_file() {
        let dir = std::env::temp_dir().join(format!("newsflow-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(
            &file,
            "brokers = 'file:1'\ngroup_id = 'g-file'\n[topics]\ninput = 'in-file'\n",
        )
        .unwrap();
        figment::Jail::expect_with(|jail| {
            jail.set_env("NEWSFLOW_GROUP_ID", "g-env");
            jail.set_env("NEWSFLOW_KAFKA__SASL_MECHANISM", "PLAIN");
            jail.set_env("NEWSFLOW_TOPICS__DLQ", "dlq-env");
            jail.set_env("NEWSFLOW_TEST_SOMETHING", "not a setting");
            let cli = CliOverrides {
                config: Some(file.clone()),
                brokers: Some("cli:1".into()),
                kafka: vec!["socket.timeout.ms=100".into()],
                ..Default::default()
            };
            let c = Config::load(&cli).unwrap();
            assert_eq!(c.brokers, "cli:1");
            assert_eq!(c.group_id, "g-env");
            assert_eq!(c.topics.input, "in-file");
            assert_eq!(c.topics.dlq, "dlq-env");
            assert_eq!(c.kafka["sasl.mechanism"].to_string(), "PLAIN");
            let props = c.consumer_properties();
            assert_eq!(props["socket.timeout.ms"], "100");
            assert_eq!(props["enable.auto.commit"], "false");
            Ok(())
        });
    }
}
