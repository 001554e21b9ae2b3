//! Broker stall on a real broker: pause the Tansu process (SIGSTOP)
//! mid-stream and resume it (SIGCONT). Nothing is lost, the pipeline
//! recovers on its own, and `/ready` says "not ready" while the broker does
//! not answer. Needs NEWSFLOW_TEST_BROKER_PID (set by scripts/test.sh).
#![cfg(feature = "kafka")]

mod support;

use newsflow::observability::Health;
use newsflow::pipeline::{Article, Pipeline, Stages};
use newsflow::stream::produce::Provenance;
use newsflow::stream::runtime::{self, Options, Source};
use newsflow::stream::worker::EnrichFn;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

/// Status code of GET /ready.
fn ready_status(addr: std::net::SocketAddr) -> u16 {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn signal(pid: &str, sig: &str) {
    assert!(std::process::Command::new("kill")
        .args([sig, pid])
        .status()
        .unwrap()
        .success());
}

fn wait_for(what: &str, timeout: Duration, f: impl Fn() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn paused_broker_loses_nothing_and_ready_follows() {
    let Some(brokers) = brokers() else { return };
    let Ok(pid) = std::env::var("NEWSFLOW_TEST_BROKER_PID") else {
        eprintln!(
            "SKIPPED: NEWSFLOW_TEST_BROKER_PID is not set (scripts/test.sh sets it when it starts Tansu)"
        );
        return;
    };
    let t = Topics::new("stall");
    t.create(&brokers, 2);
    let p = TestProducer::new(&brokers);
    let send = |range: std::ops::Range<usize>| {
        for i in range {
            let id = format!("s{i:04}");
            p.send(
                &t.raw,
                None,
                Some(id.as_bytes()),
                Some(&article(&id, "Bruxelles et Astana.")),
                &[],
            );
        }
    };
    send(0..200);
    p.flush();

    let health = Arc::new(Health::new());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = rt
        .block_on(newsflow::observability::serve_listener(
            listener,
            Arc::clone(&health),
        ))
        .unwrap();
    let rt_thread = {
        // Drive the HTTP server while the test blocks.
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let h = std::thread::spawn(move || {
            rt.block_on(async move {
                let _ = tokio::task::spawn_blocking(move || rx.recv()).await;
            })
        });
        (tx, h)
    };

    let pipeline = Pipeline::load().unwrap();
    let enrich: Arc<EnrichFn> = Arc::new(move |a: &Article| pipeline.enrich(a, Stages::ALL));
    let shutdown = Arc::new(AtomicBool::new(false));
    let opts = Options {
        config: t.config(&brokers),
        enrich,
        provenance: Provenance::default(),
        health: Arc::clone(&health),
        shutdown: Arc::clone(&shutdown),
    };
    let handle = std::thread::spawn(move || runtime::run(opts, Source::Live, None));
    wait_for("ready", Duration::from_secs(30), || ready_status(addr) == 200);
    let first = count_keys(&brokers, &[&t.enriched], Duration::from_secs(60), |c| {
        c.len() >= 200
    });
    assert_eq!(first.len(), 200);

    signal(&pid, "-STOP");
    send(200..400); // queued in the client while the broker is paused
    let stalled = std::panic::catch_unwind(|| {
        wait_for("/ready to turn 503", Duration::from_secs(30), || {
            ready_status(addr) == 503
        });
    });
    signal(&pid, "-CONT");
    stalled.expect("/ready reflects the stall");
    p.flush();
    wait_for("ready again", Duration::from_secs(60), || {
        ready_status(addr) == 200
    });
    let all = count_keys(&brokers, &[&t.enriched, &t.dlq], Duration::from_secs(90), |c| {
        c.len() >= 400
    });
    shutdown.store(true, Ordering::SeqCst);
    handle.join().unwrap().expect("clean stop");
    server.abort();
    drop(rt_thread.0);
    let _ = rt_thread.1.join();
    let missing = (0..400)
        .filter(|i| !all.contains_key(&format!("s{i:04}")))
        .count();
    assert_eq!(missing, 0, "records lost across the stall");
    assert_eq!(
        committed(&brokers, &t.group, &t.raw, 2).values().sum::<i64>(),
        400
    );
}
