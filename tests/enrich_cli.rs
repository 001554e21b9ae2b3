//! The `newsflow enrich` contract, through the real binary: one output line
//! per non-blank input line, same ids, input order across batch boundaries,
//! an error line for a bad line while the rest go on, and `--stages
//! entities` leaving `text` unchanged.

use std::io::Write;
use std::process::{Command, Stdio};

fn enrich(input: &str, args: &[&str]) -> Vec<serde_json::Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_newsflow"))
        .arg("enrich")
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("newsflow runs");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "enrich exits 0 even with bad lines");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every output line is JSON"))
        .collect()
}

#[test]
fn every_line_answered_in_order_across_batches() {
    let n = 600; // more than two batches of 256
    let mut lines: Vec<String> = (0..n)
        .map(|i| serde_json::json!({"id": format!("a{i}"), "text": "Emmanuel Macron à Berlin."}).to_string())
        .collect();
    lines.insert(3, String::new()); // blank: not a record
    lines.insert(300, "{not json".into());
    lines.insert(400, r#"{"id": "no-text"}"#.into());
    // No trailing newline: the last line still counts.
    let out = enrich(&lines.join("\n"), &["--stages", "entities"]);
    assert_eq!(out.len(), n + 2);
    let errors: Vec<_> = out.iter().filter(|r| r.get("error").is_some()).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().any(|r| r["id"] == "no-text"));
    let ids: Vec<&str> = out
        .iter()
        .filter(|r| r.get("error").is_none())
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..n).map(|i| format!("a{i}")).collect();
    assert_eq!(ids, expected, "same ids, input order");
    let first = &out[0];
    assert_eq!(
        first["text"], "Emmanuel Macron à Berlin.",
        "--stages entities keeps the text"
    );
    assert!(first["entities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "Emmanuel Macron" && e["type"] == "PER"));
}

#[test]
fn empty_input_gives_no_output() {
    assert!(enrich("", &[]).is_empty());
}

#[test]
fn a_line_over_the_limit_gets_an_error_line_and_the_rest_go_on() {
    let big = serde_json::json!({"id": "big", "text": "Emmanuel Macron à Berlin. ".repeat(100)}).to_string();
    let small = serde_json::json!({"id": "small", "text": "Emmanuel Macron à Berlin."}).to_string();
    let out = enrich(
        &format!("{big}\n{small}\n"),
        &["--stages", "entities", "--max-line-bytes", "1000"],
    );
    assert_eq!(out.len(), 2);
    assert_eq!(out[0]["id"], "big");
    assert_eq!(out[0]["error_kind"], "too_large");
    assert_eq!(out[1]["id"], "small");
    assert!(out[1].get("error").is_none(), "{:?}", out[1]);
}
