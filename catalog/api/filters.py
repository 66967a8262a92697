"""Product filters for front ends: category subtree, attributes, price, stock, changes, search."""

import json

import django_filters
from django.db.models import Exists, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from apiclients.errors import InvalidParameter
from apiclients.fields import UtcIsoDateTimeFilter
from catalog.models import (
    Attribute,
    AttributeType,
    AttributeValue,
    Category,
    Product,
    ProductModel,
    ProductTranslation,
)
from catalog.models.categories import PATH_SEPARATOR

MAX_SEARCH_LENGTH = 100
MAX_LIST_ITEMS = 50
MONEY_FILTER = {"max_digits": 19, "decimal_places": 4, "min_value": 0}


def _owned_by_any(subquery_for_product, subquery_for_model):
    """Q for products that match themselves or through their model or the model's parent."""
    return Q(Exists(subquery_for_product)) | Q(Exists(subquery_for_model))


def _effective_value_matches(values, matches):
    """Q for products whose effective value matches: their own, else the sub-model's, else the root's.

    A variant's own value overrides the model's, so a model value only counts when no nearer
    owner has a value for the attribute. The value's locale is not narrowed: any locale matches.
    """
    own, sub_model, root = OuterRef("pk"), OuterRef("parent_id"), OuterRef("parent__parent_id")
    on_product = values.filter(product_id=own)
    on_sub_model = values.filter(product_model_id=sub_model)
    on_root = values.filter(product_model_id=root)
    return Q(Exists(on_product.filter(matches))) | (
        ~Q(Exists(on_product))
        & (Q(Exists(on_sub_model.filter(matches))) | (~Q(Exists(on_sub_model)) & Q(Exists(on_root.filter(matches)))))
    )


class ProductFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(method="filter_category", help_text="Category code; products in its sub-categories match too.")
    attribute = django_filters.CharFilter(
        method="filter_attribute",
        help_text="Attribute values as code:value, comma-separated, all must match, such as color:red,size:m. "
        "A select attribute matches by option code, a yes/no attribute by true or false, others by text.",
    )
    price_min = django_filters.NumberFilter(field_name="price_amount", lookup_expr="gte", help_text="Lowest price in the requested price list and currency.", **MONEY_FILTER)
    price_max = django_filters.NumberFilter(field_name="price_amount", lookup_expr="lte", help_text="Highest price in the requested price list and currency.", **MONEY_FILTER)
    in_stock = django_filters.ChoiceFilter(choices=[("true", "true"), ("false", "false")], method="filter_in_stock", help_text="true: only products available on the client's channel; false: only those that are not.")
    updated_since = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte", help_text="Only products changed at or after this ISO 8601 time.")
    q = django_filters.CharFilter(method="filter_search", max_length=MAX_SEARCH_LENGTH, help_text="Text contained in the name (any locale) or the SKU, case-insensitive.")
    sku = django_filters.CharFilter(method="filter_sku", help_text=f"Exact SKUs, comma-separated, at most {MAX_LIST_ITEMS}.")
    model = django_filters.CharFilter(method="filter_model", max_length=255, help_text="Code of a product model: its variants, including those of its sub-models.")

    class Meta:
        model = Product
        fields = []

    def filter_queryset(self, queryset):
        self._check_price_range()
        return super().filter_queryset(queryset)

    def _check_price_range(self):
        """Raise for price_min above price_max, which would return an empty list that reads as no match."""
        low, high = self.form.cleaned_data.get("price_min"), self.form.cleaned_data.get("price_max")
        if low is not None and high is not None and low > high:
            raise InvalidParameter(
                _("price_min %(low)s is greater than price_max %(high)s. Send a price_min that is at most price_max.")
                % {"low": self.data.get("price_min"), "high": self.data.get("price_max")},
                code="invalid_filter",
                field="price_min",
                value=self.data.get("price_min"),
            )

    def filter_category(self, queryset, name, value):
        path = Category.objects.filter(code=value).values_list("path", flat=True).first()
        if path is None:
            raise InvalidParameter(_("Unknown category %(value)s. Use a code from /api/v1/categories/.") % {"value": value}, code="unknown_category", field=name, value=value)
        in_subtree = Q(category__path=path) | Q(category__path__startswith=path + PATH_SEPARATOR)
        through_product = Product.categories.through.objects.filter(in_subtree, product_id=OuterRef("pk"))
        through_model = ProductModel.categories.through.objects.filter(
            in_subtree, Q(productmodel_id=OuterRef("parent_id")) | Q(productmodel_id=OuterRef("parent__parent_id"))
        )
        return queryset.filter(_owned_by_any(through_product, through_model))

    def filter_attribute(self, queryset, name, value):
        pairs = [part for part in value.split(",") if part]
        if not pairs or len(pairs) > MAX_LIST_ITEMS:
            raise InvalidParameter(_("Give one to %(max)s attribute filters as code:value.") % {"max": MAX_LIST_ITEMS}, code="invalid_filter", field=name, value=value)
        attributes = {}
        for pair in pairs:
            code, sep, expected = pair.partition(":")
            if not sep or not code or not expected:
                raise InvalidParameter(_("Attribute filter %(value)s is not in the form code:value.") % {"value": pair}, code="invalid_filter", field=name, value=pair)
            attribute = attributes.get(code) or Attribute.objects.filter(code=code).first()
            if attribute is None:
                raise InvalidParameter(_("Unknown attribute %(value)s.") % {"value": code}, code="unknown_attribute", field=name, value=code)
            attributes[code] = attribute
            matches = self._value_match(attribute, expected, name, pair)
            values = AttributeValue.objects.annotate(json_text=Cast("json_value", TextField())).filter(
                attribute=attribute, channel__in=["", self.request.auth.channel.code]
            )
            queryset = queryset.filter(_effective_value_matches(values, matches))
        return queryset

    @staticmethod
    def _value_match(attribute, expected, name, pair):
        if attribute.type == AttributeType.SINGLE_SELECT:
            return Q(option__code=expected)
        if attribute.type == AttributeType.MULTI_SELECT:
            # Matching the JSON text works on PostgreSQL and SQLite alike; json.dumps quotes the code.
            return Q(json_text__contains=json.dumps(expected))
        if attribute.type == AttributeType.BOOLEAN:
            if expected not in ("true", "false"):
                raise InvalidParameter(_("Attribute %(code)s is yes/no; filter with true or false.") % {"code": attribute.code}, code="invalid_filter", field=name, value=pair)
            return Q(boolean_value=expected == "true")
        return Q(text_value=expected)

    def filter_in_stock(self, queryset, name, value):
        return queryset.filter(available__gt=0) if value == "true" else queryset.filter(available__lte=0)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        names = ProductTranslation.objects.filter(name__icontains=value).values("product_id")
        return queryset.filter(Q(sku__icontains=value) | Q(pk__in=names))

    def filter_sku(self, queryset, name, value):
        skus = [sku for sku in value.split(",") if sku]
        if not skus or len(skus) > MAX_LIST_ITEMS:
            raise InvalidParameter(_("Give one to %(max)s SKUs, comma-separated.") % {"max": MAX_LIST_ITEMS}, code="invalid_filter", field=name, value=value)
        return queryset.filter(sku__in=skus)

    def filter_model(self, queryset, name, value):
        # Model ids first, so the filter uses the parent_id index instead of an OR across joins.
        model_ids = list(ProductModel.objects.filter(Q(code=value) | Q(parent__code=value)).values_list("pk", flat=True))
        return queryset.filter(parent_id__in=model_ids)
