//! Throughput and latency of newsflow through a real broker, against two
//! baselines measured in the same run (docs/performance.md):
//!
//! 1. `newsflow enrich FILE`: the same articles through the core, in process,
//!    no Kafka. The Kafka layer's cost is the gap between this and 2.
//! 2. `newsflow run`: N articles waiting on the raw topic, enriched records
//!    read back from the output topic.
//! 3. A plain consume → produce copy of the same raw messages with rdkafka
//!    and newsflow's own client settings, no processing: the ceiling the
//!    broker and client allow on this machine.
//!
//! Then end-to-end latency (p50/p99) with articles produced at half the
//! measured `newsflow run` rate, and peak RSS (VmHWM) of both processes.
//!
//! Throughput is counted where a user sees it, on the output, with start-up
//! (model loading, joining the consumer group) left out of it: `newsflow run`
//! and the copy are started first and waited for (`/ready`, partitions
//! assigned), then the N articles are produced and the clock runs from the
//! first article produced to the last output record seen by a reader of the
//! output topic. `newsflow enrich` is timed on N articles and on one, and the
//! rate is (N - 1) / (wall(N) - wall(1)).
//!
//!     cargo bench --bench kafka_throughput                      # starts Tansu (scripts/tansu.sh)
//!     cargo bench --bench kafka_throughput -- --brokers HOST:PORT --articles 5000 --repeats 3
//!
//! Under `cargo test` (no `--bench` flag) it only says how to run it.

#[path = "../tests/support/mod.rs"]
mod support;

use anyhow::{bail, Context, Result};
use newsflow::stream::runtime::client_config;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const NEWSFLOW: &str = env!("CARGO_BIN_EXE_newsflow");
const REPO: &str = env!("CARGO_MANIFEST_DIR");

struct Opts {
    articles: usize,
    repeats: usize,
    brokers: Option<String>,
    partitions: i32,
    latency_seconds: f64,
}

fn parse_opts(args: &[String]) -> Result<Opts> {
    let mut o = Opts {
        articles: 4000,
        repeats: 3,
        brokers: None,
        partitions: 4,
        latency_seconds: 20.0,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--bench" => {}
            "--articles" => o.articles = val()?.parse().context("--articles N")?,
            "--repeats" => o.repeats = val()?.parse().context("--repeats N")?,
            "--brokers" => o.brokers = Some(val()?),
            "--partitions" => o.partitions = val()?.parse().context("--partitions N")?,
            "--latency-seconds" => o.latency_seconds = val()?.parse().context("--latency-seconds S")?,
            other => bail!(
                "unknown argument {other}; use --articles N --repeats N --brokers HOST:PORT --partitions N \
                 --latency-seconds S"
            ),
        }
    }
    if o.articles < 100 || o.repeats == 0 {
        bail!("--articles must be at least 100 and --repeats at least 1");
    }
    Ok(o)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("kafka_throughput: a benchmark; run it with `cargo bench --bench kafka_throughput`");
        return Ok(());
    }
    let opts = parse_opts(&args)?;
    let work = std::env::temp_dir().join(format!("newsflow-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let broker = match &opts.brokers {
        Some(b) => Broker::External(b.clone()),
        None => Broker::start(&work)?,
    };
    let result = run(&opts, &broker, &work);
    drop(broker);
    let _ = std::fs::remove_dir_all(&work);
    result
}

/// The broker: given, or a Tansu started (and stopped) like scripts/test.sh does.
enum Broker {
    External(String),
    Tansu { addr: String, dir: PathBuf },
}

impl Broker {
    fn start(work: &Path) -> Result<Broker> {
        let dir = work.join("tansu");
        let out = Command::new("bash")
            .arg(Path::new(REPO).join("scripts/tansu.sh"))
            .arg("start")
            .arg(&dir)
            .stderr(Stdio::inherit())
            .output()
            .context("running scripts/tansu.sh")?;
        if !out.status.success() {
            bail!("scripts/tansu.sh start failed; pass --brokers HOST:PORT to use another broker");
        }
        let addr = String::from_utf8(out.stdout)?.trim().to_owned();
        eprintln!("tansu broker on {addr}");
        Ok(Broker::Tansu { addr, dir })
    }

    /// The broker's process, when this bench started it (for its CPU time).
    fn pid(&self) -> Option<u32> {
        match self {
            Broker::External(_) => None,
            Broker::Tansu { dir, .. } => std::fs::read_to_string(dir.join("tansu.pid"))
                .ok()
                .and_then(|p| p.trim().parse().ok()),
        }
    }

