"""Placing an order from a front end: idempotency, channel checks, then orders.services.create_order.

The order, its stock reservations and the idempotency record are written in one transaction,
so a rejected order leaves nothing behind and a retried request finds either everything or
nothing.
"""

import hashlib
import json
import logging
import re
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apiclients.errors import ApiError, Conflict, InvalidParameter, Unprocessable, error_body
from apiclients.models import IdempotencyRecord
from catalog.models import Price
from catalog.models.pricing import APPLIES_FIRST
from catalog.services.stock import available_for_channel, format_quantity
from core.money import minor_units, quantize
from customers.services import BuyerInput
from orders.services import AddressInput, LineInput, OrderInput, create_order, validate_order_input

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255
_FIELD_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class OrderRejected(ApiError):
    """An order that failed the order service's checks; carries every problem found."""

    default_code = "invalid_order"

    def __init__(self, items, status_code=400):
        super().__init__(items[0]["message"], code=items[0]["code"], field=items[0]["field"], value=items[0]["value"], status_code=status_code)
        self.items = items


def check_idempotency_key(key):
    if key is None:
        raise InvalidParameter(_("Send an Idempotency-Key header, unique per order attempt."), code="missing_idempotency_key", field="Idempotency-Key")
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise InvalidParameter(
            _("The Idempotency-Key must have 1 to %(max)s characters.") % {"max": MAX_KEY_LENGTH},
            code="invalid_idempotency_key",
            field="Idempotency-Key",
            value=key,
        )


