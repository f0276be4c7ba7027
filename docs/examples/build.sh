#!/usr/bin/env bash
# Rebuild docs/examples/ — the 6-February-2026 reference case on real prices — with one command:
#   bash docs/examples/build.sh            (after the README's set-up; reads ../shared/data/real)
# It imports the real CSV exports into a throw-away store, writes the EN and DE reports for 2026-02-05 (the day of
# the crash; the news flash appeared on the 6th) and for 2026-02-06 (the rebound, in up-day/) with their figures,
# and checks the news text's claims.
set -euo pipefail
cd "$(dirname "$0")/../.."
REAL=${SELLOFF_REAL_DATA:-../shared/data/real}
NEWS=${SELLOFF_NEWS:-../shared/reference/news-2026-02-06-ai-crypto-selloff.de.txt}
OUT=docs/examples
S=.venv/bin/selloff
STORE=$(mktemp -d)/reference.duckdb
trap 'rm -rf "$(dirname "$STORE")"' EXIT

$S import --store "$STORE" --source drrobanthony "$REAL"/crypto/drrobanthony_daily_window/*.csv > /dev/null
$S import --store "$STORE" "$REAL"/crypto/yahoo_daily_mario_so/btc.csv "$REAL"/crypto/yahoo_daily_mario_so/eth.csv \
  "$REAL"/equities/yfinance_daily_key07211/{NVDA,AMD,AVGO,TSM,SMCI,MSFT,GOOGL,AMZN,META}.csv \
  "$REAL"/equities/yfinance_daily_xunxuntj/QQQ.csv \
  "$REAL"/crypto/coingecko_top100_daily_zeketests/*.csv > /dev/null
rm -rf "$OUT"/figures "$OUT"/*.md "$OUT"/*.html "$OUT"/*.json "$OUT"/*.txt "$OUT"/up-day
$S report --store "$STORE" --date 2026-02-05 --lang all --format md,html,json --out "$OUT"
# the day after: an up day (the rebound template), in its own folder so its figures do not replace the crash's
$S report --store "$STORE" --date 2026-02-06 --lang all --format md,html,json --out "$OUT"/up-day
# the claim check speaks the text's language (German) by default; --lang en gives the English view
$S check "$NEWS" --date 2026-02-06 --store "$STORE" --html-out "$OUT"/claims_2026-02-06.html --json > "$OUT"/claims_2026-02-06.json
$S check "$NEWS" --date 2026-02-06 --store "$STORE" --lang en --html-out "$OUT"/claims_2026-02-06.en.html \
  --json > "$OUT"/claims_2026-02-06.en.json
COLUMNS=80 $S check "$NEWS" --date 2026-02-06 --store "$STORE" > "$OUT"/claims_2026-02-06.txt
COLUMNS=80 $S check "$NEWS" --date 2026-02-06 --store "$STORE" --lang en > "$OUT"/claims_2026-02-06.en.txt
COLUMNS=160 $S check "$NEWS" --date 2026-02-06 --store "$STORE" --lang en --verbose > "$OUT"/claims_2026-02-06.readings.txt
COLUMNS=160 $S explain --date 2026-02-05 --store "$STORE" > "$OUT"/explain_2026-02-05.txt
echo "examples written to $OUT"
