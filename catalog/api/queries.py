"""Product querysets for the API: price and channel availability as SQL annotations.

Computing both in the product query keeps a page at a fixed number of queries and lets the
price range and availability filters run in the database.
"""

from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from catalog.models import ChannelStockBuffer, Price, Product, StockLevel
from catalog.models.pricing import APPLIES_FIRST
from core.fields import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS

ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=14, decimal_places=3))


def effective_price(context):
    """The price row that applies now: the channel's own before the general one, newest window first."""
    prices = Price.objects.current(context.channel).filter(product=OuterRef("pk"), currency=context.currency)
    if context.price_list_id is not None:
        prices = prices.filter(price_list_id=context.price_list_id)
    else:
        prices = prices.filter(price_list__code=context.price_list_code)
    return prices.order_by(*APPLIES_FIRST)


def channel_available(channel):
    """On hand minus reserved in active warehouses minus the channel buffer, never below zero.

    The same rule as catalog.services.stock.available_for_channel, as one SQL expression.
    """
    free = (
        StockLevel.objects.filter(product=OuterRef("pk"), warehouse__is_active=True)
        .values("product")
        .annotate(free=Sum(F("on_hand") - F("reserved")))
        .values("free")
    )
    own_buffer = ChannelStockBuffer.objects.filter(channel=channel, product=OuterRef("pk")).values("quantity")[:1]
    default_buffer = ChannelStockBuffer.objects.filter(channel=channel, product__isnull=True).values("quantity")[:1]
    buffer = Coalesce(Subquery(own_buffer), Subquery(default_buffer), ZERO)
    return Greatest(Coalesce(Subquery(free), ZERO) - buffer, ZERO)


def product_queryset(context):
    prices = effective_price(context)
    money = DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    return (
        Product.objects.filter(enabled=True, is_deleted=False)
        .select_related("parent__parent", "parent__variant_scheme", "parent__parent__variant_scheme")
        .annotate(
            price_amount=Subquery(prices.values("amount")[:1], output_field=money),
            price_is_gross=Subquery(prices.values("is_gross")[:1]),
            available=channel_available(context.channel),
        )
    )
