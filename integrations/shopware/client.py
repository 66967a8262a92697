"""The only module that speaks HTTP to a Shopware 6 shop: OAuth client credentials and Admin API calls.

Tokens come from POST /api/oauth/token (grant client_credentials with the integration's access
key id and secret). A token is kept in Django's cache, shared by every worker, until
TOKEN_MARGIN_SECONDS before the expires_in the shop returned. A 401 on an API call means the
token expired early or was revoked: the client drops it, fetches a new one and repeats the
call once.

`call` makes one attempt, for outbox deliveries whose attempts and backoff live in the outbox.
`call_with_retries` repeats reads and idempotent writes (searches, Sync API upserts with fixed
ids, PATCH) by integrations.retry.INTERACTIVE_POLICY, honouring Retry-After on a 429.
"""

import hashlib
import logging
import time

from django.core.cache import cache

from integrations.errors import AuthError, ConnectorError, check_base_url
from integrations.retry import INTERACTIVE_POLICY
from integrations.services.clients import http_client_for

logger = logging.getLogger(__name__)

# A token is renewed this long before it expires, so a call never starts with a token that
# expires on the way.
TOKEN_MARGIN_SECONDS = 30
MASKED_FIELDS = ("client_secret", "access_token", "authorization")


class ShopwareClient:
    """Admin API client for one Shopware connection."""

    def __init__(self, connection, *, sleep=time.sleep, policy=INTERACTIVE_POLICY):
        credentials = connection.credentials
        self.connection = connection
        self.access_key_id = credentials.get("access_key_id", "")
        self.secret_access_key = credentials.get("secret_access_key", "")
        check_base_url(connection.base_url, connection=connection.name)
        self.http = http_client_for(
            connection,
            default_headers={"Accept": "application/json", "Content-Type": "application/json"},
            mask_fields=MASKED_FIELDS,
        )
        self.sleep = sleep
        self.policy = policy

    # Tokens

    def _token_cache_key(self):
        # The key includes a hash of the access key, so new credentials never reuse an old token.
        fingerprint = hashlib.sha256(self.access_key_id.encode()).hexdigest()[:16]
        return f"shopware:token:{self.connection.pk}:{fingerprint}"

    def token(self, *, renew=False):
        """Return a valid access token, fetching a new one when none is cached or `renew` is set."""
        key = self._token_cache_key()
        if not renew:
            cached = cache.get(key)
            if cached:
                return cached

        body = self.http.request_json(
            "POST",
            "/api/oauth/token",
            json={"grant_type": "client_credentials", "client_id": self.access_key_id, "client_secret": self.secret_access_key},
            changes_remote=False,
        )
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise ConnectorError("POST /api/oauth/token returned no access_token", connection=self.connection.name)
        lifetime = int(body.get("expires_in") or 600)
        cache.set(key, token, timeout=max(lifetime - TOKEN_MARGIN_SECONDS, 1))
        logger.info("Shopware token fetched", extra={"connection_id": self.connection.pk, "expires_in": lifetime})
        return token

    def drop_token(self):
        cache.delete(self._token_cache_key())

    # Calls

    def call(self, method, path, *, json=None, headers=None, expected=None, changes_remote=None):
        """Send one Admin API request and return its response; renews the token once on a 401.

        `changes_remote` is False for a search, which reads with POST (see ConnectorHttpClient.request).
        """
        kwargs = {"json": json, "changes_remote": changes_remote}
        if expected is not None:
            kwargs["expected"] = expected
        for attempt in (1, 2):
            auth_headers = {"Authorization": f"Bearer {self.token(renew=attempt == 2)}", **(headers or {})}
            try:
                return self.http.request(method, path, headers=auth_headers, **kwargs)
            except AuthError:
                if attempt == 2:
                    raise
                logger.info("Shopware token rejected, renewing", extra={"connection_id": self.connection.pk})
                self.drop_token()
        raise AssertionError("unreachable")

    def call_with_retries(self, method, path, **kwargs):
        """Send a request that is safe to repeat, retrying 429, 5xx, 409 and timeouts by the policy."""
        started = time.monotonic()
        attempt = 1
        while True:
            try:
                return self.call(method, path, **kwargs)
            except ConnectorError as error:
                elapsed = time.monotonic() - started
                if not self.policy.should_retry(error, attempt, elapsed):
                    raise
                delay = self.policy.next_delay(attempt, error.retry_after)
                if elapsed + delay >= self.policy.total_window:
                    raise
                logger.warning(
                    "Shopware request retry scheduled",
                    extra={"connection_id": self.connection.pk, "path": path, "attempt": attempt, "delay_seconds": round(delay, 3), "error_code": error.code},
                )
                self.sleep(delay)
                attempt += 1

    # Admin API operations

    def search(self, entity, criteria, *, retries=True):
        """POST /api/search/{entity}; return the JSON body {"total", "data", ...}."""
        send = self.call_with_retries if retries else self.call
        return send("POST", f"/api/search/{entity.replace('_', '-')}", json=criteria, changes_remote=False).json()

    def sync(self, operations, *, retries=True):
        """POST /api/_action/sync with fail-on-error false; return (status, JSON body).

        A 400 is returned, not raised, because it carries the pointers of the records that
        failed when the shop rolled the whole request back.
        """
        send = self.call_with_retries if retries else self.call
        response = send(
            "POST",
            "/api/_action/sync",
            json=operations,
            headers={"fail-on-error": "false", "indexing-behavior": "use-queue-indexing"},
            expected=(200, 400),
        )
        return response.status_code, response.json()

    def patch(self, entity, record_id, data, *, retries=True):
        send = self.call_with_retries if retries else self.call
        return send("PATCH", f"/api/{entity.replace('_', '-')}/{record_id}", json=data)

    def transition(self, entity, record_id, transition):
        """POST /api/_action/{entity}/{id}/state/{transition}; return the new state's technical name."""
        response = self.call("POST", f"/api/_action/{entity}/{record_id}/state/{transition}", json={"sendMail": False})
        return response.json().get("technicalName")
