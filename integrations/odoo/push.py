"""Orders and customers from Kontor to Odoo, created exactly once.

Odoo has no idempotency key, so the shop's order number is the key: it is the sale order's
client_order_ref, and every attempt searches for it before it creates anything.

How a second sale order is prevented:

1. A create whose answer was lost (a timeout after Odoo committed) is found by the next
   attempt's search, which then only binds and confirms it.
2. Two attempts for the same order do not run at once: the outbox leases a message to one
   worker for longer than the lane's task timeout, and a newer message for the same order waits
   until the older one is finished.
3. Search and create are still two Odoo transactions, so two attempts that overlapped anyway
   (a lease taken over from a worker that was only slow) could both create. Every attempt
   therefore searches again right after its create: the sale order with the lowest id is kept,
   and a later duplicate, still a draft because only the kept one is confirmed, is deleted by
   the attempt that created it.
"""

import logging

from django.db import transaction
from django.utils.translation import gettext, gettext_lazy

from catalog.models import Product
from core.money import quantize
from core.translation import Translatable
from integrations.errors import ValidationFailed
from integrations.models import Binding
from integrations.odoo import issues
from integrations.odoo.client import OdooClient
from integrations.odoo.inbound import confirm_orders
from integrations.odoo.mappers import (
    SHIPPING_PRODUCT_CODE,
    odoo_lines,
    partner_values,
    sale_order_values,
    to_amount,
)
from integrations.services.bindings import bind, bind_many, binding_for, bindings_of
from integrations.services.deadlocks import run_retrying_deadlocks
from orders.models import AddressKind, Order
from orders.services import set_attention_note

logger = logging.getLogger(__name__)

# Lookups that rarely change in Odoo (taxes, pricelists, countries), kept per process and
# per connection version, so an order costs no extra calls for them.
_lookups = {}

# Sale order states in which the order still waits for confirmation.
QUOTATION_STATES = ("draft", "sent")


def _cached(connection, kind, key, load):
    cache_key = (connection.pk, connection.updated_at, kind, key)
    if cache_key not in _lookups:
        value = load()
        if value is None:
            return None
        _lookups[cache_key] = value
    return _lookups[cache_key]


def confirms_orders(connection):
    """Return whether Kontor confirms the sale orders it creates (the connection's setting)."""
    return str(connection.credentials.get("confirm_orders", "true")).lower() not in ("false", "0", "no")


def deliver_order(connection, order_id, *, first_attempt=False):
    """Create the order in Odoo unless it is there already; return the sale order id.

    On a message's first attempt the search before the create is left out, because no earlier
    attempt of it can have created the sale order. An order that another message sent anyway is
    caught by the search after the create (step 3 of the module docstring).

    Once Kontor has confirmed the sale order, Odoo has reserved its stock, so the order is moved to
    confirmed and its reservation handed to Odoo's figure at once, as the pulled state change
    would do later; until then every channel would be sent the order's units subtracted twice.
    """
    order = (
        Order.objects.select_related("channel", "customer")
        .prefetch_related("lines", "addresses")
        .get(pk=order_id)
    )
    client = OdooClient(connection)
    reference = order.external_number

    existing = [] if first_attempt else _sale_orders_for(client, reference)
    if existing:
        sale_order = existing[0]
        logger.info(
            "odoo sale order found, not created again",
            extra={"order_id": order.pk, "sale_order_id": sale_order["id"], "connection_id": connection.pk},
        )
    else:
        sale_order = _create_sale_order(client, connection, order)

    confirmed = False
    if confirms_orders(connection) and sale_order["state"] in QUOTATION_STATES:
        _confirm(client, sale_order["id"])
        confirmed = True

    with transaction.atomic():
        bind(connection, order, sale_order["id"])
        _check_totals(connection, order, sale_order)
        if confirmed:
            confirm_orders(connection, [(order, sale_order.get("name") or "")])
    return str(sale_order["id"])


