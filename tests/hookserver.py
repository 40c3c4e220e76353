"""A tiny webhook receiver on a loopback port, for tests: verifies signatures, de-duplicates by event id."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from deconfliction.workers.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, verify_signature


class HookServer:
    """A tiny webhook receiver: verifies each signature, de-duplicates by event id, answers from a script."""

    def __init__(self, secret: str = "", script=()):
        self.secret = secret
        self.script = list(script)
        self.received: list[dict] = []
        self.seen_ids: set[str] = set()
        self.bad_signatures = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers["Content-Length"])
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request (kill -9): nothing was delivered
                    return
                with outer.lock:
                    status = outer.script.pop(0) if outer.script else 204
                    if not verify_signature(body, self.headers.get(SIGNATURE_HEADER), outer.secret):
                        outer.bad_signatures += 1
                        status = 401
                    elif 200 <= status < 300 and self.headers[EVENT_ID_HEADER] not in outer.seen_ids:
                        outer.seen_ids.add(self.headers[EVENT_ID_HEADER])
                        outer.received.append(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/deconfliction"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
