"""Server-side cache of catalog responses, checked against versions that catalog writes change.

A cached detail stores the version of the catalog content and of each product it shows (the
product and its variants). A cached list stores the version of the whole catalog. The stock
service and the Akeneo writers call bump_catalog in their transaction; the new versions are
written after the commit. A reader reads the versions before it reads the database, so a
response built from data older than a commit is stored under versions that the commit has
already replaced, and no later reader uses it.

Writes that do not call bump_catalog (admin edits of prices, buffers or content) show after
API_RESPONSE_CACHE_SECONDS at the latest. Versions are random tokens, not counters, so a
version key lost from Redis never matches an old entry again.
"""

import hashlib
import json
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

CONTENT_VERSION = "api:version:content"
CATALOG_VERSION = "api:version:catalog"
DEFAULT_SECONDS = 30


def product_version_key(product_id):
    return f"api:version:product:{product_id}"


def _seconds():
    return getattr(settings, "API_RESPONSE_CACHE_SECONDS", DEFAULT_SECONDS)


def bump_catalog(product_ids=(), *, content=False):
    """Give the catalog, and each product of `product_ids`, a new version once the transaction commits.

    `content=True` also renews every product detail, for changes that are not tied to known
    products (names, attributes, categories, models, prices from an import).
    """
    product_ids = sorted(set(product_ids))
    transaction.on_commit(lambda: _write_versions(product_ids, content))


def _write_versions(product_ids, content):
    keys = [CATALOG_VERSION, *([CONTENT_VERSION] if content else []), *(product_version_key(pk) for pk in product_ids)]
    try:
        cache.set_many({key: uuid.uuid4().hex for key in keys}, timeout=None)
    except Exception:
        # The change is committed all the same. Cached responses show it when they expire.
        logger.exception("Catalog cache versions not renewed", extra={"product_ids": product_ids[:50], "content": content})


def _read_versions(keys, found=None):
    """Return {key: version}, or None when Redis fails. A missing version is created first."""
    try:
        versions = {key: found[key] for key in keys if key in found} if found else {}
        missing = [key for key in keys if key not in versions]
        if missing:
            versions.update(cache.get_many(missing))
        missing = [key for key in keys if key not in versions]
        if missing:
            # add() keeps a version that another process created meanwhile, so read again to take the stored one.
            for key in missing:
                cache.add(key, uuid.uuid4().hex, timeout=None)
            versions.update(cache.get_many(missing))
    except Exception:
        logger.exception("Catalog cache versions not readable", extra={"keys": keys[:5]})
        return None
    return versions if all(key in versions for key in keys) else None


def request_key(request, kind):
    """Return the cache key of a response: the full URL and every client setting that shapes the response."""
    client = request.auth
    channel = client.channel
    parts = [
        kind,
        request.build_absolute_uri(),
        request.headers.get("Accept-Language", ""),
        client.channel_id,
        client.price_list_id,
        channel.locales,
        channel.currencies,
    ]
    return "api:response:" + hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:40]


def _safe_get_many(keys):
    try:
        return cache.get_many(keys)
    except Exception:
        logger.exception("Catalog cache not readable", extra={"keys": keys[:5]})
        return {}


def _safe_set(key, value):
    try:
        cache.set(key, value, timeout=_seconds())
    except Exception:
        logger.exception("Catalog cache not writable", extra={"key": key})


class ListStamp:
    """Catalog version read before a list is built. `cached` is the stored response when it is current."""

    def __init__(self, request):
        self.key = request_key(request, "product-list")
        self.cached = None
        self.version = None
        if _seconds() <= 0:
            return
        found = _safe_get_many([self.key, CATALOG_VERSION])
        entry = found.get(self.key)
        if entry is not None and entry["version"] == found.get(CATALOG_VERSION):
            self.cached = entry["data"]
            return
        versions = _read_versions([CATALOG_VERSION], found)
        self.version = versions[CATALOG_VERSION] if versions else None

    def store(self, data):
        if self.version is not None:
            _safe_set(self.key, {"version": self.version, "data": data})


class DetailStamp:
    """Versions of the catalog content and of the products a detail shows, read before they are loaded.

    `cached` is the stored response when none of these versions has changed.
    """

    def __init__(self, request, product_id):
        self.key = request_key(request, "product-detail")
        self.product_id = product_id
        self.cached = None
        self.etag = None
        self.versions = None
        if _seconds() <= 0:
            return
        own = [CONTENT_VERSION, product_version_key(product_id)]
        found = _safe_get_many([self.key, *own])
        entry = found.get(self.key)
        if entry is not None and all(entry["versions"].get(key) == found.get(key) for key in own):
            others = [key for key in entry["versions"] if key not in own]
            current = _safe_get_many(others) if others else {}
            if all(entry["versions"][key] == current.get(key) for key in others):
                self.cached = entry["data"]
                self.etag = entry.get("etag")
                return
        self.versions = _read_versions(own, found)

    def add_products(self, product_ids):
        """Read the versions of more products (the variants) before their prices and stock are loaded."""
        if self.versions is None:
            return
        keys = [product_version_key(pk) for pk in product_ids if pk != self.product_id]
        more = _read_versions(keys) if keys else {}
        self.versions = None if more is None else {**self.versions, **more}

    def store(self, data, etag):
        if self.versions is not None:
            _safe_set(self.key, {"versions": self.versions, "data": data, "etag": etag})
