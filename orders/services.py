"""Order operations: create an order from any channel, move it through its status machine.

Every function runs in one transaction and writes its status-history row in it, so an
order never exists without its lines and a status never changes without its history.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Context, Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from catalog.models import Product
from catalog.models.stock import ReleaseReason
from catalog.services import stock
from core.money import (
    format_amount,
    minor_units,
    quantize,
    to_decimal,
)
from core.translation import JoinedText, Translatable, translations_of
from customers.models import normalize_email
from customers.services import BuyerInput, CustomerLink, customers_for
from orders.models import (
    Order,
    OrderAddress,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    RoundingRule,
    TaxLine,
)
from orders.models.status import can_transition, is_backwards
from orders.money import format_amount_with_currency, precision_errors, unknown_currency_errors

logger = logging.getLogger(__name__)

# Maximum digits before the decimal point in an order line's quantity column.
QUANTITY_WHOLE_DIGITS = OrderLine._meta.get_field("quantity").max_digits - OrderLine._meta.get_field("quantity").decimal_places

QUANTITY_NOT_POSITIVE = gettext_lazy("Quantity %(value)s of SKU %(sku)s must be greater than zero.")


@dataclass
class LineInput:
    sku: str
    quantity: Decimal
    unit_price: Decimal
    total_net: Decimal
    total_tax: Decimal
    total_gross: Decimal
    tax_rate: Decimal = Decimal(0)
    name: str = ""
    external_id: str = ""
    discount: Decimal = Decimal(0)


@dataclass
class AddressInput:
    street: str
    city: str
    country: str
    postal_code: str = ""
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    street2: str = ""
    region: str = ""
    phone: str = ""


@dataclass
class TaxLineInput:
    rate: Decimal
    net: Decimal
    tax: Decimal
    label: str = ""


@dataclass
class OrderInput:
    """An order as a channel reported it, before Kontor checked it."""

    channel: object
    external_number: str
    currency: str
    placed_at: datetime
    lines: list
    total_net: Decimal
    total_tax: Decimal
    total_gross: Decimal
    shipping_net: Decimal = Decimal(0)
    shipping_tax: Decimal = Decimal(0)
    shipping_gross: Decimal = Decimal(0)
    prices_include_tax: bool = True
    rounding_rule: str = RoundingRule.PER_LINE
    email: str = ""
    # The customer when the caller knows it; else the buyer that create_order links to a customer.
    customer: object = None
    buyer: BuyerInput | None = None
    connection: object = None
    billing_address: AddressInput | None = None
    shipping_address: AddressInput | None = None
    tax_lines: list = field(default_factory=list)
    customer_note: str = ""
    # True when the source sends no total tax and total_tax is total_gross minus total_net, so
    # that the messages about the total tax show the subtraction and not a figure the source lacks.
    total_tax_derived: bool = False


@dataclass
class OrderResult:
    order: Order
    created: bool
    shortages: list = field(default_factory=list)


def validate_order_input(data, *, products=None):
    """Check an incoming order completely; raise one ValidationError listing every problem.

    Returns the products by SKU so the caller does not look them up again. A caller that has
    read the products of many orders at once passes them as `products`, by SKU. A SKU missing
    from them counts as not in the catalog.

    Each message is a Translatable, so a worker that stores the error (SyncError) stores it in
    every language, and `message_dict` renders it in the active language.
    """
    errors = {}

    currency_errors = unknown_currency_errors(data.currency)
    if currency_errors:
        raise ValidationError({"currency": currency_errors})

    if not data.channel.sells_in(data.currency):
        # sells_in is False only for a channel with currencies, so the message can list them.
        errors["currency"] = Translatable(
            gettext_lazy(
                "Channel %(channel)s does not sell in %(currency)s, only in %(currencies)s. If the channel sells in "
                "%(currency)s, add it to the channel's currencies in Kontor. Otherwise correct the order's currency."
            ),
            channel=data.channel.name or data.channel.code,
            currency=data.currency,
            currencies=", ".join(data.channel.currencies),
        )

    if not data.lines:
        errors["lines"] = Translatable(gettext_lazy("Order %(number)s has no lines."), number=data.external_number)

    if data.placed_at.tzinfo is None:
        errors["placed_at"] = Translatable(gettext_lazy("Order time %(value)s has no time zone."), value=data.placed_at)

    errors.update(_length_errors("", vars(data), ORDER_TEXT_COLUMNS))
    for kind, address in (("billing", data.billing_address), ("shipping", data.shipping_address)):
        if address is not None:
            errors.update(_address_errors(f"{kind}_address", address))

    if products is None:
        products = _products_of([data])
    for index, line in enumerate(data.lines):
        errors.update(_line_errors(index, line, products, data.currency, data.rounding_rule))
        for key, message in _length_errors(f"lines[{index}].", vars(line), LINE_TEXT_COLUMNS).items():
            _add_error(errors, key, message)
        for key, message in _line_amount_errors(index, line, data.currency, data.prices_include_tax):
            _add_error(errors, key, message)

    for name in ("total_net", "total_tax", "total_gross", "shipping_net", "shipping_tax", "shipping_gross"):
        value = to_decimal(getattr(data, name))
        if value < 0:
            errors[name] = _negative_total_error(data, name, value)
        elif not (name == "total_tax" and data.total_tax_derived):
            # A derived tax has more places than the currency only when the gross or net total
            # has, and their own messages name the amount that the source sent.
            _collect_precision(errors, name, value, data.currency)

    if not errors:
        errors.update(_totals_errors(data))

    if errors:
        raise ValidationError(errors)
    return products


def _negative_total_error(data, name, value):
    amount = format_amount_with_currency(value, data.currency)
    if name == "total_tax" and data.total_tax_derived:
        return Translatable(
            gettext_lazy(
                "Order total gross %(gross)s minus total net %(net)s gives tax %(value)s, but the tax must not be "
                "negative. Check the order in the source system."
            ),
            gross=format_amount_with_currency(data.total_gross, data.currency),
            net=format_amount_with_currency(data.total_net, data.currency),
            value=amount,
        )
    return Translatable(gettext_lazy("%(field)s is %(value)s; it must not be negative."), field=name, value=amount)


# The text fields of the inputs, with the columns they are stored in, whose max_length is the limit.
ORDER_TEXT_COLUMNS = {"external_number": Order._meta.get_field("external_number")}
LINE_TEXT_COLUMNS = {name: OrderLine._meta.get_field(name) for name in ("sku", "name", "external_id")}
ADDRESS_TEXT_COLUMNS = {
    name: OrderAddress._meta.get_field(name)
    for name in ("first_name", "last_name", "company", "street", "street2", "postal_code", "city", "region", "phone")
}


def _length_errors(prefix, values, columns):
    """Return {field: message} for each text in `values` that is longer than its column's max_length.

    Checked here, because PostgreSQL rejects a longer text with an error that names neither the
    order nor the field, and SQLite stores it whole. The order API rejects the same texts
    with the same limits in its serializers. It truncates none, so neither does this check.
    """
    errors = {}
    for name, column in columns.items():
        text = values[name]
        if isinstance(text, str) and len(text) > column.max_length:
            field = f"{prefix}{name}"
            errors[field] = Translatable(
                gettext_lazy(
                    "%(field)s has %(length)d characters, but Kontor stores at most %(limit)d. Shorten it in the "
                    "source system."
                ),
                field=field,
                length=len(text),
                limit=column.max_length,
            )
    return errors


def _address_errors(prefix, address):
    """Return {field: message} for an address whose country Kontor does not know or whose texts are too long.

    The country must be an ISO 3166-1 alpha-2 code in django-countries' list, as the order API's
    address serializer requires. The API also accepts a country name or alpha-3 code and turns it
    into that code before this check.
    """
    errors = _length_errors(f"{prefix}.", vars(address), ADDRESS_TEXT_COLUMNS)
    if not isinstance(address.country, str) or address.country not in countries:
        errors[f"{prefix}.country"] = Translatable(
            gettext_lazy(
                'Country "%(value)s" is not an ISO 3166-1 alpha-2 country code. Correct the country of the address '
                "in the source system, such as DE for Germany."
            ),
            value=address.country,
        )
    return errors


def _line_errors(index, line, products, currency, rounding_rule):
    errors = {}
    prefix = f"lines[{index}]"
    product = products.get(line.sku)
    if product is None:
        errors[f"{prefix}.sku"] = Translatable(
            gettext_lazy("SKU %(sku)s is not in the catalog. Import the product or correct the SKU."), sku=line.sku
        )
    elif product.is_deleted or not product.enabled:
        errors[f"{prefix}.sku"] = Translatable(
            gettext_lazy("SKU %(sku)s is deleted or disabled in the catalog and cannot be ordered."), sku=line.sku
        )

    quantity = to_decimal(line.quantity)
    if quantity <= 0:
        errors[f"{prefix}.quantity"] = Translatable(QUANTITY_NOT_POSITIVE, value=quantity, sku=line.sku)
    elif not _storable_quantity(quantity):
        # Checked here so that the database does not reject the line later with an error that
        # names neither the order nor the value.
        errors[f"{prefix}.quantity"] = _quantity_column_errors(quantity, line.sku)

    gross, net, tax = (to_decimal(line.total_gross), to_decimal(line.total_net), to_decimal(line.total_tax))
    if gross != net + tax:
        errors[f"{prefix}.total_gross"] = Translatable(
            gettext_lazy("Line %(sku)s: gross %(gross)s is not net %(net)s plus tax %(tax)s."),
            sku=line.sku,
            gross=format_amount(gross, currency),
            net=format_amount(net, currency),
            tax=format_amount(tax, currency),
        )
    if rounding_rule == RoundingRule.PER_LINE:
        for name in ("total_net", "total_tax", "total_gross"):
            _collect_precision(errors, f"{prefix}.{name}", getattr(line, name), currency)
    return errors


def _fits_quantity_column(quantity):
    """Return whether a quantity has no more whole digits than its column."""
    return quantity.is_finite() and quantity.adjusted() < QUANTITY_WHOLE_DIGITS


def _storable_quantity(quantity):
    """Return whether a positive quantity fits its column and stays above zero once rounded to it."""
    return _fits_quantity_column(quantity) and _as_stored(quantity) > 0


def _quantity_column_errors(quantity, sku):
    if _fits_quantity_column(quantity):
        # Rounded to the column's three decimal places, the quantity is zero.
        return Translatable(QUANTITY_NOT_POSITIVE, value=_as_stored(quantity), sku=sku)
    try:
        OrderLine._meta.get_field("quantity").run_validators(quantity)
    except ValidationError as error:
        return [JoinedText([sku, Translatable(problem.message, **(problem.params or {}))], ": ") for problem in error.error_list]
    return [f"{sku}: {quantity}"]


def _line_amount_errors(index, line, currency, prices_include_tax):
    """Return (field, message) pairs for a line whose total or tax does not follow from its price.

    The line total on the order's basis (gross when prices include tax, else net) must be
    quantity times unit price minus discount, and the tax must be the net times the tax rate.
    The source's own rounding is kept, so one minor unit of difference passes. A shop that
    derives the tax from the rounded gross total can be up to (1 + rate / 100) half units off.
    """
    # NOTE: a tax-free line that reports the product's rate with zero tax is rejected. Whether
    # Shopware's tax-free orders (taxStatus "tax-free") report line items that way is unverified.
    quantity = to_decimal(line.quantity)
    if quantity <= 0 or not _storable_quantity(quantity):
        return []

    prefix = f"lines[{index}]"
    tolerance = Decimal(1).scaleb(-minor_units(currency))
    problems = []

    total_field = "total_gross" if prices_include_tax else "total_net"
    stated_total = to_decimal(getattr(line, total_field))
    unit_price, discount = to_decimal(line.unit_price), to_decimal(line.discount)
    expected_total = quantize(quantity * unit_price - discount, currency)
    if abs(stated_total - expected_total) > tolerance:
        problems.append((
            f"{prefix}.{total_field}",
            Translatable(
                gettext_lazy(
                    "Line %(sku)s: %(field)s is %(value)s, but quantity %(quantity)s times unit price %(unit_price)s "
                    "minus discount %(discount)s is %(expected)s. Correct the line total, quantity, unit price or discount."
                ),
                sku=line.sku,
                field=total_field,
                value=format_amount(stated_total, currency),
                quantity=stock.format_quantity(quantity),
                unit_price=format_amount(unit_price, currency),
                discount=format_amount(discount, currency),
                expected=format_amount(expected_total, currency),
            ),
        ))

    net, tax, rate = to_decimal(line.total_net), to_decimal(line.total_tax), to_decimal(line.tax_rate)
    if abs(tax - net * rate / 100) > tolerance:
        problems.append((
            f"{prefix}.total_tax",
            Translatable(
                gettext_lazy(
                    "Line %(sku)s: tax %(value)s does not match %(rate)s %% of net %(net)s, which is %(expected)s. "
                    "Correct the tax rate or the tax amount."
                ),
                sku=line.sku,
                value=format_amount(tax, currency),
                rate=f"{rate.normalize():f}",
                net=format_amount(net, currency),
                expected=format_amount(quantize(net * rate / 100, currency), currency),
            ),
        ))
    return problems


def _add_error(errors, key, message):
    """Add `message` under `key`, after any message already there."""
    existing = errors.get(key, [])
    errors[key] = [*(existing if isinstance(existing, list) else [existing]), message]


def _collect_precision(errors, key, value, currency):
    messages = precision_errors(value, currency)
    if messages:
        errors[key] = messages


# The parts of an order total by their field suffix, as the messages name them.
TOTAL_PART_NAMES = {"net": gettext_lazy("net"), "tax": gettext_lazy("tax"), "gross": gettext_lazy("gross")}


def _totals_errors(data):
    """Compare the order totals with its lines and shipping, by the source's rounding rule.

    Per-line rounding: the rounded line totals add up to the order total exactly. Per-order
    rounding: the unrounded line totals add up, then are rounded once to the currency.
    The amounts are compared unrounded, and only the messages show them with the currency's places.
    """
    errors = {}
    for part in ("net", "tax", "gross"):
        lines_sum = sum((to_decimal(getattr(line, f"total_{part}")) for line in data.lines), Decimal(0))
        expected = lines_sum + to_decimal(getattr(data, f"shipping_{part}"))
        if data.rounding_rule == RoundingRule.PER_ORDER:
            expected = quantize(expected, data.currency)
        stated = to_decimal(getattr(data, f"total_{part}"))
        if stated == expected:
            continue
        amounts = {
            "stated": format_amount_with_currency(stated, data.currency),
            "expected": format_amount_with_currency(expected, data.currency),
        }
        if part == "tax" and data.total_tax_derived:
            errors["total_tax"] = Translatable(
                gettext_lazy(
                    "Order total gross %(gross)s minus total net %(net)s gives tax %(stated)s, but the lines and "
                    "shipping add up to tax %(expected)s. Check the order in the source system."
                ),
                **_gross_and_net(data),
                **amounts,
            )
        else:
            errors[f"total_{part}"] = Translatable(
                gettext_lazy(
                    "Order total %(part)s is %(stated)s but the lines and shipping add up to %(expected)s. "
                    "Check the order in the source system."
                ),
                part=TOTAL_PART_NAMES[part],
                **amounts,
            )

    if data.tax_lines:
        tax_sum = sum((to_decimal(t.tax) for t in data.tax_lines), Decimal(0))
        if tax_sum != to_decimal(data.total_tax):
            errors["tax_lines"] = _tax_lines_error(data, tax_sum)
    return errors


def _gross_and_net(data):
    return {
        "gross": format_amount_with_currency(data.total_gross, data.currency),
        "net": format_amount_with_currency(data.total_net, data.currency),
    }


def _tax_lines_error(data, tax_sum):
    amounts = {
        "sum": format_amount_with_currency(tax_sum, data.currency),
        "total": format_amount_with_currency(data.total_tax, data.currency),
    }
    if data.total_tax_derived:
        return Translatable(
            gettext_lazy("Order total gross %(gross)s minus total net %(net)s gives tax %(total)s, but the tax lines add up to %(sum)s."),
            **_gross_and_net(data),
            **amounts,
        )
    return Translatable(gettext_lazy("The tax lines add up to %(sum)s but the order's total tax is %(total)s."), **amounts)


def create_order(data, *, actor, user=None, reserve=True, status=OrderStatus.NEW, note=""):
    """Create the order with lines, tax lines, addresses and its first history row, then reserve stock.

    A second call with the same channel and order number returns the existing order
    unchanged (`created` False), so a redelivered webhook or a retried pull is harmless.
    A shortage does not reject the order: it is saved, flagged for the merchant and
    listed in the result.

    With `status` CANCELLED the order is one that its channel cancelled before Kontor received
    it. It is stored with a second history row to cancelled that carries `note`, reserves no
    stock and is queued for no other connection, because none of them has it.
    """
    if status not in (OrderStatus.NEW, OrderStatus.CANCELLED):
        raise ValueError(f"create_order creates new or cancelled orders, not {status!r} ones")
    existing = Order.objects.filter(channel=data.channel, external_number=data.external_number).first()
    if existing:
        return OrderResult(existing, created=False)

    products = validate_order_input(data)
    try:
        with transaction.atomic():
            written = _write_orders([data], products, actor=actor, user=user, links=_link_customers([data]))
            [(order, lines)] = written
            if status == OrderStatus.CANCELLED:
                _cancel_new_order(order, actor=actor, user=user, connection=data.connection, note=note)
                shortages = []
            else:
                # The lines just written are passed on, so neither step reads them back.
                shortages = stock.reserve_order(order, lines=lines) if reserve else []
                _flag_shortages([(order, shortages)])
                _publish_new_orders(written, products)
    except IntegrityError:
        # Another worker created the same order between our check and insert.
        existing = Order.objects.filter(channel=data.channel, external_number=data.external_number).first()
        if existing is None:
            raise
        return OrderResult(existing, created=False)

    _log_created(order)
    return OrderResult(order, created=True, shortages=shortages)


def _cancel_new_order(order, *, actor, user, connection, note):
    """Move an order just written as new to cancelled, with its history row."""
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    OrderStatusChange.objects.create(
        order=order, from_status=OrderStatus.NEW, to_status=OrderStatus.CANCELLED, actor=actor, user=user, connection=connection,
        **_note_fields(note),
    )


def create_orders(datas, *, actor, user=None):
    """Create many new orders with a fixed number of statements, as create_order would one by one.

    For a batch of orders that arrive together, such as a batch of shop webhooks. Returns one
    entry per item of `datas`: the OrderResult of an order created here, or None for an order
    left to create_order. Left out are orders whose channel and number are known already or
    came earlier in `datas`, and orders that fail validation: create_order returns the
    existing order or raises the ValidationError for them, as it does for a single order.

    The orders reserve stock in the order of `datas`, so a later order gets only what the
    earlier ones left. A short order is saved and flagged as create_order does. No savepoint
    of its own: an IntegrityError (another worker created one of the orders after the check
    here) rolls back the caller's transaction or savepoint, and the caller can then run the
    orders through create_order one by one.
    """
    results = [None] * len(datas)
    if not datas:
        return results

    known = _known_numbers(datas)
    products = _products_of(datas)
    accepted = []
    for index, data in enumerate(datas):
        key = (data.channel.pk, data.external_number)
        if key in known:
            continue
        known.add(key)
        try:
            validate_order_input(data, products=products)
        except Exception:
            # A ValidationError, or a value that breaks the checks themselves (such as a
            # decimal beyond any precision). create_order raises the same for this order alone,
            # so one odd order does not cost the others their place in the set.
            continue
        accepted.append(index)
    if not accepted:
        return results

    with transaction.atomic(savepoint=False):
        accepted_datas = [datas[index] for index in accepted]
        written = _write_orders(accepted_datas, products, actor=actor, user=user, links=_link_customers(accepted_datas))
        shortages_per_order = stock.reserve_orders(written)
        _flag_shortages([(order, shortages) for (order, _lines), shortages in zip(written, shortages_per_order, strict=True)])
        _publish_new_orders(written, products)

    for index, (order, _lines), shortages in zip(accepted, written, shortages_per_order, strict=True):
        _log_created(order)
        results[index] = OrderResult(order, created=True, shortages=shortages)
    return results


def _known_numbers(datas):
    """Return the (channel pk, order number) pairs of `datas` that are stored already, with one query."""
    numbers = defaultdict(set)
    for data in datas:
        numbers[data.channel.pk].add(data.external_number)
    known = Q()
    for channel_pk, channel_numbers in numbers.items():
        known |= Q(channel_id=channel_pk, external_number__in=sorted(channel_numbers))
    return set(Order.objects.filter(known).values_list("channel_id", "external_number"))


def _products_of(datas):
    """Return the catalog's products named on the lines of `datas`, by SKU, with one query."""
    skus = {line.sku for data in datas for line in data.lines}
    return {product.sku: product for product in Product.objects.filter(sku__in=sorted(skus))}


