#!/usr/bin/env bash
# Ingest throughput: `datareq ingest --quiet` over COUNT generated dev-family messages (default
# 40,000, seed 1), parse and encryption included, on SQLite and on PostgreSQL. Prints requests
# per second and the peak RSS of each run. Every batch of 256 is one transaction; a file is
# reported stored only after its commit.
#
# Usage: bench/ingest.sh [COUNT]
# Needs ../shared (the generator), python3, /usr/bin/time, and for PostgreSQL the server at
# 127.0.0.1:5432 (trust auth) or DATAREQ_BENCH_POSTGRES (a server URL ending in /DATABASE).
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-40000}"
source bench/common.sh
corpus 1 "$count"
config="$PWD/config/datareq.example.toml"

run() { # NAME, then the environment for datareq
    local name="$1" work
    shift
    work="$(mktemp -d)"
    local start end
    start=$(date +%s.%N)
    (cd "$work" && env "$@" /usr/bin/time -f "%M" -o "$work/rss" \
        "$bin" --config "$config" ingest --quiet "$OLDPWD/$corpus" >"$work/out")
    end=$(date +%s.%N)
    python3 - "$name" "$count" "$start" "$end" "$(cat "$work/rss")" "$(cat "$work/out")" <<'PY'
import sys
name, count, start, end, rss, out = sys.argv[1:]
secs = float(end) - float(start)
print(f"{name:<10} {int(count):>7} messages  {secs:7.1f} s  {int(count)/secs:8.0f} requests/s  "
      f"peak RSS {int(rss)/1024:6.1f} MB   ({out})")
PY
    rm -rf "$work"
}

echo "ingest of $count generated messages on $(nproc) cores"
run sqlite DATAREQ_DATABASE_URL=
server="${DATAREQ_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}"
db="datareq_bench_$$"
psql "$server" -qc "CREATE DATABASE $db"
trap 'psql "$server" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
run postgres "DATAREQ_DATABASE_URL=${server%/*}/$db"
