from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from catalog.models import MediaAsset, ProductMedia


@admin.register(MediaAsset)
class MediaAssetAdmin(admin.ModelAdmin):
    list_display = ["__str__", "mime_type", "size_display", "checksum_start", "created_at"]
    list_filter = ["mime_type"]
    search_fields = ["=checksum", "original_name", "source_url"]
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False

    @admin.display(description=_("size"), ordering="size")
    def size_display(self, obj):
        return filesizeformat(obj.size)

    @admin.display(description=_("checksum"))
    def checksum_start(self, obj):
        return obj.checksum[:12]


class ProductMediaInline(admin.TabularInline):
    model = ProductMedia
    fields = ["asset", "role", "attribute_code", "position"]
    autocomplete_fields = ["asset"]
    extra = 0


class ProductModelMediaInline(ProductMediaInline):
    fk_name = "product_model"