def _log_created(order):
    # Logged on commit, because a caller's transaction may still roll the order back (the API
    # does when its stock check fails), and the log must name only orders that exist.
    fields = {"order_id": order.pk, "channel": order.channel.code, "external_number": order.external_number}
    transaction.on_commit(lambda: logger.info("Order created", extra=fields))


def _link_customers(datas):
    """Return the CustomerLink of each item of `datas`, finding or creating customers for their buyers.

    An order whose caller gave its customer, or that has no buyer, keeps its customer. The
    buyers are linked per connection, with customers_for's fixed statements for each.
    """
    links = [CustomerLink(data.customer) for data in datas]
    by_connection = defaultdict(list)
    for index, data in enumerate(datas):
        if data.customer is None and data.buyer is not None:
            by_connection[data.connection].append(index)
    for connection, indexes in by_connection.items():
        for index, link in zip(indexes, customers_for([datas[index].buyer for index in indexes], connection=connection), strict=True):
            links[index] = link
    return links


def _write_orders(datas, products, *, actor, user, links):
    """Insert the orders of `datas` with their lines, tax lines, addresses and first history rows.

    One INSERT per table for all orders. `links` gives each order its customer and the notes
    about its buyer, which flag the order. Returns [(order, its lines)] in the order of `datas`.
    """
    orders = Order.objects.bulk_create([_new_order(data, link) for data, link in zip(datas, links, strict=True)])
    lines_per_order = [_new_lines(order, data, products) for order, data in zip(orders, datas, strict=True)]
    OrderLine.objects.bulk_create([line for lines in lines_per_order for line in lines])
    TaxLine.objects.bulk_create(
        TaxLine(order=order, rate=t.rate, net=t.net, tax=t.tax, label=t.label)
        for order, data in zip(orders, datas, strict=True)
        for t in data.tax_lines
    )
    OrderAddress.objects.bulk_create(
        OrderAddress(order=order, kind=kind, **vars(address))
        for order, data in zip(orders, datas, strict=True)
        for kind, address in (("billing", data.billing_address), ("shipping", data.shipping_address))
        if address is not None
    )
    received = _note_fields(Translatable(gettext_lazy("Order received")))
    OrderStatusChange.objects.bulk_create(
        OrderStatusChange(
            order=order, from_status="", to_status=OrderStatus.NEW, actor=actor, user=user, connection=data.connection, **received
        )
        for order, data in zip(orders, datas, strict=True)
    )
    return list(zip(orders, lines_per_order, strict=True))


