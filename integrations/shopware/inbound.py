"""Applying inbound Shopware orders to the canonical order service, exactly once.

create_order returns the existing order for a known channel and order number, so the same
order arriving by webhook, as a duplicate and by the delta pull is created once. An order
that fails validation raises OrderRejected: the inbox keeps the event as failed with a sync
error that names every problem, and no part of the order is saved.
"""

import logging
from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from catalog.models import Channel, Product
from catalog.services import stock
from catalog.services.availability import publish_order_availability
from core.translation import Translatable
from integrations.itemerrors import NoLeadingSystem
from integrations.models import Binding, Connection, OutboundMessage
from integrations.services.bindings import bind, forget_pushed
from integrations.services.leading import apply_inbound_changes, leading_connection_id
from integrations.shopware import order_mapper
from orders.erpstate import UNFINISHED_STATES, ErpState, with_erp_state
from orders.models import Order, OrderLine, OrderStatus
from orders.services import (
    InvalidTransition,
    cancel_before_leader_has_it,
    create_order,
    create_orders,
    set_attention_note,
    transition_order,
)

logger = logging.getLogger(__name__)

# Listed inside OrderRejected's message, which adds the final period.
NO_CURRENCIES = gettext_lazy(
    "channel %(channel)s has no currencies and %(shop)s listed none, so Kontor cannot check the order's currency. "
    "Add the currencies that the shop sells to the channel in Kontor"
)
INVALID_STATE = gettext_lazy(
    "Shopware sent the order without a readable order status. Ask the person who set up the Kontor app in "
    "Shopware to send orders with their status"
)

# The note of the history row that cancels an order which arrived cancelled.
CANCELLED_ON_ARRIVAL = gettext_lazy("Cancelled in Shopware before Kontor received the order")
# The note of the history row that cancels an order whose ERP message was withdrawn.
CANCELLED_BEFORE_ERP = gettext_lazy("Cancelled in %(shop)s before the order was sent to %(erp)s, so it was not sent")

# orderCustomer.customer carries the customer's `guest` flag, which marks a guest order.
ORDER_ASSOCIATIONS = {
    "lineItems": {}, "deliveries": {}, "transactions": {}, "currency": {}, "billingAddress": {},
    "orderCustomer": {"associations": {"customer": {}}}, "stateMachineState": {},
}


def channel_code(connection):
    """Return the code of a connection's sales channel: the `channel` setting, else its slug."""
    return connection.credentials.get("channel") or connection.slug


def channel_for(connection, *, shop_currencies=None):
    """Return the sales channel of a connection: the `channel` setting, else its slug.

    NOTE: the Connection model has no channel field yet, so the channel is found by code and
    created when it is missing. A channel without currencies would accept an order in any
    currency (Channel.sells_in), so it gets the shop's currencies: `shop_currencies` when the
    caller has read them, else one read from the shop (shop_currency_codes).
    """
    # Kept on the connection instance, which lives for one batch of events or one pull run,
    # so a batch of orders reads it once. A channel created or given its currencies here is not
    # kept, because the savepoint of an order that fails rolls that write back. The next order
    # then writes it again from the currencies kept on the connection.
    channel = connection.__dict__.get("_shopware_channel")
    if channel is not None:
        return channel
    code = channel_code(connection)
    channel = Channel.objects.filter(code=code).first()
    if channel is not None and channel.currencies:
        connection.__dict__["_shopware_channel"] = channel
        return channel

    if shop_currencies is not None:
        connection.__dict__["_shopware_currencies"] = sorted(set(shop_currencies))
    currencies = shop_currency_codes(connection)
    if channel is None:
        channel, _created = Channel.objects.get_or_create(code=code, defaults={"name": connection.name, "currencies": currencies})
    if not channel.currencies and currencies:
        channel.currencies = currencies
        channel.save(update_fields=["currencies", "updated_at"])
        logger.info("Shopware channel given the shop's currencies", extra={"connection_id": connection.pk, "channel": code, "currencies": currencies})
    return channel


