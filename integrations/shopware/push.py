"""Pushing the catalog to Shopware with the Sync API, in batches, with each item's outcome on its own.

One batch is one Sync API request with up to three operations: property groups (with their
options), parent products of variants, then the products themselves. The request is sent with
`fail-on-error: false`, so the shop writes every valid record and reports the others. Each
product that the shop wrote is bound (its Shopware id and pushed fingerprint stored), each
rejected one becomes a sync error naming the field, and a retry upserts the same ids again,
so nothing is created twice.

A shop that rolls the whole request back anyway (400 with pointers) gets the batch again
without the rejected records, once.
"""

import logging
import uuid
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from catalog.services.stock import available_for_channel_many
from integrations.domains import Domain
from integrations.errors import ValidationFailed
from integrations.itemerrors import ItemError
from integrations.models import Binding, OutboundMessage, OutboundState, SyncDirection, SyncRunKind
from integrations.services import unseen_sales
from integrations.services.bindings import bind, fingerprint_of, record_pushed
from integrations.services.lanes import lane_for
from integrations.services.syncruns import (
    count_outcome,
    finish_sync_run,
    record_sync_error,
    resolve_sync_error_of,
    start_sync_run,
)
from integrations.shopware import mappers

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
PRODUCTS_KEY, PARENTS_KEY, GROUPS_KEY = "kontor-products", "kontor-parents", "kontor-property-groups"


class RemoteRejected(ItemError):
    code = "remote_rejected"
    message_template = _(
        "Shopware rejected %(record)s: %(detail)s (field %(field)s). Correct the record or its "
        "mapping in Kontor, then push again."
    )


@dataclass
class BatchResult:
    written: list = field(default_factory=list)  # products
    created: set = field(default_factory=set)  # pks of written products the shop did not have before
    skipped: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)  # product pk -> ItemError


def _bound_ids(connection, model, objects):
    content_type = ContentType.objects.get_for_model(model)
    rows = Binding.objects.filter(connection=connection, content_type=content_type, object_id__in=[str(obj.pk) for obj in objects])
    return {row.object_id: row for row in rows}


def adopt_existing(client, connection, products, bindings):
    """Bind products the shop already has under its own id (matched by productNumber)."""
    unbound = [product for product in products if str(product.pk) not in bindings]
    if not unbound:
        return
    found = client.search("product", {
        "filter": [{"type": "equalsAny", "field": "productNumber", "value": [product.sku for product in unbound]}],
        "includes": {"product": ["id", "productNumber"]},
        "limit": len(unbound),
    })
    by_number = {item["productNumber"]: item["id"] for item in found.get("data", [])}
    for product in unbound:
        existing_id = by_number.get(product.sku)
        if existing_id and existing_id != mappers.product_id(product.sku):
            bindings[str(product.pk)] = bind(connection, product, existing_id)
            logger.info("Shopware product adopted", extra={"connection_id": connection.pk, "sku": product.sku})