def deliver_orders(connection, messages):
    """Send the orders of many outbox messages to Odoo with a few calls for all of them.

    One search (on retries only), one partner search and create, one sale.order create with all
    orders, one search after it, one action_confirm and one stock read, instead of about six calls
    per order. The guarantees are deliver_order's: a retry finds what an earlier attempt created,
    and the search after the create keeps the oldest sale order per reference and deletes a
    duplicate this call created. Returns {message pk: sale order id, or that order's exception}.
    A batch that Odoo refuses as a whole is sent again one order at a time, so one bad order
    cannot hold up the others.
    """
    client = OdooClient(connection)
    orders = (
        Order.objects.select_related("channel", "customer")
        .prefetch_related("lines", "addresses")
        .in_bulk([int(message.object_id) for message in messages])
    )
    results = {}
    by_message = {}
    attempts = {message.pk: message.attempts for message in messages}
    for message in messages:
        order = orders.get(int(message.object_id))
        if order is None:
            results[message.pk] = Order.DoesNotExist(f"order {message.object_id} no longer exists")
        else:
            by_message[message.pk] = order

    retried = [order.external_number for pk, order in by_message.items() if attempts[pk] > 1]
    existing = _sale_orders_by_reference(client, retried)
    to_create = [order for order in by_message.values() if order.external_number not in existing]
    values, results_by_order = {}, {}
    partners = _partners_for(client, connection, to_create, results_by_order)
    lines_of = _odoo_lines_of([order for order in to_create if order.pk not in results_by_order], results_by_order)
    # One lookup of the products of all orders, instead of two queries per order.
    try:
        known_products = _product_ids_of(client, connection, {line.sku for lines in lines_of.values() for line in lines})
    except Exception as error:
        known_products = {}
        results_by_order.update(dict.fromkeys(lines_of, error))
    for order in to_create:
        if order.pk in results_by_order:
            continue
        try:
            values[order.pk] = _sale_order_values(client, connection, order, partners[order.pk], lines_of[order.pk], known_products)
        except Exception as error:
            results_by_order[order.pk] = error
    for order in _behind_unreachable_odoo(to_create, results_by_order):
        values.pop(order.pk, None)

    if values:
        try:
            created = client.call("sale.order", "create", vals_list=list(values.values()))
        except ValidationFailed:
            logger.warning("odoo refused an order batch, sending one by one", extra={"connection_id": connection.pk, "count": len(values)})
            return _deliver_one_by_one(connection, messages, by_message, results)
        created_ids = dict(zip(values, created if isinstance(created, list) else [created], strict=True))
        found = _sale_orders_by_reference(client, [orders[pk].external_number for pk in created_ids])
        duplicates = [sale_id for pk, sale_id in created_ids.items() if found[orders[pk].external_number][0]["id"] != sale_id]
        if duplicates:
            client.call("sale.order", "unlink", ids=duplicates)
            logger.warning("odoo duplicate sale orders deleted", extra={"connection_id": connection.pk, "deleted_ids": duplicates})
        existing.update(found)

    kept = {order.pk: existing[order.external_number][0] for order in by_message.values() if order.external_number in existing}
    confirming = [sale for sale in kept.values() if sale["state"] in QUOTATION_STATES] if confirms_orders(connection) else []
    if confirming:
        _confirm_many(client, [sale["id"] for sale in confirming])
    confirmed_ids = {sale["id"] for sale in confirming}

    def record():
        # One INSERT for all bindings and a few statements for all confirmations, not a few per order.
        bind_many(connection, [(orders[pk], sale_order["id"]) for pk, sale_order in kept.items()])
        confirmed = []
        for pk, sale_order in kept.items():
            order = orders[pk]
            _check_totals(connection, order, sale_order)
            if sale_order["id"] in confirmed_ids:
                confirmed.append((order, sale_order.get("name") or ""))
        confirm_orders(connection, confirmed)

    # The sale orders exist in Odoo now; a deadlock must not turn them into failed messages.
    run_retrying_deadlocks(record)

    for message_pk, order in by_message.items():
        if order.pk in kept:
            results[message_pk] = str(kept[order.pk]["id"])
        else:
            results[message_pk] = results_by_order.get(order.pk) or RuntimeError(f"order {order.external_number} was not created")
    logger.info("odoo order batch sent", extra={"connection_id": connection.pk, "count": len(kept)})
    return results


