#!/usr/bin/env python3
"""Worst cases by construction through the whole CLI: `newsflow enrich --stages clean`.

Each case is one JSON line (or raw bytes for the JSON-layer cases) built here, fed to
the release binary on stdin; the script times it and checks that the output is one
valid JSON object per input line, either an enriched record whose boilerplate offsets
lie inside the text they index (the input text for text input, the extraction for
HTML) or a clear error record (`error`, `error_kind`). Nothing here needs ../shared.

Usage (from the repository root, after a release build):
    cargo build --release --no-default-features
    python3 scripts/clean_worst_cases.py [--bin target/release/newsflow] [--limit-s 30]

Prints a table (case, input size, seconds, outcome) and exits non-zero when a case
crashes, hangs past the limit, or gives invalid output. The fast ones also run as
tests in tests/clean_robust.rs; this script covers the 10 MB inputs, which take too
long in a debug build.
"""
import argparse
import json
import subprocess
import sys
import time

MB = 1_000_000
SENTENCE = ("Le Kazakhstan et l\u2019Union europ\u00e9enne ont confirm\u00e9 leur volont\u00e9 "
            "de d\u00e9velopper une coop\u00e9ration multidimensionnelle. ")


def record(**fields):
    return (json.dumps({"id": "case", **fields}, ensure_ascii=False) + "\n").encode("utf-8")


