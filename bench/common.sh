# Sourced by the bench scripts (from the repository root): a generated corpus, kept between
# runs, and the release binary.

# corpus SEED COUNT [FORMAT]: sets $corpus to target/bench-corpus/dev-seedSEED-COUNT (or
# FORMAT-seedSEED-COUNT for another of the generator's formats, e.g. maildir), generating it
# (dev family) when it is not there complete.
corpus() {
    local format="${3:-}"
    corpus="target/bench-corpus/${format:-dev}-seed$1-$2"
    if [[ ! -f "$corpus/.complete" ]]; then
        rm -rf "$corpus"
        python3 ../shared/corpus/gen_corpus.py --family dev --seed "$1" --count "$2" \
            ${format:+--format "$format"} --out "$corpus" --quiet
        touch "$corpus/.complete"
    fi
}

# free_port: a TCP port on loopback that nothing listens on now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# DATAREQ_BIN runs another build (an older commit's, say) for a comparison on one machine.
if [[ -n "${DATAREQ_BIN:-}" ]]; then
    bin="$DATAREQ_BIN"
else
    cargo build --release --quiet
    bin="$PWD/target/release/datareq"
fi
