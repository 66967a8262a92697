"""The Shopware app's retry check: a price_missing error retries only once its product has a price.

See integrations.services.retrychecks for how checks run before a bulk retry.
"""

import ast
from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import ngettext

from catalog.models import Channel, Price, Product
from integrations.services.retrychecks import format_count, register_retry_check
from integrations.shopware.inbound import channel_code
from integrations.shopware.mappers import MissingPrice


def _currency_of(sync_error):
    """Return the currency that a price_missing error names, or None when it cannot be read.

    The outbound message stores the error as "price_missing: {params}" (ItemError's text),
    and the params hold the shop's default currency when the push failed.
    """
    message = sync_error.outbound_message
    text = message.last_error if message is not None else ""
    _code, _separator, params_text = text.partition(": ")
    try:
        params = ast.literal_eval(params_text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    currency = params.get("currency") if isinstance(params, dict) else None
    return currency if isinstance(currency, str) and currency else None


def _product_id_of(sync_error, product_type_id):
    if sync_error.content_type_id != product_type_id or not sync_error.object_id.isdigit():
        return None
    return int(sync_error.object_id)


def find_products_still_unpriced(sync_errors):
    """Return the ids of price_missing errors whose product still has no price the push would send.

    The push (mappers.price_entries) takes the prices that are valid now
    on the connection's sales channel or on no channel, in any price list, and needs one in the
    shop's default currency. A variant is pushed alone on retry, so it needs its own price too.
    An error whose product or currency cannot be read is retried: the check only holds back
    what is sure to fail again.

    Queries: one for the product content type, then three per connection.
    """
    product_type_id = ContentType.objects.get_for_model(Product).pk
    by_connection = defaultdict(list)
    for sync_error in sync_errors:
        product_id = _product_id_of(sync_error, product_type_id)
        if product_id is not None:
            by_connection[sync_error.connection_id].append((sync_error, product_id))

    unchanged = set()
    for items in by_connection.values():
        connection = items[0][0].connection
        product_ids = {product_id for _error, product_id in items}
        channel = Channel.objects.filter(code=channel_code(connection)).first()
        # A product deleted since is skipped by the delivery, whose retry then resolves the error.
        existing = set(Product.objects.filter(pk__in=product_ids).values_list("pk", flat=True))
        priced = set(
            Price.objects.current(channel).filter(product_id__in=existing).values_list("product_id", "currency").distinct()
        )
        priced_products = {product_id for product_id, _currency in priced}
        for sync_error, product_id in items:
            if product_id not in existing:
                continue
            currency = _currency_of(sync_error)
            # NOTE: without a readable currency, a price in any currency lets the error retry,
            # although the shop may need another one.
            has_price = (product_id, currency) in priced if currency else product_id in priced_products
            if not has_price:
                unchanged.add(sync_error.pk)
    return unchanged


def price_missing_message(count):
    return ngettext(
        "%(count)s sync error was not queued, because its product still has no price that is valid now "
        "in the currency the shop needs, for the connection's sales channel. Add the price in the PIM or "
        "in Kontor first, then retry.",
        "%(count)s sync errors were not queued, because their products still have no price that is valid "
        "now in the currency the shop needs, for the connection's sales channel. Add the prices in the PIM "
        "or in Kontor first, then retry.",
        count,
    ) % {"count": format_count(count)}


def register():
    register_retry_check(MissingPrice.code, find_products_still_unpriced, price_missing_message)
