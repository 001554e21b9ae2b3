//! HTML input: main-content extraction, page metadata, and plain visible
//! text.
//!
//! Main content comes from `rs-trafilatura` (measured best of the Rust
//! extractors on WCXB dev, see docs/clean.md); metadata from JSON-LD, Open
//! Graph and meta tags, read here with the same `dom_query` parser it uses.
//! Pages the extractor should not be trusted with (nesting deep enough to
//! exhaust a recursive walker, or no result) go through the visible text
//! and the full-page line rules instead, so every input gets an answer.

use crate::pipeline::record::PageMetadata;
use dom_query::{Document, NodeRef};
use serde_json::Value;

/// What [`extract`] found on a page.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Main-content text, one block per line.
    pub text: String,
    pub title: Option<String>,
    pub metadata: PageMetadata,
    /// Which extractor produced `text`: `rs-trafilatura` or `visible-text`.
    pub extractor: &'static str,
}

/// Deeper element nesting than this is not handed to the extractor (its
/// tree walks recurse); such pages are never real articles anyway.
pub const MAX_EXTRACTOR_DEPTH: usize = 400;

/// Elements whose content is never visible text.
const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object", "canvas", "select",
    "option", "textarea", "datalist", "dialog",
];

/// Elements that start a new block in rendered text.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "center",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "html",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "menu",
    "legend",
    "label",
    "button",
    "option",
];

/// Extracts main content and metadata from an HTML page.
pub fn extract(html: &str) -> Page {
    let doc = Document::from(html);
    let mut metadata = read_metadata(&doc);
    let meta_title = metadata_title(&doc);
    let depth = max_depth(&doc);
    if depth <= MAX_EXTRACTOR_DEPTH {
        if let Ok(result) = rs_trafilatura::extract(html) {
            if !result.content_text.trim().is_empty() {
                let m = &result.metadata;
                fill(&mut metadata.author, m.author.as_deref());
                fill(&mut metadata.site_name, m.sitename.as_deref());
                fill(&mut metadata.canonical_url, m.url.as_deref());
                if metadata.published.is_none() {
                    metadata.published = m.date.map(|d| d.to_rfc3339());
                }
                return Page {
                    text: result.content_text,
                    title: meta_title.or_else(|| nonempty(m.title.as_deref())),
                    metadata,
                    extractor: "rs-trafilatura",
                };
            }
        }
    }
    let visible = visible_text(&doc);
    let cleaned = super::text::classify(&visible, super::text::Mode::Page, false);
    Page {
        text: cleaned.body,
        title: meta_title,
        metadata,
        extractor: "visible-text",
    }
}

fn fill(slot: &mut Option<String>, value: Option<&str>) {
    if slot.is_none() {
        *slot = nonempty(value);
    }
}

fn nonempty(s: Option<&str>) -> Option<String> {
    let s = super::hygiene::clean_line(s?);
    (!s.is_empty()).then_some(s)
}

/// Deepest element nesting (iterative, so deep pages cannot overflow here).
fn max_depth(doc: &Document) -> usize {
    let mut max = 0;
    let mut stack = vec![(doc.root(), 0usize)];
    while let Some((node, d)) = stack.pop() {
        max = max.max(d);
        if max > MAX_EXTRACTOR_DEPTH {
            return max;
        }
        for child in node.children_it(false) {
            if child.is_element() {
                stack.push((child, d + 1));
            }
        }
    }
    max
}

/// The page's visible text, one block per line, no boilerplate judgement.
pub fn html_to_text(html: &str) -> String {
    visible_text(&Document::from(html))
}

