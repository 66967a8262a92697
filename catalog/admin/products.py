from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from catalog.admin.media import ProductMediaInline, ProductModelMediaInline
from catalog.admin.pricing import PriceInline
from catalog.admin.stock import StockLevelInline
from catalog.models import AttributeValue, Product, ProductModel, ProductTranslation
from core.admin import ReadOnlyInlineMixin


class ProductTranslationInline(admin.StackedInline):
    model = ProductTranslation
    fields = ["locale", "name", "description"]
    extra = 0


class AttributeValueInline(admin.TabularInline):
    model = AttributeValue
    fields = ["attribute", "locale", "channel", "text_value", "number_value", "unit", "boolean_value", "date_value", "option", "json_value", "media"]
    autocomplete_fields = ["attribute", "option", "media"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("attribute", "option", "media")


class ProductModelAttributeValueInline(AttributeValueInline):
    fk_name = "product_model"


class VariantInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Product
    fk_name = "parent"
    fields = ["sku_link", "gtin", "enabled"]
    readonly_fields = fields
    verbose_name = _("variant")
    verbose_name_plural = _("variants")

    @admin.display(description=_("SKU"))
    def sku_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:catalog_product_change", args=[obj.pk]), obj.sku)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "gtin", "product_type", "parent", "enabled", "is_deleted", "updated_at"]
    list_select_related = ["product_type", "parent"]
    list_filter = ["enabled", "is_deleted", "product_type"]
    search_fields = ["sku", "=gtin", "translations__name"]
    autocomplete_fields = ["product_type", "parent", "categories"]
    readonly_fields = ["created_at", "updated_at"]
    # A catalog may contain 100,000 products or more, so skip the second, unfiltered count query.
    show_full_result_count = False
    inlines = [ProductTranslationInline, AttributeValueInline, ProductMediaInline, PriceInline, StockLevelInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("translations")

    @admin.display(description=_("name"))
    def name(self, obj):
        return obj.name()


@admin.register(ProductModel)
class ProductModelAdmin(admin.ModelAdmin):
    list_display = ["code", "product_type", "variant_scheme", "parent", "updated_at"]
    list_select_related = ["product_type", "variant_scheme", "parent"]
    list_filter = ["product_type"]
    search_fields = ["code"]
    autocomplete_fields = ["product_type", "variant_scheme", "parent", "categories"]
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False
    inlines = [ProductModelAttributeValueInline, ProductModelMediaInline, VariantInline]