def build_batch(connection, context, products, bindings):
    """Return (operations, index of each product in the products operation, mapping errors)."""
    groups, parents, mapped, errors = {}, {}, [], {}
    variant_prices = {}
    for product in products:
        binding = bindings.get(str(product.pk))
        shop_id = binding.external_id if binding else mappers.product_id(product.sku)
        root = mappers.root_model(product)
        try:
            if root is None:
                payload = mappers.product_payload(product, context, shop_id=shop_id)
            else:
                options = mappers.variant_options(product, root)
                for attribute, code, label in options:
                    groups.setdefault(attribute.code, (attribute, {}))[1][code] = label
                payload = mappers.product_payload(product, context, shop_id=shop_id, parent_shop_id=mappers.parent_id(root.code), options=options)
                parent = parents.setdefault(root.code, {"model": root, "options": set()})
                parent["options"].update(mappers.option_id(attribute.code, code) for attribute, code, _label in options)
                variant_prices.setdefault(root.code, []).append(payload.get("price") or mappers.price_entries(product, context))
        except ItemError as error:
            errors[product.pk] = error
            continue
        if binding is not None and binding.stock_sent is not None:
            # The stock writes keep this product's figure and hold back the units the shop sold
            # before Kontor heard of them (integrations.services.unseen_sales). A figure here
            # would put those units back.
            del payload["stock"]
        mapped.append((product, root, payload))

    parent_payloads = []
    for code, parent in parents.items():
        try:
            parent_payloads.append(mappers.parent_payload(
                parent["model"], context, shop_id=mappers.parent_id(code), variant_prices=variant_prices[code], option_ids=parent["options"],
            ))
        except ItemError as error:
            # Variants cannot be written without their parent.
            for product, root, _payload in mapped:
                if root is not None and root.code == code:
                    errors[product.pk] = error

    items, positions = [], {}
    for product, _root, payload in mapped:
        if product.pk not in errors:
            positions[product.pk] = len(items)
            items.append(payload)

    operations = []
    if groups:
        payload = [mappers.property_group_payload(attribute, options, context) for attribute, options in groups.values()]
        operations.append({"key": GROUPS_KEY, "entity": "property_group", "action": "upsert", "payload": payload})
    if parent_payloads:
        operations.append({"key": PARENTS_KEY, "entity": "product", "action": "upsert", "payload": parent_payloads})
    if items:
        operations.append({"key": PRODUCTS_KEY, "entity": "product", "action": "upsert", "payload": items})
    return operations, positions, errors


def _as_body(operations):
    return {operation["key"]: {key: value for key, value in operation.items() if key != "key"} for operation in operations}


def errors_by_record(body):
    """Return {(operation key, index): first error} from a sync answer's errors or results."""
    found = {}
    for key, operation in (body.get("data") or {}).items():
        for index, result in enumerate(operation.get("result") or []):
            if result.get("errors"):
                found[(key, index)] = result["errors"][0]
    for error in body.get("errors") or []:
        parts = str((error.get("source") or {}).get("pointer", "")).strip("/").split("/")
        if len(parts) >= 2 and parts[1].isdigit():
            found.setdefault((parts[0], int(parts[1])), {**error, "field": "/".join(parts[2:])})
    return found


def rejection(record, error):
    pointer = str((error.get("source") or {}).get("pointer", ""))
    field_name = error.get("field") or "/".join(pointer.strip("/").split("/")[2:]) or "-"
    return RemoteRejected(record=record, detail=str(error.get("detail") or error.get("title") or error.get("code")), field=field_name)


def send_batch(client, connection, context, products):
    """Push one batch of products; return a BatchResult with each product's outcome."""
    result = BatchResult()
    bindings = _bound_ids(connection, Product, products)
    adopt_existing(client, connection, products, bindings)
    unbound = {product.pk for product in products if str(product.pk) not in bindings}
    operations, positions, mapping_errors = build_batch(connection, context, products, bindings)
    result.failed.update(mapping_errors)

    fingerprints = {}
    products_payload = next((op["payload"] for op in operations if op["key"] == PRODUCTS_KEY), [])
    for product in products:
        if product.pk in positions:
            fingerprints[product.pk] = fingerprint_of(products_payload[positions[product.pk]])
    pending = [p for p in products if p.pk in positions]
    if not pending:
        return result

    status, body = client.sync(_as_body(operations))
    rejected = errors_by_record(body)
    if status == 400:
        # The shop rolled everything back: drop the rejected records and send the rest once more.
        failed_positions = {index for (key, index) in rejected if key == PRODUCTS_KEY}
        retry_products = [p for p in pending if positions[p.pk] not in failed_positions]
        for product in pending:
            if positions[product.pk] in failed_positions:
                result.failed[product.pk] = rejection(product.sku, rejected[(PRODUCTS_KEY, positions[product.pk])])
        if retry_products and len(retry_products) < len(pending):
            retry = send_batch(client, connection, context, retry_products)
            result.written += retry.written
            result.created |= retry.created
            result.failed.update(retry.failed)
            return result
        for product in retry_products:
            result.failed[product.pk] = rejection(product.sku, next(iter(rejected.values()), {"detail": "rejected"}))
        return result

    parent_errors = {index: error for (key, index), error in rejected.items() if key == PARENTS_KEY}
    for product in pending:
        error = rejected.get((PRODUCTS_KEY, positions[product.pk]))
        if error is None:
            record_pushed(connection, ContentType.objects.get_for_model(Product), product.pk, fingerprints[product.pk],
                          external_id=bindings[str(product.pk)].external_id if str(product.pk) in bindings else mappers.product_id(product.sku))
            result.written.append(product)
            if product.pk in unbound:
                result.created.add(product.pk)
        else:
            result.failed[product.pk] = rejection(product.sku, error)
    with_stock = [product for product in result.written if "stock" in products_payload[positions[product.pk]]]
    if with_stock:
        # These products carried a stock figure, so no stock write is their baseline for finding
        # unseen sales any longer.
        Binding.objects.filter(
            connection=connection, content_type=ContentType.objects.get_for_model(Product), object_id__in=[str(product.pk) for product in with_stock]
        ).update(stock_sent=None, stock_known=0, stock_known_since=None, stock_unseen=0, stock_unseen_since=None)
    if parent_errors:
        logger.warning("Shopware rejected parent products", extra={"connection_id": connection.pk, "count": len(parent_errors)})
    return result


