"""The only module of the Akeneo connector that speaks HTTP: the REST API (v1).

Authentication is the OAuth2 password grant of an Akeneo "connection": POST /api/oauth/v1/token
with HTTP Basic client_id:secret and a JSON body with the API user's name and password. The
access token lives 3,600 s. It is refreshed with the refresh token shortly before it expires,
and again after a 401, with a new password grant when the refresh token is rejected too.
"""

import base64
import logging
import time
from urllib.parse import quote

from integrations.errors import AuthError, InvalidResponse, NotFound
from integrations.http import ConnectorHttpClient
from integrations.services.clients import http_client_for

logger = logging.getLogger(__name__)

TOKEN_PATH = "/api/oauth/v1/token"
API_PREFIX = "/api/rest/v1"
# Akeneo allows at most 100 items per page; more returns 422.
PAGE_LIMIT = 100
# Refresh this many seconds before the token expires, so a long page read does not hit the end.
EXPIRY_MARGIN = 60
MASK_FIELDS = ("access_token", "refresh_token", "password", "Authorization")
# An import waits this long for a token of the connection's rate limit before a request fails
# with RateLimited. A delivery waits less because the outbox retries it later, but a request
# that fails here fails the whole import run.
IMPORT_RATE_LIMIT_WAIT_SECONDS = 30.0


class AkeneoClient:
    """Akeneo REST API client on `http`, the connection's shared client from for_connection().

    Without `http` it builds its own client, which has no rate limit or circuit breaker.
    """

    def __init__(self, name, base_url, client_id, secret, username, password, clock=time.monotonic, http=None):
        self.owns_http = http is None
        self.http = http or ConnectorHttpClient(name, base_url, mask_fields=MASK_FIELDS)
        self.client_id = client_id
        self.secret = secret
        self.username = username
        self.password = password
        self.clock = clock
        self.access_token = None
        self.refresh_token = None
        self.expires_at = 0.0

    @classmethod
    def for_connection(cls, connection):
        """Return a client on the connection's shared HTTP client, rate limit and circuit breaker."""
        credentials = connection.credentials
        http = http_client_for(connection, mask_fields=MASK_FIELDS, rate_limit_wait=IMPORT_RATE_LIMIT_WAIT_SECONDS)
        return cls(
            connection.slug,
            connection.base_url,
            credentials.get("client_id", ""),
            credentials.get("secret", ""),
            credentials.get("username", ""),
            credentials.get("password", ""),
            http=http,
        )

    def close(self):
        # A shared client stays open for the next caller in this process.
        if self.owns_http:
            self.http.close()

    def authenticate(self):
        """Get a new access token with the password grant."""
        self.request_token({"grant_type": "password", "username": self.username, "password": self.password})
        logger.info("akeneo token obtained", extra={"connection": self.http.name})

    def refresh(self):
        """Renew the access token with the refresh token, or with the password grant if that fails."""
        if not self.refresh_token:
            self.authenticate()
            return
        try:
            self.request_token({"grant_type": "refresh_token", "refresh_token": self.refresh_token})
            logger.info("akeneo token refreshed", extra={"connection": self.http.name})
        except AuthError:
            self.authenticate()

    def request_token(self, body):
        basic = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
        response = self.http.request_json("POST", TOKEN_PATH, json=body, headers={"Authorization": f"Basic {basic}"})
        if not isinstance(response, dict) or not response.get("access_token"):
            raise InvalidResponse("token response has no access_token", connection=self.http.label)
        self.access_token = response["access_token"]
        self.refresh_token = response.get("refresh_token") or self.refresh_token
        self.expires_at = self.clock() + int(response.get("expires_in") or 3600) - EXPIRY_MARGIN

    def get(self, path, params=None, *, raw=False):
        """GET an API path or a pagination link; return the JSON body (or the response if raw)."""
        if self.access_token is None or self.clock() >= self.expires_at:
            self.refresh() if self.access_token else self.authenticate()
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.access_token}", "Accept": "*/*" if raw else "application/json"}
            try:
                response = self.http.request_with_retries("GET", path, params=params, headers=headers)
            except AuthError:
                # A token revoked or expired early: renew it once, then give up.
                if attempt == 2:
                    raise
                self.refresh()
                continue
            return response if raw else self.json_of(response)

    def json_of(self, response):
        try:
            return response.json()
        except ValueError:
            raise InvalidResponse("response body is not JSON", connection=self.http.label, status=response.status_code) from None

    def iter_items(self, path, params=None):
        """Yield the items of a HAL list, following `_links.next.href` exactly as Akeneo sends it."""
        page = self.get(f"{API_PREFIX}{path}", {"limit": PAGE_LIMIT, **(params or {})})
        while True:
            yield from (page.get("_embedded") or {}).get("items") or []
            next_link = ((page.get("_links") or {}).get("next") or {}).get("href")
            if not next_link:
                return
            page = self.get(next_link)

    def download_media(self, code):
        """Return the bytes of a media file, or None when Akeneo no longer has it."""
        try:
            return self.get(f"{API_PREFIX}/media-files/{quote(code)}/download", raw=True).content
        except NotFound:
            return None
