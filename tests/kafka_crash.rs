//! Crash safety, at-least-once: `kill -9` the `newsflow run` process
//! repeatedly while thousands of articles flow, restart it each time: every
//! input ends up on the enriched topic or the DLQ, and the duplicates stay
//! within the in-flight bound (per partition, per crash).
#![cfg(feature = "kafka")]

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};
use support::*;

const ARTICLES: usize = 3000;
const PARTITIONS: i32 = 3;
const BOUND: usize = 100;
const KILLS: usize = 4;

#[test]
fn kill_9_loses_nothing_and_duplicates_stay_bounded() {
    let Some(brokers) = brokers() else { return };
    let t = Topics::new("crash");
    t.create(&brokers, PARTITIONS);

    // Articles arrive while the process is being killed and restarted.
    let feeder = {
        let brokers = brokers.clone();
        let raw = t.raw.clone();
        std::thread::spawn(move || {
            let p = TestProducer::new(&brokers);
            for i in 0..ARTICLES {
                let id = format!("a{i:05}");
                let value = if i % 250 == 7 {
                    b"{\"broken json".to_vec() // a few dead letters in the mix
                } else {
                    article(
                        &id,
                        "Le président kazakh Kassym-Jomart Tokaïev a reçu le ministre à Astana.",
                    )
                };
                p.send(&raw, None, Some(id.as_bytes()), Some(&value), &[]);
                if i % 200 == 0 {
                    std::thread::sleep(Duration::from_millis(150));
                }
            }
            p.flush();
        })
    };

    let mut args = vec!["run".to_string()];
    args.extend(t.flags(&brokers));
    args.extend(["--metrics-listen".into(), String::new()]);
    let bound = BOUND.to_string();
    let env = [
        ("NEWSFLOW_PROCESSING__MAX_IN_FLIGHT_PER_PARTITION", bound.as_str()),
        ("NEWSFLOW_DELIVERY__COMMIT_INTERVAL_MS", "200"),
    ];
    for round in 0..KILLS {
        let mut run = Newsflow::spawn(&args, &env);
        // Long enough to join the group and make progress, short enough to
        // die mid-stream.
        std::thread::sleep(Duration::from_millis(3500 + 700 * round as u64));
        run.signal("KILL");
        run.wait(Duration::from_secs(5)).expect("killed process exits");
    }
    feeder.join().unwrap();

    let mut run = Newsflow::spawn(&args, &env);
    let want: HashSet<String> = (0..ARTICLES).map(|i| format!("a{i:05}")).collect();
    let started = Instant::now();
    let counts = count_keys(&brokers, &[&t.enriched, &t.dlq], Duration::from_secs(150), |c| {
        want.iter().all(|k| c.contains_key(k))
    });
    run.signal("TERM");
    let status = run.wait(Duration::from_secs(30)).expect("stops after SIGTERM");
    assert!(status.success(), "{status:?}");

    let missing: Vec<&String> = want
        .iter()
        .filter(|k| !counts.contains_key(*k))
        .take(10)
        .collect();
    assert!(
        missing.is_empty(),
        "lost after {:?}: {missing:?}",
        started.elapsed()
    );
    let total: usize = counts.values().sum();
    let duplicates = total - counts.len();
    let allowed = KILLS * PARTITIONS as usize * BOUND;
    eprintln!("crash test: {ARTICLES} articles, {KILLS} kills, {duplicates} duplicates (bound {allowed})");
    assert!(
        duplicates <= allowed,
        "{duplicates} duplicates exceed the in-flight bound {allowed}"
    );
    let dead = counts.keys().filter(|k| {
        let i: usize = k[1..].parse().unwrap();
        i % 250 == 7
    });
    assert_eq!(dead.count(), ARTICLES.div_ceil(250));
}
