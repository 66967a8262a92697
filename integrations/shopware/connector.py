"""The Shopware 6 connector: catalog, prices and stock out; orders in; order status back out.

Orders come in by app webhook (checkout.order.placed and state events, signed with the shop
secret) and by a delta pull on updatedAt/createdAt as the safety net for a lost webhook.
Products and variants go out in Sync API batches (integrations.shopware.push); single
products, stock, prices, order status and tracking numbers go out through the outbox.
"""

import logging
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from integrations.domains import Domain
from integrations.errors import Conflict
from integrations.registry import Connector, CredentialField, Mode, Page, ValueKind
from integrations.services import unseen_sales
from integrations.services.deadlocks import run_retrying_deadlocks
from integrations.shopware import inbound, mappers, push, status, webhooks
from integrations.shopware.client import ShopwareClient
from integrations.shopware.inbound import ORDER_ASSOCIATIONS, channel_for
from orders.models import Order, Shipment

logger = logging.getLogger(__name__)

PAGE_SIZE = 100


def shop_context(client, connection):
    """Read the shop's currencies and tax id once per call site; see mappers.ShopContext."""
    credentials = connection.credentials
    tax_rate = Decimal(str(credentials.get("tax_rate") or mappers.DEFAULT_TAX_RATE))
    currencies = client.search("currency", {"includes": {"currency": ["id", "isoCode", "isSystemDefault"]}})["data"]
    taxes = client.search("tax", {"filter": [{"type": "equals", "field": "taxRate", "value": float(tax_rate)}], "limit": 1})["data"]
    default = next((c["isoCode"] for c in currencies if c.get("isSystemDefault")), "EUR")
    currency_ids = {c["isoCode"]: c["id"] for c in currencies}
    return mappers.ShopContext(
        currency_ids=currency_ids,
        default_currency=default,
        tax_id=taxes[0]["id"] if taxes else "",
        tax_rate=tax_rate,
        locale=credentials.get("locale") or mappers.DEFAULT_LOCALE,
        channel=channel_for(connection, shop_currencies=list(currency_ids)),
        price_list=credentials.get("price_list") or "",
    )


