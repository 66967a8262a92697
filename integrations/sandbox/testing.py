"""Test support: route `requests` calls for http://testserver/ into Django's test client.

With `route_to_django(rsps)` inside a `responses.RequestsMock`, a connector's real HTTP client
talks to the sandbox views in the same process and the same database transaction, so tests
are fast and open no socket. A simulated timeout (the sandbox's timeout fault) is raised as
requests.ReadTimeout, as a real client would see it.
"""

import re
from urllib.parse import urlsplit

import requests
from django.test import Client

from integrations.sandbox.faults import TIMEOUT_HEADER

TEST_HOST = "http://testserver"
_SKIPPED_HEADERS = {"content-type", "content-length", "host", "connection", "accept-encoding"}


def route_to_django(rsps, host=TEST_HOST, client=None):
    """Serve every request to `host` with the Django view of its path; return the test client."""
    client = client or Client()

    def forward(request):
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = {name: value for name, value in request.headers.items() if name.lower() not in _SKIPPED_HEADERS}
        response = client.generic(
            request.method,
            path,
            data=body,
            content_type=request.headers.get("Content-Type", "application/octet-stream"),
            headers=headers,
        )
        if response.get(TIMEOUT_HEADER) == "timeout":
            return requests.exceptions.ReadTimeout(f"Read timed out ({request.method} {parts.path})")
        return (response.status_code, dict(response.items()), response.content)

    pattern = re.compile(re.escape(host) + r"/.*")
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        rsps.add_callback(method, pattern, callback=forward)
    return client