def _new_order(data, link):
    email = normalize_email(data.email)
    if len(email) > Order._meta.get_field("email").max_length:
        # Left out so that the insert does not fail. The buyer's note names the invalid email.
        email = ""
    order = Order(
        channel=data.channel,
        connection=data.connection,
        external_number=data.external_number,
        customer=link.customer,
        email=email,
        currency=data.currency,
        prices_include_tax=data.prices_include_tax,
        rounding_rule=data.rounding_rule,
        shipping_net=data.shipping_net,
        shipping_tax=data.shipping_tax,
        shipping_gross=data.shipping_gross,
        total_net=data.total_net,
        total_tax=data.total_tax,
        total_gross=data.total_gross,
        placed_at=data.placed_at,
        customer_note=data.customer_note,
    )
    for note in link.notes:
        set_attention_note(order, note, append=True)
    return order


def _new_lines(order, data, products):
    return [
        OrderLine(
            order=order,
            position=index + 1,
            product=products.get(line.sku),
            sku=line.sku,
            name=line.name,
            external_id=line.external_id,
            quantity=_as_stored(line.quantity),
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            total_net=line.total_net,
            total_tax=line.total_tax,
            total_gross=line.total_gross,
            discount=line.discount,
        )
        for index, line in enumerate(data.lines)
    ]


