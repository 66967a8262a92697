from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from catalog.models import Attribute, AttributeOption, ProductType, VariantAxis, VariantScheme


class AttributeOptionInline(admin.TabularInline):
    model = AttributeOption
    fields = ["code", "labels", "position"]
    extra = 0
    show_change_link = True


@admin.register(Attribute)
class AttributeAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "type", "group", "localizable", "scopable", "unique", "position"]
    list_filter = ["type", "localizable", "scopable", "group"]
    search_fields = ["code", "group"]
    inlines = [AttributeOptionInline]

    @admin.display(description=_("label"))
    def label(self, obj):
        return str(obj)


@admin.register(AttributeOption)
class AttributeOptionAdmin(admin.ModelAdmin):
    """Registered so attribute values can pick an option by search among thousands."""

    list_display = ["code", "attribute", "position"]
    list_select_related = ["attribute"]
    list_filter = ["attribute__type"]
    search_fields = ["code", "attribute__code"]
    autocomplete_fields = ["attribute"]


class VariantAxisInline(admin.TabularInline):
    model = VariantAxis
    fields = ["level", "attribute", "position"]
    autocomplete_fields = ["attribute"]
    extra = 0


@admin.register(ProductType)
class ProductTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "label_attribute"]
    list_select_related = ["label_attribute"]
    search_fields = ["code"]
    autocomplete_fields = ["attributes", "label_attribute"]

    @admin.display(description=_("label"))
    def label(self, obj):
        return str(obj)


@admin.register(VariantScheme)
class VariantSchemeAdmin(admin.ModelAdmin):
    list_display = ["code", "product_type", "axes_summary"]
    list_select_related = ["product_type"]
    list_filter = ["product_type"]
    search_fields = ["code", "product_type__code"]
    autocomplete_fields = ["product_type"]
    inlines = [VariantAxisInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("axes__attribute")

    @admin.display(description=_("axes"))
    def axes_summary(self, obj):
        return ", ".join(f"{axis.level}: {axis.attribute.code}" for axis in obj.axes.all())