    fn addr(&self) -> &str {
        match self {
            Broker::External(a) | Broker::Tansu { addr: a, .. } => a,
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Broker::Tansu { dir, .. } = self {
            let _ = Command::new("bash")
                .arg(Path::new(REPO).join("scripts/tansu.sh"))
                .arg("stop")
                .arg(&*dir)
                .status();
        }
    }
}

/// One run of one measurement.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Articles per second, start-up excluded (see the module doc).
    rate: f64,
    /// Seconds from the first article produced (enrich: process start) to the last output.
    wall: f64,
    /// Seconds of start-up before that (enrich: wall time of a one-article run;
    /// run/copy: from process start until ready).
    startup: f64,
    /// Peak resident set of the process, KiB (0 when not measured).
    hwm_kib: u64,
    /// CPU seconds (user + system) over the timed part: of the newsflow
    /// process (enrich: N-article run minus one-article run; copy: the bench
    /// process, which runs the copy loop), of the broker (when it is the
    /// Tansu this bench started), and of this bench process (producer,
    /// observer). Where the Kafka layer's cost goes on a machine shared
    /// with the broker.
    cpu: Cpu,
}

#[derive(Debug, Clone, Copy, Default)]
struct Cpu {
    newsflow: f64,
    broker: f64,
    bench: f64,
}

impl Cpu {
    fn sample(newsflow: Option<u32>, broker: Option<u32>) -> Cpu {
        Cpu {
            newsflow: newsflow.map_or(0.0, cpu_seconds),
            broker: broker.map_or(0.0, cpu_seconds),
            bench: cpu_seconds(std::process::id()),
        }
    }

    fn since(self, start: Cpu) -> Cpu {
        Cpu {
            newsflow: self.newsflow - start.newsflow,
            broker: self.broker - start.broker,
            bench: self.bench - start.bench,
        }
    }
}