fn visible_text(doc: &Document) -> String {
    let mut out = String::new();
    let mut line = String::new();
    // (node, leaving): elements are visited twice so blocks can close lines.
    let mut stack: Vec<(NodeRef, bool)> = vec![(doc.root(), false)];
    while let Some((node, leaving)) = stack.pop() {
        if node.is_text() {
            if !leaving {
                line.push_str(&node.text());
            }
            continue;
        }
        if node.is_element() {
            let name = node
                .node_name()
                .map(|n| n.to_ascii_lowercase())
                .unwrap_or_default();
            let block = BLOCK.contains(&name.as_str());
            if leaving {
                if block {
                    flush(&mut line, &mut out);
                }
                continue;
            }
            if SKIP.contains(&name.as_str()) || node.has_attr("hidden") || is_hidden_style(&node) {
                continue;
            }
            if name == "br" {
                flush(&mut line, &mut out);
                continue;
            }
            if name == "img" {
                continue;
            }
            if block {
                flush(&mut line, &mut out);
            }
            stack.push((node, true));
        } else if !(node.is_document() || node.is_fragment()) {
            continue;
        }
        let children: Vec<NodeRef> = node.children_it(true).collect();
        stack.extend(children.into_iter().map(|c| (c, false)));
    }
    flush(&mut line, &mut out);
    out
}

fn is_hidden_style(node: &NodeRef) -> bool {
    if node.attr("aria-hidden").is_some_and(|v| v.as_ref() == "true") {
        return true;
    }
    node.attr("style").is_some_and(|s| {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        s.contains("display:none") || s.contains("visibility:hidden")
    })
}

fn flush(line: &mut String, out: &mut String) {
    let collapsed = super::hygiene::collapse_whitespace(line);
    line.clear();
    if collapsed.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&collapsed);
}

/// Title: JSON-LD headline, then og:title, then `<title>`, then the first h1.
fn metadata_title(doc: &Document) -> Option<String> {
    let ld = json_ld_articles(doc);
    ld.iter()
        .find_map(|v| str_field(v, "headline").or_else(|| str_field(v, "name")))
        .or_else(|| meta(doc, "meta[property='og:title'], meta[name='og:title']"))
        .or_else(|| meta(doc, "meta[name='twitter:title']"))
        .or_else(|| nonempty(Some(&doc.select_single("title").text())))
        .or_else(|| nonempty(Some(&doc.select_single("h1").text())))
}

fn meta(doc: &Document, sel: &str) -> Option<String> {
    doc.select(sel)
        .iter()
        .find_map(|m| nonempty(m.attr("content").as_deref()))
}

/// Author, published date, language, canonical URL and site name from
/// JSON-LD first, then Open Graph and meta tags.
pub fn read_metadata(doc: &Document) -> PageMetadata {
    let ld = json_ld_articles(doc);
    let author = ld
        .iter()
        .find_map(|v| v.get("author").and_then(person_names))
        .or_else(|| meta(doc, "meta[name='author'], meta[name='article:author'], meta[name='byl'], meta[name='dc.creator'], meta[name='DC.creator'], meta[name='parsely-author'], meta[name='sailthru.author']"))
        .or_else(|| {
            meta(doc, "meta[property='article:author']").filter(|a| !a.starts_with("http"))
        });
    let published = ld
        .iter()
        .find_map(|v| str_field(v, "datePublished").or_else(|| str_field(v, "dateCreated")))
        .or_else(|| meta(doc, "meta[property='article:published_time'], meta[name='article:published_time'], meta[itemprop='datePublished'], meta[name='pubdate'], meta[name='publishdate'], meta[name='date'], meta[name='dc.date'], meta[name='DC.date.issued'], meta[name='parsely-pub-date'], meta[name='sailthru.date']"))
        .or_else(|| doc.select("time[datetime]").iter().find_map(|t| nonempty(t.attr("datetime").as_deref())));
    let canonical_url = doc
        .select("link[rel='canonical']")
        .iter()
        .find_map(|l| nonempty(l.attr("href").as_deref()))
        .or_else(|| meta(doc, "meta[property='og:url']"))
        .or_else(|| ld.iter().find_map(|v| str_field(v, "url")));
    let site_name = meta(doc, "meta[property='og:site_name']")
        .or_else(|| {
            ld.iter()
                .find_map(|v| v.get("publisher").and_then(|p| str_field(p, "name")))
        })
        .or_else(|| meta(doc, "meta[name='application-name']"));
    let lang = doc
        .select_single("html")
        .attr("lang")
        .and_then(|l| nonempty(Some(&l)))
        .or_else(|| {
            meta(
                doc,
                "meta[http-equiv='content-language'], meta[http-equiv='Content-Language']",
            )
        })
        .or_else(|| ld.iter().find_map(|v| str_field(v, "inLanguage")))
        .or_else(|| meta(doc, "meta[property='og:locale']"))
        .and_then(|l| crate::pipeline::language::normalize_hint(&l));
    PageMetadata {
        author,
        published,
        canonical_url,
        site_name,
        lang,
    }
}

