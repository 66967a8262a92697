"""Canonical catalog to Shopware 6 payloads: products, variants, property groups, prices, stock.

Shopware ids are chosen by Kontor: a uuid5 of the SKU (or product model code, attribute and
option code) in a fixed namespace. Two workers that push the same new SKU at the same time
therefore send an upsert for the same id, and the shop ends with one product, not two; the
same is true for a retry after a timeout. A product that already existed in the shop under
another id keeps that id through its binding (see push.adopt_existing).

Amounts are Decimals until the payload is built; the Admin API wants JSON numbers, so they
become floats only here, rounded to the currency first.
"""

import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import AttributeValue, Price
from catalog.models.products import unnamed_product_name
from catalog.services.stock import available_for_channel
from core.money import quantize
from integrations.itemerrors import ItemError

ID_NAMESPACE = uuid.UUID("0d6f3c1e-7a55-4e0b-9a43-6c1e52b8f0aa")
DEFAULT_LOCALE = "de_DE"
DEFAULT_TAX_RATE = Decimal(19)


def stable_id(kind, *parts):
    """Return the Shopware id Kontor uses for a record, the same in every process."""
    return uuid.uuid5(ID_NAMESPACE, ":".join((kind, *parts))).hex


def product_id(sku):
    return stable_id("product", sku)


def parent_id(model_code):
    return stable_id("product-model", model_code)


def group_id(attribute_code):
    return stable_id("property-group", attribute_code)


def option_id(attribute_code, option_code):
    return stable_id("property-group-option", attribute_code, option_code)


class MissingPrice(ItemError):
    """A product without a price in the shop's default currency, which Shopware requires.

    Params: sku, currency, and price_list (the connection's price list code, "" when unset).
    """

    code = "price_missing"
    message_template = _(
        "SKU %(sku)s has no %(currency)s price that is valid now, and Shopware needs a price in its "
        "default currency, so the product was not sent to the shop. Add a %(currency)s price for "
        "SKU %(sku)s in price list %(price_list)s in the PIM (or in Kontor), then select this error "
        "and use Retry."
    )
    any_price_list_template = _(
        "SKU %(sku)s has no %(currency)s price that is valid now, and Shopware needs a price in its "
        "default currency, so the product was not sent to the shop. Add a %(currency)s price for "
        "SKU %(sku)s in the PIM (or in Kontor), then select this error and use Retry."
    )

    @property
    def support_message(self):
        template = self.message_template if self.params.get("price_list") else self.any_price_list_template
        return str(template) % self.params


class MissingModelPrice(MissingPrice):
    """A product model none of whose variants has a price, so Shopware cannot take its parent product.

    Params: model (the model's code), currency, and price_list ("" when unset).
    """

    message_template = _(
        "No variant of product model %(model)s has a %(currency)s price that is valid now. "
        "Shopware needs one for the parent product, so the model and its variants were not sent "
        "to the shop. Add a %(currency)s price to at least one variant in price list "
        "%(price_list)s, then select this error and use Retry."
    )
    any_price_list_template = _(
        "No variant of product model %(model)s has a %(currency)s price that is valid now. "
        "Shopware needs one for the parent product, so the model and its variants were not sent "
        "to the shop. Add a %(currency)s price to at least one variant, then select this error "
        "and use Retry."
    )


@dataclass
class ShopContext:
    """What the mapping needs to know about one shop: its ids and the connection's choices."""

    currency_ids: dict  # ISO code -> Shopware currency id
    default_currency: str
    tax_id: str
    tax_rate: Decimal
    locale: str
    channel: object
    price_list: str = ""


def _label(labels, locale, fallback):
    labels = labels or {}
    return labels.get(locale) or next((value for value in labels.values() if value), "") or fallback


def _money(amount, currency):
    return float(quantize(amount, currency))


def price_entries(product, context, now=None):
    """Return Shopware's product.price list for a product, or [] when it has no price at all."""
    prices = (
        Price.objects.current(context.channel, at=now)
        .filter(product=product, currency__in=list(context.currency_ids))
        .select_related("price_list")
    )
    chosen = {}
    for price in prices:
        # A channel's own price beats the general one; the configured price list beats others.
        rank = (price.channel_id is not None, price.price_list.code == context.price_list, -price.pk)
        if price.currency not in chosen or rank > chosen[price.currency][0]:
            chosen[price.currency] = (rank, price)

    entries = []
    for currency, (_rank, price) in sorted(chosen.items()):
        factor = 1 + context.tax_rate / 100
        if price.is_gross:
            gross, net = price.amount, (price.amount / factor).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        else:
            net, gross = price.amount, price.amount * factor
        entries.append({
            "currencyId": context.currency_ids[currency],
            "gross": _money(gross, currency),
            "net": _money(net, currency),
            "linked": True,
        })
    return entries


