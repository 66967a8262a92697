"""Server-side cache of catalog responses, checked against versions that catalog writes change.

A cached detail stores the version of the catalog content and of each product it shows (the
product and its variants). A cached list stores the version of the whole catalog. The stock
service and the Akeneo writers call bump_catalog in their transaction; the new versions are
written after the commit. A reader reads the versions before it reads the database, so a
response built from data older than a commit is stored under versions that the commit has
already replaced, and no later reader uses it.

Saving or deleting a price, a channel stock buffer or a warehouse bumps the versions through
signals (connect_catalog_signals), so edits in the admin show at once too. Other writes that
do not call bump_catalog (admin edits of names, attributes, categories or media) show after
API_RESPONSE_CACHE_SECONDS at the latest. Versions are random tokens, not counters, so a
version key lost from Redis never matches an old entry again.
"""

import hashlib
import json
import logging
import uuid

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from rest_framework.renderers import JSONRenderer

logger = logging.getLogger(__name__)

CONTENT_VERSION = "api:version:content"
CATALOG_VERSION = "api:version:catalog"
DEFAULT_SECONDS = 30
# Entries hold the rendered body since v2. A new prefix keeps processes of two releases, which
# store different entries, from reading each other's.
RESPONSE_PREFIX = "api:response:v2:"
LIST_KIND = "product-list"
DETAIL_KIND = "product-detail"


def product_version_key(product_id):
    return f"api:version:product:{product_id}"


def _seconds():
    return getattr(settings, "API_RESPONSE_CACHE_SECONDS", DEFAULT_SECONDS)


def enabled():
    """Return whether responses are cached in Redis, which the fast path (apiclients.fastpath) needs."""
    # `cache` is a proxy, so the type check needs the backend itself.
    return _seconds() > 0 and isinstance(caches[DEFAULT_CACHE_ALIAS], RedisCache)


def bump_catalog(product_ids=(), *, content=False):
    """Give the catalog, and each product of `product_ids`, a new version once the transaction commits.

    `content=True` also renews every product detail, for changes that are not tied to known
    products (names, attributes, categories, models, prices from an import).
    """
    product_ids = sorted(set(product_ids))
    transaction.on_commit(lambda: _write_versions(product_ids, content))


def connect_catalog_signals():
    """Bump versions whenever a price, a channel stock buffer or a warehouse is saved or deleted.

    Services bump versions for their own writes, but the admin saves these rows directly. A
    price belongs to one product; buffers and warehouses change the availability of many.
    """
    from django.db.models.signals import post_delete, post_save

    from catalog.models import ChannelStockBuffer, Price, Warehouse

    for model, receiver in ((Price, _price_changed), (ChannelStockBuffer, _availability_changed), (Warehouse, _availability_changed)):
        post_save.connect(receiver, sender=model, dispatch_uid=f"catalog-version-save-{model._meta.label}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"catalog-version-delete-{model._meta.label}")


def _price_changed(instance, **kwargs):
    bump_catalog([instance.product_id])


def _availability_changed(**kwargs):
    bump_catalog(content=True)


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


def response_key(request, kind, client):
    """Return the cache key of a response: the full URL and every client setting that shapes the response."""
    channel = client.channel
    parts = [
        kind,
        request.build_absolute_uri(),
        request.headers.get("Accept-Language", ""),
        client.channel_id,
        client.price_list_id,
        # A stored response for a price list the client may no longer name must not match.
        sorted(price_list.pk for price_list in client.other_price_lists.all()),
        channel.locales,
        channel.currencies,
    ]
    return RESPONSE_PREFIX + hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:40]


def detail_version_keys(product_id):
    """Versions a product detail depends on besides those of its variants."""
    return [CONTENT_VERSION, product_version_key(product_id)]


LIST_VERSION_KEYS = [CATALOG_VERSION]


# response key -> the version keys its stored entry depends on. The fast paths read them in the
# same round trip as the entry, so a detail's variants need no second one.
_remembered_versions = {}
MAX_REMEMBERED = 50_000


def remember_versions(key, versions):
    if len(_remembered_versions) >= MAX_REMEMBERED:
        _remembered_versions.clear()
    _remembered_versions[key] = tuple(versions)


def remembered_versions(key):
    return _remembered_versions.get(key, ())


def render_body(data):
    """Render response data the way the API's JSONRenderer renders it for a request without an indent."""
    return JSONRenderer().render(data)


def is_current(entry, found, read_keys, read_more):
    """Return whether every version `entry` was built from is still the current one.

    `found` contains the versions that exist among `read_keys`; versions the entry needs beyond
    those (its variants) are read with `read_more(keys)`, a get_many.
    """
    others = unread_versions(entry, read_keys)
    if others:
        found = {**found, **read_more(others)}
    return all(found.get(key) == version for key, version in entry["versions"].items())


def unread_versions(entry, read_keys):
    """Return the version keys `entry` depends on that are not among `read_keys`."""
    return [key for key in entry["versions"] if key not in read_keys]


def safe_get_many(keys):
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


class ResponseStamp:
    """Versions read before a response is built. `body` and `etag` are the stored response when it is current.

    A list depends on the version of the whole catalog, a detail on the catalog content, the
    product and, added before they are loaded, its variants.
    """

    def __init__(self, request, kind, version_keys):
        self.key = response_key(request, kind, request.auth)
        self.body = None
        self.etag = None
        self.versions = None
        if _seconds() <= 0:
            return
        read_keys = [self.key, *version_keys]
        found = safe_get_many(read_keys)
        entry = found.get(self.key)
        if entry is not None and is_current(entry, found, read_keys, safe_get_many):
            remember_versions(self.key, entry["versions"])
            self.body = entry["body"]
            self.etag = entry["etag"]
            return
        self.versions = _read_versions(version_keys, found)

    @property
    def cached_data(self):
        """The stored response as data, for DRF to render (it may ask for an indent)."""
        return None if self.body is None else json.loads(self.body)

    def add_products(self, product_ids):
        """Read the versions of more products (the variants) before their prices and stock are loaded."""
        if self.versions is None:
            return
        keys = [product_version_key(pk) for pk in product_ids if product_version_key(pk) not in self.versions]
        more = _read_versions(keys) if keys else {}
        self.versions = None if more is None else {**self.versions, **more}

    def store(self, data, etag=None):
        if self.versions is not None:
            _safe_set(self.key, {"versions": self.versions, "body": render_body(data), "etag": etag})
            remember_versions(self.key, self.versions)


def list_stamp(request):
    return ResponseStamp(request, LIST_KIND, LIST_VERSION_KEYS)


def detail_stamp(request, product_id):
    return ResponseStamp(request, DETAIL_KIND, detail_version_keys(product_id))
