//! Dead letters: a message the pipeline cannot process goes to the DLQ topic
//! with its original key, value and headers untouched, plus headers that
//! say why and where it came from, so it can be inspected and re-driven
//! with `newsflow replay --topic <dlq>` after a fix.

use super::input::{Header, InputMessage};
use super::produce::{OutRecord, Provenance};
use super::worker::Failure;

/// Header names newsflow adds to a dead letter.
pub mod header {
    pub const ERROR_KIND: &str = "newsflow-error-kind";
    pub const ERROR_MESSAGE: &str = "newsflow-error-message";
    pub const ARTICLE_ID: &str = "newsflow-article-id";
    pub const FAILED_AT: &str = "newsflow-failed-at";
}

/// Whether a header is one newsflow adds (provenance or reason).
fn is_ours(key: &str) -> bool {
    key.starts_with("newsflow-")
}

/// Builds the dead letter of `msg`.
///
/// When `msg` is itself a dead letter being re-driven (it carries
/// `newsflow-error-kind`), the previous attempt's newsflow headers are
/// dropped first, so the record says why it failed *this* time and the
/// original producer's headers stay exactly as they were.
pub fn dead_letter(msg: &InputMessage, failure: &Failure, dlq_topic: &str, prov: &Provenance) -> OutRecord {
    metrics::counter!(crate::observability::metric::RECORDS_DLQ, "reason" => failure.kind).increment(1);
    let redriven = msg.headers.iter().any(|h| h.key == header::ERROR_KIND);
    let mut headers: Vec<Header> = msg
        .headers
        .iter()
        .filter(|h| !(redriven && is_ours(&h.key)))
        .cloned()
        .collect();
    let mut add = |k: &str, v: String| {
        headers.push(Header {
            key: k.to_owned(),
            value: Some(v.into_bytes()),
        })
    };
    add(header::ERROR_KIND, failure.kind.to_owned());
    // Header values are bounded so a pathological error text cannot make the
    // dead letter itself too large to write.
    add(header::ERROR_MESSAGE, truncate(&failure.message, 2048));
    if let Some(id) = &failure.article_id {
        add(header::ARTICLE_ID, id.clone());
    }
    add(
        header::FAILED_AT,
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
            .to_string(),
    );
    prov.push_source_headers(msg, &mut headers);
    OutRecord {
        topic: dlq_topic.to_owned(),
        key: msg.key.clone(),
        value: msg.value.clone(),
        headers,
        dead_letter: true,
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::produce::header as ph;

    fn get<'a>(r: &'a OutRecord, k: &str) -> Vec<&'a str> {
        r.headers
            .iter()
            .filter(|h| h.key == k)
            .map(|h| std::str::from_utf8(h.value.as_deref().unwrap_or(b"")).unwrap())
            .collect()
    }

    #[test]
    fn keeps_original_and_says_why() {
        let msg = InputMessage {
            topic: "articles.raw".into(),
            partition: 3,
            offset: 42,
            timestamp_ms: Some(1700000000000),
            key: Some(b"\xffkey".to_vec()),
            value: Some(b"\xfe\xff".to_vec()),
            headers: vec![
                Header {
                    key: "trace".into(),
                    value: Some(vec![0, 1]),
                },
                Header {
                    key: "nil".into(),
                    value: None,
                },
            ],
        };
        let f = Failure {
            kind: "not_utf8",
            message: "input is not valid UTF-8 (at byte 0)".into(),
            article_id: None,
        };
        let prov = Provenance::default();
        let r = dead_letter(&msg, &f, "articles.dlq", &prov);
        assert_eq!(r.topic, "articles.dlq");
        assert_eq!(r.key, msg.key);
        assert_eq!(r.value, msg.value);
        assert_eq!(&r.headers[..2], &msg.headers[..]);
        assert_eq!(get(&r, header::ERROR_KIND), ["not_utf8"]);
        assert_eq!(get(&r, ph::SOURCE_TOPIC), ["articles.raw"]);
        assert_eq!(get(&r, ph::SOURCE_PARTITION), ["3"]);
        assert_eq!(get(&r, ph::SOURCE_OFFSET), ["42"]);
        assert_eq!(get(&r, ph::SOURCE_TIMESTAMP), ["1700000000000"]);

        // Re-driven and failing again: one set of reasons, the new one.
        let mut again = msg.clone();
        again.topic = "articles.dlq".into();
        again.headers = r.headers.clone();
        let f2 = Failure {
            kind: "stage_error",
            ..f
        };
        let r2 = dead_letter(&again, &f2, "articles.dlq", &prov);
        assert_eq!(get(&r2, header::ERROR_KIND), ["stage_error"]);
        assert_eq!(get(&r2, ph::SOURCE_TOPIC), ["articles.dlq"]);
        assert_eq!(&r2.headers[..2], &msg.headers[..]);
    }

    #[test]
    fn long_messages_are_cut_on_a_char_boundary() {
        let s = "é".repeat(3000);
        let t = truncate(&s, 2049);
        assert!(t.len() <= 2049 + '…'.len_utf8());
    }
}