def _as_stored(quantity):
    """Round a line quantity as its column stores it: three places, halves away from zero.

    The reservation reads the quantities of the lines kept in memory, so they must hold what
    was saved. The wide context leaves an oversized value for the database to reject, as before.
    """
    return to_decimal(quantity).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP, context=Context(prec=100))


def _publish_new_orders(written, products):
    """Queue new orders for the connections that receive orders, and every channel's new stock.

    Runs in the transaction that creates the orders, so the ERP messages and the lower stock
    figures commit with them. The channel that took an order is not sent the order back, but
    does get the stock, because its own count ignores the other channels. `written` is
    [(order, its lines)], and `products` are the orders' products by SKU, as validation read them.
    """
    # Imported here: the framework's outbox imports the canonical apps' models.
    from catalog.services.availability import publish_availability
    from integrations.domains import Domain
    from integrations.services.outbox import enqueue_outbound_many

    products_by_id = {line.product_id: products[line.sku] for _order, lines in written for line in lines if line.product_id}
    publish_availability(list(products_by_id), products=list(products_by_id.values()))

    # The connection an order came from gets no echo of it.
    by_origin = {}
    for order, _lines in written:
        by_origin.setdefault(order.connection_id, (order.connection, []))[1].append(order)
    for origin, orders in by_origin.values():
        items = [(order, {"order_id": order.pk, "number": order.external_number}) for order in orders]
        enqueue_outbound_many(items, Domain.ORDERS, origin=origin)