def _deliver_one_by_one(connection, messages, by_message, results):
    attempts = {message.pk: message.attempts for message in messages}
    unreachable = None
    for message_pk, order in by_message.items():
        if unreachable is not None:
            results[message_pk] = unreachable
            continue
        try:
            results[message_pk] = deliver_order(connection, order.pk, first_attempt=attempts[message_pk] <= 1)
        except Exception as error:
            results[message_pk] = error
            # Orders go to Odoo in placement order: none may overtake one that Odoo could not take.
            unreachable = error if getattr(error, "connection_wide", False) else None
    return results


def _behind_unreachable_odoo(orders, failures):
    """Give the orders after the first one that failed for want of Odoo that one's error; return them.

    `orders` are in placement order and `failures` is {order pk: exception}. Orders go to Odoo
    in placement order, so none may be created while an older one waits for Odoo to be reachable
    again (see batches.due_messages). An order that failed on its own data blocks none.
    """
    blocked = []
    unreachable = None
    for order in orders:
        error = failures.get(order.pk)
        if unreachable is None and getattr(error, "connection_wide", False):
            unreachable = error
        elif unreachable is not None and error is None:
            failures[order.pk] = unreachable
            blocked.append(order)
    return blocked


def _sale_orders_by_reference(client, references):
    """Return {client_order_ref: [sale orders not cancelled, oldest first]} for many references."""
    if not references:
        return {}
    rows = client.search_read(
        "sale.order",
        [["client_order_ref", "in", sorted(set(references))], ["state", "!=", "cancel"]],
        ["id", "name", "state", "client_order_ref", "amount_total", "amount_untaxed", "amount_tax"],
        order="id asc",
    )
    found = {}
    for row in rows:
        found.setdefault(row["client_order_ref"], []).append(row)
    return found


def _confirm_many(client, sale_order_ids):
    try:
        client.call("sale.order", "action_confirm", ids=sale_order_ids)
    except ValidationFailed:
        # One of them could not be confirmed (or was confirmed meanwhile): confirm them one by one.
        for sale_order_id in sale_order_ids:
            _confirm(client, sale_order_id)


def _odoo_lines_of(orders, failures):
    """Return {order pk: Odoo lines} of many orders. An order whose lines cannot be built gets its exception in `failures`."""
    lines_of = {}
    for order in orders:
        try:
            lines_of[order.pk] = odoo_lines(order, list(order.lines.all()))
        except Exception as error:
            failures[order.pk] = error
    return lines_of


def _sale_order_values(client, connection, order, partner_id, lines, known_products):
    addresses = {address.kind: address for address in order.addresses.all()}
    return sale_order_values(
        order,
        lines,
        partner_id=partner_id,
        shipping_partner_id=_shipping_partner(client, connection, order, partner_id, addresses),
        pricelist_id=_pricelist_id(client, connection, order),
        product_ids=_product_ids(client, connection, order, {line.sku for line in lines}, known=known_products),
        tax_ids=_tax_ids(client, connection, order, {line.tax_rate for line in lines}),
    )


