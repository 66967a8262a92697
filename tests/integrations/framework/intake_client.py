"""A test client that sends requests through config.wsgi's WebhookIntake, not Django's test handler."""

import json

from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import RequestFactory

from integrations.intake import WebhookIntake


class IntakeResponse:
    def __init__(self, status, headers, content):
        self.status_code = int(status.split(" ", 1)[0])
        self.reason = status.split(" ", 1)[1]
        self.headers = dict(headers)
        self.content = content

    def json(self):
        return json.loads(self.content)


class IntakeClient:
    """Send requests like django.test.Client, through the WSGI intake that production uses."""

    def __init__(self):
        self.application = WebhookIntake(WSGIHandler())

    def post(self, path, data=b"", content_type="application/json", **extra):
        environ = RequestFactory().post(path, data=data, content_type=content_type, **extra).environ
        return self.request(environ)

    def get(self, path, **extra):
        return self.request(RequestFactory().get(path, **extra).environ)

    def request(self, environ):
        started = {}

        def start_response(status, headers, exc_info=None):
            started.update(status=status, headers=headers)

        # Like Django's test client: the test's transaction must survive the end of the request.
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            result = self.application(environ, start_response)
            content = b"".join(result)
            if hasattr(result, "close"):
                result.close()
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        return IntakeResponse(started["status"], started["headers"], content)
