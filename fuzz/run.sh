#!/usr/bin/env bash
# Fuzzes datareq for SECONDS (default 60) with cargo-fuzz. TARGET (default parse) is one of
#   parse  any bytes as a message (`RequestParser` with the in-process document reader), seeded
#          with the shared corpora (../shared/corpus/dev and realworld *.eml);
#   pdf    any bytes as a PDF attachment (`attachment::pdf::read`, then the core's form
#          mapping), seeded with the PDFs attached to the dev corpus and tests/fixtures/forms.
# Crashes land in fuzz/artifacts/TARGET; reproduce one with
#     cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-…
# Needs the nightly toolchain; installs cargo-fuzz when missing.
#
# Usage: fuzz/run.sh [SECONDS [TARGET] [CARGO-FUZZ FLAGS…]]
#
# cargo-fuzz builds with optimisations, debug assertions and AddressSanitizer. A dependency's
# debug_assert! that fires on a seed stops every run at that seed; `fuzz/run.sh 600 parse -O`
# builds without debug assertions (as the release binary is built) to fuzz past it.
set -euo pipefail
seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
    echo "usage: fuzz/run.sh [SECONDS [CARGO-FUZZ FLAGS…]]" >&2
    exit 2
fi
shift $(($# > 0 ? 1 : 0))
target=parse
if [[ $# -gt 0 && "$1" != -* ]]; then
    target="$1"
    shift
fi
case "$target" in parse | pdf) ;; *)
    echo "fuzz/run.sh: unknown target $target (parse or pdf)" >&2
    exit 2
    ;;
esac
cd "$(dirname "$0")/.."   # the repository root: cargo fuzz finds fuzz/ from here

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz/run.sh: the nightly toolchain is needed: rustup toolchain install nightly" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz
fi

corpus="fuzz/corpus/$target"
mkdir -p "$corpus"
if [[ "$target" == parse ]]; then
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
else
    # The PDFs attached to the dev corpus and to our PDF fixtures, as files.
    seeded=$(python3 - "$corpus" ../shared/corpus/dev/*.eml tests/fixtures/forms/*.eml <<'PY'
import email, os, sys
from email import policy
out, n = sys.argv[1], 0
for path in sys.argv[2:]:
    with open(path, "rb") as fh:
        msg = email.message_from_binary_file(fh, policy=policy.default)
    for k, part in enumerate(msg.walk()):
        if part.get_content_type() == "application/pdf":
            name = f"{os.path.basename(os.path.dirname(path))}-{os.path.basename(path)}-{k}.pdf"
            with open(os.path.join(out, name), "wb") as fh:
                fh.write(part.get_payload(decode=True))
            n += 1
print(n)
PY
)
fi
echo "fuzz/run.sh: $target: $seeded seeds; fuzzing for $seconds s" >&2

# AddressSanitizer keeps freed memory in a quarantine (256 MB by default) that counts towards
# libFuzzer's RSS limit: with it, -rss_limit_mb=512 reports an "out-of-memory" while the parser
# itself uses under 50 MB. A smaller quarantine keeps the limit meaningful.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=16}"

exec cargo +nightly fuzz run "$@" "$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=512 -max_len=1048576
