#!/usr/bin/env bash
# End to end through real servers: COUNT generated dev-family messages (default 5,000, seed 5)
# APPENDed to a throwaway Dovecot, then `datareq run --once` reads them over IMAP (STARTTLS),
# stores them in SQLite, moves them to Processed and sends the replies over SMTP (STARTTLS) to
# an aiosmtpd receiver. Prints the plain download time of the same mailbox by Python's imaplib
# (the floor), datareq's wall time, messages per second, replies received and peak RSS.
#
# Usage: bench/imap_e2e.sh [COUNT]
# Needs ../shared (the generator), dovecot-imapd, python3 with aiosmtpd, openssl, /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-5000}"
source bench/common.sh
corpus 5 "$count"
config="$PWD/config/datareq.example.toml"
source bench/mail_servers.sh

python3 - "$imap_port" "$corpus" <<'PY'
import imaplib, os, sys, time
port, corpus = int(sys.argv[1]), sys.argv[2]
names = sorted(n for n in os.listdir(corpus) if n.endswith(".eml"))
m = imaplib.IMAP4("127.0.0.1", port)
m.login("kela", "bench")
t = time.time()
for n in names:
    with open(os.path.join(corpus, n), "rb") as f:
        m.append("INBOX", None, None, f.read())
print(f"appended {len(names)} messages in {time.time() - t:.1f} s (setup, not measured)")
m.select("INBOX", readonly=True)
t = time.time()
typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
secs = time.time() - t
n = sum(1 for d in data if isinstance(d, tuple))
print(f"plain download (imaplib UID FETCH 1:* BODY.PEEK[]): {n} messages in {secs:.2f} s")
m.logout()
PY

work="$tmp/work"
mkdir "$work"
start=$(date +%s.%N)
(cd "$work" && DATAREQ_MAILBOX_URL="imap://kela:bench@127.0.0.1:$imap_port/INBOX" \
    DATAREQ_OUTBOX_URL="smtp://localhost:$smtp_port" DATAREQ_TLS_CA_FILE="$tmp/cert.pem" \
    /usr/bin/time -f "%M" -o "$work/rss" \
    "$bin" --config "$config" run --once 2>"$work/err")
end=$(date +%s.%N)
replies=$(find "$tmp/sink" -name '*.eml' | wc -l)
python3 - "$count" "$start" "$end" "$(cat "$work/rss")" "$replies" "$(tail -1 "$work/err")" <<'PY'
import sys
count, start, end, rss, replies, summary = sys.argv[1:]
secs = float(end) - float(start)
print(f"datareq run --once: {int(count)} messages in {secs:.1f} s = {int(count)/secs:.0f} messages/s; "
      f"replies received {replies}; peak RSS {int(rss)/1024:.1f} MB ({summary})")
PY
