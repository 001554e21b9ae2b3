//! The input article and how it is read from a JSON object.
//!
//! Both front ends (JSON Lines in `enrich`, Kafka messages in `stream`) turn
//! their bytes into an [`Article`] here, so that both accept exactly the same
//! inputs and reject the rest with the same [`InputError`] kinds.

use serde_json::{Map, Value};

/// A raw article as delivered by a scraper.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Article {
    pub id: String,
    pub url: Option<String>,
    pub title: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
    /// Language hint (ISO 639-1 or a locale like `fr_FR`); wins over detection.
    pub lang: Option<String>,
    /// Every other input field (url, published_at, source, ...), carried through.
    pub extra: Map<String, Value>,
}

/// Why an input could not become an [`Article`]. The `kind()` strings are a
/// contract: they appear in DLQ headers and in `enrich` error lines.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum InputError {
    #[error("input is not valid UTF-8 (at byte {0})")]
    NotUtf8(usize),
    #[error("input is not valid JSON: {0}")]
    BadJson(String),
    #[error("input JSON must be an object, got {0}")]
    NotAnObject(&'static str),
    #[error("field `{field}` must be {expected}")]
    BadField {
        field: &'static str,
        expected: &'static str,
    },
    #[error("article has neither `text` nor `html` (give one of them, non-empty)")]
    NoContent,
    /// `setting`: the knob that sets `limit` where the input came in
    /// (`max_article_bytes` in the stream config, `--max-line-bytes` in `enrich`).
    #[error(
        "article is {size} bytes, over the limit of {limit} bytes (raise {setting} if this is expected)"
    )]
    TooLarge {
        size: usize,
        limit: usize,
        setting: &'static str,
    },
}

impl InputError {
    pub fn kind(&self) -> &'static str {
        match self {
            InputError::NotUtf8(_) => "not_utf8",
            InputError::BadJson(_) => "bad_json",
            InputError::NotAnObject(_) => "not_an_object",
            InputError::BadField { .. } => "bad_field",
            InputError::NoContent => "no_content",
            InputError::TooLarge { .. } => "too_large",
        }
    }
}

fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Takes an optional string field out of the object. `null` counts as absent.
fn take_string(obj: &mut Map<String, Value>, field: &'static str) -> Result<Option<String>, InputError> {
    match obj.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(InputError::BadField {
            field,
            expected: "a string",
        }),
    }
}

impl Article {
    /// Parses one JSON object. `fallback_id` is used when the object has no
    /// `id` (the Kafka key, say); without either, the id is a stable hash of
    /// the url or the content.
    pub fn from_json_str(json: &str, fallback_id: Option<&str>) -> Result<Article, InputError> {
        let value: Value = serde_json::from_str(json).map_err(|e| InputError::BadJson(e.to_string()))?;
        Article::from_json_value(value, fallback_id)
    }

    pub fn from_json_value(value: Value, fallback_id: Option<&str>) -> Result<Article, InputError> {
        let mut obj = match value {
            Value::Object(obj) => obj,
            other => return Err(InputError::NotAnObject(json_type_name(&other))),
        };
        let id = match obj.remove("id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => {
                return Err(InputError::BadField {
                    field: "id",
                    expected: "a non-empty string or a number",
                })
            }
        };
        let mut article = Article {
            id: String::new(),
            url: take_string(&mut obj, "url")?,
            title: take_string(&mut obj, "title")?,
            text: take_string(&mut obj, "text")?,
            html: take_string(&mut obj, "html")?,
            lang: take_string(&mut obj, "lang")?,
            extra: Map::new(),
        };
        if let Some(url) = &article.url {
            article.extra.insert("url".into(), Value::String(url.clone()));
        }
        article.extra.append(&mut obj);
        article.id = id
            .or_else(|| fallback_id.filter(|s| !s.is_empty()).map(str::to_owned))
            .unwrap_or_else(|| article.content_hash_id());
        article.validate()?;
        Ok(article)
    }

    /// Builds an article from a non-JSON payload: HTML when it looks like
    /// markup, plain text otherwise.
    pub fn from_raw_text(body: &str, id: Option<&str>, is_html: bool) -> Result<Article, InputError> {
        let mut article = Article::default();
        if is_html {
            article.html = Some(body.to_owned());
        } else {
            article.text = Some(body.to_owned());
        }
        article.id = id
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| article.content_hash_id());
        article.validate()?;
        Ok(article)
    }

    fn validate(&self) -> Result<(), InputError> {
        let has = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
        if !has(&self.text) && !has(&self.html) {
            return Err(InputError::NoContent);
        }
        Ok(())
    }

    /// A stable id for articles that come without one: FNV-1a 64 of the url,
    /// else of the content. Stable across runs and versions (replays must
    /// produce the same keys).
    pub fn content_hash_id(&self) -> String {
        let basis = self
            .url
            .as_deref()
            .or(self.text.as_deref())
            .or(self.html.as_deref())
            .unwrap_or("");
        format!("sha-fnv1a64:{:016x}", fnv1a64(basis.as_bytes()))
    }
}

/// FNV-1a, 64 bit: tiny, stable, and good enough for ids of articles that
/// came without one (not a security boundary).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Whether a payload that is not JSON looks like HTML rather than text.
pub fn looks_like_html(body: &str) -> bool {
    let head: String = body
        .trim_start()
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.starts_with("<?xml")
        || ["<body", "<head", "<div", "<p>", "<article", "<meta"]
            .iter()
            .any(|t| head.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_from_field_key_or_hash() {
        let a = Article::from_json_str(r#"{"id":"a1","text":"x"}"#, Some("k")).unwrap();
        assert_eq!(a.id, "a1");
        let a = Article::from_json_str(r#"{"id":7,"text":"x"}"#, None).unwrap();
        assert_eq!(a.id, "7");
        let a = Article::from_json_str(r#"{"text":"x"}"#, Some("k")).unwrap();
        assert_eq!(a.id, "k");
        let a = Article::from_json_str(r#"{"url":"http://e/1","text":"x"}"#, None).unwrap();
        let b = Article::from_json_str(r#"{"url":"http://e/1","text":"y"}"#, None).unwrap();
        assert_eq!(a.id, b.id, "hash of url is stable");
        assert!(a.id.starts_with("sha-fnv1a64:"));
    }

    #[test]
    fn extra_fields_carried_through() {
        let a = Article::from_json_str(r#"{"id":"a","text":"x","source":"afp","n":{"k":1}}"#, None).unwrap();
        assert_eq!(a.extra["source"], "afp");
        assert_eq!(a.extra["n"]["k"], 1);
        assert!(!a.extra.contains_key("text"));
    }

    #[test]
    fn rejects_what_it_cannot_use() {
        let kind = |s: &str| Article::from_json_str(s, None).unwrap_err().kind();
        assert_eq!(kind("{"), "bad_json");
        assert_eq!(kind("[1]"), "not_an_object");
        assert_eq!(kind(r#"{"id":"a"}"#), "no_content");
        assert_eq!(kind(r#"{"id":"a","text":"  "}"#), "no_content");
        assert_eq!(kind(r#"{"id":"a","text":5}"#), "bad_field");
        assert_eq!(kind(r#"{"id":[],"text":"x"}"#), "bad_field");
    }

    #[test]
    fn sniffs_html() {
        assert!(looks_like_html("  <!DOCTYPE html><html>"));
        assert!(looks_like_html("<div><p>hi</p></div>"));
        assert!(!looks_like_html("Le Kazakhstan et l'UE <3"));
    }
}
