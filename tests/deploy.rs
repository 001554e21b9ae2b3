//! The deployment files agree with the code: the container config parses as
//! a newsflow config, the Grafana dashboard queries only metrics newsflow
//! emits (and shows every one the runtime reports), and the docs name them
//! all. Docker itself cannot run here; `deploy/validate.py` checks the YAML
//! files and their cross references, and runs below when python3 with
//! PyYAML is available.

use newsflow::observability::metric;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Metric names (`newsflow_…`) in a PromQL expression, with the histogram
/// series suffixes mapped back to the histogram's name.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(r"newsflow_[a-z_]+").unwrap();
    re.find_iter(expr)
        .map(|m| {
            let name = m.as_str();
            ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .filter(|base| metric::ALL.contains(base))
                .unwrap_or(name)
                .to_owned()
        })
        .collect()
}

fn dashboard_exprs() -> Vec<String> {
    let dash: serde_json::Value = serde_json::from_str(&read("deploy/grafana/dashboards/newsflow.json"))
        .expect("the dashboard is JSON");
    let mut exprs = Vec::new();
    for panel in dash["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().into_iter().flatten() {
            exprs.push(
                target["expr"]
                    .as_str()
                    .expect("every target has a PromQL expr")
                    .to_owned(),
            );
        }
    }
    exprs
}

#[test]
fn dashboard_queries_known_metrics_and_shows_them_all() {
    let used: BTreeSet<String> = dashboard_exprs().iter().flat_map(|e| metric_names(e)).collect();
    for name in &used {
        assert!(
            metric::ALL.contains(&name.as_str()),
            "the dashboard queries `{name}`, which newsflow does not emit (observability::metric)"
        );
    }
    for name in metric::ALL {
        if *name == metric::BUILD_INFO {
            continue; // for ad-hoc queries, not a panel
        }
        assert!(used.contains(*name), "no dashboard panel shows `{name}`");
    }
    // Latency panels are true histogram quantiles, not averages.
    let exprs = dashboard_exprs().join("\n");
    for h in [metric::STAGE_SECONDS, metric::END_TO_END_SECONDS] {
        for q in ["0.5", "0.99"] {
            assert!(
                exprs.contains(&format!("histogram_quantile({q}, sum by (le"))
                    && exprs.contains(&format!("{h}_bucket")),
                "no p{q} panel for {h}"
            );
        }
    }
}

#[test]
fn metric_name_extraction() {
    let names =
        metric_names("histogram_quantile(0.5, sum by (le) (rate(newsflow_stage_seconds_bucket[5m])))");
    assert_eq!(names.into_iter().collect::<Vec<_>>(), ["newsflow_stage_seconds"]);
    let names = metric_names("rate(newsflow_records_in_total[1m]) + newsflow_nope_bucket");
    assert!(names.contains("newsflow_records_in_total") && names.contains("newsflow_nope_bucket"));
}

#[test]
fn observability_doc_names_every_metric() {
    let doc = read("docs/observability.md");
    for name in metric::ALL {
        assert!(
            doc.contains(name),
            "docs/observability.md does not document `{name}`"
        );
    }
}

#[test]
fn container_config_is_a_valid_newsflow_config() {
    let config = newsflow::config::Config::from_toml_str(&read("deploy/newsflow.toml"))
        .expect("deploy/newsflow.toml must parse (every key is in config/newsflow.example.toml)");
    assert_eq!(config.brokers, "kafka:9092");
    assert!(config.metrics.listen.starts_with("0.0.0.0:"));
}

#[test]
fn deployment_files_are_consistent() {
    let has_yaml = std::process::Command::new("python3")
        .args(["-c", "import yaml, tomllib"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_yaml {
        eprintln!("SKIPPED deployment_files_are_consistent: needs python3 (3.11+) with PyYAML");
        return;
    }
    let out = std::process::Command::new("python3")
        .arg(repo("deploy/validate.py"))
        .output()
        .expect("running deploy/validate.py");
    assert!(
        out.status.success(),
        "deploy/validate.py found problems:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
