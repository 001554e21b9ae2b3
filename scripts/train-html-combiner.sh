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
# or its features change. About 25 minutes on two cores (folds 2.5-5.5 min
# each, the combiner about 6-14 min; both about twice that on a loaded
# machine).
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

# Prints the oracle, the cross-fitted train and the held-out F1 (all pages
# and articles only) of each variant. By default the units are whole block
# containers (--units, session 7): without the DOM names (nodom), with them
# (base), and with the crosses (all). Session 6's line units are the same
# command without --units (and --features domx for their crosses). Add
# --ship-edit and/or --ship-switch only for a part that beats the current
# path on the cross-fitted training pages and held out; without them the
# file written is empty (the current state: no part did, sessions 5-7 in
# docs/clean-html.md).
NEWSFLOW_LOG=error "$bin" train clean-html "$wcxb" --fold-models "$work" --units --l2 1e-4 \
  --features nodom --features base --features all \
  --out data/boilerplate/html-combiner.tsv.gz "$@"
