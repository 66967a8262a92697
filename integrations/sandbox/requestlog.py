"""A logging filter that keeps requests to the simulated systems out of the web server's log.

Kontor's HTTP client (integrations/http.py) logs each call to a simulated system once, as
"HTTP request finished" or "HTTP request failed", with the connection, method, path, status
and duration. The development server (runserver, which `make run` starts) logs the same
request a second time as an access line on the "django.server" logger, and Django logs a 4xx
or 5xx response a third time on "django.request". config/settings.py puts this filter on both
loggers when SANDBOX_ENABLED, so each such request is logged once, by the caller.

An unhandled exception in a sandbox view still reaches the log with its traceback, because no
caller can see where the simulation broke.

NOTE: a request that does not come from Kontor's HTTP client (curl, a benchmark driver) is not
logged at all.
"""

import logging

# Path prefix under which config/urls.py mounts integrations.sandbox.urls.
SANDBOX_PATH_PREFIX = "/sandbox/"


def _access_line_path(record):
    """Return the path of a runserver access line, or "" when the record is not one.

    runserver logs '"%s" %s %s' with the request line ("POST /sandbox/odoo/jsonrpc HTTP/1.1"),
    the status and the size as arguments.
    """
    if not isinstance(record.args, tuple) or not record.args or not isinstance(record.args[0], str):
        return ""
    parts = record.args[0].split(" ")
    return parts[1] if len(parts) >= 2 else ""


class SkipSandboxRequests(logging.Filter):
    """Drop "django.server" and "django.request" records of requests to the simulated systems."""

    def filter(self, record):
        if record.name == "django.server":
            return not _access_line_path(record).startswith(SANDBOX_PATH_PREFIX)

        if record.name == "django.request":
            request = getattr(record, "request", None)
            path = getattr(request, "path", "") or ""
            return not path.startswith(SANDBOX_PATH_PREFIX) or bool(record.exc_info)

        return True