def shop_currency_codes(connection):
    """Return the sorted ISO 4217 codes of the shop's currencies, read once per connection instance.

    NOTE: these are all currencies of the shop, not those assigned to one Shopware sales channel.
    """
    codes = connection.__dict__.get("_shopware_currencies")
    if codes is None:
        body = connection.connector.client(connection).search("currency", {"includes": {"currency": ["isoCode"]}})
        codes = sorted({str(record["isoCode"]) for record in body.get("data") or [] if isinstance(record, dict) and record.get("isoCode")})
        connection.__dict__["_shopware_currencies"] = codes
    return codes


def actor_of(connection):
    return f"shopware:{connection.slug}"


def lock_stock_of_orders(orders):
    """Lock the stock levels of every product on these Shopware orders, in id order.

    Orders that only name an id (order.written) are left out; they lock their levels when
    they are read.
    """
    skus = set()
    for order in orders:
        skus |= _skus_of(order)
    if skus:
        stock.lock_stock_levels(Product.objects.filter(sku__in=skus).values_list("pk", flat=True))


def _skus_of(order):
    """Return the product numbers on the line items of a Shopware order; malformed lines are left out.

    A malformed line is reported when its order is processed, not here.
    """
    skus = set()
    items = order.get("lineItems") if isinstance(order, dict) else None
    for item in items if isinstance(items, list) else []:
        payload = item.get("payload") if isinstance(item, dict) else None
        sku = payload.get("productNumber") if isinstance(payload, dict) else None
        if isinstance(sku, str) and sku:
            skus.add(sku)
    return skus


def create_new_orders(connection, events):
    """Create the plain new orders among a batch's order events together; return {event pk: "created"}.

    The orders are written with a fixed number of statements (orders.services.create_orders)
    and bound to their Shopware ids with one INSERT. Every other event is left to
    process_order, which runs after the orders created here, so an event is taken only when
    that order of work changes nothing:

    - Left out are events that name only an id (order.written), cancelled orders, and orders
      whose state is not an object. So are an order number or Shopware id that came earlier in
      the batch, payloads without an id, and orders that fail mapping or validation or are known
      already. process_order handles them as before and records the same sync errors.
    - An event left out may reserve or release the stock of its products, so a later order
      with one of those products is left out as well. An order.written event names no
      products, so every order after it is left out.
    - A cancellation releases the stock of the order as Kontor stored it, whose lines may
      differ from the lines in the cancelled payload (an order edited in the shop, or a state
      event without line items). So a left-out event also blocks the products of the stored
      order with its number and of the earlier events of the batch with its number.
    """
    channel = channel_for(connection)
    if not channel.currencies:
        # process_order rejects each order, because its currency cannot be checked.
        return {}
    stored_skus = _stored_skus_of_cancelled(channel, events)
    skus_by_number = defaultdict(set)
    shop_ids = set()
    blocked_skus = set()
    all_blocked = False
    new_orders = []
    for event in events:
        order = event.payload
        if not isinstance(order, dict) or order.get("fetch"):
            # The order is read from the shop later and may reserve any product.
            all_blocked = True
            continue

        skus = _skus_of(order)
        number = order_mapper.order_number_of(order)
        # An id that came earlier under another number (a renumbered order) is bound by that
        # earlier event first, one by one.
        shop_id = str(order.get("id"))
        seen = number in skus_by_number or shop_id in shop_ids
        shop_ids.add(shop_id)
        if all_blocked or seen or skus & blocked_skus or not _open_with_id(order):
            blocked_skus |= skus | skus_by_number[number] | stored_skus.get(number, set())
            skus_by_number[number] |= skus
            continue
        skus_by_number[number] |= skus

        try:
            data = order_mapper.order_input(order, channel=channel, connection=connection)
        except Exception:
            # process_order maps the order again, fails and records the failure for the event.
            continue
        new_orders.append((event, order, data))
    if not new_orders:
        return {}

    results = create_orders([data for _event, _order, data in new_orders], actor=actor_of(connection))
    content_type = ContentType.objects.get_for_model(Order)
    outcomes = {}
    bindings = []
    for (event, order, _data), result in zip(new_orders, results, strict=True):
        # None: known already or invalid, left to process_order.
        if result is None:
            continue
        bindings.append(Binding(connection=connection, content_type=content_type, object_id=str(result.order.pk), external_id=str(order["id"])))
        outcomes[event.pk] = "created"
    Binding.objects.bulk_create(bindings)
    return outcomes


