"""The canonical catalog: what every connector maps products, prices and stock to and from."""

from catalog.models.attributes import Attribute, AttributeOption, AttributeType, AttributeValue
from catalog.models.categories import Category
from catalog.models.channels import Channel
from catalog.models.media import MediaAsset, MediaRole, ProductMedia
from catalog.models.pricing import Price, PriceList
from catalog.models.products import (
    Product,
    ProductModel,
    ProductTranslation,
    ProductType,
    VariantAxis,
    VariantScheme,
)
from catalog.models.stock import (
    ChannelStockBuffer,
    MovementReason,
    ReservationState,
    StockLevel,
    StockMovement,
    StockReservation,
    Warehouse,
)

__all__ = [
    "Attribute",
    "AttributeOption",
    "AttributeType",
    "AttributeValue",
    "Category",
    "Channel",
    "ChannelStockBuffer",
    "MediaAsset",
    "MediaRole",
    "MovementReason",
    "Price",
    "PriceList",
    "Product",
    "ProductMedia",
    "ProductModel",
    "ProductTranslation",
    "ProductType",
    "ReservationState",
    "StockLevel",
    "StockMovement",
    "StockReservation",
    "VariantAxis",
    "VariantScheme",
    "Warehouse",
]
