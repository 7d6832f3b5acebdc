"""A real SMTP receiver on loopback for datareq's tests (aiosmtpd).

Usage: smtp_sink.py PORT DIR [CERT KEY]

Saves each message as DIR/NNNNNN.eml and its envelope as DIR/NNNNNN.json. Offers STARTTLS
when CERT and KEY are given. The file DIR/mode, read at every recipient, makes it refuse:
"451" (try later) or "550" (refused for good); absent or "accept", it accepts.
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
                       "tls": session.ssl is not None}, f)
        os.rename(base + ".json.tmp", base + ".json")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 Message accepted"


kwargs = {}
if len(sys.argv) > 4:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    kwargs = {"tls_context": context, "require_starttls": False}
controller = Controller(Handler(), hostname="127.0.0.1", port=port, **kwargs)
controller.start()
stopped = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stopped.set())
signal.signal(signal.SIGINT, lambda *_: stopped.set())
stopped.wait()
controller.stop()
