"""factory-boy factories for the canonical catalog, order and customer models.

Every factory builds a valid record: GTINs have correct check digits, amounts fit their
currency and an order's totals match its lines. Tests override only what they are about.
Rows that services normally write (stock levels, status history) are created directly here,
so use the services when the test is about how those rows come about.
"""

from datetime import UTC, datetime
from decimal import Decimal

import factory
from stdnum import ean

from catalog.models import (
    Attribute,
    AttributeOption,
    AttributeType,
    AttributeValue,
    Category,
    Channel,
    ChannelStockBuffer,
    MediaAsset,
    Price,
    PriceList,
    Product,
    ProductMedia,
    ProductModel,
    ProductTranslation,
    ProductType,
    StockLevel,
    StockMovement,
    StockReservation,
    VariantAxis,
    VariantScheme,
    Warehouse,
)
from customers.models import Address, Consent, ConsentPurpose, Customer, Segment
from orders.models import (
    Document,
    DocumentKind,
    Order,
    OrderAddress,
    OrderLine,
    OrderStatusChange,
    Payment,
    Refund,
    Return,
    ReturnLine,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
    ShipmentStatus,
    TaxLine,
)

PLACED_AT = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def valid_gtin(number):
    """Return a GTIN-13 with a correct check digit, unique per `number`."""
    body = f"400{number:09d}"
    return body + ean.calc_check_digit(body)


# Catalog


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"shop-{n}")
    name = factory.LazyAttribute(lambda o: f"Shop {o.code}")
    locales = factory.LazyFunction(lambda: ["de_DE", "en_GB"])
    currencies = factory.LazyFunction(lambda: ["EUR"])


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"wh-{n}")
    name = factory.LazyAttribute(lambda o: f"Warehouse {o.code}")


class AttributeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attribute

    code = factory.Sequence(lambda n: f"attribute_{n}")
    type = AttributeType.TEXT
    labels = factory.LazyAttribute(lambda o: {"en_GB": o.code.replace("_", " ").title()})


class AttributeOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttributeOption

    attribute = factory.SubFactory(AttributeFactory, type=AttributeType.SINGLE_SELECT)
    code = factory.Sequence(lambda n: f"option_{n}")
    labels = factory.LazyAttribute(lambda o: {"en_GB": o.code})


class ProductTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductType

    code = factory.Sequence(lambda n: f"type_{n}")
    labels = factory.LazyAttribute(lambda o: {"en_GB": o.code})


class VariantSchemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VariantScheme

    code = factory.Sequence(lambda n: f"scheme_{n}")
    product_type = factory.SubFactory(ProductTypeFactory)


class VariantAxisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VariantAxis

    scheme = factory.SubFactory(VariantSchemeFactory)
    level = 1
    attribute = factory.SubFactory(AttributeFactory, type=AttributeType.SINGLE_SELECT)


class ProductModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductModel

    code = factory.Sequence(lambda n: f"MODEL-{n}")
    product_type = factory.SubFactory(ProductTypeFactory)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    code = factory.Sequence(lambda n: f"category-{n}")
    labels = factory.LazyAttribute(lambda o: {"en_GB": o.code})


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ["sku"]

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    gtin = factory.Sequence(valid_gtin)


class ProductTranslationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductTranslation

    product = factory.SubFactory(ProductFactory)
    locale = "de_DE"
    name = factory.LazyAttribute(lambda o: f"Artikel {o.product.sku}")
    description = "Beschreibung"


class AttributeValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttributeValue

    product = factory.SubFactory(ProductFactory)
    attribute = factory.SubFactory(AttributeFactory)
    text_value = "value"


class MediaAssetFactory(factory.django.DjangoModelFactory):
    """A media asset whose file name points nowhere, so tests write nothing to MEDIA_ROOT."""

    class Meta:
        model = MediaAsset

    file = factory.Sequence(lambda n: f"catalog/2026/11/image-{n}.jpg")
    checksum = factory.Sequence(lambda n: f"{n:064x}")
    original_name = factory.Sequence(lambda n: f"image-{n}.jpg")
    mime_type = "image/jpeg"
    size = 2048


class ProductMediaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductMedia

    product = factory.SubFactory(ProductFactory)
    asset = factory.SubFactory(MediaAssetFactory)


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceList
        django_get_or_create = ["code"]

    code = "retail"
    name = "Retail"


class PriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Price

    product = factory.SubFactory(ProductFactory)
    price_list = factory.SubFactory(PriceListFactory)
    currency = "EUR"
    amount = Decimal("19.99")


class StockLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockLevel

    product = factory.SubFactory(ProductFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    on_hand = Decimal(10)


class StockMovementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockMovement

    product = factory.SubFactory(ProductFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    on_hand_delta = Decimal(10)
    reason = "sync"


class ChannelStockBufferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChannelStockBuffer

    channel = factory.SubFactory(ChannelFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = Decimal(2)


# Customers


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    code = factory.Sequence(lambda n: f"segment-{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    first_name = "Anna"
    last_name = factory.Sequence(lambda n: f"Schmidt{n}")


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    kind = "shipping"
    street = "Hauptstraße 1"
    postal_code = "10115"
    city = "Berlin"
    country = "DE"


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    customer = factory.SubFactory(CustomerFactory)
    purpose = ConsentPurpose.MARKETING_EMAIL
    granted = True
    recorded_at = PLACED_AT
    source = "shop checkout"


# Orders


class OrderFactory(factory.django.DjangoModelFactory):
    """An order of one line, 1 x 11.90 EUR gross (10.00 net, 1.90 tax at 19 %).

    Pass `lines=[]` for an order without lines, or a list of OrderLineFactory keyword dicts,
    in which case set the order totals to match them.
    """

    class Meta:
        model = Order
        django_get_or_create = ["channel", "external_number"]
        skip_postgeneration_save = True

    channel = factory.SubFactory(ChannelFactory)
    external_number = factory.Sequence(lambda n: f"{10000 + n}")
    email = factory.Sequence(lambda n: f"buyer{n}@example.com")
    currency = "EUR"
    total_net = Decimal("10.00")
    total_tax = Decimal("1.90")
    total_gross = Decimal("11.90")
    placed_at = PLACED_AT

    @factory.post_generation
    def lines(order, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = [{}]
        for position, values in enumerate(extracted, start=1):
            OrderLineFactory(order=order, position=position, **values)


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory, lines=[])
    position = factory.Sequence(lambda n: n + 1)
    product = factory.SubFactory(ProductFactory)
    sku = factory.LazyAttribute(lambda o: o.product.sku if o.product else "SKU-UNKNOWN")
    name = "Kamera"
    quantity = Decimal(1)
    unit_price = Decimal("11.90")
    tax_rate = Decimal(19)
    total_net = Decimal("10.00")
    total_tax = Decimal("1.90")
    total_gross = Decimal("11.90")


class TaxLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxLine

    order = factory.SubFactory(OrderFactory)
    rate = Decimal(19)
    net = Decimal("10.00")
    tax = Decimal("1.90")


class OrderAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderAddress

    order = factory.SubFactory(OrderFactory)
    kind = "shipping"
    first_name = "Anna"
    last_name = "Schmidt"
    street = "Hauptstraße 1"
    postal_code = "10115"
    city = "Berlin"
    country = "DE"


class OrderStatusChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderStatusChange

    order = factory.SubFactory(OrderFactory)
    from_status = ""
    to_status = "new"
    actor = "test"


class StockReservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockReservation

    order_line = factory.SubFactory(OrderLineFactory)
    product = factory.LazyAttribute(lambda o: o.order_line.product)
    warehouse = factory.SubFactory(WarehouseFactory)
    quantity = Decimal(1)


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    provider = "stripe"
    external_id = factory.Sequence(lambda n: f"pi_{n:010d}")
    method = "card"
    currency = factory.LazyAttribute(lambda o: o.order.currency if o.order else "EUR")
    amount = factory.LazyAttribute(lambda o: o.order.total_gross if o.order else Decimal("11.90"))


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Refund

    payment = factory.SubFactory(PaymentFactory)
    external_id = factory.Sequence(lambda n: f"re_{n:010d}")
    currency = factory.LazyAttribute(lambda o: o.payment.currency)
    amount = Decimal("5.00")


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    order = factory.SubFactory(OrderFactory)
    carrier = "dhl"
    tracking_number = factory.Sequence(lambda n: f"00340434{n:012d}")


class ShipmentLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShipmentLine

    shipment = factory.SubFactory(ShipmentFactory)
    order_line = factory.LazyAttribute(lambda o: o.shipment.order.lines.first())
    quantity = Decimal(1)


class ShipmentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShipmentEvent

    shipment = factory.SubFactory(ShipmentFactory)
    status = ShipmentStatus.IN_TRANSIT
    carrier_code = "ITR"
    occurred_at = PLACED_AT


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    order = factory.SubFactory(OrderFactory)
    kind = DocumentKind.INVOICE
    number = factory.Sequence(lambda n: f"RE-{n:06d}")
    issued_at = PLACED_AT
    currency = factory.LazyAttribute(lambda o: o.order.currency)
    amount_net = factory.LazyAttribute(lambda o: o.order.total_net)
    amount_tax = factory.LazyAttribute(lambda o: o.order.total_tax)
    amount_gross = factory.LazyAttribute(lambda o: o.order.total_gross)


class ReturnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Return

    order = factory.SubFactory(OrderFactory)
    reason = "Zu klein"


class ReturnLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnLine

    return_request = factory.SubFactory(ReturnFactory)
    order_line = factory.LazyAttribute(lambda o: o.return_request.order.lines.first())
    quantity = Decimal(1)
