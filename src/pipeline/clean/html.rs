//! HTML input: visible text of a page.

use scraper::{Html, Node};

/// Elements whose content is never visible text.
const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object", "canvas", "select",
    "option", "textarea",
];

/// Elements that start a new line in rendered text.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "dd",
    "details",
    "dialog",
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
];

/// The page's visible text, one block per line.
pub fn html_to_text(html: &str) -> String {
    let doc = Html::parse_document(html);
    let mut out = String::new();
    let mut line = String::new();
    let mut stack = vec![(doc.tree.root(), false)];
    while let Some((node, leaving)) = stack.pop() {
        match node.value() {
            Node::Element(el) => {
                let name = el.name();
                let block = BLOCK.contains(&name);
                if leaving {
                    if block {
                        flush(&mut line, &mut out);
                    }
                    continue;
                }
                if SKIP.contains(&name) || el.attr("hidden").is_some() {
                    continue;
                }
                if name == "br" {
                    flush(&mut line, &mut out);
                    continue;
                }
                if block {
                    flush(&mut line, &mut out);
                }
                stack.push((node, true));
                let children: Vec<_> = node.children().collect();
                stack.extend(children.into_iter().rev().map(|c| (c, false)));
            }
            Node::Text(t) if !leaving => line.push_str(t),
            Node::Document | Node::Fragment if !leaving => {
                let children: Vec<_> = node.children().collect();
                stack.extend(children.into_iter().rev().map(|c| (c, false)));
            }
            _ => {}
        }
    }
    flush(&mut line, &mut out);
    out
}

fn flush(line: &mut String, out: &mut String) {
    let collapsed = line.split_whitespace().collect::<Vec<_>>().join(" ");
    line.clear();
    if collapsed.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&collapsed);
}
