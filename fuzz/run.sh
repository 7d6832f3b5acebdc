#!/usr/bin/env bash
# Fuzzes `datareq::request::parse_message` with cargo-fuzz for SECONDS (default 60), seeded with
# the shared corpora (../shared/corpus/dev and ../shared/corpus/realworld *.eml, copied into
# fuzz/corpus/parse). Crashes land in fuzz/artifacts/parse; reproduce one with
#     cargo +nightly fuzz run parse fuzz/artifacts/parse/crash-…
# Needs the nightly toolchain; installs cargo-fuzz when missing.
#
# Usage: fuzz/run.sh [SECONDS [CARGO-FUZZ FLAGS…]]
#
# cargo-fuzz builds with optimisations, debug assertions and AddressSanitizer. A dependency's
# debug_assert! that fires on a seed stops every run at that seed; `fuzz/run.sh 600 -O` builds
# without debug assertions (as the release binary is built) to fuzz past it.
set -euo pipefail
seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
    echo "usage: fuzz/run.sh [SECONDS [CARGO-FUZZ FLAGS…]]" >&2
    exit 2
fi
shift $(($# > 0 ? 1 : 0))
cd "$(dirname "$0")/.."   # the repository root: cargo fuzz finds fuzz/ from here

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz/run.sh: the nightly toolchain is needed: rustup toolchain install nightly" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz
fi

corpus=fuzz/corpus/parse
mkdir -p "$corpus"
seeded=0
for dir in ../shared/corpus/dev ../shared/corpus/realworld; do
    if [[ -d "$dir" ]]; then
        for f in "$dir"/*.eml; do
            [[ -e "$f" ]] || continue
            # Prefixed by corpus so dev/0001.eml and realworld/0001.eml both survive.
            cp -f "$f" "$corpus/$(basename "$(dirname "$f")")-$(basename "$f")"
            seeded=$((seeded + 1))
        done
    else
        echo "fuzz/run.sh: warning: $dir not found; not seeded from it" >&2
    fi
done
echo "fuzz/run.sh: $seeded seed messages; fuzzing for $seconds s" >&2

# AddressSanitizer keeps freed memory in a quarantine (256 MB by default) that counts towards
# libFuzzer's RSS limit: with it, -rss_limit_mb=512 reports an "out-of-memory" while the parser
# itself uses under 50 MB. A smaller quarantine keeps the limit meaningful.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=16}"

exec cargo +nightly fuzz run "$@" parse -- \
    -max_total_time="$seconds" -rss_limit_mb=512 -max_len=1048576
