"""The documented shape of catalog responses, for the OpenAPI schema.

Responses are built by catalog.api.representations for speed; the schema-driven test in
tests/api checks every response against these declarations.
"""

from rest_framework import serializers


class PriceSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=19, decimal_places=4, help_text="Decimal amount as a string.")
    currency = serializers.CharField(help_text="ISO 4217 code.")
    is_gross = serializers.BooleanField(allow_null=True, help_text="True when the amount includes tax.")
    price_list = serializers.CharField(allow_null=True)


class AttributeEntrySerializer(serializers.Serializer):
    label = serializers.CharField()
    type = serializers.CharField(help_text="text, number, measurement, boolean, date, single_select, multi_select, price, media ...")
    value = serializers.JSONField(allow_null=True, help_text="Shape depends on the type: a string, {amount, unit}, {code, label}, a list, a URL.")


class ProductCategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    path = serializers.CharField()
    label = serializers.CharField(allow_blank=True)


class MediaSerializer(serializers.Serializer):
    url = serializers.CharField(allow_null=True)
    role = serializers.CharField()
    position = serializers.IntegerField()
    mime_type = serializers.CharField(allow_blank=True)
    alt = serializers.CharField(allow_blank=True)


class ProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    gtin = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_blank=True, help_text="In the first locale of the fallback chain that has one.")
    description = serializers.CharField(allow_blank=True)
    locale = serializers.CharField(help_text="The locale the request resolved to.")
    model = serializers.CharField(allow_null=True, help_text="Code of the root product model of a variant.")
    sub_model = serializers.CharField(allow_null=True)
    attributes = serializers.DictField(child=AttributeEntrySerializer(), help_text="Keyed by attribute code.")
    categories = ProductCategorySerializer(many=True)
    media = MediaSerializer(many=True)
    price = PriceSerializer(allow_null=True)
    available = serializers.DecimalField(max_digits=14, decimal_places=3, allow_null=True, help_text="Quantity available on the client's channel.")
    updated_at = serializers.DateTimeField()


class VariantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    axes = serializers.DictField(child=serializers.JSONField(allow_null=True), help_text="Axis attribute code to value.")
    price = PriceSerializer(allow_null=True)
    available = serializers.DecimalField(max_digits=14, decimal_places=3, allow_null=True)


class ProductDetailSerializer(ProductSerializer):
    variants = VariantSerializer(many=True, help_text="All variants of the root model, this one included.")


class CategoryNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    label = serializers.CharField(allow_blank=True)
    path = serializers.CharField()
    depth = serializers.IntegerField()
    position = serializers.IntegerField()
    children = serializers.ListField(child=serializers.DictField(), help_text="Child nodes of the same shape.")


class CategoryDetailSerializer(CategoryNodeSerializer):
    ancestors = serializers.ListField(child=serializers.DictField(), help_text="From the root down, each {id, code, label}.")


class CategoryTreeSerializer(serializers.Serializer):
    results = CategoryNodeSerializer(many=True)