def cases():
    """(name, stdin bytes, what the case is about)."""
    yield ("10 MB single-line text",
           record(text=SENTENCE * (10 * MB // len(SENTENCE.encode()))),
           "one line of 10 MB: per-line rules, hygiene, normalisation")
    yield ("10 MB text, 1 line per sentence",
           record(text="\n".join([SENTENCE.strip()] * (10 * MB // len(SENTENCE.encode())))),
           "~70k lines: the region scan and the line model")
    yield ("10 MB page of one <p>",
           record(html="<html><body><p>" + SENTENCE * (10 * MB // len(SENTENCE.encode()))
                  + "</p></body></html>"),
           "one block over the parser's size limit")
    yield ("100k sibling <p>",
           record(html="<html><body><article>" + "".join(
               f"<p>Paragraphe {i}: {SENTENCE}</p>" for i in range(100_000)) + "</article></body></html>"),
           "a wide tree: extractor scoring per element")
    yield ("100k sibling <span> in one <div>",
           record(html="<html><body><div>" + "<span>mot</span> " * 100_000 + "</div></body></html>"),
           "inline siblings: one huge text line")
    yield ("50k attributes on one tag",
           record(html="<html><body><div " + " ".join(f'a{i}="v{i}"' for i in range(50_000))
                  + "><p>" + SENTENCE + "</p></div></body></html>"),
           "attribute lists: duplicate checks in the tokenizer")
    yield ("50k nested <div>",
           record(html="<div>" * 50_000 + "<p>" + SENTENCE + "</p>" + "</div>" * 50_000),
           "depth: the linear pre-scan and the strip-tags path")
    yield ("1M-character word (text)",
           record(text="Titre\n\n" + "a" * 1_000_000 + "\n\n" + SENTENCE),
           "a word longer than any buffer")
    yield ("1M-character word (html)",
           record(html="<html><body><p>" + "a" * 1_000_000 + "</p><p>" + SENTENCE + "</p></body></html>"),
           "the same inside a page")
    yield ("1M-character URL-like token",
           record(text="www." + "a." * 500_000 + "com"),
           "the credit-domain regex on a huge dotted token")
    yield ("NUL bytes (escaped in JSON)",
           record(text="Titre\u0000\n\n" + ("mot\u0000 " * 10_000) + SENTENCE),
           "NUL inside text")
    yield ("NUL bytes in html",
           record(html="<p>" + "a\u0000b " * 10_000 + "</p>"),
           "NUL inside markup")
    yield ("invalid UTF-8 inside a JSON string",
           b'{"id": "case", "text": "caf\xc3 \xff\xfe fin"}\n',
           "the JSON layer: a clear not_utf8 error, the run goes on")
    yield ("lone surrogate escaped (\\ud800)",
           b'{"id": "case", "text": "avant \\ud800 apr\\u00e8s"}\n',
           "serde_json rejects it: a clear bad_json error")
    yield ("surrogate pair escaped (\\ud83d\\ude00)",
           b'{"id": "case", "text": "Un emoji \\ud83d\\ude00 dans le texte."}\n',
           "a valid pair decodes to one character")
    yield ("CRLF line ends",
           record(text="Titre\r\n\r\nUnion europ\u00e9enne\r\n\r\n" + (SENTENCE + "\r\n\r\n") * 5
                  + "Laisser un commentaire\r\n"),
           "offsets stay code points over \\r\\n")
    yield ("CR-only line ends",
           record(text="Titre\r\rUnion europ\u00e9enne\r\r" + (SENTENCE + "\r\r") * 5
                  + "Laisser un commentaire\r"),
           "old Mac line ends")
    yield ("only combining marks",
           record(text="\u0301" * 200_000),
           "no base characters: NFC, word splitting")
    yield ("combining marks in html",
           record(html="<p>" + "\u0301\u0308" * 100_000 + "</p>"),
           "the same through the HTML path")
    yield ("RTL text (Arabic + bidi controls)",
           record(text="\u0639\u0646\u0648\u0627\u0646\n\n" + ("\u202b\u0647\u0630\u0627 \u0646\u0635 "
                  "\u0639\u0631\u0628\u064a \u0637\u0648\u064a\u0644 \u0644\u0644\u0627\u062e\u062a\u0628\u0627\u0631."
                  "\u202c\n\n") * 2_000 + "\u0627\u062a\u0631\u0643 \u062a\u0639\u0644\u064a\u0642\u0627\u064b\n"),
           "right-to-left script and embedding controls")
    yield ("100k empty lines",
           record(text="\n" * 100_000 + SENTENCE),
           "blank-line handling")
    yield ("binary junk as text",
           record(text="".join(chr((i * 2654435761 >> 13) % 0xD7FF or 1) for i in range(200_000))),
           "random code points")
    yield ("unclosed comment / CDATA",
           record(html="<html><body><p>" + SENTENCE + "</p><!-- " + "x" * 1_000_000),
           "the tokenizer's comment state to the end")
    yield ("100k open <b> (formatting list)",
           record(html="<p>" + "<b>" * 100_000 + SENTENCE),
           "the adoption agency / active formatting elements")
    yield ("100k <table> cells",
           record(html="<table>" + "<tr>" + "<td>c</td>" * 100_000 + "</tr></table>"),
           "table building")
    yield ("100 MB line (over --max-line-bytes)",
           record(text=SENTENCE * (100 * MB // len(SENTENCE.encode("utf-8")))),
           "enrich's line limit: a too_large error line, the line never held whole")


def input_text_chars(data: bytes):
    """Code points of the input's `text` field (what text-input boilerplate offsets
    index), or None for HTML input or input that is not valid JSON."""
    try:
        rec = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    return len(rec["text"]) if isinstance(rec.get("text"), str) else None


def check(out: bytes, n_lines: int, input_chars):
    """Returns an outcome string, or raises ValueError when the output is wrong."""
    lines = out.decode("utf-8").splitlines()
    if len(lines) != n_lines:
        raise ValueError(f"{len(lines)} output lines for {n_lines} input line(s)")
    outcomes = []
    for line in lines:
        rec = json.loads(line)
        if "error" in rec:
            if not rec.get("error_kind"):
                raise ValueError(f"error record without a kind: {line[:200]}")
            outcomes.append(f"error {rec['error_kind']}")
            continue
        text = rec["text"]
        n = len(text)
        for b in rec.get("boilerplate", []):
            if not (0 <= b["start"] <= b["end"]) or (input_chars is not None and b["end"] > input_chars):
                raise ValueError(f"bad boilerplate span {b['start']}..{b['end']} (input {input_chars})")
        for e in rec.get("entities", []):
            for m in e.get("mentions", []):
                if not (0 <= m["start"] < m["end"] <= n):
                    raise ValueError(f"mention {m} outside text of {n} chars")
        outcomes.append(f"ok ({n} chars kept, {len(rec.get('boilerplate', []))} removed)")
    return "; ".join(outcomes)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="target/release/newsflow")
    ap.add_argument("--limit-s", type=float, default=30.0,
                    help="a case slower than this counts as a hang (default 30 s)")
    ap.add_argument("--only", help="run only cases whose name contains this")
    a = ap.parse_args()
    failed = 0
    print(f"| case | input | seconds | outcome |\n|---|---|---|---|")
    for name, data, _about in cases():
        if a.only and a.only not in name:
            continue
        started = time.monotonic()
        try:
            p = subprocess.run([a.bin, "enrich", "--stages", "clean", "-"], input=data,
                               capture_output=True, timeout=a.limit_s * 4)
            secs = time.monotonic() - started
            if p.returncode != 0:
                raise ValueError(f"exit {p.returncode}: {p.stderr.decode(errors='replace')[-300:]}")
            outcome = check(p.stdout, data.count(b"\n"), input_text_chars(data))
            if secs > a.limit_s:
                raise ValueError(f"too slow: {secs:.1f} s > {a.limit_s} s ({outcome})")
        except (ValueError, subprocess.TimeoutExpired, json.JSONDecodeError, KeyError) as e:
            secs = time.monotonic() - started
            outcome = f"FAIL: {e}"
            failed += 1
        print(f"| {name} | {len(data) / MB:.2f} MB | {secs:.2f} | {outcome} |", flush=True)
    if failed:
        print(f"{failed} case(s) failed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
