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
rows = []
for bench in glob.glob(os.path.join(root, "**", "new", "benchmark.json"), recursive=True):
    with open(bench) as f:
        meta = json.load(f)
    if meta.get("group_id") not in ("dev_corpus_text_message", "body_size"):
        continue
    with open(os.path.join(os.path.dirname(bench), "estimates.json")) as f:
        est = json.load(f)
    rows.append((meta["full_id"], est["median"]["point_estimate"],
                 (meta.get("throughput") or {}).get("Bytes")))
if not rows:
    sys.exit(f"no results under {root}")

def order(row):
    name, _, size = row
    return (name.startswith("body_size"), size or 0)

print()
print(f"{'benchmark':<28} {'median':>12} {'bytes':>9} {'µs/KB':>8}")
for name, ns, size in sorted(rows, key=order):
    per_kb = f"{ns / 1000 / (size / 1024):8.2f}" if size else f"{'':>8}"
    print(f"{name:<28} {ns / 1000:>9.1f} µs {size or '':>9} {per_kb}")
PY