def _flag_shortages(orders_and_shortages):
    """Flag each order that was short of stock with a note naming what is short, with one UPDATE.

    `orders_and_shortages` is [(order, [(sku, needed, available)])]; orders without shortages
    are left as they are.
    """
    flagged = [(order, shortages) for order, shortages in orders_and_shortages if shortages]
    if not flagged:
        return

    now = timezone.now()
    for order, shortages in flagged:
        # Below a note about the buyer that the order may have got when it was written.
        fields = set_attention_note(order, _shortage_note(shortages), append=True)
        # bulk_update leaves auto_now fields alone.
        order.updated_at = now
    Order.objects.bulk_update([order for order, _shortages in flagged], [*fields, "updated_at"])
    for order, shortages in flagged:
        logger.warning("Order short of stock", extra={"order_id": order.pk, "shortages": len(shortages)})


def _shortage_note(shortages):
    details = JoinedText(
        (
            Translatable(
                gettext_lazy("%(sku)s: %(needed)s ordered, %(available)s available"),
                sku=sku, needed=stock.format_quantity(needed), available=stock.format_quantity(available),
            )
            for sku, needed, available in shortages
        ),
        "; ",
    )
    return Translatable(gettext_lazy("Stock could not be reserved: %(details)s. Check stock or contact the customer."), details=details)


