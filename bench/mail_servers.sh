# Sourced by the mail benchmarks (from the repository root): a throwaway Dovecot (IMAP with
# STARTTLS, user kela, password bench) and an SMTP receiver, both on free loopback ports with a
# self-signed certificate, stopped when the script exits. The receiver is the tests' aiosmtpd
# one (STARTTLS), or with SMTP_RECEIVER=smtp-sink Postfix's smtp-sink (plain SMTP; a C server
# made for measuring SMTP clients: aiosmtpd, one Python thread, takes 0.7 ms of CPU per
# message, which bounds a run at about 1,300 replies/s).
# Sets: tmp (a temporary directory), imap_port, smtp_port, sink_pid; the receiver writes each
# message it accepts as a file under $tmp/sink. Needs bench/common.sh sourced first.

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
if [[ "${SMTP_RECEIVER:-aiosmtpd}" == smtp-sink ]]; then
    mkdir -p "$tmp/sink"
    chown postfix "$tmp/sink"
    /usr/sbin/smtp-sink -u postfix -d "$tmp/sink/%H%M%S." "127.0.0.1:$smtp_port" 256 &
else
    python3 tests/support/smtp_sink.py "$smtp_port" "$tmp/sink" "$tmp/cert.pem" "$tmp/key.pem" &
fi
sink_pid=$!
sleep 1

