"""A local HTTP receiver for the outbox benchmark: counts PUTs and distinct idempotency keys.

Run: python bench/receiver.py PORT. GET /stats returns {"requests": n, "distinct_keys": m,
"first": t0, "last": t1} with monotonic arrival times in seconds. Listens on 127.0.0.1 only.
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
keys = set()
stats = {"requests": 0, "first": None, "last": None}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes. Without this, Nagle's algorithm delays the body
    # until the client's delayed ACK, about 40 ms per request on Linux.
    disable_nagle_algorithm = True

    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        now = time.monotonic()
        with lock:
            stats["requests"] += 1
            keys.add(self.headers.get("Idempotency-Key"))
            stats["first"] = stats["first"] or now
            stats["last"] = now
        self._send(200, b"{}")

    def do_GET(self):
        with lock:
            body = json.dumps({**stats, "distinct_keys": len(keys)}).encode()
        self._send(200, body)

    def _send(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
