#!/usr/bin/env bash
# End to end through real servers, once on SQLite and once on PostgreSQL: COUNT generated
# dev-family requests (default 40,000, seed 1, Maildir format) placed in a throwaway Dovecot's
# inbox, then `datareq run --once` reads them over IMAP (STARTTLS), stores them, moves them to
# Processed and sends every automatic reply over SMTP to a receiver on loopback: Postfix's
# smtp-sink when installed (SMTP_RECEIVER=aiosmtpd picks the tests' Python receiver, with
# STARTTLS, which itself bounds a run at about 1,300 replies/s; see bench/mail_servers.sh).
# Before each run, Python's imaplib downloads the same mailbox (`UID FETCH 1:* BODY.PEEK[]`):
# the floor any IMAP client starts from. Prints, per store: datareq's wall time, messages per
# second, the ratio to the plain download, replies received, peak RSS, CPU, and the
# receiver's CPU.
#
# E2E_STORES=sqlite (or postgres) runs one store only. For finding where the time goes:
# E2E_SMTP_CONNECTIONS=N sets mail.smtp_connections (4 by default).
# E2E_OUTBOX=file:outbox writes replies to a folder instead of SMTP, E2E_ISOLATION=in_process
# reads documents without the worker process, E2E_WRAP="strace -c -f -o FILE" runs datareq
# under another program, and E2E_PERF_ARGS adds options to `perf record` (e.g. -g).
#
# With E2E_PROFILE=1 each run is recorded by `perf record` (target/bench-e2e/NAME.perf), and
# the top of `perf report` is printed: where the time goes.
#
# With E2E_TRACE=1 datareq runs with RUST_LOG=trace (log lines as text on SQLite, as JSON on
# PostgreSQL), then picks up the City's queue; its output and the stores are kept in
# target/bench-e2e/, and bench/leak_scan.py then searches them (with the temporary
# directories) for the corpus's personal data: the leak check, not a speed figure.
#
# Usage: bench/e2e.sh [COUNT]
# Needs ../shared (the generator), dovecot-imapd, postfix (for smtp-sink) or python3 with
# aiosmtpd, openssl,
# /usr/bin/time, and PostgreSQL at 127.0.0.1:5432 (trust auth) or DATAREQ_BENCH_POSTGRES (a
# server URL ending in /DATABASE).
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-40000}"
trace="${E2E_TRACE:-0}"
profile="${E2E_PROFILE:-0}"
source bench/common.sh
if [[ -z "${SMTP_RECEIVER:-}" && -x /usr/sbin/smtp-sink ]]; then
    export SMTP_RECEIVER=smtp-sink
fi
corpus 1 "$count" maildir
maildir="$corpus"
source bench/mail_servers.sh

server="${DATAREQ_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}"
db="datareq_bench_e2e_$$"
psql "$server" -qc "CREATE DATABASE $db"
trap 'psql "$server" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null; cleanup' EXIT

# The burst is the point: the hourly reply limit must not hold it back.
config="$tmp/datareq.toml"
sed 's/^replies_per_hour = .*/replies_per_hour = 1000000/' config/datareq.example.toml >"$config"
if [[ -n "${E2E_SMTP_CONNECTIONS:-}" ]]; then sed -i "s/^smtp_connections = .*/smtp_connections = $E2E_SMTP_CONNECTIONS/" "$config"; fi
if [[ -n "${E2E_ISOLATION:-}" ]]; then sed -i "s/^attachment_isolation = .*/attachment_isolation = \"$E2E_ISOLATION\"/" "$config"; fi

keep="$PWD/target/bench-e2e"
mkdir -p "$keep"
if [[ "$trace" == 1 ]]; then
    rm -rf "$keep"
    mkdir -p "$keep"
    # A City key, so that the pick-up (bundles and their index) is part of the leak check.
    export GNUPGHOME="$tmp/gnupg"
    mkdir -m 700 "$GNUPGHOME"
    gpg --batch --quiet --passphrase '' --quick-gen-key 'Helsinki bench <bench@hel.example>' default default never
    gpg --batch --quiet --armor --export bench@hel.example >"$tmp/helsinki.asc"
    sed -i "s|certificates = \[\]|certificates = [\"$tmp/helsinki.asc\"]|" "$config"
fi

# fill USER: the corpus into USER's Maildir inbox, as a mail server would have delivered it.
fill() {
    echo "$1:{PLAIN}bench" >>"$tmp/users"
    local box="$tmp/mail/$1/Maildir"
    mkdir -p "$box/cur" "$box/tmp"
    cp -r "$maildir/new" "$box/new"
    if [[ "$(id -u)" == 0 ]]; then chown -R dovecot:dovecot "$tmp/mail/$1"; fi
}