def push_products(client, connection, context, products, *, batch_size=BATCH_SIZE, progress=None):
    """Push products in batches and record a sync run; return the run.

    Each failed product gets its sync error. Those without a price in the shop's default
    currency are logged in one summary line at the end, and at DEBUG one line each.
    """
    run = start_sync_run(connection, SyncRunKind.PUSH, "products")
    content_type = ContentType.objects.get_for_model(Product)
    unpriced = 0
    try:
        for start in range(0, len(products), batch_size):
            batch = products[start:start + batch_size]
            result = send_batch(client, connection, context, batch)
            by_pk = {product.pk: product for product in batch}
            for product in result.written:
                count_outcome(run, "created" if product.pk in result.created else "updated", read=1)
            resolve_failed_pushes(connection, result.written)
            for pk, error in result.failed.items():
                count_outcome(run, "failed", read=1)
                # A catalog without prices in the shop's currency fails most products at once
                # (1052 of the 1239 demo products), so those are summed up in one warning below.
                unpriced_product = isinstance(error, mappers.MissingPrice)
                unpriced += unpriced_product
                record_sync_error(connection, SyncDirection.OUTBOUND, error, entity="products", content_type=content_type, object_id=pk,
                                  external_id=by_pk[pk].sku, sync_run=run, outbound_message=failed_push_message(connection, by_pk[pk], error),
                                  log_level=logging.DEBUG if unpriced_product else logging.WARNING)
            if progress is not None:
                progress(len(batch))
    except Exception as error:
        if not hasattr(error, "support_message"):
            logger.exception("Shopware product push failed", extra={"connection_id": connection.pk, "sync_run_id": run.pk})
        record_sync_error(connection, SyncDirection.OUTBOUND, error, entity="products", sync_run=run)
        return finish_sync_run(run, failed_with=error)
    finally:
        log_unpriced_products(connection, run, context.default_currency, unpriced)
    return finish_sync_run(run)


def log_unpriced_products(connection, run, currency, count):
    """Log in one line how many products the push left out for lack of a price, and where they are listed."""
    if not count:
        return
    query = f"?connection__id__exact={connection.pk}&code__exact={mappers.MissingPrice.code}&resolved__exact=0"
    logger.warning(
        "Shopware push left out %d products that have no price in %s, the shop's default currency. "
        "Each is listed as a sync error in the admin under Integrations > Sync errors: %s",
        count,
        currency,
        reverse("admin:integrations_syncerror_changelist") + query,
        extra={"connection_id": connection.pk, "sync_run_id": run.pk, "code": mappers.MissingPrice.code},
    )


