#!/usr/bin/env bash
# Runs the parse benchmarks (benches/parse.rs) and prints criterion's medians as a short table,
# with µs per KB for the body-size group: roughly equal figures mean time grows linearly.
#
# Usage: bench/parse.sh [CRITERION ARGS…]   e.g. bench/parse.sh body_size
# Needs ../shared/corpus/dev beside this repository, and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo bench --bench parse -- "$@"

if [[ -n "${CRITERION_HOME:-}" ]]; then
    dir="$CRITERION_HOME"
else
    target="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')}"
    dir="$target/criterion"
fi

python3 - "$dir" <<'PY'
import glob, json, os, sys

root = sys.argv[1]
GROUPS = ("dev_corpus_text_message", "dev_corpus_pdf_form_message",
          "dev_corpus_pdf_form_message_worker", "parse_message_one_call", "body_size")
rows = []
for bench in glob.glob(os.path.join(root, "**", "new", "benchmark.json"), recursive=True):
    with open(bench) as f:
        meta = json.load(f)
    if meta.get("group_id") not in GROUPS:
        continue
    with open(os.path.join(os.path.dirname(bench), "estimates.json")) as f:
        est = json.load(f)
    rows.append((meta["full_id"], est["median"]["point_estimate"] / 1000,
                 (meta.get("throughput") or {}).get("Bytes")))
if not rows:
    sys.exit(f"no results under {root}")
rows.sort(key=lambda r: (GROUPS.index(r[0].split("/")[0]), r[2] or 0))

# µs/KB: the whole time per KB. Δµs/KB: the extra time per extra KB from the size above; equal
# figures for 5→50 and 50→500 mean linear growth (the first column also holds the fixed cost).
print()
print(f"{'benchmark':<26} {'median µs':>10} {'bytes':>8} {'µs/KB':>7} {'Δµs/KB':>7}")
previous = None
for name, us, size in rows:
    per_kb = delta = ""
    if size:
        per_kb = f"{us / (size / 1024):.2f}"
        if previous:
            delta = f"{(us - previous[0]) / ((size - previous[1]) / 1024):.2f}"
        previous = (us, size)
    print(f"{name:<26} {us:>10.1f} {size or '':>8} {per_kb:>7} {delta:>7}")
PY