# download USER: imaplib's plain download of USER's inbox; prints the seconds.
download() {
    python3 - "$imap_port" "$1" <<'PY'
import imaplib, sys, time
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login(sys.argv[2], "bench")
m.select("INBOX", readonly=True)  # Dovecot indexes the new mail here; not timed
t = time.time()
typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
secs = time.time() - t
n = sum(1 for d in data if isinstance(d, tuple))
print(f"{secs:.3f} {n}")
m.logout()
PY
}

# run NAME USER DATABASE_URL [CONFIG]
run() {
    local name="$1" user="$2" url="$3" work="$tmp/work-$1" config="${4:-$config}"
    fill "$user"
    read -r floor downloaded < <(download "$user")
    mkdir "$work" "$tmp/tmp-$name"
    local before start end status=0 sink_cpu
    before=$(find "$tmp/sink" -type f | wc -l)
    sink_cpu=$(ps -o cputimes= -p "$sink_pid")
    local log=/dev/null
    if [[ "$trace" == 1 ]]; then log="$keep/$name.log"; fi
    start=$(date +%s.%N)
    (cd "$work" && env DATAREQ_MAILBOX_URL="imap://$user:bench@127.0.0.1:$imap_port/INBOX" \
        DATAREQ_OUTBOX_URL="${E2E_OUTBOX:-smtp://localhost:$smtp_port}" DATAREQ_TLS_CA_FILE="$tmp/cert.pem" \
        DATAREQ_DATABASE_URL="$url" TMPDIR="$tmp/tmp-$name" RUST_LOG="$([[ "$trace" == 1 ]] && echo trace || echo "${E2E_LOG:-info}")" \
        /usr/bin/time -f "%M %e %U %S" -o "$work/rss" \
        ${E2E_WRAP:-} $([[ "$profile" == 1 ]] && echo perf record -q -F 997 ${E2E_PERF_ARGS:-} -o "$keep/$name.perf" --) \
        "$bin" --config "$config" run --once >"$work/out" 2>"$work/err") || status=$?
    end=$(date +%s.%N)
    sink_cpu=$(( $(ps -o cputimes= -p "$sink_pid") - sink_cpu ))
    if [[ "$trace" == 1 ]]; then cp "$work/err" "$log"; fi
    cp "$work/err" "$keep/$name.err"
    local replies
    replies=$(( $(find "$tmp/sink" -type f | wc -l) - before ))
    python3 - "$name" "$count" "$start" "$end" "$(cat "$work/rss")" "$replies" "$floor" \
        "$downloaded" "$status" "$(grep -a '^stored' "$work/err" | tail -1)" "$sink_cpu" <<'PY'
import sys
name, count, start, end, usage, replies, floor, downloaded, status, summary, sink_cpu = sys.argv[1:]
rss, _, user, system = usage.split()
cpu = (float(user) + float(system))
secs = float(end) - float(start)
print(f"{name:<9} {int(count)} messages in {secs:6.1f} s = {int(count)/secs:6.0f} messages/s; "
      f"{secs/float(floor):5.1f} x the plain download ({downloaded} in {float(floor):.2f} s); "
      f"replies received {replies}; peak RSS {int(rss)/1024:.1f} MB; "
      f"CPU {cpu:.1f} s ({float(user):.1f} user, {float(system):.1f} system); "
      f"the SMTP receiver's CPU {sink_cpu} s; exit {status} ({summary})")
PY
    if [[ "$profile" == 1 ]]; then
        perf report -i "$keep/$name.perf" --no-children --sort comm,dso,symbol 2>/dev/null \
            | grep -v '^#' | grep -v '^$' | head -40
    fi
    if [[ "$trace" == 1 ]]; then
        (cd "$work" && DATAREQ_DATABASE_URL="$url" TMPDIR="$tmp/tmp-$name" RUST_LOG=trace \
            "$bin" --config "$config" disclosure pickup --org helsinki --out pickup \
            --limit 10000 >pickup.out 2>pickup.log)
        cp -r "$work" "$keep/$name-work"
    fi
}

echo "end to end: $count messages, $(nproc) cores, $(date -u +%F), SMTP receiver ${SMTP_RECEIVER:-aiosmtpd}"
stores="${E2E_STORES:-sqlite postgres}"
if [[ "$stores" == *sqlite* ]]; then run sqlite kela ""; fi
# The leak check reads both log formats: human on SQLite, JSON (what a log collector keeps)
# on PostgreSQL.
config_pg="$config"
if [[ "$trace" == 1 ]]; then
    config_pg="$tmp/datareq-json.toml"
    sed 's/^format = "human"/format = "json"/' "$config" >"$config_pg"
fi
if [[ "$stores" == *postgres* ]]; then run postgres kelapg "${server%/*}/$db" "$config_pg"; fi
if [[ "$trace" == 1 ]]; then
    pg_dump "${server%/*}/$db" >"$keep/postgres.sql"
    python3 bench/leak_scan.py --corpus "$maildir" "$keep" "$tmp"/tmp-*
fi