def failed_push_message(connection, product, error):
    """Return a failed outbox message for a product the catalog push could not write.

    The sync error points at it, so Retry in the admin puts it back in the outbox and the
    product is pushed alone. A product that fails again reuses its failed message, so its
    error is updated instead of added once per push.
    """
    content_type = ContentType.objects.get_for_model(Product)
    lookup = {"connection": connection, "entity": Domain.PRODUCTS, "content_type": content_type, "object_id": str(product.pk)}
    message = OutboundMessage.objects.filter(**lookup, state=OutboundState.FAILED).order_by("-pk").first()
    if message is None:
        payload = {"sku": product.sku}
        message = OutboundMessage(
            **lookup,
            payload=payload,
            fingerprint=fingerprint_of({"action": "upsert", "payload": payload}),
            idempotency_key=uuid.uuid4().hex,
            lane=lane_for(connection, Domain.PRODUCTS),
            state=OutboundState.FAILED,
            attempts=1,
            next_attempt_at=timezone.now(),
        )
    message.error_code = getattr(error, "code", "item_error")[:50]
    message.last_error = str(error)[:2000]
    message.save()
    return message


def resolve_failed_pushes(connection, products):
    """Resolve the open errors of products an earlier push could not write and this one did."""
    if not products:
        return
    messages = OutboundMessage.objects.filter(
        connection=connection,
        entity=Domain.PRODUCTS,
        content_type=ContentType.objects.get_for_model(Product),
        object_id__in=[str(product.pk) for product in products],
        state=OutboundState.FAILED,
    )
    for message in messages:
        resolve_sync_error_of(outbound_message=message)
    messages.update(state=OutboundState.SUPERSEDED)


class ItemRejected(ValidationFailed):
    """A product the shop or the mapping rejected, raised to the outbox as a non-retryable failure."""

    def __init__(self, message="", *, item_error=None, **kwargs):
        super().__init__(message, **kwargs)
        self.item_error = item_error
        if item_error is not None:
            self.code = item_error.code

    @classmethod
    def from_item_error(cls, item_error, connection_name):
        return cls(str(item_error), item_error=item_error, connection=connection_name)

    @property
    def support_message(self):
        return self.item_error.support_message if self.item_error is not None else super().support_message


def product_bindings(connection, products):
    """Return {product pk: Binding} for the products that reached the shop, with one query."""
    # Only the columns the stock sender needs: it calls this ten times a second.
    rows = Binding.objects.filter(
        connection=connection, content_type=ContentType.objects.get_for_model(Product), object_id__in=[str(product.pk) for product in products]
    ).only("object_id", "external_id", *unseen_sales.BASELINE_FIELDS)
    return {int(row.object_id): row for row in rows}


def shop_stock(client, shop_ids):
    """Return {product pk: the shop's current stock} for {product pk: Shopware id}, with one search."""
    found = client.search("product", {
        "ids": list(shop_ids.values()),
        "includes": {"product": ["id", "stock"]},
        "limit": len(shop_ids),
    }, retries=False)
    by_shop_id = {item["id"]: item.get("stock") for item in found.get("data") or []}
    return {
        product_id: int(by_shop_id[shop_id]) for product_id, shop_id in shop_ids.items()
        if isinstance(by_shop_id.get(shop_id), int)
    }


def stock_figures(client, connection, channel, bindings):
    """Return {product pk: stock figure to write} for bound products ({product pk: Binding}).

    Kontor's figure less the units the shop sold that Kontor has not received yet (see
    integrations.services.unseen_sales). Call record_sent with the figures the shop accepted.
    """
    # Stored orders first, then the ledger, then the shop: an order stored or placed between
    # two reads then counts against the shop's figure, never for it.
    now = timezone.now()
    known = unseen_sales.count_known(connection, bindings, now)
    figures = {product_id: int(quantity) for product_id, quantity in available_for_channel_many(list(bindings), channel).items()}
    compared = {product_id: binding.external_id for product_id, binding in bindings.items() if unseen_sales.has_baseline(binding, now)}
    shop_figures = shop_stock(client, compared) if compared else {}
    return unseen_sales.figures_to_send(connection, figures, shop_figures, bindings, known, now)
