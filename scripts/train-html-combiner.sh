#!/usr/bin/env bash
# Trains the HTML path's line combiner (data/boilerplate/html-combiner.tsv.gz).
#
# The combiner reads the line model's probabilities; on its training pages
# those must come from line models that never saw the page. So this script
# first trains four line models, each on the WCXB dev training pages minus
# one fold (page id % 5 == k, k = 1..4; id % 5 == 0 is the held-out fifth,
# never trained on), then the combiner with them (`--fold-models`).
#
# Run it again whenever the line model (data/boilerplate/line-model.tsv.gz)
# or its features change. About 25 minutes on two cores (folds 3-4.5 min
# each, the combiner about 8-9 min at load 6, session 8).
#
# The same fold models show where the short-extraction switch fires and why
# (docs/clean-html.md, session 9): pass `--switch-dump FILE` as an extra
# option; `train clean-html` then writes the per-page evidence and stops.
#
# Usage: scripts/train-html-combiner.sh [WCXB_DEV_DIR] [WORK_DIR] [train clean-html options]
set -euo pipefail

wcxb="$(realpath "${1:-../shared/corpora/boilerplate/wcxb-dev}")"
work="${2:-target/html-combiner}"
shift $(( $# < 2 ? $# : 2 ))
[ -d "$wcxb/html" ] && [ -d "$wcxb/ground-truth" ] || {
  echo "no WCXB dev pages at $wcxb (expected html/ and ground-truth/)" >&2
  exit 1
}

cargo build --release --no-default-features
bin="${CARGO_TARGET_DIR:-target}/release/newsflow"
mkdir -p "$work"

for k in 1 2 3 4; do
  fold="$work/without-f$k"
  rm -rf "$fold"
  mkdir -p "$fold/html" "$fold/ground-truth"
  for page in "$wcxb"/html/*; do
    name="$(basename "$page")"
    id="${name%%.*}"
    if [ $((10#$id % 5)) -ne "$k" ]; then
      ln -s "$page" "$fold/html/$name"
      gt="$wcxb/ground-truth/$id.json"
      if [ -f "$gt" ]; then ln -s "$gt" "$fold/ground-truth/$id.json"; fi
    fi
  done
  "$bin" train clean "$fold" --out "$work/model-f$k.tsv.gz"
done

# Prints the oracle, then for each variant the decoding grid on the
# cross-fitted training pages (every page / under the cross-fitted gate),
# the chosen decoding and page-type gate with its train gain (paired SE,
# pages better / worse), the gain per rs-trafilatura page type, and the
# held-out fifth scored once at that choice. Session 8's candidate: line
# units with their container's evidence (unitx), adds only (--add-only),
# gated by rs-trafilatura's page type (--gate auto, the default). Add
# --ship-edit only for a variant that beats the current path on the
# cross-fitted training pages and held out; without it the file written is
# empty (the current state: no variant did, sessions 5-8 in
# docs/clean-html.md).
NEWSFLOW_LOG=error "$bin" train clean-html "$wcxb" --fold-models "$work" --l2 1e-4 \
  --features unitx --add-only \
  --out data/boilerplate/html-combiner.tsv.gz "$@"
