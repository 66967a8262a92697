"""The variants of a product's model, with the axis values a front end needs for its picker."""

from collections import defaultdict

from django.db.models import Q

from catalog.api.attributes import pick_values, render_value
from catalog.api.representations import decimal_text, model_chain
from catalog.models import AttributeValue, Product, ProductModel, VariantAxis

# A model with more variants than this is cut off; front ends page through ?model= instead.
MAX_VARIANTS = 200


def variant_ids(product):
    """Return the ids of the sellable variants under `product`'s root model, itself included, by SKU."""
    models = model_chain(product)
    if not models:
        return []
    root = models[-1]

    # The models as a subquery let PostgreSQL use the parent_id index; an OR across the
    # parent's parent join made it scan every product.
    model_ids = ProductModel.objects.filter(Q(pk=root.pk) | Q(parent_id=root.pk)).values("pk")
    variants = Product.objects.filter(enabled=True, is_deleted=False, parent_id__in=model_ids)
    return list(variants.order_by("sku").values_list("pk", flat=True)[:MAX_VARIANTS])


def variants_of(product, context, page, ids, queryset):
    """Return the variants `ids` (from variant_ids) with axis values, price and availability.

    `queryset` is the request's product_queryset, passed in because building its annotations
    again costs more CPU than running the query.
    """
    models = model_chain(product)
    if not models:
        return []
    root = models[-1]

    siblings = list(queryset.filter(pk__in=ids).order_by("sku"))
    axes = list(VariantAxis.objects.filter(scheme_id=root.variant_scheme_id).select_related("attribute")) if root.variant_scheme_id else []
    axis_ids = [axis.attribute_id for axis in axes]

    values = defaultdict(list)
    if axis_ids:
        ids = [sibling.pk for sibling in siblings]
        sub_model_ids = {sibling.parent_id for sibling in siblings if sibling.parent_id != root.pk}
        rows = AttributeValue.objects.filter(
            Q(product_id__in=ids) | Q(product_model_id__in=sub_model_ids),
            attribute_id__in=axis_ids,
            locale__in=[*context.locale_chain, ""],
            channel__in=[context.channel.code, ""],
        ).select_related("attribute", "option")
        for value in rows:
            key = ("p", value.product_id) if value.product_id else ("m", value.product_model_id)
            values[key].append(value)

    result = []
    for sibling in siblings:
        owners = [("p", sibling.pk)] + ([("m", sibling.parent_id)] if sibling.parent_id != root.pk else [])
        picked = pick_values([values[key] for key in owners], context.locale_chain, context.channel.code)
        result.append(
            {
                "id": sibling.pk,
                "sku": sibling.sku,
                "axes": {code: render_value(value, context.locale_chain, {}, page.media_url) for code, value in sorted(picked.items())},
                "price": page.price(sibling),
                "available": decimal_text(sibling.available),
            }
        )
    return result
