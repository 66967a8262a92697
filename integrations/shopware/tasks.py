"""Lane tasks of the Shopware connector. Each takes ids, reloads its rows and is safe to run twice."""

import logging

from catalog.models import Product
from integrations.models import Connection
from integrations.services import cursors, unseen_sales
from integrations.shopware import push
from integrations.shopware.connector import shop_context
from integrations.shopware.inbound import channel_for

logger = logging.getLogger(__name__)

STOCK_BATCH_SIZE = 500


def _connection(connection_id):
    return Connection.objects.filter(pk=connection_id, kind="shopware", enabled=True).first()


def push_catalog(connection_id, product_ids=None, progress=None):
    """Push all products (or `product_ids`) with the Sync API in batches; return the run state."""
    connection = _connection(connection_id)
    if connection is None:
        return None
    products = Product.objects.filter(is_deleted=False).select_related("parent__parent__variant_scheme").order_by("pk")
    if product_ids is not None:
        products = products.filter(pk__in=product_ids)
    client = connection.connector.client(connection)
    run = push.push_products(client, connection, shop_context(client, connection), list(products), progress=progress)
    return run.state


def push_stock(connection_id, product_ids=None):
    """Push the available stock of many products in Sync API batches; return how many were written.

    Used after a catalog push and by reconciliation; single changes go through the outbox.
    Products that never reached the shop are skipped, because their stock is sent with them
    when they are pushed.
    """
    connection = _connection(connection_id)
    if connection is None:
        return 0
    channel = channel_for(connection)
    client = connection.connector.client(connection)
    products = Product.objects.filter(is_deleted=False).order_by("pk")
    if product_ids is not None:
        products = products.filter(pk__in=product_ids)
    products = list(products)

    bindings = push.product_bindings(connection, products)
    skipped = len(products) - len(bindings)
    if skipped:
        logger.debug("Shopware stock push skipped products not in shop", extra={"connection_id": connection.pk, "count": skipped})
    products = [product for product in products if product.pk in bindings]

    written = 0
    for start in range(0, len(products), STOCK_BATCH_SIZE):
        batch = {product.pk: bindings[product.pk] for product in products[start:start + STOCK_BATCH_SIZE]}
        figures = push.stock_figures(client, connection, channel, batch)
        payload = [{"id": binding.external_id, "stock": figures[product_id]} for product_id, binding in batch.items()]
        status, body = client.sync({"kontor-stock": {"entity": "product", "action": "upsert", "payload": payload}})
        results = ((body.get("data") or {}).get("kontor-stock") or {}).get("result") or []
        accepted = {product_id: figures[product_id] for (product_id, _binding), result in zip(batch.items(), results, strict=False) if result.get("entities")}
        unseen_sales.record_sent(batch, accepted if status == 200 else {})
        written += len(accepted)
        if status != 200 or body.get("success") is False:
            logger.warning("Shopware stock batch partly rejected", extra={"connection_id": connection.pk, "batch_size": len(batch)})
    return written


def pull_orders(connection_id):
    """Run the delta pull of orders: the safety net that catches orders whose webhook was lost."""
    connection = _connection(connection_id)
    if connection is None:
        return None
    return cursors.run_delta_pull(connection, "orders").state