/// CPU seconds (user + system, all threads) a process has used so far;
/// readable until the process is reaped. 0 when unknown.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the parenthesised command name: state is the 1st,
    // utime the 12th, stime the 13th (proc(5)), in clock ticks of 1/100 s.
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn run(opts: &Opts, broker: &Broker, work: &Path) -> Result<()> {
    let example = std::fs::read_to_string(Path::new(REPO).join("examples/kazakhstan-eu.jsonl"))?;
    let example: serde_json::Value = serde_json::from_str(example.lines().next().context("empty example")?)?;
    let n = opts.articles;
    let articles: Vec<(String, Vec<u8>)> = (0..n)
        .map(|i| {
            let mut a = example.clone();
            let id = format!("bench-{i:06}");
            a["id"] = serde_json::Value::String(id.clone());
            (id, serde_json::to_vec(&a).unwrap())
        })
        .collect();
    let file = work.join("articles.jsonl");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&file)?);
        for (_, v) in &articles {
            f.write_all(v)?;
            f.write_all(b"\n")?;
        }
    }
    let one = work.join("one-article.jsonl");
    {
        let mut f = std::fs::File::create(&one)?;
        f.write_all(&articles[0].1)?;
        f.write_all(b"\n")?;
    }
    let bytes: usize = articles.iter().map(|(_, v)| v.len()).sum();
    eprintln!(
        "{n} articles ({} bytes each), {} partitions, {} repeats, {} cores, load average {}",
        bytes / n,
        opts.partitions,
        opts.repeats,
        std::thread::available_parallelism().map_or(1, |c| c.get()),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );

    let mut enrich = Vec::new();
    let mut kafka = Vec::new();
    let mut copy = Vec::new();
    for r in 0..opts.repeats {
        let e = measure_enrich(&file, &one, n)?;
        eprintln!("[{r}] newsflow enrich: {}", show(&e));
        enrich.push(e);

        let topics = BenchTopics::create(broker, opts.partitions);
        let k = measure_run(&topics, &articles)?;
        eprintln!("[{r}] newsflow run:    {}", show(&k));
        kafka.push(k);

        let c = measure_copy(&topics, &articles)?;
        eprintln!("[{r}] rdkafka copy:    {}", show(&c));
        copy.push(c);
    }
    let med = |v: &[Sample], f: fn(&Sample) -> f64| median(v.iter().map(f).collect());
    let (e_rate, k_rate, c_rate) = (
        med(&enrich, |s| s.rate),
        med(&kafka, |s| s.rate),
        med(&copy, |s| s.rate),
    );

    let topics = BenchTopics::create(broker, opts.partitions);
    let target = k_rate / 2.0;
    let lat = measure_latency(&topics, &example, target, opts.latency_seconds)?;

    println!();
    println!(
        "## kafka_throughput: {n} articles, medians of {} runs",
        opts.repeats
    );
    println!();
    println!(
        "| path | articles/s | start-up s (excluded) | s for all articles | peak RSS MiB | CPU ms/article: newsflow | broker | bench (producer, readers) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, v) in [
        ("`newsflow enrich` (in process, no Kafka)", &enrich),
        ("`newsflow run` through the broker", &kafka),
        ("rdkafka consume→produce copy, no processing", &copy),
    ] {
        let hwm = med(v, |s| s.hwm_kib as f64);
        let per_article = |f: fn(&Sample) -> f64| match med(v, f) * 1e3 / n as f64 {
            ms if ms > 0.0 => format!("{ms:.2}"),
            _ => "-".into(),
        };
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} | {} | {} | {} | {} |",
            med(v, |s| s.rate),
            med(v, |s| s.startup),
            med(v, |s| s.wall),
            if hwm > 0.0 {
                format!("{:.0}", hwm / 1024.0)
            } else {
                "-".into()
            },
            per_article(|s| s.cpu.newsflow),
            per_article(|s| s.cpu.broker),
            per_article(|s| s.cpu.bench),
        );
    }
    println!();
    println!(
        "- `newsflow run` / `newsflow enrich`: {:.3} (Kafka layer cost {:.1}%); median of the per-repeat ratios \
         (each pair measured back to back): {:.3}",
        k_rate / e_rate,
        (1.0 - k_rate / e_rate) * 100.0,
        median(kafka.iter().zip(&enrich).map(|(k, e)| k.rate / e.rate).collect())
    );
    let cpu = |v: &[Sample]| med(v, |s| s.cpu.newsflow) / n as f64;
    let (e_cpu, k_cpu) = (cpu(&enrich), cpu(&kafka));
    if e_cpu > 0.0 && k_cpu > 0.0 {
        // Robust to other load on the machine, which moves the rates a lot
        // (the broker's own CPU is listed apart in the table).
        println!(
            "- CPU per article, `newsflow enrich` / `newsflow run`: {:.3} (the Kafka layer adds {:.1}% CPU per \
             article inside newsflow)",
            e_cpu / k_cpu,
            (k_cpu / e_cpu - 1.0) * 100.0
        );
    }
    println!("- copy ceiling / `newsflow run`: {:.1}x", c_rate / k_rate);
    println!(
        "- latency at {:.0} articles/s (half of {:.0}), {} articles over {:.0} s: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (achieved {:.0}/s)",
        target,
        k_rate,
        lat.count,
        opts.latency_seconds,
        lat.p50 * 1e3,
        lat.p99 * 1e3,
        lat.max * 1e3,
        lat.achieved_rate
    );
    println!(
        "- peak RSS of `newsflow run` during the latency run: {:.0} MiB",
        lat.hwm_kib as f64 / 1024.0
    );
    Ok(())
}