def set_attention_note(order, note, *, append=False):
    """Flag `order` for the merchant with `note`, plain text or a Translatable; return the changed fields.

    A Translatable is kept in every language, so each merchant reads the note in their own.
    With `append` the note goes below the current one instead of replacing it. The caller saves.
    """
    text, translations = str(note), translations_of(note)
    if append and order.attention_note:
        earlier = order.attention_note_translations or {}
        if translations or earlier:
            # A language missing on either side falls back to that side's stored text.
            translations = {
                language: f"{earlier.get(language, order.attention_note)}\n{translations.get(language, text)}"
                for language, _name in settings.LANGUAGES
            }
        text = f"{order.attention_note}\n{text}"
    order.needs_attention = True
    order.attention_note = text
    order.attention_note_translations = translations
    return ["needs_attention", "attention_note", "attention_note_translations"]


ORDER_CONFLICTS_RESOLVED = gettext_lazy("%(user)s marked the order's conflicts resolved.")


def settle_attention_after_conflicts(order_ids, *, user):
    """Take the flag off the orders of `order_ids` whose last open conflict support has just resolved; return their pks.

    A shop cancellation that became a conflict flags its order, and its note has support decide
    in the ERP and then mark the conflict resolved. Once they have, a flag left on the order would
    send the next person to a solved case. An order with another open conflict keeps its flag.
    A line below the note says who resolved it.
    """
    # Imported here: the framework's models import the canonical apps' models.
    from integrations.models import Conflict

    order_type = ContentType.objects.get_for_model(Order)
    still_open = set(
        Conflict.objects.filter(content_type=order_type, object_id__in=[str(pk) for pk in order_ids], resolved=False)
        .values_list("object_id", flat=True)
    )
    settled = []
    for order in Order.objects.filter(pk__in=order_ids, needs_attention=True):
        if str(order.pk) in still_open:
            continue
        fields = set_attention_note(order, Translatable(ORDER_CONFLICTS_RESOLVED, user=user.get_username()), append=True)
        order.needs_attention = False
        order.save(update_fields=[*fields, "updated_at"])
        settled.append(order.pk)
    if settled:
        logger.info("attention flags cleared after conflicts resolved", extra={"order_ids": settled, "user_id": user.pk})
    return settled


