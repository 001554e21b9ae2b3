//! A consumed Kafka message, owned, and how it becomes an [`Article`].
//!
//! The value is a JSON object (the usual case), or plain UTF-8 text or HTML:
//! a `content-type` header decides, else sniffing (`{` starts JSON, markup
//! starts HTML, anything else is text). The key is the fallback id. Parsing
//! is shared with `newsflow enrich` through [`crate::pipeline::article`], so
//! both front ends accept and reject exactly the same inputs.

use crate::pipeline::article::looks_like_html;
use crate::pipeline::{Article, InputError};
use rdkafka::message::{Headers, Message};

/// One header, owned; the value may be absent (Kafka allows null values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub key: String,
    pub value: Option<Vec<u8>>,
}

/// A consumed message, detached from the consumer so it can cross threads
/// and outlive the poll (librdkafka's borrowed messages cannot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputMessage {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// Milliseconds since the epoch (create or log-append time), if the broker gave one.
    pub timestamp_ms: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<Header>,
}

/// The message's headers as owned data (in order, duplicates and null
/// values kept), so they outlive the message they came from.
pub fn owned_headers<M: Message>(m: &M) -> Vec<Header> {
    m.headers()
        .map(|hs| {
            hs.iter()
                .map(|h| Header {
                    key: h.key.to_owned(),
                    value: h.value.map(<[u8]>::to_vec),
                })
                .collect()
        })
        .unwrap_or_default()
}

impl InputMessage {
    pub fn from_message<M: Message>(m: &M) -> InputMessage {
        let headers = owned_headers(m);
        InputMessage {
            topic: m.topic().to_owned(),
            partition: m.partition(),
            offset: m.offset(),
            timestamp_ms: m.timestamp().to_millis(),
            key: m.key().map(<[u8]>::to_vec),
            value: m.payload().map(<[u8]>::to_vec),
            headers,
        }
    }

    /// The first header with this name (case-insensitive), as UTF-8.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.key.eq_ignore_ascii_case(name))
            .and_then(|h| h.value.as_deref())
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The key as a fallback article id, when it is non-empty UTF-8.
    pub fn key_str(&self) -> Option<&str> {
        self.key
            .as_deref()
            .and_then(|k| std::str::from_utf8(k).ok())
            .filter(|k| !k.trim().is_empty())
    }
}

/// How the value is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Html,
    Text,
}

fn format_from_content_type(ct: &str) -> Option<Format> {
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/json" | "text/json" => Some(Format::Json),
        m if m.ends_with("+json") => Some(Format::Json),
        "text/html" | "application/xhtml+xml" => Some(Format::Html),
        "text/plain" => Some(Format::Text),
        _ => None,
    }
}

/// Turns a message into an article, or says why it cannot be one.
pub fn parse(msg: &InputMessage, max_bytes: usize) -> Result<Article, InputError> {
    let bytes = msg.value.as_deref().unwrap_or(&[]);
    if bytes.len() > max_bytes {
        return Err(InputError::TooLarge {
            size: bytes.len(),
            limit: max_bytes,
            setting: "`max_article_bytes`",
        });
    }
    let body = std::str::from_utf8(bytes).map_err(|e| InputError::NotUtf8(e.valid_up_to()))?;
    let key = msg.key_str();
    let declared = msg.header_str("content-type").and_then(format_from_content_type);
    let format = declared.unwrap_or_else(|| {
        let head = body.trim_start();
        if head.starts_with('{') {
            Format::Json
        } else if looks_like_html(head) {
            Format::Html
        } else {
            Format::Text
        }
    });
    match format {
        Format::Json => Article::from_json_str(body, key),
        Format::Html => Article::from_raw_text(body, key, true),
        Format::Text => Article::from_raw_text(body, key, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(value: &[u8], key: Option<&str>, ct: Option<&str>) -> InputMessage {
        InputMessage {
            topic: "t".into(),
            partition: 0,
            offset: 0,
            timestamp_ms: None,
            key: key.map(|k| k.as_bytes().to_vec()),
            value: Some(value.to_vec()),
            headers: ct
                .map(|c| {
                    vec![Header {
                        key: "Content-Type".into(),
                        value: Some(c.as_bytes().to_vec()),
                    }]
                })
                .unwrap_or_default(),
        }
    }

    #[test]
    fn json_object_with_key_as_fallback_id() {
        let a = parse(&msg(br#"{"text":"Bonjour"}"#, Some("k1"), None), 100).unwrap();
        assert_eq!(a.id, "k1");
        assert_eq!(a.text.as_deref(), Some("Bonjour"));
        let a = parse(&msg(br#" {"id":"x","text":"B"}"#, Some("k1"), None), 100).unwrap();
        assert_eq!(a.id, "x");
    }

    #[test]
    fn text_and_html_by_sniffing_or_header() {
        let a = parse(&msg(b"Le Kazakhstan et l'UE", Some("k"), None), 100).unwrap();
        assert_eq!(a.text.as_deref(), Some("Le Kazakhstan et l'UE"));
        let a = parse(&msg(b"<html><body><p>Hi</p></body></html>", None, None), 100).unwrap();
        assert!(a.html.is_some() && a.text.is_none());
        assert!(a.id.starts_with("sha-fnv1a64:"));
        // The header wins over sniffing: `{` here is text.
        let a = parse(&msg(b"{not json", None, Some("text/plain; charset=utf-8")), 100).unwrap();
        assert_eq!(a.text.as_deref(), Some("{not json"));
        let a = parse(&msg(b"hello", None, Some("text/html")), 100).unwrap();
        assert_eq!(a.html.as_deref(), Some("hello"));
    }

    #[test]
    fn poison_kinds() {
        let kind = |m: InputMessage| parse(&m, 64).unwrap_err().kind();
        assert_eq!(kind(msg(b"\xff\xfe", None, None)), "not_utf8");
        assert_eq!(kind(msg(b"{\"id\":", None, None)), "bad_json");
        assert_eq!(kind(msg(b"{\"id\":\"a\"}", None, None)), "no_content");
        assert_eq!(kind(msg(b"   ", None, None)), "no_content");
        assert_eq!(kind(msg(&[b'a'; 65], None, None)), "too_large");
        assert_eq!(kind(msg(b"[1]", None, Some("application/json"))), "not_an_object");
        let mut tombstone = msg(b"", None, None);
        tombstone.value = None;
        assert_eq!(kind(tombstone), "no_content");
    }
}