def _partners_for(client, connection, orders, failures):
    """Return {order pk: res.partner id} for many orders: one search, one create for the new ones.

    The rule is ensure_partner's: a bound registered customer keeps its partner, anyone else is
    found by email, and a buyer Odoo does not know yet is created. An order whose partner cannot
    be made gets its exception in `failures`.
    """
    partners, by_email = {}, {}
    customer_bindings = bindings_of(connection, {order.customer.pk: order.customer for order in orders if order.customer is not None}.values())
    for order in orders:
        customer = order.customer
        binding = customer_bindings.get(customer.pk) if customer is not None else None
        if binding is not None:
            partners[order.pk] = int(binding.external_id)
            continue
        email = (order.email or (customer.email if customer else "")).strip().lower()
        # Buyers without an email cannot be matched, so each gets a partner of its own.
        by_email.setdefault(email or f"order:{order.pk}", []).append(order)

    emails = sorted(email for email in by_email if not email.startswith("order:"))
    known = {}
    if emails:
        terms = [["email", "=ilike", email] for email in emails]
        domain = ["|"] * (len(terms) - 1) + terms + [["parent_id", "=", False]]
        for row in client.search_read("res.partner", domain, ["id", "email"], order="id asc"):
            known.setdefault(str(row["email"]).strip().lower(), row["id"])

    new = []
    for email, email_orders in by_email.items():
        if email in known:
            continue
        order = email_orders[0]
        addresses = {address.kind: address for address in order.addresses.all()}
        billing = addresses.get(AddressKind.BILLING)
        customer = order.customer
        ref = f"KONTOR-C{customer.pk}" if customer is not None and not customer.is_guest else ""
        try:
            address_email = "" if email.startswith("order:") else email
            values = partner_values(address_email, billing, _country_id(client, connection, order, billing), ref=ref)
        except Exception as error:
            for failed in email_orders:
                failures[failed.pk] = error
            continue
        new.append((email, values))
    if new:
        created = client.call("res.partner", "create", vals_list=[values for _email, values in new])
        known.update(zip([email for email, _values in new], created, strict=True))

    customers = {}
    for email, email_orders in by_email.items():
        for order in email_orders:
            if order.pk in failures:
                continue
            partners[order.pk] = known[email]
            customer = order.customer
            if customer is not None and not customer.is_guest:
                customers.setdefault(customer.pk, (customer, known[email]))
    bind_many(connection, customers.values())
    return partners


def _sale_orders_for(client, reference):
    """Return the sale orders with this client reference that are not cancelled, oldest first."""
    return client.search_read(
        "sale.order",
        [["client_order_ref", "=", reference], ["state", "!=", "cancel"]],
        ["id", "name", "state", "amount_total", "amount_untaxed", "amount_tax"],
        order="id asc",
    )


def _create_sale_order(client, connection, order):
    lines = odoo_lines(order, list(order.lines.all()))
    addresses = {address.kind: address for address in order.addresses.all()}
    partner_id = ensure_partner(client, connection, order, addresses.get(AddressKind.BILLING))
    shipping_partner_id = _shipping_partner(client, connection, order, partner_id, addresses)

    values = sale_order_values(
        order,
        lines,
        partner_id=partner_id,
        shipping_partner_id=shipping_partner_id,
        pricelist_id=_pricelist_id(client, connection, order),
        product_ids=_product_ids(client, connection, order, {line.sku for line in lines}),
        tax_ids=_tax_ids(client, connection, order, {line.tax_rate for line in lines}),
    )
    created_id = client.create("sale.order", values)

    # Step 3 of the module docstring: keep the oldest if an overlapping attempt also created one.
    found = _sale_orders_for(client, order.external_number)
    kept = found[0] if found else {"id": created_id, "state": "draft", "amount_total": None}
    if kept["id"] != created_id:
        client.call("sale.order", "unlink", ids=[created_id])
        logger.warning(
            "odoo duplicate sale order deleted",
            extra={"order_id": order.pk, "kept_id": kept["id"], "deleted_id": created_id},
        )
    else:
        logger.info("odoo sale order created", extra={"order_id": order.pk, "sale_order_id": created_id})
    return kept


def _confirm(client, sale_order_id):
    try:
        client.call("sale.order", "action_confirm", ids=[sale_order_id])
    except ValidationFailed:
        # An overlapping attempt may have confirmed it a moment ago; that is the outcome we want.
        state = client.read("sale.order", [sale_order_id], ["state"])
        if not state or state[0]["state"] in QUOTATION_STATES:
            raise