def confirm_new_orders(notes, *, actor, connection=None):
    """Move the orders of `notes` ({order pk: note}) that are still new to confirmed; return their pks.

    transition_order's rule for its most common move, with three statements for all orders
    instead of five per order, for an ERP that confirms orders in batches. The order rows are
    locked in id order, so two batches wait for each other. Orders that are no longer new are
    left out, for transition_order to judge one by one.
    """
    statuses = dict(Order.objects.select_for_update().filter(pk__in=list(notes)).order_by("pk").values_list("pk", "status"))
    moved = [pk for pk, status in statuses.items() if status == OrderStatus.NEW]
    if not moved:
        return set()

    Order.objects.filter(pk__in=moved).update(status=OrderStatus.CONFIRMED, updated_at=timezone.now())
    OrderStatusChange.objects.bulk_create(
        OrderStatusChange(
            order_id=pk, from_status=OrderStatus.NEW, to_status=OrderStatus.CONFIRMED, actor=actor, connection=connection,
            **_note_fields(notes[pk]),
        )
        for pk in moved
    )
    return set(moved)


def _note_fields(note):
    """Return the note columns of a status history row for a Translatable or plain text."""
    return {"note": str(note), "note_translations": translations_of(note)}


class InvalidTransition(ValidationError):
    pass


