#!/usr/bin/env python3
"""Render WCXB-layout pages to scraped text the way other scrapers would, one file per page.

`newsflow eval clean DIR --text` scores the line model on our own rendering of each page's
visible text. A user's scraper renders differently (inline elements on their own lines,
markdown, tables laid out), so this writes other renderings for
`newsflow eval clean DIR --text --text-from OUT` to measure the model on them:

    python3 -m venv /tmp/render && /tmp/render/bin/pip install beautifulsoup4 lxml inscriptis html2text
    /tmp/render/bin/python scripts/render_pages.py ../shared/corpora/boilerplate/wcxb-dev OUT RENDERER

RENDERER: bs4-nodes (BeautifulSoup get_text, one text node per line), bs4-blocks (one block
element per line), inscriptis (layout-aware text), html2text (markdown, no wrapping).
Blank lines are dropped and runs of spaces collapsed in every rendering. Only the held-out
fifth (id a multiple of 5) is rendered unless --all is given.
"""
import gzip
import re
import sys
from pathlib import Path

BLOCK = {
    "address", "article", "aside", "blockquote", "br", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "td",
    "th", "tr", "ul", "option", "button", "label",
}
DROP = ["script", "style", "noscript", "template", "head", "svg", "iframe"]


def soup_of(html):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for tag in soup(DROP):
        tag.decompose()
    return soup


def bs4_nodes(html):
    return soup_of(html).get_text("\n", strip=True)


def bs4_blocks(html):
    from bs4 import NavigableString, Comment

    out = []
    line = []

    def flush():
        text = " ".join("".join(line).split())
        if text:
            out.append(text)
        line.clear()

    def walk(node):
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                line.append(str(child))
                continue
            block = child.name in BLOCK
            if block:
                flush()
            walk(child)
            if block:
                flush()

    soup = soup_of(html)
    walk(soup.body or soup)
    flush()
    return "\n".join(out)


def inscriptis_text(html):
    from inscriptis import get_text

    return get_text(html)


def html2text_md(html):
    import html2text

    h = html2text.HTML2Text()
    h.body_width = 0
    h.ignore_images = True
    return h.handle(html)


RENDERERS = {
    "bs4-nodes": bs4_nodes,
    "bs4-blocks": bs4_blocks,
    "inscriptis": inscriptis_text,
    "html2text": html2text_md,
}


def tidy(text):
    lines = (re.sub(r"[ \t\u00a0]+", " ", l).strip() for l in text.splitlines())
    return "\n".join(l for l in lines if l) + "\n"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 3 or args[2] not in RENDERERS:
        sys.exit(__doc__ + "\nrenderers: " + ", ".join(RENDERERS))
    src, out, name = Path(args[0]), Path(args[1]), args[2]
    every = "--all" in sys.argv
    out.mkdir(parents=True, exist_ok=True)
    render = RENDERERS[name]
    done = 0
    for path in sorted((src / "html").glob("*.html*")):
        page_id = path.name.split(".")[0]
        if not every and int(page_id) % 5 != 0:
            continue
        raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
        html = raw.decode("utf-8", errors="replace")
        (out / f"{page_id}.txt").write_text(tidy(render(html)))
        done += 1
    print(f"{done} pages rendered with {name} into {out}")


if __name__ == "__main__":
    main()
