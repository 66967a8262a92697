"""A local HTTP receiver for the outbox benchmark: counts PUTs and distinct idempotency keys.

Run: python bench/receiver.py PORT [RETRY_AFTER]. GET /stats returns {"requests": n,
"accepted": a, "distinct_keys": m, "first": t0, "last": t1, "retry_gaps": [...]} with
monotonic arrival times in seconds. With RETRY_AFTER, the first PUT of each idempotency key is
answered 429 with that Retry-After (seconds), and retry_gaps lists, per key, the seconds from
that answer to the accepted retry. Listens on 127.0.0.1 only.
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
accepted_keys = set()
rejected_at = {}
retry_gaps = []
stats = {"requests": 0, "accepted": 0, "first": None, "last": None}
retry_after = int(sys.argv[2]) if len(sys.argv) > 2 else 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes. Without this, Nagle's algorithm delays the body
    # until the client's delayed ACK, about 40 ms per request on Linux.
    disable_nagle_algorithm = True

    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        key = self.headers.get("Idempotency-Key")
        now = time.monotonic()
        with lock:
            stats["requests"] += 1
            stats["first"] = stats["first"] or now
            stats["last"] = now
            reject = retry_after and key not in rejected_at
            if reject:
                rejected_at[key] = now
            else:
                stats["accepted"] += 1
                accepted_keys.add(key)
                if key in rejected_at:
                    retry_gaps.append(round(now - rejected_at[key], 3))
        if reject:
            self._send(429, b"{}", {"Retry-After": str(retry_after)})
        else:
            self._send(200, b"{}")

    def do_GET(self):
        with lock:
            body = json.dumps({**stats, "distinct_keys": len(accepted_keys), "retry_gaps": retry_gaps}).encode()
        self._send(200, body)

    def _send(self, status, body, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
