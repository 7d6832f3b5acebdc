#!/usr/bin/env bash
# Reply latency with IDLE: `datareq run` waits on a throwaway Dovecot (IMAP, STARTTLS) while
# COUNT generated dev-family messages (default 500, seed 11) are APPENDed one by one at RATE
# per second (default 5). For every message that gets an automatic reply (a receipt or the
# list of what is missing), the time from its APPEND to the reply's arrival at the SMTP
# receiver (aiosmtpd, STARTTLS). Prints p50, p90, p99 and max, and how many replies arrived.
#
# LATENCY_LOG=FILE keeps the daemon's log (with RUST_LOG=debug: the timings of each step).
#
# Usage: bench/imap_latency.sh [COUNT] [RATE]
# Needs ../shared (the generator), dovecot-imapd, python3 with aiosmtpd, openssl.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-500}"
rate="${2:-5}"
source bench/common.sh
corpus 11 "$count"
config="$PWD/config/datareq.example.toml"
source bench/mail_servers.sh

work="$tmp/work"
mkdir "$work"
(cd "$work" && DATAREQ_MAILBOX_URL="imap://kela:bench@127.0.0.1:$imap_port/INBOX" \
    DATAREQ_OUTBOX_URL="smtp://localhost:$smtp_port" DATAREQ_TLS_CA_FILE="$tmp/cert.pem" \
    exec "$bin" --config "$config" run 2>"${LATENCY_LOG:-$work/err}") &
daemon=$!
sleep 2
python3 - "$imap_port" "$corpus" "$rate" "$tmp/sink" "$work/appended.tsv" <<'PY'
import imaplib, os, sys, time
port, corpus, rate, sink, out = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
names = sorted(n for n in os.listdir(corpus) if n.endswith(".eml"))
m = imaplib.IMAP4("127.0.0.1", port)
m.login("kela", "bench")
start = time.time()
with open(out, "w") as log:
    for i, n in enumerate(names):
        at = start + i / rate
        time.sleep(max(0.0, at - time.time()))
        raw = open(os.path.join(corpus, n), "rb").read()
        sent = time.time()
        m.append("INBOX", None, None, raw)
        mid = next((l.split(b":", 1)[1].strip() for l in raw.split(b"\n")
                    if l.lower().startswith(b"message-id:")), b"").decode()
        log.write(f"{mid}\t{sent:.6f}\n")
m.logout()
PY
# Replies still on their way get 10 s.
sleep 10
kill -TERM "$daemon"
wait "$daemon" || true
python3 - "$work/appended.tsv" "$tmp/sink" "$count" "$rate" <<'PY'
import email, os, sys
from email import policy
appended = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[1]))
sink, count, rate = sys.argv[2], int(sys.argv[3]), sys.argv[4]
lat = []
for root, _, files in os.walk(sink):
    for f in files:
        path = os.path.join(root, f)
        msg = email.message_from_binary_file(open(path, "rb"), policy=policy.compat32)
        original = (msg.get("In-Reply-To") or "").strip()
        if original in appended:
            lat.append(os.stat(path).st_mtime - float(appended[original]))
lat.sort()
def p(q):
    return lat[min(len(lat) - 1, int(q / 100 * len(lat)))] * 1000
print(f"messages appended  {count}, one by one at {rate} per second")
print(f"replies received   {len(lat)}")
if lat:
    print(f"latency p50        {p(50):.0f} ms")
    print(f"latency p90        {p(90):.0f} ms")
    print(f"latency p99        {p(99):.0f} ms")
    print(f"latency max        {lat[-1] * 1000:.0f} ms")
PY
