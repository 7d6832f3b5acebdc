"""A real SMTP receiver on loopback for datareq's tests (aiosmtpd).

Usage: smtp_sink.py PORT DIR [CERT KEY [starttls|tls [USER:PASSWORD]]]

Saves each message as DIR/NNNNNN.eml and its envelope as DIR/NNNNNN.json. With CERT and KEY
it offers STARTTLS, or speaks TLS from the first byte ("tls"); with USER:PASSWORD it requires
AUTH (over TLS only) and refuses mail without it. The file DIR/mode, read at every recipient,
makes it refuse: "451" (try later) or "550" (refused for good); absent or "accept", it accepts.
"""

import itertools
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller

port, folder = int(sys.argv[1]), sys.argv[2]
os.makedirs(folder, exist_ok=True)
counter = itertools.count(1)
lock = threading.Lock()


def mode():
    try:
        with open(os.path.join(folder, "mode")) as f:
            return f.read().strip() or "accept"
    except FileNotFoundError:
        return "accept"


class Authenticator:
    def __init__(self, user, password):
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == self.user and auth_data.password == self.password)
        return AuthResult(success=ok)


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        m = mode()
        if m.startswith("4"):
            return f"{m} 4.3.0 test: try again later"
        if m.startswith("5"):
            return f"{m} 5.1.1 test: refused"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with lock:
            n = next(counter)
        base = os.path.join(folder, f"{n:06d}")
        with open(base + ".json.tmp", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "tls": session.ssl is not None or IMPLICIT_TLS,
                       "authenticated": bool(session.authenticated)}, f)
        os.rename(base + ".json.tmp", base + ".json")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 Message accepted"


kwargs = {}
# On an implicit-TLS port aiosmtpd leaves session.ssl unset, but no plaintext client can talk.
IMPLICIT_TLS = len(sys.argv) > 5 and sys.argv[5] == "tls"
if len(sys.argv) > 4:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    if len(sys.argv) > 5 and sys.argv[5] == "tls":
        kwargs = {"ssl_context": context}
    else:
        kwargs = {"tls_context": context, "require_starttls": False}
if len(sys.argv) > 6:
    user, password = sys.argv[6].split(":", 1)
    # aiosmtpd counts only STARTTLS as TLS for auth_require_tls; on an implicit-TLS port
    # every session is encrypted anyway.
    implicit = "ssl_context" in kwargs
    kwargs.update(authenticator=Authenticator(user, password), auth_required=True,
                  auth_require_tls=not implicit)
controller = Controller(Handler(), hostname="127.0.0.1", port=port, **kwargs)
controller.start()
stopped = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stopped.set())
signal.signal(signal.SIGINT, lambda *_: stopped.set())
stopped.wait()
controller.stop()
