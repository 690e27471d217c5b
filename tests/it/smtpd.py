#!/usr/bin/env python3
"""The real SMTP server of canhgac's mail tests: aiosmtpd (Debian's python3-aiosmtpd), each
accepted message delivered to a Maildir, with the envelope recipients it was given recorded by
aiosmtpd in an X-RcptTo header.

    smtpd.py serve --port P --maildir DIR [--cert F --key F [--implicit-tls]] [--auth USER:PASS]
                   --ready FILE
    smtpd.py dump DIR      # the Maildir's messages as JSON, parsed by Python's email package

`serve` runs until SIGTERM. With --cert/--key it offers STARTTLS and requires it (or speaks TLS
from the first byte with --implicit-tls); with --auth it requires AUTH PLAIN/LOGIN.
"""

import argparse
import email
import email.policy
import json
import mailbox
import os
import signal
import ssl
import sys
import threading


def serve(args):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox
    from aiosmtpd.smtp import AuthResult, LoginPassword

    params = {}
    tls = None
    if args.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.cert, args.key)
        if not args.implicit_tls:
            params.update(tls_context=tls, require_starttls=True)
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticate(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword) and data.login.decode() == user
                  and data.password.decode() == password)
            # handled=False: aiosmtpd answers (235 or 535) itself.
            return AuthResult(success=ok, handled=False)

        params.update(authenticator=authenticate, auth_required=True,
                      auth_require_tls=bool(args.cert))
    controller = Controller(
        Mailbox(args.maildir), hostname="127.0.0.1", port=args.port,
        ssl_context=tls if args.implicit_tls else None, server_hostname="localhost",
        **params)
    controller.start()
    with open(args.ready + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(args.ready + ".tmp", args.ready)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(0.5):
        pass
    controller.stop()


def dump(directory):
    out = []
    for key, raw in mailbox.Maildir(directory, factory=None).iteritems():
        msg = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
        parts = []
        attachments = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            if part.get_filename():
                attachments.append({"filename": part.get_filename(),
                                    "content_type": part.get_content_type(),
                                    "size": len(part.get_payload(decode=True) or b"")})
            else:
                parts.append({"content_type": part.get_content_type(),
                              "text": part.get_content()})
        out.append({
            "key": key,
            "subject": str(msg["subject"]),
            "raw_subject": raw.get("subject", ""),
            "message_id": str(msg["message-id"]),
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "rcpt_to": str(msg["x-rcptto"]),
            "header_names": [k.lower() for k in raw.keys()],
            "parts": parts,
            "attachments": attachments,
            "defects": [type(d).__name__ for d in msg.defects],
        })
    json.dump(out, sys.stdout, ensure_ascii=False)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--maildir", required=True)
    s.add_argument("--cert")
    s.add_argument("--key")
    s.add_argument("--implicit-tls", action="store_true")
    s.add_argument("--auth")
    s.add_argument("--ready", required=True)
    d = sub.add_parser("dump")
    d.add_argument("maildir")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args)
    else:
        dump(args.maildir)


if __name__ == "__main__":
    main()