def request_fingerprint(payload):
    text = json.dumps(payload, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def value_at(payload, field):
    """Return the value at a dotted field path such as lines[0].sku, or None."""
    current = payload
    for name, index in _FIELD_PART.findall(field or ""):
        try:
            current = current[int(index)] if index else current[name]
        except (KeyError, IndexError, TypeError, ValueError):
            return None
    return current if isinstance(current, str | int | float | bool) or current is None else str(current)


def _replay(record, fingerprint, key):
    if record.request_hash != fingerprint:
        raise Unprocessable(
            _("Idempotency-Key %(key)s was used for a different request. Use a new key for a new order.") % {"key": key},
            code="idempotency_key_reused",
            field="Idempotency-Key",
            value=key,
        )
    return record.order, record.status_code, True


def place_order(client, key, payload, raw_payload):
    """Create the order described by the validated `payload`; return (order, status code, replayed)."""
    check_idempotency_key(key)
    fingerprint = request_fingerprint(raw_payload)

    record = _idempotency_record(client, key)
    if record is not None:
        return _replay(record, fingerprint, key)

    try:
        order = _create_order(client, key, fingerprint, payload, raw_payload)
    except (ApiError, IntegrityError):
        # A concurrent request with the same key may have committed while this one ran, and its
        # order then makes this one fail: the number exists, too little stock is left, or the key
        # is taken. Its IdempotencyRecord committed with that order, and under READ COMMITTED
        # this new query reads it, so the request returns what a later retry would return.
        record = _idempotency_record(client, key)
        if record is None:
            raise
        logger.info("Concurrent order request replayed from its Idempotency-Key", extra={"order_id": record.order_id, "api_client_id": client.pk})
        return _replay(record, fingerprint, key)

    logger.info("Order placed through the API", extra={"order_id": order.pk, "api_client_id": client.pk})
    return order, 201, False


def _idempotency_record(client, key):
    return IdempotencyRecord.objects.filter(client=client, key=key).select_related("order").first()


def _create_order(client, key, fingerprint, payload, raw_payload):
    """Check the order, then write it, its stock reservations and its IdempotencyRecord in one transaction.

    Every rejection raises an ApiError. A concurrent request that committed the same key or order
    number first makes this one raise IntegrityError or an ApiError. The transaction is rolled
    back before either leaves this function.
    """
    data = _order_input(client, payload)
    # Errors quote the values as sent: the validated payload has them quantized ("119.0000").
    products = _validate(data, raw_payload)
    _check_sold(data, products, raw_payload)
    _check_prices(client, data, products, raw_payload)
    _check_available(data, products, raw_payload)

    with transaction.atomic():
        result = create_order(data, actor=f"api-client:{client.pk}")
        if not result.created:
            # create_order wrote nothing: the number was taken before its insert, or its insert
            # waited for the other transaction and was rolled back to its savepoint.
            raise Conflict(
                _("Order %(number)s already exists on channel %(channel)s. Read it with GET /api/v1/orders/?number=%(number)s.")
                % {"number": data.external_number, "channel": client.channel.code},
                code="order_exists",
                field="number",
                value=data.external_number,
            )
        if result.shortages:
            # Someone took the stock between the check and the reservation: roll everything back.
            sku, needed, available = result.shortages[0]
            raise Conflict(
                _("Not enough stock for SKU %(sku)s: %(needed)s ordered, %(available)s available.") % {"sku": sku, "needed": format_quantity(needed), "available": format_quantity(available)},
                code="insufficient_stock",
                field="lines",
                value=sku,
            )
        IdempotencyRecord.objects.create(client=client, key=key, request_hash=fingerprint, order=result.order, status_code=201)
    return result.order


def _order_input(client, payload):
    addresses = {kind: AddressInput(**payload[kind]) if payload.get(kind) else None for kind in ("billing_address", "shipping_address")}
    buyer = _buyer(client, payload, addresses["billing_address"])
    return OrderInput(
        channel=client.channel,
        external_number=payload["number"],
        currency=payload["currency"],
        placed_at=payload.get("placed_at") or timezone.now(),
        lines=[LineInput(**line) for line in payload["lines"]],
        total_net=payload["total_net"],
        total_tax=payload["total_tax"],
        total_gross=payload["total_gross"],
        shipping_net=payload["shipping_net"],
        shipping_tax=payload["shipping_tax"],
        shipping_gross=payload["shipping_gross"],
        prices_include_tax=payload["prices_include_tax"],
        email=buyer.email,
        # create_order links the buyer through customers.services.customers_for, as for shop orders.
        buyer=buyer,
        billing_address=addresses["billing_address"],
        shipping_address=addresses["shipping_address"],
        customer_note=payload["customer_note"],
    )


def _buyer(client, payload, billing_address):
    """Return the BuyerInput of an API order: the client's registered customer, else a guest.

    A client with a customer email orders for that registered customer, which customers_for
    finds by email or creates. Any other client is a front end whose buyer Kontor cannot
    identify, so each of its orders gets a guest customer of its own, as a shop's guest order
    does. A new customer takes its names from the billing address.
    """
    names = {}
    if billing_address is not None:
        names = {"first_name": billing_address.first_name, "last_name": billing_address.last_name, "company": billing_address.company}
    if client.customer_email:
        return BuyerInput(email=client.customer_email, is_guest=False, **names)
    return BuyerInput(email=payload.get("email", ""), is_guest=True, **names)


def _validate(data, payload):
    try:
        return validate_order_input(data)
    except ValidationError as error:
        items = [
            error_body("invalid_order", message, field, value_at(payload, field))
            for field, messages in error.message_dict.items()
            for message in messages
        ]
        raise OrderRejected(items) from error


def _check_sold(data, products, payload):
    """Reject lines whose product has no current price on the channel in the order's currency."""
    priced = set(
        Price.objects.current(data.channel)
        .filter(product__in=products.values(), currency=data.currency)
        .values_list("product_id", flat=True)
    )
    items = [
        error_body(
            "not_sold",
            _("SKU %(sku)s is not sold on channel %(channel)s in %(currency)s.") % {"sku": line.sku, "channel": data.channel.code, "currency": data.currency},
            f"lines[{index}].sku",
            line.sku,
        )
        for index, line in enumerate(data.lines)
        if products[line.sku].pk not in priced
    ]
    if items:
        raise OrderRejected(items)


def _check_prices(client, data, products, payload):
    """Reject lines whose unit price differs from the catalog price this client is shown.

    A front end sends its own prices, so without this check a changed request could buy at any
    price. The price list is the client's default one, as in the product API. When the catalog
    price is gross and the order net (or the reverse), the line's tax rate converts it and one
    minor unit of rounding is accepted.
    """
    current = _current_prices(client, data)
    items = []
    for index, line in enumerate(data.lines):
        price = current.get(products[line.sku].pk)
        if price is None:
            items.append(
                error_body(
                    "not_sold",
                    _("SKU %(sku)s has no price in the price list %(price_list)s in %(currency)s.")
                    % {"sku": line.sku, "price_list": _price_list_code(client), "currency": data.currency},
                    f"lines[{index}].sku",
                    line.sku,
                )
            )
            continue

        expected = _catalog_unit_price(price, line.tax_rate, data.prices_include_tax, data.currency)
        tolerance = 0 if price.is_gross == data.prices_include_tax else Decimal(1).scaleb(-minor_units(data.currency))
        if abs(Decimal(line.unit_price) - expected) > tolerance:
            items.append(
                error_body(
                    "price_mismatch",
                    _("The unit price %(sent)s of SKU %(sku)s differs from the catalog price %(expected)s %(currency)s. Read the current price from the product API and send the order again.")
                    % {"sent": value_at(payload, f"lines[{index}].unit_price"), "sku": line.sku, "expected": quantize(expected, data.currency), "currency": data.currency},
                    f"lines[{index}].unit_price",
                    value_at(payload, f"lines[{index}].unit_price"),
                )
            )
    if items:
        raise OrderRejected(items, status_code=409)


def _price_list_code(client):
    return client.price_list.code if client.price_list_id else settings.API_DEFAULT_PRICE_LIST


def _current_prices(client, data):
    """Return the price row that applies now per product id: the channel's own first, newest window first."""
    price_list = {"price_list_id": client.price_list_id} if client.price_list_id else {"price_list__code": settings.API_DEFAULT_PRICE_LIST}
    rows = (
        Price.objects.current(data.channel)
        .filter(product__sku__in={line.sku for line in data.lines}, currency=data.currency, **price_list)
        .order_by("product_id", *APPLIES_FIRST)
    )
    current = {}
    for row in rows:
        current.setdefault(row.product_id, row)
    return current


def _catalog_unit_price(price, tax_rate, prices_include_tax, currency):
    """Return the catalog price on the order's basis (gross or net), rounded to the currency."""
    if price.is_gross == prices_include_tax:
        return price.amount
    factor = 1 + Decimal(tax_rate) / 100
    converted = price.amount * factor if prices_include_tax else price.amount / factor
    return quantize(converted, currency)


def _check_available(data, products, payload):
    demand = defaultdict(Decimal)
    first_index = {}
    for index, line in enumerate(data.lines):
        demand[line.sku] += Decimal(line.quantity)
        first_index.setdefault(line.sku, index)

    items = []
    for sku, needed in demand.items():
        available = available_for_channel(products[sku], data.channel)
        if needed > available:
            items.append(
                error_body(
                    "insufficient_stock",
                    _("Not enough stock for SKU %(sku)s: %(needed)s ordered, %(available)s available on this channel.")
                    % {"sku": sku, "needed": format_quantity(needed), "available": format_quantity(available)},
                    f"lines[{first_index[sku]}].quantity",
                    value_at(payload, f"lines[{first_index[sku]}].quantity"),
                )
            )
    if items:
        raise OrderRejected(items, status_code=409)
