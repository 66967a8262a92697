"""Lean WSGI intake for webhook POSTs, in front of Django's request handler.

A webhook is a machine-to-machine POST: sessions, CSRF, authentication, messages, locale and
URL resolution do nothing for it, yet they cost CPU time on every event (docs/benchmarks.md
has the figures). The intake recognises `POST /hooks/<slug>/[<entity>/]` and calls the same service as the Django view
(`integrations.services.webhooks.accept_webhook`); every other request goes to Django unchanged.

Database connections are managed as Django manages them at the end of a request, except that
the next request skips the `SELECT 1` health check (CONN_HEALTH_CHECKS). If the database
dropped a kept connection, that request fails with 500, which a sender retries, and the broken
connection is closed before the next one.
"""

import json
import logging
import re
import uuid
from http import HTTPStatus

from django.core import signals
from django.db import connections
from django.http.request import HttpHeaders
from django.urls import reverse

from core.logging import VALID_REQUEST_ID, request_id_var
from integrations.services.webhooks import accept_webhook, max_body_bytes

logger = logging.getLogger(__name__)

# The same segments as the URL patterns in integrations/urls.py: a slug, then any entity.
_TAIL = re.compile(r"(?P<slug>[-a-zA-Z0-9_]+)/(?:(?P<entity>[^/]+)/)?")


class WebhookIntake:
    """WSGI application that handles webhook POSTs itself and passes everything else to Django."""

    def __init__(self, django_application):
        self.django_application = django_application
        self._prefix = None

    def __call__(self, environ, start_response):
        match = self._match(environ)
        if match is None:
            return self.django_application(environ, start_response)

        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        try:
            status, body = self._answer(environ, match["slug"], match["entity"])
        finally:
            _release_database_connections()
            request_id_var.reset(token)

        content = json.dumps(body).encode()
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(content))),
                ("X-Content-Type-Options", "nosniff"),
                ("X-Request-ID", request_id),
            ],
        )
        return [content]

    def _match(self, environ):
        """Return the slug and entity of a webhook POST, or None for anything Django should serve."""
        if environ.get("REQUEST_METHOD") != "POST":
            return None
        # Without a declared length the body cannot be read safely here, so Django handles the request.
        content_length = environ.get("CONTENT_LENGTH", "")
        if not (content_length.isascii() and content_length.isdigit()):
            return None
        if self._prefix is None:
            self._prefix = reverse("integrations:webhook", kwargs={"slug": "x"}).removesuffix("x/")
        path = environ.get("PATH_INFO", "")
        if not path.startswith(self._prefix) or not path.isascii():
            return None
        return _TAIL.fullmatch(path, len(self._prefix))

    def _answer(self, environ, slug, entity):
        headers = HttpHeaders(environ)
        declared_length = int(environ["CONTENT_LENGTH"])

        def read_body():
            if declared_length > max_body_bytes():
                return None
            return environ["wsgi.input"].read(declared_length)

        try:
            response = accept_webhook(slug, entity, read_body, headers)
        except Exception:
            # The sender retries a 5xx, so the event is not lost. The log names the connection.
            logger.exception("webhook intake failed", extra={"slug": slug, "bytes": declared_length})
            return 500, {"error": "server_error", "message": "The event could not be stored; send it again."}
        return response.status, response.body


def _release_database_connections():
    """End the request as Django does (closing failed or expired connections), minus the health check.

    request_finished closes connections that failed or outlived CONN_MAX_AGE. It also marks the
    rest for a health check at their next use, which this intake skips: see the module docstring.
    """
    signals.request_finished.send(sender=WebhookIntake)
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            connection.health_check_done = True