def _stored_skus_of_cancelled(channel, events):
    """Return {order number: SKUs of its stored lines} for the cancelled orders among `events`.

    One query, and none when the batch contains no cancellation.
    """
    numbers = {
        order_mapper.order_number_of(event.payload)
        for event in events
        if isinstance(event.payload, dict) and not event.payload.get("fetch") and _state_of(event.payload) == "cancelled"
    }
    if not numbers:
        return {}
    stored = defaultdict(set)
    lines = OrderLine.objects.filter(order__channel=channel, order__external_number__in=sorted(numbers))
    for number, sku, product_sku in lines.values_list("order__external_number", "sku", "product__sku"):
        stored[number] |= {sku, product_sku} - {None}
    return stored


def _state_of(order):
    state_machine = order.get("stateMachineState")
    return state_machine.get("technicalName") if isinstance(state_machine, dict) else None


def _open_with_id(order):
    """Return whether a full Shopware order has an id and a state other than cancelled."""
    state_machine = order.get("stateMachineState") or {}
    return isinstance(state_machine, dict) and state_machine.get("technicalName") != "cancelled" and "id" in order


def process_order(connection, order, fetch, event=None):
    """Create or update the canonical order for a Shopware order; return the outcome.

    `event` is the inbound event that brought the order, named in a conflict that it causes.
    An order that arrives cancelled is stored cancelled when Kontor does not have it yet. For an
    order that Kontor has, the cancellation goes through the leading-system rule.
    """
    fetched = bool(order.get("fetch"))
    if fetched:
        order = fetch(order["id"])
        if order is None:
            return "ignored"

    channel = channel_for(connection)
    if not channel.currencies:
        raise order_mapper.OrderRejected(
            number=order_mapper.order_number_of(order), problems=Translatable(NO_CURRENCIES, channel=channel.name or channel.code, shop=connection.name)
        )
    try:
        order, data = _complete_order_input(order, channel=channel, connection=connection, fetch=None if fetched else fetch)
    except ValidationError as error:
        raise order_mapper.reject(order_mapper.order_number_of(order), error) from None
    if not isinstance(order.get("stateMachineState") or {}, dict):
        raise order_mapper.OrderRejected(number=order_mapper.order_number_of(order), problems=Translatable(INVALID_STATE), fields="stateMachineState")
    state = _state_of(order)
    try:
        if state == "cancelled":
            # An order that Kontor has not stored yet has reached no other system, so the leading
            # system of the order status does not decide on it yet. Stored cancelled, it reserves
            # no stock and is sent nowhere. An order that Kontor has already is returned unchanged.
            result = create_order(data, actor=actor_of(connection), status=OrderStatus.CANCELLED, note=Translatable(CANCELLED_ON_ARRIVAL))
        else:
            result = create_order(data, actor=actor_of(connection))
    except ValidationError as error:
        raise order_mapper.reject(order_mapper.order_number_of(order), error) from None

    if result.created:
        # A new order has no binding yet, so it is inserted without looking for one first.
        Binding.objects.create(
            connection=connection, content_type=ContentType.objects.get_for_model(result.order), object_id=str(result.order.pk), external_id=str(order["id"])
        )
        return "created"

    bind(connection, result.order, order["id"])
    if state == "cancelled":
        return "updated" if _apply_cancellation(connection, result.order, event) else "skipped"
    return "skipped"


def _complete_order_input(order, *, channel, connection, fetch):
    """Return the order and its OrderInput, read again from the shop if the webhook left a part out.

    A business event carries the order with the associations that Shopware loaded for it, which
    may lack some that Kontor needs. The order is then read with all of them (ORDER_ASSOCIATIONS),
    once, so such an order is imported at once and a retry reads it again too. `fetch` is None
    for an order that was read from the shop already. An order the shop no longer has, or that
    lacks the part there too, is rejected with the webhook's problems or the shop copy's.
    """
    try:
        return order, order_mapper.order_input(order, channel=channel, connection=connection)
    except order_mapper.OrderRejected as rejected:
        if fetch is None or not rejected.missing_part or not order.get("id"):
            raise
        logger.info("Shopware order incomplete in its webhook, read from the shop", extra={"connection_id": connection.pk, "shopware_order_id": order["id"]})
        complete = fetch(order["id"])
        if complete is None:
            raise
    return complete, order_mapper.order_input(complete, channel=channel, connection=connection)