fn show(s: &Sample) -> String {
    format!(
        "{:.0} articles/s, start-up {:.2} s, wall {:.2} s, peak RSS {} MiB, CPU s newsflow {:.2} broker {:.2} bench {:.2}",
        s.rate,
        s.startup,
        s.wall,
        s.hwm_kib / 1024,
        s.cpu.newsflow,
        s.cpu.broker,
        s.cpu.bench
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// VmHWM (peak resident set) of a live process, KiB.
fn vm_hwm(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Wall time, peak RSS and CPU seconds of `newsflow enrich FILE` with `n` articles.
fn enrich_wall(file: &Path, n: usize) -> Result<(f64, u64, f64)> {
    let start = Instant::now();
    let mut child = Command::new(NEWSFLOW)
        .arg("enrich")
        .arg(file)
        .env("NEWSFLOW_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting newsflow enrich")?;
    let pid = child.id();
    let mut out = child.stdout.take().unwrap();
    let mut lines = 0usize;
    let mut hwm = 0;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let got = out.read(&mut buf)?;
        if got == 0 {
            break;
        }
        lines += buf[..got].iter().filter(|b| **b == b'\n').count();
        hwm = hwm.max(vm_hwm(pid));
    }
    // Its CPU time, read once it has exited but before it is reaped.
    let exit_deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < exit_deadline
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    let cpu = cpu_seconds(pid);
    let status = child.wait()?;
    let wall = start.elapsed().as_secs_f64();
    if !status.success() || lines != n {
        bail!("newsflow enrich: {status}, {lines} lines for {n} articles");
    }
    Ok((wall, hwm, cpu))
}

/// `newsflow enrich` on all articles, minus a one-article run (start-up).
fn measure_enrich(file: &Path, one: &Path, n: usize) -> Result<Sample> {
    let (startup, _, cpu_one) = enrich_wall(one, 1)?;
    let (wall, hwm_kib, cpu_all) = enrich_wall(file, n)?;
    Ok(Sample {
        rate: (n - 1) as f64 / (wall - startup).max(1e-6),
        wall,
        startup,
        hwm_kib,
        cpu: Cpu {
            newsflow: cpu_all - cpu_one,
            ..Cpu::default()
        },
    })
}

/// The topics of one measurement on one broker. Names, flags and client
/// settings come from the Kafka tests' helpers (tests/support), so the bench
/// runs `newsflow run` exactly as the tests do.
struct BenchTopics {
    brokers: String,
    /// The broker's process when this bench started it (for its CPU time).
    broker_pid: Option<u32>,
    t: support::Topics,
    copy_raw: String,
    copy: String,
}

impl BenchTopics {
    /// New topics, `partitions` each (the DLQ 1), created on the broker.
    fn create(broker: &Broker, partitions: i32) -> BenchTopics {
        let brokers = broker.addr().to_owned();
        let t = support::Topics::new("bench");
        let (copy_raw, copy) = (support::unique("bench-copy-raw"), support::unique("bench-copy"));
        for (topic, p) in [
            (&t.raw, partitions),
            (&t.enriched, partitions),
            (&t.relations, partitions),
            (&t.dlq, 1),
            (&copy_raw, partitions),
            (&copy, partitions),
        ] {
            support::create_topic(&brokers, topic, p);
        }
        BenchTopics {
            brokers,
            broker_pid: broker.pid(),
            t,
            copy_raw,
            copy,
        }
    }

    fn run_args(&self, metrics_listen: &str) -> Vec<String> {
        let mut args = vec!["run".to_owned()];
        args.extend(self.t.flags(&self.brokers));
        args.extend(["--metrics-listen".to_owned(), metrics_listen.to_owned()]);
        args
    }
}

/// Produces every article to `topic` and waits until the broker has them all.
fn produce_all(brokers: &str, topic: &str, articles: &[(String, Vec<u8>)]) -> Result<()> {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "20")
        .set("enable.idempotence", "true")
        .create()?;
    for (id, value) in articles {
        let mut rec = BaseRecord::to(topic).key(id.as_bytes()).payload(value.as_slice());
        loop {
            match producer.send(rec) {
                Ok(()) => break,
                Err((e, back)) => {
                    if e.rdkafka_error_code() != Some(rdkafka::types::RDKafkaErrorCode::QueueFull) {
                        bail!("producing the articles: {e}");
                    }
                    producer.poll(Duration::from_millis(10));
                    rec = back;
                }
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(60))?;
    Ok(())
}

/// Reads `topic` from the beginning on all partitions (assigned, no group
/// join) until `want` distinct keys arrived, calling `on_key` for each new key.
fn observe(
    brokers: &str,
    topic: &str,
    want: usize,
    timeout: Duration,
    stop: &AtomicBool,
    mut on_key: impl FnMut(&[u8], usize),
) -> Result<usize> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("bench-observer-{}", std::process::id()))
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "10")
        .create()?;
    let parts: Vec<i32> = {
        let md = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
        md.topics()[0].partitions().iter().map(|p| p.id()).collect()
    };
    let mut tpl = TopicPartitionList::new();
    for p in parts {
        tpl.add_partition_offset(topic, p, Offset::Beginning)?;
    }
    consumer.assign(&tpl)?;
    drop(tpl);
    let deadline = Instant::now() + timeout;
    let mut seen = std::collections::HashSet::new();
    while seen.len() < want && !stop.load(Ordering::Relaxed) {
        if Instant::now() > deadline {
            bail!(
                "{topic}: only {} of {want} records within {timeout:?}",
                seen.len()
            );
        }
        match consumer.poll(Duration::from_millis(50)) {
            Some(Ok(m)) => {
                let key = m.key().unwrap_or_default().to_vec();
                if seen.insert(key.clone()) {
                    on_key(&key, seen.len());
                }
            }
            Some(Err(e)) => eprintln!("observer: {e}"),
            None => {}
        }
    }
    Ok(seen.len())
}