def has_default_price(entries, context):
    default_id = context.currency_ids[context.default_currency]
    return any(entry["currencyId"] == default_id for entry in entries)


def stock_of(product, channel):
    """Return the quantity the shop may sell: the ledger's availability for the connection's channel."""
    return int(available_for_channel(product, channel))


def root_model(product):
    model = product.parent
    if model is None:
        return None
    return model.parent or model


def variant_options(product, root):
    """Return [(attribute, option code, option label)] for the variant axes of a product."""
    scheme = root.variant_scheme
    if scheme is None:
        return []
    owners = Q(product=product)
    if product.parent_id and product.parent.parent_id:
        owners |= Q(product_model=product.parent)
    options = []
    for axis in scheme.axes.select_related("attribute").order_by("level", "position"):
        value = (
            AttributeValue.objects.filter(owners, attribute=axis.attribute)
            .select_related("option", "attribute")
            .first()
        )
        if value is None or value.value in (None, ""):
            continue
        if value.option_id:
            options.append((axis.attribute, value.option.code, _label(value.option.labels, "", value.option.code)))
        else:
            options.append((axis.attribute, str(value.value), str(value.value)))
    return options


def property_group_payload(attribute, options, context):
    """Return a property_group upsert with its options nested, as the Sync API accepts it."""
    return {
        "id": group_id(attribute.code),
        "name": _label(attribute.labels, context.locale, attribute.code),
        "displayType": "text",
        "sortingType": "alphanumeric",
        "options": [{"id": option_id(attribute.code, code), "name": label} for code, label in sorted(options.items())],
    }


def product_payload(product, context, *, shop_id, parent_shop_id=None, options=()):
    """Return the product upsert for a simple product or a variant (with parentId and options)."""
    entries = price_entries(product, context)
    payload = {
        "id": shop_id,
        "productNumber": product.sku,
        "stock": stock_of(product, context.channel),
        "active": bool(product.enabled and not product.is_deleted),
    }
    if product.gtin:
        payload["ean"] = product.gtin
    name = product.name(context.locale)
    if parent_shop_id:
        payload["parentId"] = parent_shop_id
        payload["options"] = [{"id": option_id(attribute.code, code)} for attribute, code, _label_text in options]
        # A variant without a name of its own inherits its parent's in Shopware, which reads
        # better than the placeholder an unnamed product gets in Kontor.
        if name and name != unnamed_product_name(product.sku):
            payload["name"] = name
        if entries:
            payload["price"] = entries
        return payload

    if not has_default_price(entries, context):
        raise MissingPrice(sku=product.sku, currency=context.default_currency, price_list=context.price_list)
    payload.update({"name": name or product.sku, "taxId": context.tax_id, "price": entries})
    return payload


def parent_payload(model, context, *, shop_id, variant_prices, option_ids):
    """Return the parent product of variants: it carries the shared name, the tax and a price.

    Shopware requires a price on the parent; the lowest variant price is taken, and each
    variant that has its own price overrides it.
    """
    lowest = None
    for entries in variant_prices:
        default = next((entry for entry in entries if entry["currencyId"] == context.currency_ids[context.default_currency]), None)
        if default is not None and (lowest is None or default["gross"] < lowest[0]["gross"]):
            lowest = entries
    if lowest is None:
        raise MissingModelPrice(model=model.code, currency=context.default_currency, price_list=context.price_list)
    name = ""
    for value in model.attribute_values.filter(attribute__code__in=("name", "title")).select_related("attribute"):
        if value.locale in ("", context.locale) and value.text_value:
            name = value.text_value
            break
    return {
        "id": shop_id,
        "productNumber": model.code,
        "name": name or model.code,
        "stock": 0,
        "taxId": context.tax_id,
        "price": lowest,
        "configuratorSettings": [{"optionId": option} for option in sorted(option_ids)],
    }
