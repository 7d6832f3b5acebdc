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
tmp="$(mktemp -d)"
chmod 755 "$tmp"
imap_port=$(free_port)
smtp_port=$(free_port)
cleanup() {
    doveadm -c "$tmp/dovecot.conf" stop 2>/dev/null || true
    [[ -n "${sink_pid:-}" ]] && kill "$sink_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -addext basicConstraints=critical,CA:FALSE \
    -addext extendedKeyUsage=serverAuth -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
echo 'kela:{PLAIN}bench' >"$tmp/users"
if [[ "$(id -u)" == 0 ]]; then
    mkdir "$tmp/mail" && chown dovecot:dovecot "$tmp/mail"
    mail_uid=$(id -u dovecot) mail_gid=$(id -g dovecot) internal=""
else
    mail_uid=$(id -u) mail_gid=$(id -g)
    internal="default_login_user = $(id -un)
default_internal_user = $(id -un)
default_internal_group = $(id -gn)"
fi
cat >"$tmp/dovecot.conf" <<CONF
instance_name = datareq-bench-$imap_port
base_dir = $tmp/run
state_dir = $tmp/state
log_path = $tmp/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$tmp/cert.pem
ssl_key = <$tmp/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = 1
$internal
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $tmp/users
}
userdb {
  driver = static
  args = uid=$mail_uid gid=$mail_gid home=$tmp/mail/%u
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
  inet_listener imap {
    port = $imap_port
  }
  inet_listener imaps {
    port = 0
  }
}
CONF
/usr/sbin/dovecot -c "$tmp/dovecot.conf" </dev/null >/dev/null 2>&1
python3 tests/support/smtp_sink.py "$smtp_port" "$tmp/sink" "$tmp/cert.pem" "$tmp/key.pem" &
sink_pid=$!
sleep 1

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
