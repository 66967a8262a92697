from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from catalog.models import Price, PriceList
from core.admin import money_column


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ["product", "price_list", "channel", "amount_display", "is_gross", "valid_from", "valid_until"]
    list_select_related = ["product", "price_list", "channel"]
    list_filter = ["price_list", "currency", "is_gross", "channel"]
    search_fields = ["=product__sku"]
    autocomplete_fields = ["product", "price_list", "channel"]
    show_full_result_count = False

    amount_display = money_column("amount", _("amount"))


class PriceInline(admin.TabularInline):
    model = Price
    fields = ["price_list", "channel", "currency", "amount", "is_gross", "valid_from", "valid_until"]
    autocomplete_fields = ["price_list", "channel"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("price_list", "channel")
