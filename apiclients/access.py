"""Who is calling: the bearer token of a request and its API client, kept in process memory.

Looking the client up in PostgreSQL on every request cost more than the rest of a cached
response. Each process therefore keeps the clients it has seen, keyed by token hash, with
the clients version (one Redis key) that was current before it read them. Every change of a
client, its channel or its price list writes a new clients version after the commit
(bump_clients). Every request reads the version, so a deactivated, deleted or rotated token or
a changed scope stops working on the next request in every process.

A write that bypasses save() and delete() (a queryset update) does not renew the version.
NOTE: such a change shows only when the process drops its entry, API_CLIENT_CACHE_SECONDS
after reading it.
"""

import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions

from apiclients.models import ApiClient
from apiclients.tokens import TOKEN_PREFIX, hash_token

logger = logging.getLogger(__name__)

CLIENTS_VERSION = "api:version:clients"
KEYWORD = "Bearer"
DEFAULT_CACHE_SECONDS = 60
# Bounds the memory of a process that reads many tokens. Past it, the cache starts empty again.
MAX_CACHED_CLIENTS = 10_000

LAST_USED_RESOLUTION = timedelta(hours=1)

# token hash -> (clients version, monotonic time read, ApiClient)
_clients = {}
# token hash -> the clients version under which no active client had it. A front end left
# running with a revoked token would otherwise cost a database lookup on every request.
_rejected = {}


def bearer_token(header):
    """Return the token of an Authorization header value, None when there is none.

    Raise AuthenticationFailed for a header that is not a well-formed bearer token.
    """
    if not header:
        return None
    keyword, _sep, token = header.partition(" ")
    token = token.strip()
    if keyword.lower() != KEYWORD.lower() or not token:
        raise exceptions.AuthenticationFailed(_("Send the token as 'Authorization: Bearer <token>'."))
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise exceptions.AuthenticationFailed(_("The token is invalid. Ask the merchant for a new one."))
    return token


def _max_age():
    return getattr(settings, "API_CLIENT_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)


def cached_client(token_hash):
    """Return (clients version, client) from process memory without checking the version, or None."""
    entry = _clients.get(token_hash)
    if entry is None:
        return None
    version, read_at, client = entry
    if time.monotonic() - read_at > _max_age():
        _clients.pop(token_hash, None)
        return None
    return version, client


def client_for_token(token, current_version=None):
    """Return the active client of `token`, or raise AuthenticationFailed.

    `current_version` is the clients version when the caller has read it already in this request.
    """
    token_hash = hash_token(token)
    if current_version is None:
        current_version = read_clients_version()

    entry = cached_client(token_hash)
    if entry is not None and current_version is not None and entry[0] == current_version:
        return entry[1]
    if current_version is not None and _rejected.get(token_hash) == current_version:
        raise _invalid_token()

    # The version was read before the database, so a change committed after this read renews
    # the version again and the next request reads the client afresh.
    client = ApiClient.objects.select_related("channel", "price_list").prefetch_related("other_price_lists").filter(token_hash=token_hash, is_active=True).first()
    keep = current_version is not None and _max_age() > 0
    if client is None:
        _clients.pop(token_hash, None)
        if keep:
            _keep(_rejected, token_hash, current_version)
        raise _invalid_token()

    if keep:
        _keep(_clients, token_hash, (current_version, time.monotonic(), client))
    return client


def _keep(entries, token_hash, entry):
    """Store `entry` under `token_hash`, emptying `entries` first when it has MAX_CACHED_CLIENTS."""
    if len(entries) >= MAX_CACHED_CLIENTS:
        entries.clear()
    entries[token_hash] = entry


def use_is_due(client, now=None):
    """Return whether last_used_at is unset or over an hour old, so record_use would write it."""
    # Writing the time on every request would cost a row update each; hourly is enough for support.
    now = now or timezone.now()
    return client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION


def _invalid_token():
    return exceptions.AuthenticationFailed(_("The token is invalid or its client was deactivated. Ask the merchant for a new one."))


def record_use(client):
    """Set the client's last_used_at when it is unset or over an hour old."""
    now = timezone.now()
    if use_is_due(client, now):
        # An update() rather than save(), so recording a use does not renew the clients version.
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now


def read_clients_version():
    """Return the current clients version, creating one when Redis has none; None when Redis fails."""
    try:
        version = cache.get(CLIENTS_VERSION)
        if version is None:
            # add() keeps a version another process created meanwhile, so read again to take the stored one.
            cache.add(CLIENTS_VERSION, uuid.uuid4().hex, timeout=None)
            version = cache.get(CLIENTS_VERSION)
    except Exception:
        logger.exception("API clients version not readable")
        return None
    return version


def bump_clients():
    """Give the clients a new version once the transaction commits, so every process reads them again."""
    transaction.on_commit(_write_clients_version)


def connect_version_signals():
    """Renew the clients version whenever a client, channel or price list is saved or deleted.

    Clients are kept in memory with their channel and price list. Signals also cover the
    admin's bulk delete, because a queryset delete sends post_delete for each row when a
    receiver listens.
    """
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from apiclients.models import ApiClient
    from catalog.models import Channel, PriceList

    for model in (ApiClient, Channel, PriceList):
        post_save.connect(_renew_version, sender=model, dispatch_uid=f"clients-version-save-{model._meta.label}")
        post_delete.connect(_renew_version, sender=model, dispatch_uid=f"clients-version-delete-{model._meta.label}")
    # A client's other price lists change without a save of the client (add(), remove()).
    m2m_changed.connect(_renew_version, sender=ApiClient.other_price_lists.through, dispatch_uid="clients-version-price-lists")


def _renew_version(**kwargs):
    bump_clients()


def _write_clients_version():
    try:
        cache.set(CLIENTS_VERSION, uuid.uuid4().hex, timeout=None)
    except Exception:
        # Cached clients keep their old state until they are API_CLIENT_CACHE_SECONDS old.
        logger.exception("API clients version not renewed")


def forget_cached_clients():
    """Empty this process's cache of clients, for tests that change clients without a commit."""
    _clients.clear()
    _rejected.clear()