def _check_totals(connection, order, sale_order):
    """Flag the order when Odoo's total differs from the shop's; Kontor keeps the shop's total."""
    if sale_order.get("amount_total") in (None, False):
        return
    odoo_total = to_amount(sale_order["amount_total"], order.currency)
    if odoo_total == order.total_gross:
        return
    template = gettext_lazy(
        "%(connection)s computed a total of %(odoo)s %(currency)s for sale order %(name)s, "
        "but the shop's total is %(shop)s %(currency)s. Kontor keeps the shop's total; correct "
        "the sale order in Odoo before invoicing."
    )
    note = Translatable(
        template,
        connection=connection.name,
        odoo=odoo_total,
        shop=quantize(order.total_gross, order.currency),
        currency=order.currency,
        name=sale_order.get("name") or sale_order["id"],
    )
    # Only the note columns are written, so a status the orders loop applies meanwhile stays.
    fields = set_attention_note(order, note, append=True)
    Order.objects.filter(pk=order.pk).update(**{name: getattr(order, name) for name in fields})
    logger.warning(
        "odoo order total differs from shop total",
        extra={"order_id": order.pk, "sale_order_id": sale_order["id"], "difference": str(odoo_total - order.total_gross)},
    )


# Partners


def ensure_partner(client, connection, order, billing):
    """Return the res.partner id of the order's buyer, creating the partner when missing.

    A registered customer is bound to its partner; a guest is found by email.
    """
    customer = order.customer
    if customer is not None:
        binding = binding_for(connection, customer)
        if binding is not None:
            return int(binding.external_id)

    email = (order.email or (customer.email if customer else "")).strip().lower()
    found = client.search_read(
        "res.partner", [["email", "=ilike", email], ["parent_id", "=", False]], ["id"], limit=1, order="id asc"
    ) if email else []
    if found:
        partner_id = found[0]["id"]
    else:
        ref = f"KONTOR-C{customer.pk}" if customer is not None and not customer.is_guest else ""
        values = partner_values(email, billing, _country_id(client, connection, order, billing), ref=ref)
        partner_id = client.create("res.partner", values)

    if customer is not None and not customer.is_guest:
        bind(connection, customer, partner_id)
    return partner_id


def _same_place(first, second):
    fields = ("street", "street2", "postal_code", "city", "country", "last_name", "company")
    return all(str(getattr(first, name)) == str(getattr(second, name)) for name in fields)


def _shipping_partner(client, connection, order, partner_id, addresses):
    """Return the delivery partner: the buyer, or a delivery contact under it for another address."""
    shipping = addresses.get(AddressKind.SHIPPING)
    billing = addresses.get(AddressKind.BILLING)
    if shipping is None or billing is None or _same_place(shipping, billing):
        return partner_id
    found = client.search_read(
        "res.partner",
        [
            ["parent_id", "=", partner_id],
            ["type", "=", "delivery"],
            ["street", "=", shipping.street],
            ["zip", "=", shipping.postal_code or False],
            ["city", "=", shipping.city],
        ],
        ["id"],
        limit=1,
    )
    if found:
        return found[0]["id"]
    values = partner_values(
        order.email, shipping, _country_id(client, connection, order, shipping), parent_id=partner_id, kind="delivery"
    )
    return client.create("res.partner", values)


def _country_id(client, connection, order, address):
    if address is None or not address.country:
        return None
    code = str(address.country)

    def load():
        found = client.search_read("res.country", [["code", "=", code]], ["id"], limit=1)
        return found[0]["id"] if found else None

    country_id = _cached(connection, "country", code, load)
    if country_id is None:
        raise issues.CountryMissing(connection=connection.name, country=code, order=order.external_number)
    return country_id


# Products, taxes and pricelists


def _product_ids(client, connection, order, skus, *, known=None):
    """Return {SKU: product.product id} of one order's SKUs; raise ProductMissing for any Odoo lacks.

    `known` is the result of _product_ids_of for the SKUs of a whole batch of orders.
    """
    skus = set(skus)
    ids = _product_ids_of(client, connection, skus) if known is None else known
    missing = sorted(sku for sku in skus if sku not in ids)
    if missing:
        raise issues.ProductMissing(connection=connection.name, skus=", ".join(missing), order=order.external_number)
    return {sku: ids[sku] for sku in skus}