/// A `newsflow run` child, stopped with SIGTERM when dropped.
struct RunChild(Child);

impl RunChild {
    fn spawn(args: &[String]) -> Result<RunChild> {
        let child = Command::new(NEWSFLOW)
            .args(args)
            // Above the default 3 s the tests use: on a loaded machine heartbeats
            // are late and the group would rebalance mid-measurement.
            .env("NEWSFLOW_CONSUMER__SESSION_TIMEOUT_MS", "10000")
            .env("NEWSFLOW_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting newsflow run")?;
        Ok(RunChild(child))
    }
}

impl Drop for RunChild {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(40);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads `topic` in a thread until `n` distinct keys arrived; returns the
/// time the last one arrived.
fn observe_last(brokers: &str, topic: &str, n: usize) -> std::thread::JoinHandle<Result<Instant>> {
    let (brokers, topic) = (brokers.to_owned(), topic.to_owned());
    std::thread::spawn(move || {
        let mut last = Instant::now();
        observe(
            &brokers,
            &topic,
            n,
            Duration::from_secs(600),
            &AtomicBool::new(false),
            |_, _| last = Instant::now(),
        )?;
        Ok(last)
    })
}

/// A ready `newsflow run`, then `n` articles produced, until all `n` enriched records are out.
fn measure_run(topics: &BenchTopics, articles: &[(String, Vec<u8>)]) -> Result<Sample> {
    let (brokers, broker_pid) = (topics.brokers.as_str(), topics.broker_pid);
    let n = articles.len();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let start = Instant::now();
    let child = RunChild::spawn(&topics.run_args(&format!("127.0.0.1:{port}")))?;
    let pid = child.0.id();
    wait_ready(port, Duration::from_secs(120))?;
    let startup = start.elapsed().as_secs_f64();
    let observer = observe_last(brokers, &topics.t.enriched, n);
    let cpu0 = Cpu::sample(Some(pid), broker_pid);
    let t0 = Instant::now();
    produce_all(brokers, &topics.t.raw, articles)?;
    let last = observer.join().expect("observer panicked")?;
    let cpu = Cpu::sample(Some(pid), broker_pid).since(cpu0);
    let hwm_kib = vm_hwm(pid);
    drop(child);
    let wall = (last - t0).as_secs_f64();
    Ok(Sample {
        rate: n as f64 / wall,
        wall,
        startup,
        hwm_kib,
        cpu,
    })
}

/// The same articles copied to another topic by a plain rdkafka loop with
/// newsflow's client settings: consume, produce key/value/headers, commit
/// once a second. No parsing, no processing. Partitions are assigned (no
/// group join), then the articles are produced.
fn measure_copy(topics: &BenchTopics, articles: &[(String, Vec<u8>)]) -> Result<Sample> {
    let (brokers, broker_pid) = (topics.brokers.as_str(), topics.broker_pid);
    let n = articles.len();
    let mut cfg = topics.t.config(brokers);
    cfg.group_id = format!("{}-copy", topics.t.group);
    let stop = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let start = Instant::now();
    let copier = {
        let stop = Arc::clone(&stop);
        let (input, output) = (topics.copy_raw.clone(), topics.copy.clone());
        std::thread::spawn(move || -> Result<()> {
            let consumer: BaseConsumer = client_config(&cfg.consumer_properties()).create()?;
            let producer: BaseProducer = client_config(&cfg.producer_properties()).create()?;
            let parts: Vec<i32> = {
                let md = consumer.fetch_metadata(Some(&input), Duration::from_secs(10))?;
                md.topics()[0].partitions().iter().map(|p| p.id()).collect()
            };
            let mut tpl = TopicPartitionList::new();
            for p in parts {
                tpl.add_partition_offset(&input, p, Offset::Beginning)?;
            }
            consumer.assign(&tpl)?;
            drop(tpl);
            let _ = ready_tx.send(());
            let mut last_commit = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                if let Some(m) = consumer.poll(Duration::from_millis(10)) {
                    let m = m?;
                    let mut rec: BaseRecord<[u8], [u8]> = BaseRecord::to(&output);
                    if let Some(k) = m.key() {
                        rec = rec.key(k);
                    }
                    if let Some(v) = m.payload() {
                        rec = rec.payload(v);
                    }
                    if let Some(h) = m.headers() {
                        rec = rec.headers(h.detach());
                    }
                    loop {
                        match producer.send(rec) {
                            Ok(()) => break,
                            Err((_, back)) => {
                                producer.poll(Duration::from_millis(5));
                                rec = back;
                            }
                        }
                    }
                    consumer.store_offset_from_message(&m)?;
                }
                producer.poll(Duration::ZERO);
                if last_commit.elapsed() >= Duration::from_secs(1) {
                    let _ = consumer.commit_consumer_state(CommitMode::Async);
                    last_commit = Instant::now();
                }
            }
            producer.flush(Duration::from_secs(30))?;
            Ok(())
        })
    };
    ready_rx
        .recv_timeout(Duration::from_secs(30))
        .context("the copy loop did not start")?;
    let startup = start.elapsed().as_secs_f64();
    let observer = observe_last(brokers, &topics.copy, n);
    let cpu0 = Cpu::sample(None, broker_pid);
    let t0 = Instant::now();
    let produced = produce_all(brokers, &topics.copy_raw, articles);
    let last = observer.join().expect("observer panicked");
    let cpu = Cpu::sample(None, broker_pid).since(cpu0);
    stop.store(true, Ordering::Relaxed);
    copier.join().expect("copy thread panicked")?;
    produced?;
    let wall = (last? - t0).as_secs_f64();
    Ok(Sample {
        rate: n as f64 / wall,
        wall,
        startup,
        hwm_kib: 0,
        cpu,
    })
}