class LedElsewhere(InvalidTransition):
    """A person asked to change the status of an order whose status another system leads and may hold."""


def transition_by_person(order_id, to_status, *, actor, user):
    """Move an order as a person asked in the admin, unless the system leading the order status may have it.

    With the ERP leading the order status, a status set in Kontor alone would split the two: the
    ERP goes on shipping an order that Kontor shows cancelled, and its next status overwrites
    Kontor's. So a person may only cancel an order that the ERP was due to receive and never
    did (cancel_before_leader_has_it). Any other move of such an order raises LedElsewhere, which
    names the system to change it in. Without a leading system, or when the order's own channel
    leads, this is transition_order.
    """
    # Imported here: the framework's services import the canonical apps' models.
    from integrations.models import Connection
    from integrations.services.leading import leading_connection_id

    leader_id = leading_connection_id("orders", "status")
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if leader_id is None or leader_id == order.connection_id:
            return transition_order(order_id, to_status, actor=actor, user=user)

        leader = Connection.objects.get(pk=leader_id)
        if to_status == OrderStatus.CANCELLED:
            note = Translatable(gettext_lazy("Cancelled in Kontor before the order was sent to %(erp)s, so it was not sent"), erp=leader.name)
            change = cancel_before_leader_has_it(order_id, leader, actor=actor, user=user, note=note)
            if change is not None:
                return change
        raise LedElsewhere(
            _("%(erp)s leads the status of order %(order)s and may have it, so Kontor did not change it. Change the status in %(erp)s; Kontor takes it from there.")
            % {"erp": leader.name, "order": order.external_number},
            code="led_elsewhere",
        )


def cancel_before_leader_has_it(order_id, leader, *, actor, note, user=None, connection=None):
    """Cancel an order that `leader`, the system leading the order status, never received; return the history row or None.

    The leader would otherwise decide on a cancellation, but it cannot cancel an order it never
    saw. So when no attempt to send the order may have reached it (none was made, or each met an
    outage), its messages are withdrawn and the order is cancelled in one transaction, which also
    releases its units. None means the order
    may already be on its way, is cancelled already or can no longer be cancelled; the caller then
    leaves the decision to the leader. Used for shop cancellations and the admin's cancel action.
    """
    # Imported here: the framework's services import the canonical apps' models.
    from integrations.services.outbox import withdraw_unsent

    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if not can_transition(order.status, OrderStatus.CANCELLED):
            return None
        if not withdraw_unsent(order, leader, "orders"):
            return None
        change = transition_order(order_id, OrderStatus.CANCELLED, actor=actor, user=user, connection=connection, note=note)

    logger.info("Order cancelled before the leading system received it", extra={"order_id": order_id, "leader_connection_id": leader.pk, "actor": actor})
    return change


@transaction.atomic
def transition_order(order_id, to_status, *, actor, user=None, connection=None, note=""):
    """Move an order to `to_status` and write its history row; return the row, or None if already there.

    The order row is locked, so two writers of the same transition at the same moment
    produce one transition and one history row. A report that would move the order
    backwards is recorded with applied=False and changes nothing. Any other move the state
    machine does not allow raises InvalidTransition. `note` is plain text, or a Translatable
    that is stored in every language.
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    current = order.status
    if current == to_status:
        return None

    if not can_transition(current, to_status):
        if to_status in OrderStatus.values and current in OrderStatus.values and is_backwards(current, to_status):
            return OrderStatusChange.objects.create(
                order=order,
                from_status=current,
                to_status=to_status,
                applied=False,
                actor=actor,
                user=user,
                connection=connection,
                **_note_fields(note or Translatable(gettext_lazy("Not applied: the order is already further along."))),
            )
        raise InvalidTransition(
            _("Order %(order)s cannot move from %(current)s to %(target)s.") % {"order": order, "current": current, "target": to_status},
            code="invalid_transition",
        )

    order.status = to_status
    order.save(update_fields=["status", "updated_at"])
    change = OrderStatusChange.objects.create(
        order=order, from_status=current, to_status=to_status, actor=actor, user=user, connection=connection, **_note_fields(note)
    )

    if to_status == OrderStatus.CANCELLED and stock.release_order(order, reason=ReleaseReason.ORDER_CANCELLED):
        from catalog.services.availability import publish_order_availability

        publish_order_availability(order)

    logger.info("Order status changed", extra={"order_id": order.pk, "from": current, "to": to_status, "actor": actor})
    return change
