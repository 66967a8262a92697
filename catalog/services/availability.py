"""Available quantities sent to every sales channel after each stock change.

Called in the transaction of every reservation, release and on-hand change, so the outbox
messages commit with the ledger change and every subscribed shop connection is sent the new,
lower figure before the ERP has confirmed the order. Stock is a coalesced domain: a newer
message for the same product replaces a pending older one, so a busy product sends its latest
figure only.

Payload of a stock message, all quantities as decimal text:
    {"sku": "CAM-1", "on_hand": "5", "reserved": "2", "available": "3",
     "channels": {"shop-de": "2"}}
"available" is on-hand minus open reservations; "channels" gives each channel's figure with its
buffer held back. A connection whose sales channel is known (see channels_of) reads its own
entry; any other reads "available". A connector may also read the ledger again when it sends,
which gives the same or a newer figure.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Sum

from catalog.models import Channel, Product, StockLevel
from catalog.services.stock import ZERO, channel_buffers
from integrations.domains import Domain
from integrations.models import Binding
from integrations.services.outbox import enqueue_outbound_many, subscribed_entities

# {origin connection id or None: (origin, product ids)} while deferred_publishing() runs.
_deferred = ContextVar("deferred_availability", default=None)


def channels_of(connections):
    """Return {connection id: Channel} of shop connections.

    A connection's channel is the Channel bound to it, else the one whose code is its
    "channel" credential setting or its slug (the Shopware connector's rule), if that exists.
    """
    content_type = ContentType.objects.get_for_model(Channel)
    bound = dict(Binding.objects.filter(connection__in=connections, content_type=content_type).values_list("connection_id", "object_id"))
    codes = {}
    for connection in connections:
        if connection.pk not in bound:
            codes[connection.pk] = connection.credentials.get("channel") or connection.slug
    by_pk = Channel.objects.in_bulk([int(pk) for pk in bound.values()])
    by_code = Channel.objects.in_bulk(list(codes.values()), field_name="code")
    channels = {connection_id: by_pk.get(int(pk)) for connection_id, pk in bound.items()}
    channels.update({connection_id: by_code.get(code) for connection_id, code in codes.items()})
    return {connection_id: channel for connection_id, channel in channels.items() if channel is not None}


def quantity_text(value):
    """Return a quantity as plain decimal text without trailing zeros: 5, 2.5, 10."""
    return f"{value.normalize():f}"


def availability_payloads(products, channels):
    """Return {product id: stock message payload} for many products, with two queries in all."""
    product_ids = [product.pk for product in products]
    totals = {
        row["product_id"]: row
        for row in StockLevel.objects.filter(product_id__in=product_ids, warehouse__is_active=True)
        .values("product_id")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    }
    buffers = channel_buffers(channels, product_ids)
    ordered_channels = sorted(channels, key=lambda channel: channel.code)

    payloads = {}
    for product in products:
        row = totals.get(product.pk, {})
        on_hand = row.get("on_hand") or ZERO
        reserved = row.get("reserved") or ZERO
        free = max(on_hand - reserved, ZERO)
        payloads[product.pk] = {
            "sku": product.sku,
            "on_hand": quantity_text(on_hand),
            "reserved": quantity_text(reserved),
            "available": quantity_text(free),
            "channels": {
                channel.code: quantity_text(max(free - buffers(channel, product.pk), ZERO)) for channel in ordered_channels
            },
        }
    return payloads


def availability_payload(product, channels):
    """Return the stock message payload of one product for the given channels."""
    return availability_payloads([product], channels)[product.pk]


def publish_availability(product_ids, *, origin=None, products=None):
    """Queue a stock message with the new availability of each product to every subscribed channel.

    Runs in the caller's transaction (it opens one when there is none). `origin` is the
    connection the change came from, which gets no echo. `products` are the Product rows of
    `product_ids` when the caller holds them already, which saves reading them again. Returns
    the outbound messages, none inside deferred_publishing(), which publishes when it ends.
    """
    product_ids = sorted(set(product_ids))
    if not product_ids:
        return []
    deferred = _deferred.get()
    if deferred is not None:
        origin_key = origin.pk if origin is not None else None
        deferred.setdefault(origin_key, (origin, set()))[1].update(product_ids)
        return []
    subscriptions = subscribed_entities(Domain.STOCK, origin)
    if not subscriptions:
        return []
    channels = sorted(set(channels_of([subscription.connection for subscription in subscriptions]).values()), key=lambda channel: channel.pk)

    # No savepoint: nothing here catches an error, so a failure rolls the caller back as well.
    with transaction.atomic(savepoint=False):
        if products is None:
            products = list(Product.objects.filter(pk__in=product_ids).order_by("pk"))
        else:
            products = sorted(products, key=lambda product: product.pk)
        payloads = availability_payloads(products, channels)
        items = [(product, payloads[product.pk]) for product in products]
        return enqueue_outbound_many(items, Domain.STOCK, origin=origin, subscriptions=subscriptions)


def publish_order_availability(order, *, origin=None):
    """Queue the new availability of every product on an order, after it reserved or released stock.

    Call it in the transaction that created the order. Leave `origin` empty there: the shop
    that took the order needs Kontor's figure too, because its own count ignores other channels.
    """
    product_ids = [pk for pk in order.lines.values_list("product_id", flat=True) if pk]
    return publish_availability(product_ids, origin=origin)


@contextmanager
def forgotten_on_error():
    """Drop what the block deferred for publishing when it raises, as its savepoint drops its writes.

    For a savepoint inside deferred_publishing() whose error the caller catches, such as one
    event of a batch. Without it, the batch would still publish the products of that event.
    """
    pending = _deferred.get()
    if pending is None:
        yield
        return
    before = {key: (origin, set(product_ids)) for key, (origin, product_ids) in pending.items()}
    try:
        yield
    except BaseException:
        pending.clear()
        pending.update(before)
        raise


@contextmanager
def deferred_publishing():
    """Collect the products published inside the block and publish each once when it ends.

    For work that changes the same products many times in one transaction, such as a batch of
    orders: the channels get the final figures in one message per product, in the same
    transaction. Nothing is published when the block raises, because its transaction rolls
    back. A nested block adds to the outer one.
    """
    if _deferred.get() is not None:
        yield
        return

    pending = {}
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    for origin, product_ids in pending.values():
        publish_availability(product_ids, origin=origin)