/// JSON-LD objects describing the page's article (or web page), from
/// every `application/ld+json` script, `@graph` arrays flattened. Article
/// types come first.
fn json_ld_articles(doc: &Document) -> Vec<Value> {
    let mut found: Vec<(u8, Value)> = Vec::new();
    for script in doc.select("script[type='application/ld+json']").iter() {
        let Ok(v) = serde_json::from_str::<Value>(script.text().trim()) else {
            continue;
        };
        let mut queue = vec![v];
        while let Some(v) = queue.pop() {
            match v {
                Value::Array(items) => queue.extend(items),
                Value::Object(mut obj) => {
                    if let Some(graph) = obj.remove("@graph") {
                        queue.push(graph);
                    }
                    let types: Vec<String> = match obj.get("@type") {
                        Some(Value::String(s)) => vec![s.clone()],
                        Some(Value::Array(a)) => {
                            a.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect()
                        }
                        _ => Vec::new(),
                    };
                    let rank = if types
                        .iter()
                        .any(|t| t.ends_with("Article") || t == "BlogPosting" || t == "Report")
                    {
                        0
                    } else if types.iter().any(|t| t == "WebPage") {
                        1
                    } else {
                        continue;
                    };
                    found.push((rank, Value::Object(obj)));
                }
                _ => {}
            }
            if found.len() > 64 {
                break;
            }
        }
    }
    found.sort_by_key(|(rank, _)| *rank);
    found.into_iter().map(|(_, v)| v).collect()
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => nonempty(Some(s)),
        Value::Array(a) => a.iter().find_map(|x| x.as_str()).and_then(|s| nonempty(Some(s))),
        _ => None,
    }
}

/// `author` may be a string, a Person, or a list of either.
fn person_names(v: &Value) -> Option<String> {
    let names: Vec<String> = match v {
        Value::String(s) => vec![s.clone()],
        Value::Object(_) => str_field(v, "name").into_iter().collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.clone()),
                Value::Object(_) => str_field(i, "name"),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let joined = names
        .iter()
        .map(|n| super::hygiene::clean_line(n))
        .filter(|n| !n.is_empty() && !n.starts_with("http"))
        .collect::<Vec<_>>()
        .join(", ");
    (!joined.is_empty()).then_some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_text_blocks() {
        let html = "<html><head><title>T</title><style>p{}</style></head><body><nav>Menu</nav>\
                    <p>Un <b>beau</b> texte.</p><script>var x;</script><div hidden>caché</div>\
                    <ul><li>a</li><li>b</li></ul>x<br>y</body></html>";
        assert_eq!(html_to_text(html), "Menu\nUn beau texte.\na\nb\nx\ny");
    }

    #[test]
    fn metadata_from_json_ld_og_and_meta() {
        let html = r#"<html lang="fr-FR"><head>
            <link rel="canonical" href="https://ex.fr/a">
            <meta property="og:site_name" content="Ex">
            <meta property="og:title" content="OG titre">
            <script type="application/ld+json">{"@context":"https://schema.org","@graph":[
              {"@type":"WebSite","name":"Ex"},
              {"@type":"NewsArticle","headline":"Le titre","datePublished":"2022-01-19T10:00:00+01:00",
               "author":[{"@type":"Person","name":"Jean Dupont"},{"@type":"Person","name":"Marie Curie"}]}]}
            </script></head><body><p>x</p></body></html>"#;
        let doc = Document::from(html);
        let m = read_metadata(&doc);
        assert_eq!(m.author.as_deref(), Some("Jean Dupont, Marie Curie"));
        assert_eq!(m.published.as_deref(), Some("2022-01-19T10:00:00+01:00"));
        assert_eq!(m.canonical_url.as_deref(), Some("https://ex.fr/a"));
        assert_eq!(m.site_name.as_deref(), Some("Ex"));
        assert_eq!(m.lang.as_deref(), Some("fr"));
        assert_eq!(metadata_title(&doc).as_deref(), Some("Le titre"));
    }
}