def _cancelled_before_leader_got_it(connection, order):
    """Apply the shop's cancellation of an order that the leading system of the order status never received; return True if done."""
    leader_id = leading_connection_id("orders", "status")
    if leader_id is None or leader_id == connection.pk:
        return False

    leader = Connection.objects.get(pk=leader_id)
    note = Translatable(CANCELLED_BEFORE_ERP, shop=connection.name, erp=leader.name)
    change = cancel_before_leader_has_it(order.pk, leader, actor=actor_of(connection), connection=connection, note=note)
    return change is not None


def _cancellation_note(connection, order):
    """Return the attention note for a shop cancellation that the order status's leading system must confirm."""
    leader_id = leading_connection_id("orders", "status")
    leader = Connection.objects.filter(pk=leader_id).values_list("name", flat=True).first() or "-"
    state = with_erp_state(Order.objects.filter(pk=order.pk), leader_id).values_list("erp_state", flat=True).first()
    on_its_way = OutboundMessage.objects.filter(
        connection_id=leader_id, entity="orders", content_type=ContentType.objects.get_for_model(Order),
        object_id=str(order.pk), state__in=UNFINISHED_STATES,
    )
    if state == ErpState.WAITING and on_its_way.exists():
        # A message is being sent or retried, and an attempt may have reached the leader, which
        # has not confirmed the order yet, so support would not find it there now.
        return Translatable(
            gettext_lazy(
                "Cancelled in %(shop)s while the order was on its way to %(leader)s. An attempt to send it "
                "may have reached %(leader)s, so Kontor did not cancel the order, and its units stay held "
                "for it. Kontor keeps sending it, and %(leader)s finds it by its order number, so it is not "
                "created twice. Once the order shows in %(leader)s, cancel it there if the cancellation is "
                "right; then select the conflict under Conflicts and run \"Mark resolved\"."
            ),
            shop=connection.name, leader=leader,
        )
    return Translatable(
        gettext_lazy(
            "Cancelled in %(shop)s, but %(leader)s leads the order status, so Kontor did not cancel "
            "the order, and its units stay held for it. If the cancellation is right, cancel the "
            "order in %(leader)s; then select the conflict under Conflicts and run \"Mark resolved\"."
        ),
        shop=connection.name, leader=leader,
    )


def _apply_cancellation(connection, order, event=None):
    """Cancel the canonical order if this connection may set its status; return True if applied."""
    if order.status == OrderStatus.CANCELLED:
        return False
    if _cancelled_before_leader_got_it(connection, order):
        return True
    try:
        # The conflict names the event, so support can open the webhook that brought the cancellation.
        allowed = apply_inbound_changes(connection, "orders", order, {"status": {"status": OrderStatus.CANCELLED}}, event=event)
        may_cancel = bool(allowed)
    except NoLeadingSystem:
        # No rule for orders at all: the shop that took the order decides on its cancellation.
        may_cancel = True
    if not may_cancel:
        # Shopware has put the order's units back into its own stock, but Kontor keeps the
        # reservation until the leading system cancels the order. Sending Kontor's figure again
        # takes those units back out of the shop once the message is delivered.
        products = [line.product for line in order.lines.select_related("product") if line.product_id]
        forget_pushed(connection, products)
        publish_order_availability(order)
        # The merchant must decide, because the order may already be on its way. The conflict
        # alone would only show under Conflicts, so the order is flagged in the order list too.
        order.save(update_fields=set_attention_note(order, _cancellation_note(connection, order), append=True))
        logger.info("Shopware cancellation recorded as a conflict; stock sent again", extra={"order_id": order.pk, "connection_id": connection.pk})
        return False
    try:
        transition_order(order.pk, OrderStatus.CANCELLED, actor=actor_of(connection), connection=connection, note=Translatable(gettext_lazy("Cancelled in Shopware")))
    except InvalidTransition:
        logger.warning("Shopware cancellation not applied", extra={"order_id": order.pk, "status": order.status})
        return False
    return True

