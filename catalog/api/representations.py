"""Build the JSON of products for one page with a fixed number of queries.

`ProductPage` loads translations, attribute values, media and categories for all products
of a page (and their product models) in one query each, then renders each product from
memory. The documented shape is in catalog.api.serializers.
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Q

from catalog.api.attributes import localized, pick_values, render_value
from catalog.models import (
    AttributeOption,
    AttributeType,
    AttributeValue,
    Product,
    ProductMedia,
    ProductModel,
    ProductTranslation,
)
from core.money import quantize


def model_chain(product):
    """Return the product's models from the nearest up: [sub-model, root model], or fewer."""
    chain = []
    model = product.parent
    while model is not None and len(chain) < 2:
        chain.append(model)
        model = model.parent
    return chain


QUANTITY_PLACES = Decimal("0.001")


def decimal_text(number):
    """Return a quantity with the three decimal places of QuantityField, whatever the database returned.

    PostgreSQL returns an annotated quantity as 4.000 and SQLite as 4; clients see one form.
    """
    return None if number is None else format(Decimal(number).quantize(QUANTITY_PLACES), "f")


def money_text(amount, currency):
    """Return the amount with the currency's minor unit, or with all its places when it has more."""
    rounded = quantize(amount, currency)
    return format(rounded if rounded == amount else amount.normalize(), "f")


class ProductPage:
    def __init__(self, products, context, request):
        self.products = list(products)
        self.context = context
        self.request = request
        self._load()

    def _load(self):
        chain = self.context.locale_chain
        ids = [product.pk for product in self.products]
        model_ids = {model.pk for product in self.products for model in model_chain(product)}
        owner = Q(product_id__in=ids) | Q(product_model_id__in=model_ids)

        self.translations = {}
        for product_id, locale, name, description in ProductTranslation.objects.filter(product_id__in=ids, locale__in=chain).values_list(
            "product_id", "locale", "name", "description"
        ):
            self.translations.setdefault(product_id, {})[locale] = (name, description)

        self.values = defaultdict(list)
        values = AttributeValue.objects.filter(owner, locale__in=[*chain, ""], channel__in=[self.context.channel.code, ""])
        for value in values.select_related("attribute", "option", "media"):
            key = ("p", value.product_id) if value.product_id else ("m", value.product_model_id)
            self.values[key].append(value)

        self.option_labels = self._load_option_labels()

        self.media = defaultdict(list)
        for usage in ProductMedia.objects.filter(owner).select_related("asset").order_by("position", "id"):
            key = ("p", usage.product_id) if usage.product_id else ("m", usage.product_model_id)
            self.media[key].append(usage)

        self.categories = defaultdict(list)
        product_links = Product.categories.through.objects.filter(product_id__in=ids).select_related("category")
        for link in product_links.order_by("category__path"):
            self.categories[("p", link.product_id)].append(link.category)
        model_links = ProductModel.categories.through.objects.filter(productmodel_id__in=model_ids).select_related("category") if model_ids else []
        for link in model_links:
            self.categories[("m", link.productmodel_id)].append(link.category)

    def _load_option_labels(self):
        expected = {
            (value.attribute_id, code)
            for rows in self.values.values()
            for value in rows
            if value.attribute.type == AttributeType.MULTI_SELECT
            for code in (value.json_value or [])
        }
        if not expected:
            return {}
        options = AttributeOption.objects.filter(attribute_id__in={a for a, _c in expected}, code__in={c for _a, c in expected})
        return {(option.attribute_id, option.code): localized(option.labels, self.context.locale_chain) for option in options}

    def media_url(self, asset):
        try:
            url = asset.file.url
        except ValueError:
            return asset.source_url or None
        return self.request.build_absolute_uri(url)

    def _owners(self, product):
        return [("p", product.pk)] + [("m", model.pk) for model in model_chain(product)]

    def attributes(self, product, only=None):
        owners = self._owners(product)
        picked = pick_values([self.values[key] for key in owners], self.context.locale_chain, self.context.channel.code)
        chain = self.context.locale_chain
        return {
            code: {
                "label": localized(value.attribute.labels, chain) or code,
                "type": value.attribute.type,
                "value": render_value(value, chain, self.option_labels, self.media_url),
            }
            for code, value in sorted(picked.items())
            if only is None or code in only
        }

    def price(self, product):
        if product.price_amount is None:
            return None
        return {
            "amount": money_text(product.price_amount, self.context.currency),
            "currency": self.context.currency,
            "is_gross": product.price_is_gross,
            "price_list": self.context.price_list_code,
        }

    def render(self, product):
        chain = self.context.locale_chain
        texts = self.translations.get(product.pk, {})
        name, description = next((texts[locale] for locale in chain if locale in texts), ("", ""))
        owners = self._owners(product)
        seen = set()
        categories = []
        for key in owners:
            for category in self.categories[key]:
                if category.pk not in seen:
                    seen.add(category.pk)
                    categories.append({"id": category.pk, "code": category.code, "path": category.path, "label": localized(category.labels, chain)})
        media = [
            {
                "url": self.media_url(usage.asset),
                "role": usage.role,
                "position": usage.position,
                "mime_type": usage.asset.mime_type,
                "alt": localized(usage.asset.alt_texts, chain),
            }
            for key in owners
            for usage in self.media[key]
        ]
        models = model_chain(product)
        return {
            "id": product.pk,
            "sku": product.sku,
            "gtin": product.gtin,
            "name": name,
            "description": description,
            "locale": self.context.locale,
            "model": models[-1].code if models else None,
            "sub_model": models[0].code if len(models) > 1 else None,
            "attributes": self.attributes(product),
            "categories": sorted(categories, key=lambda entry: entry["path"]),
            "media": media,
            "price": self.price(product),
            "available": decimal_text(product.available),
            "updated_at": product.updated_at.isoformat().replace("+00:00", "Z"),
        }

    def render_all(self):
        return [self.render(product) for product in self.products]