def _product_ids_of(client, connection, skus):
    """Return {SKU: product.product id} of those SKUs Odoo has: from bindings first, from Odoo for the rest."""
    skus = set(skus)
    if not skus:
        return {}
    shipping = SHIPPING_PRODUCT_CODE in skus
    skus.discard(SHIPPING_PRODUCT_CODE)
    products = {product.sku: product for product in Product.objects.filter(sku__in=skus)}
    bound = {
        row.object_id: int(row.external_id)
        for row in Binding.objects.filter(
            connection=connection,
            content_type__app_label="catalog",
            content_type__model="product",
            object_id__in=[str(product.pk) for product in products.values()],
        )
    }
    ids = {sku: bound[str(product.pk)] for sku, product in products.items() if str(product.pk) in bound}

    missing = sorted(set(skus) - set(ids))
    if missing:
        rows = client.search_read("product.product", [["default_code", "in", missing]], ["id", "default_code"])
        for row in rows:
            ids[row["default_code"]] = row["id"]
        bind_many(connection, [(products[row["default_code"]], row["id"]) for row in rows if row["default_code"] in products])

    if shipping:
        ids[SHIPPING_PRODUCT_CODE] = _shipping_product_id(client, connection)
    return ids


def _shipping_product_id(client, connection):
    """Return the id of Odoo's shipping product, found or created once per process and connection.

    It is no catalog product, so it has no binding, and without this cache every order
    searched for it.
    """

    def load():
        found = client.search_read("product.product", [["default_code", "=", SHIPPING_PRODUCT_CODE]], ["id"], limit=1)
        if found:
            return found[0]["id"]
        return client.create(
            "product.product",
            {"name": "Shipping", "default_code": SHIPPING_PRODUCT_CODE, "type": "service", "sale_ok": True},
        )

    return _cached(connection, "product", SHIPPING_PRODUCT_CODE, load)


def _tax_ids(client, connection, order, rates):
    """Return {(rate, price included): account.tax id}; a zero rate without a tax gives False."""
    included = order.prices_include_tax
    ids = {}
    for rate in rates:
        def load(rate=rate):
            found = client.search_read(
                "account.tax",
                [
                    ["type_tax_use", "=", "sale"],
                    ["amount_type", "=", "percent"],
                    ["amount", "=", float(rate)],
                    ["price_include", "=", included],
                ],
                ["id"],
                limit=1,
                order="id asc",
            )
            return found[0]["id"] if found else None

        tax_id = _cached(connection, "tax", (str(rate), included), load)
        if tax_id is None:
            if rate == 0:
                tax_id = False
            else:
                basis = gettext("price includes tax") if included else gettext("price excludes tax")
                raise issues.TaxMissing(connection=connection.name, rate=rate, basis=basis, order=order.external_number)
        ids[(rate, included)] = tax_id
    return ids


def _pricelist_id(client, connection, order):
    def load():
        found = client.search_read(
            "product.pricelist", [["currency_id.name", "=", order.currency]], ["id"], limit=1, order="id asc"
        )
        return found[0]["id"] if found else None

    pricelist_id = _cached(connection, "pricelist", order.currency, load)
    if pricelist_id is None:
        raise issues.PricelistMissing(connection=connection.name, currency=order.currency, order=order.external_number)
    return pricelist_id


# Customers


def deliver_customer(connection, customer_id):
    """Create or update the customer's partner in Odoo; return the partner id."""
    from customers.models import Customer

    customer = Customer.objects.get(pk=customer_id)
    client = OdooClient(connection)
    address = customer.addresses.filter(kind="billing", is_default=True).first()
    country_id = None
    if address is not None:
        country_id = _cached(
            connection, "country", str(address.country),
            lambda: next(iter(client.search_read("res.country", [["code", "=", str(address.country)]], ["id"], limit=1)), {}).get("id"),
        )
    values = partner_values(customer.email, address, country_id, ref=f"KONTOR-C{customer.pk}")

    binding = binding_for(connection, customer)
    partner_id = int(binding.external_id) if binding else None
    if partner_id is None:
        found = client.search_read("res.partner", [["ref", "=", f"KONTOR-C{customer.pk}"]], ["id"], limit=1, order="id asc")
        partner_id = found[0]["id"] if found else None
    if partner_id is None:
        partner_id = client.create("res.partner", values)
    else:
        client.write("res.partner", [partner_id], values)
    bind(connection, customer, partner_id)
    return str(partner_id)