class ShopwareConnector(Connector):
    kind = "shopware"
    display_name = "Shopware 6"
    base_url_required = True
    reads = frozenset({Domain.ORDERS})
    writes = frozenset({Domain.PRODUCTS, Domain.PRICES, Domain.STOCK, Domain.ORDERS, Domain.SHIPMENTS})
    mode = Mode.BOTH
    # Stock and prices of many products go out in one Sync API request (deliver_batch).
    batch_entities = frozenset({Domain.STOCK, Domain.PRICES})
    stored_headers = ("sw-version", "sw-context-language")
    credential_fields = (
        CredentialField("access_key_id", _("access key ID"), secret=False, auth=True),
        CredentialField("secret_access_key", _("secret access key"), auth=True),
        CredentialField("shop_secret", _("app shop secret (checks webhook signatures)")),
        CredentialField("previous_shop_secret", _("previous shop secret, while rotating"), required=False),
        CredentialField("channel", _("sales channel code in Kontor (default: the connection slug)"), secret=False, required=False),
        CredentialField("tax_rate", _("tax rate of pushed products in % (default 19)"), secret=False, required=False, kind=ValueKind.PERCENT),
        CredentialField("locale", _("locale of product names (default de_DE)"), secret=False, required=False),
        CredentialField("price_list", _("price list code to push"), secret=False, required=False),
    )

    def client(self, connection, **options):
        return ShopwareClient(connection, **options)

    def health_check(self, connection):
        client = self.client(connection)
        body = client.search("currency", {"filter": [{"type": "equals", "field": "isSystemDefault", "value": True}], "limit": 1})
        currency = (body.get("data") or [{}])[0].get("isoCode", "?")
        return _("Connected to Shopware; default currency %(currency)s") % {"currency": currency}

    # Inbound

    def verify_webhook(self, connection, body, headers):
        credentials = connection.credentials
        webhooks.verify(body, headers, [credentials.get("shop_secret"), credentials.get("previous_shop_secret")])

    def parse_webhook(self, connection, body, headers, entity=None):
        return webhooks.parse(body)

    def process_inbound(self, event):
        if event.entity != Domain.ORDERS:
            return "ignored"
        connection = event.connection
        # New orders reserve stock while Odoo's stock is applied: a deadlock between them is
        # run again here instead of failing the order for good.
        return run_retrying_deadlocks(
            lambda: inbound.process_order(connection, event.payload, fetch=lambda order_id: self.fetch_order(connection, order_id), event=event)
        )

    def inbound_batch_started(self, connection, events):
        # Each order locks the stock levels of its products when it reserves. Locked here for
        # the whole batch in id order, a batch never holds one level while waiting for another.
        inbound.lock_stock_of_orders([event.payload for event in events if event.entity == Domain.ORDERS])

    def process_inbound_many(self, connection, events):
        # Plain new orders are written together. inbound.create_new_orders lists the events it
        # leaves to process_inbound.
        return inbound.create_new_orders(connection, [event for event in events if event.entity == Domain.ORDERS])

    def fetch_order(self, connection, order_id):
        body = self.client(connection).search("order", {"ids": [order_id], "associations": ORDER_ASSOCIATIONS})
        return (body.get("data") or [None])[0]

    def pull(self, connection, entity, cursor):
        """Read one page of orders changed since the cursor: updatedAt OR createdAt, stable order.

        Shopware leaves updatedAt empty until an order is first changed, so both fields are
        filtered. The cursor carries the page number, and a page shorter than PAGE_SIZE ends the run.
        """
        if entity != Domain.ORDERS:
            raise NotImplementedError(f"shopware does not pull {entity}")
        cursor = cursor or {}
        criteria = {
            "page": int(cursor.get("page", 1)),
            "limit": PAGE_SIZE,
            "sort": [{"field": "updatedAt", "order": "ASC"}, {"field": "createdAt", "order": "ASC"}, {"field": "id", "order": "ASC"}],
            "associations": ORDER_ASSOCIATIONS,
            "total-count-mode": 0,
        }
        since = cursor.get("updated_since")
        if since is not None:
            since_text = since.isoformat() if hasattr(since, "isoformat") else str(since)
            criteria["filter"] = [{"type": "multi", "operator": "OR", "queries": [
                {"type": "range", "field": "updatedAt", "parameters": {"gte": since_text}},
                {"type": "range", "field": "createdAt", "parameters": {"gte": since_text}},
            ]}]
        orders = self.client(connection).search("order", criteria).get("data") or []
        items = [webhooks.order_item(order, "pull") for order in orders]
        following = {**cursor, "page": criteria["page"] + 1} if len(orders) == PAGE_SIZE else None
        return Page(items=items, cursor=following)

    # Outbound

    def deliver(self, message):
        connection = message.connection
        client = self.client(connection)
        record = message.record
        if record is None:
            logger.info("Shopware delivery skipped, record deleted", extra={"outbound_message_id": message.pk})
            return None

        if message.entity == Domain.PRODUCTS:
            return self._deliver_product(client, connection, record)
        if message.entity in (Domain.STOCK, Domain.PRICES):
            return self._deliver_hot(client, connection, record, message.entity)
        if message.entity in (Domain.ORDERS, Domain.SHIPMENTS):
            order = record.order if isinstance(record, Shipment) else record
            if not isinstance(order, Order):
                raise TypeError(f"cannot push {type(record).__name__} as {message.entity} to Shopware")
            status.push_order(client, connection, order)
            return None
        raise NotImplementedError(f"shopware does not push {message.entity}")

    def deliver_batch(self, messages):
        """Send the stock and price messages of one connection in one Sync API request.

        Returns {message pk: Shopware product id, None when there was nothing to update, or the
        item's exception}. Each product's figure is read from the ledger now, as in deliver, so
        the shop gets the same or a newer figure than the message's payload. Stock figures are
        lowered by the units the shop sold that Kontor has not received yet (see
        integrations.services.unseen_sales).
        """
        connection = messages[0].connection
        client = self.client(connection)
        products = Product.objects.in_bulk([int(message.object_id) for message in messages])
        bindings = push.product_bindings(connection, list(products.values()))
        shop_ids = {product_id: binding.external_id for product_id, binding in bindings.items()}
        context = shop_context(client, connection) if any(m.entity == Domain.PRICES for m in messages) else None
        stock_ids = {int(message.object_id) for message in messages if message.entity == Domain.STOCK}
        stock_bindings = {product_id: binding for product_id, binding in bindings.items() if product_id in stock_ids}
        figures = push.stock_figures(client, connection, channel_for(connection), stock_bindings) if stock_bindings else {}

        results, operations, positions = {}, {}, {}
        # Products in id order, so two requests at once lock the shop's rows in the same order.
        ordered = sorted(messages, key=lambda message: shop_ids.get(int(message.object_id)) or "")
        for message in ordered:
            product = products.get(int(message.object_id))
            shop_id = shop_ids.get(product.pk) if product is not None else None
            if shop_id is None:
                # Deleted, or never reached the shop: its stock and price go out with the product.
                results[message.pk] = None
                continue
            if message.entity == Domain.STOCK:
                item = {"id": shop_id, "stock": figures[product.pk]}
            else:
                entries = mappers.price_entries(product, context)
                if not mappers.has_default_price(entries, context) and product.parent_id is None:
                    missing = mappers.MissingPrice(sku=product.sku, currency=context.default_currency, price_list=context.price_list)
                    results[message.pk] = push.ItemRejected.from_item_error(missing, connection.name)
                    continue
                item = {"id": shop_id, "price": entries}
            key = f"kontor-{message.entity}"
            payload = operations.setdefault(key, {"entity": "product", "action": "upsert", "payload": []})["payload"]
            positions[message.pk] = (key, len(payload))
            payload.append(item)
            results[message.pk] = shop_id

        if not operations:
            return results
        # No retries inside the call: the outbox retries the messages by its own policy, and a
        # waiting call would hold up every other stock figure behind it.
        status, body = client.sync(operations, retries=False)
        rejected = push.errors_by_record(body)
        sent = {}
        for message in messages:
            position = positions.get(message.pk)
            if position is None:
                continue
            if position in rejected:
                error = push.rejection(products[int(message.object_id)].sku, rejected[position])
                results[message.pk] = push.ItemRejected.from_item_error(error, connection.name)
            elif status == 400:
                # The shop rolled the whole request back for another item: send this one again.
                results[message.pk] = Conflict("rolled back with a rejected item", connection=connection.name, status=status)
            elif message.entity == Domain.STOCK:
                sent[int(message.object_id)] = figures[int(message.object_id)]
        unseen_sales.record_sent(stock_bindings, sent)
        return results

    def _deliver_product(self, client, connection, product):
        result = push.send_batch(client, connection, shop_context(client, connection), [product])
        if product.pk in result.failed:
            raise push.ItemRejected.from_item_error(result.failed[product.pk], connection.name)
        return mappers.product_id(product.sku)

    def _deliver_hot(self, client, connection, product, entity):
        if not isinstance(product, Product):
            raise TypeError(f"cannot push {type(product).__name__} as {entity} to Shopware")
        bindings = push.product_bindings(connection, [product])
        if product.pk not in bindings:
            # The product never reached the shop, so there is nothing to update. Its stock and
            # price are sent with the product when it is pushed.
            logger.debug("Shopware push skipped, product not in shop", extra={"connection_id": connection.pk, "product_id": product.pk, "entity": entity})
            return None
        shop_id = bindings[product.pk].external_id
        if entity == Domain.STOCK:
            figure = push.stock_figures(client, connection, channel_for(connection), bindings)[product.pk]
            client.call("PATCH", f"/api/product/{shop_id}", json={"stock": figure})
            unseen_sales.record_sent(bindings, {product.pk: figure})
            return shop_id
        context = shop_context(client, connection)
        entries = mappers.price_entries(product, context)
        if not mappers.has_default_price(entries, context) and product.parent_id is None:
            missing = mappers.MissingPrice(sku=product.sku, currency=context.default_currency, price_list=context.price_list)
            raise push.ItemRejected.from_item_error(missing, connection.name)
        client.call("PATCH", f"/api/product/{shop_id}", json={"price": entries})
        return shop_id
