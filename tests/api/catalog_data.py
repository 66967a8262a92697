"""A small catalog for the API tests: a camera model with two colour variants and a tripod."""

from dataclasses import dataclass
from decimal import Decimal

from catalog.models import AttributeType
from tests.factories import (
    AttributeFactory,
    AttributeOptionFactory,
    AttributeValueFactory,
    CategoryFactory,
    ChannelStockBufferFactory,
    MediaAssetFactory,
    PriceFactory,
    ProductFactory,
    ProductMediaFactory,
    ProductModelFactory,
    ProductTranslationFactory,
    StockLevelFactory,
    VariantAxisFactory,
    VariantSchemeFactory,
    WarehouseFactory,
)


@dataclass
class Catalog:
    cameras: object
    compact: object
    accessories: object
    model: object
    red: object
    blue: object
    tripod: object


def build_catalog(channel, price_list):
    cameras = CategoryFactory(code="cameras", labels={"de_DE": "Kameras", "en_GB": "Cameras"})
    compact = CategoryFactory(code="compact", parent=cameras, labels={"de_DE": "Kompaktkameras"})
    accessories = CategoryFactory(code="accessories", labels={"en_GB": "Accessories"})

    color = AttributeFactory(code="color", type=AttributeType.SINGLE_SELECT, labels={"de_DE": "Farbe", "en_GB": "Colour"})
    red_option = AttributeOptionFactory(attribute=color, code="red", labels={"de_DE": "Rot", "en_GB": "Red"})
    blue_option = AttributeOptionFactory(attribute=color, code="blue", labels={"de_DE": "Blau", "en_GB": "Blue"})
    teaser = AttributeFactory(code="teaser", type=AttributeType.TEXT, localizable=True, scopable=True, labels={"de_DE": "Kurztext"})
    brand = AttributeFactory(code="brand", type=AttributeType.TEXT, labels={"en_GB": "Brand"})

    scheme = VariantSchemeFactory(code="camera_by_color")
    VariantAxisFactory(scheme=scheme, level=1, attribute=color)
    model = ProductModelFactory(code="CAM", product_type=scheme.product_type, variant_scheme=scheme)
    model.categories.add(compact)
    AttributeValueFactory(product=None, product_model=model, attribute=brand, text_value="Optika")
    AttributeValueFactory(product=None, product_model=model, attribute=teaser, locale="de_DE", channel=channel.code, text_value="Scharf")
    AttributeValueFactory(product=None, product_model=model, attribute=teaser, locale="en_GB", channel=channel.code, text_value="Sharp")
    AttributeValueFactory(product=None, product_model=model, attribute=teaser, locale="de_DE", channel="print", text_value="Katalogtext")

    warehouse = WarehouseFactory(code="main")
    red = ProductFactory(sku="CAM-RED", parent=model, product_type=scheme.product_type)
    blue = ProductFactory(sku="CAM-BLUE", parent=model, product_type=scheme.product_type)
    tripod = ProductFactory(sku="TRIPOD")
    tripod.categories.add(accessories)
    for product, name_de, name_en in ((red, "Kamera rot", "Camera red"), (blue, "Kamera blau", None), (tripod, "Stativ", "Tripod")):
        ProductTranslationFactory(product=product, locale="de_DE", name=name_de)
        if name_en:
            ProductTranslationFactory(product=product, locale="en_GB", name=name_en)
    AttributeValueFactory(product=red, attribute=color, text_value="", option=red_option)
    AttributeValueFactory(product=blue, attribute=color, text_value="", option=blue_option)
    # The variant's own brand overrides the model's.
    AttributeValueFactory(product=blue, attribute=brand, text_value="Optika Pro")

    PriceFactory(product=red, price_list=price_list, amount=Decimal("199.00"))
    PriceFactory(product=blue, price_list=price_list, amount=Decimal("209.00"))
    # A channel price beats the general one.
    PriceFactory(product=blue, price_list=price_list, channel=channel, amount=Decimal("189.00"))
    PriceFactory(product=tripod, price_list=price_list, amount=Decimal("29.90"))
    PriceFactory(product=tripod, price_list=price_list, currency="CHF", amount=Decimal("32.50"))

    StockLevelFactory(product=red, warehouse=warehouse, on_hand=Decimal(5), reserved=Decimal(1))
    StockLevelFactory(product=blue, warehouse=warehouse, on_hand=Decimal(2))
    ChannelStockBufferFactory(channel=channel, product=blue, quantity=Decimal(2))
    StockLevelFactory(product=tripod, warehouse=warehouse, on_hand=Decimal(40))

    asset = MediaAssetFactory(file="catalog/2026/11/cam.jpg", alt_texts={"de_DE": "Kamera vorne"})
    ProductMediaFactory(product=None, product_model=model, asset=asset, role="main")

    return Catalog(cameras, compact, accessories, model, red, blue, tripod)