struct Latency {
    count: usize,
    p50: f64,
    p99: f64,
    max: f64,
    achieved_rate: f64,
    hwm_kib: u64,
}

/// Articles produced one by one at `rate`/s for `seconds` to a running,
/// ready `newsflow run`; latency = enriched record seen on the output
/// minus the moment the article was handed to the producer.
fn measure_latency(
    topics: &BenchTopics,
    example: &serde_json::Value,
    rate: f64,
    seconds: f64,
) -> Result<Latency> {
    let brokers = topics.brokers.as_str();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = RunChild::spawn(&topics.run_args(&format!("127.0.0.1:{port}")))?;
    let pid = child.0.id();
    wait_ready(port, Duration::from_secs(60))?;

    let count = ((rate * seconds) as usize).max(100);
    let sent: Arc<Mutex<HashMap<Vec<u8>, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(count)));
    let observer = {
        let (brokers, topic) = (topics.brokers.clone(), topics.t.enriched.clone());
        let (sent, latencies) = (Arc::clone(&sent), Arc::clone(&latencies));
        std::thread::spawn(move || {
            observe(
                &brokers,
                &topic,
                count,
                Duration::from_secs_f64(seconds + 300.0),
                &AtomicBool::new(false),
                |key, _| {
                    let now = Instant::now();
                    if let Some(t) = sent.lock().unwrap().get(key) {
                        latencies.lock().unwrap().push((now - *t).as_secs_f64());
                    }
                },
            )
        })
    };
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "0")
        .set("enable.idempotence", "true")
        .create()?;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    for i in 0..count {
        let due = start + interval * i as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let mut a = example.clone();
        let id = format!("lat-{i:06}");
        a["id"] = serde_json::Value::String(id.clone());
        let value = serde_json::to_vec(&a)?;
        sent.lock()
            .unwrap()
            .insert(id.clone().into_bytes(), Instant::now());
        let rec = BaseRecord::to(&topics.t.raw)
            .key(id.as_bytes())
            .payload(value.as_slice());
        producer.send(rec).map_err(|(e, _)| e)?;
        producer.poll(Duration::ZERO);
    }
    let achieved_rate = count as f64 / start.elapsed().as_secs_f64();
    producer.flush(Duration::from_secs(30))?;
    observer.join().expect("observer panicked")?;
    let hwm_kib = vm_hwm(pid);
    drop(child);
    let mut l = std::mem::take(&mut *latencies.lock().unwrap());
    l.sort_by(f64::total_cmp);
    let q = |p: f64| l[((l.len() as f64 * p).ceil() as usize).clamp(1, l.len()) - 1];
    Ok(Latency {
        count: l.len(),
        p50: q(0.5),
        p99: q(0.99),
        max: *l.last().context("no latency measured")?,
        achieved_rate,
        hwm_kib,
    })
}

/// Polls `/ready` until it answers 200 (partitions assigned, broker reachable).
fn wait_ready(port: u16, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"GET /ready HTTP/1.0\r\n\r\n");
            let mut line = String::new();
            if BufReader::new(s).read_line(&mut line).is_ok() && line.contains(" 200 ") {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("newsflow run was not ready within {timeout:?}")
}
