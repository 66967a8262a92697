"""Every catalog rule: clean() names the field and value, the database rejects what slips past."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.models import (
    AttributeType,
    AttributeValue,
    Category,
    ChannelStockBuffer,
    Price,
    Product,
    ProductMedia,
    StockLevel,
    StockReservation,
    VariantAxis,
)
from tests.factories import (
    AttributeFactory,
    AttributeOptionFactory,
    CategoryFactory,
    ChannelFactory,
    ChannelStockBufferFactory,
    MediaAssetFactory,
    OrderLineFactory,
    PriceFactory,
    ProductFactory,
    ProductModelFactory,
    ProductTranslationFactory,
    StockLevelFactory,
    VariantAxisFactory,
    WarehouseFactory,
)

pytestmark = pytest.mark.django_db


def errors_of(instance):
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def assert_integrity_error(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


# Products


def test_product_gtin_wrong_check_digit_names_value():
    product = ProductFactory.build(sku="CAM-1", gtin="4006381333932")

    errors = errors_of(product)

    assert list(errors) == ["gtin"]
    assert "4006381333932" in errors["gtin"][0]


def test_product_valid_gtin_passes():
    ProductFactory.build(sku="CAM-1", gtin="4006381333931").full_clean()


def test_product_gtin_unique_in_database():
    ProductFactory(sku="A", gtin="4006381333931")

    assert_integrity_error(lambda: Product.objects.create(sku="B", gtin="4006381333931"))


def test_products_without_gtin_may_repeat():
    Product.objects.create(sku="A", gtin=None)
    Product.objects.create(sku="B", gtin=None)

    assert Product.objects.filter(gtin__isnull=True).count() == 2


def test_product_sku_unique_and_not_empty():
    ProductFactory(sku="A")

    assert_integrity_error(lambda: Product.objects.create(sku="A"))
    assert_integrity_error(lambda: Product.objects.create(sku=""))


def test_translation_unique_per_locale():
    translation = ProductTranslationFactory(locale="de_DE")

    assert_integrity_error(lambda: ProductTranslationFactory(product=translation.product, locale="de_DE"))


# Attributes


def test_attribute_value_needs_exactly_one_owner():
    attribute = AttributeFactory()
    model = ProductModelFactory()

    assert_integrity_error(lambda: AttributeValue.objects.create(attribute=attribute, text_value="x"))
    assert_integrity_error(
        lambda: AttributeValue.objects.create(attribute=attribute, product=ProductFactory(), product_model=model, text_value="x")
    )


def test_attribute_value_unique_per_locale_and_channel():
    attribute = AttributeFactory(localizable=True)
    product = ProductFactory()
    AttributeValue.objects.create(product=product, attribute=attribute, locale="de_DE", text_value="Rot")

    assert_integrity_error(lambda: AttributeValue.objects.create(product=product, attribute=attribute, locale="de_DE", text_value="Blau"))


def test_localizable_attribute_needs_locale():
    attribute = AttributeFactory(code="name", localizable=True)

    errors = errors_of(AttributeValue(product=ProductFactory(), attribute=attribute, text_value="Kamera"))

    assert "locale" in errors
    assert "name" in errors["locale"][0]


def test_scopable_attribute_needs_channel():
    attribute = AttributeFactory(code="teaser", scopable=True)

    errors = errors_of(AttributeValue(product=ProductFactory(), attribute=attribute, text_value="x"))

    assert "channel" in errors


def test_number_attribute_without_decimals_rejects_fraction():
    attribute = AttributeFactory(code="pieces", type=AttributeType.NUMBER, decimals_allowed=False)

    errors = errors_of(AttributeValue(product=ProductFactory(), attribute=attribute, number_value=Decimal("1.5")))

    assert "1.5" in errors["number_value"][0]


def test_number_attribute_rejects_negative_when_not_allowed():
    attribute = AttributeFactory(code="weight", type=AttributeType.MEASUREMENT, negative_allowed=False)

    errors = errors_of(AttributeValue(product=ProductFactory(), attribute=attribute, number_value=Decimal("-2"), unit="KILOGRAM"))

    assert "-2" in errors["number_value"][0]


def test_measurement_needs_unit():
    attribute = AttributeFactory(code="weight", type=AttributeType.MEASUREMENT)

    errors = errors_of(AttributeValue(product=ProductFactory(), attribute=attribute, number_value=Decimal("2")))

    assert "unit" in errors


def test_single_select_option_of_other_attribute_rejected():
    color = AttributeFactory(code="color", type=AttributeType.SINGLE_SELECT)
    size_option = AttributeOptionFactory(code="xl")

    errors = errors_of(AttributeValue(product=ProductFactory(), attribute=color, option=size_option))

    assert "xl" in errors["option"][0]


def test_multi_select_unknown_option_named():
    attribute = AttributeFactory(code="features", type=AttributeType.MULTI_SELECT)
    AttributeOptionFactory(attribute=attribute, code="wifi")

    errors = errors_of(AttributeValue(product=ProductFactory(), attribute=attribute, json_value=["wifi", "nfc"]))

    assert "nfc" in errors["json_value"][0]
    assert "wifi" not in errors["json_value"][0]


def test_price_attribute_checks_currency_and_precision():
    attribute = AttributeFactory(code="msrp", type=AttributeType.PRICE)

    errors = errors_of(AttributeValue(product=ProductFactory(), attribute=attribute, json_value=[{"amount": "9.999", "currency": "EUR"}]))

    assert "9.999" in errors["json_value"][0]


def test_attribute_value_without_attribute_reports_missing_field():
    errors = errors_of(AttributeValue(product=ProductFactory(), text_value="x"))

    assert list(errors) == ["attribute"]


def test_attribute_option_code_unique_per_attribute():
    option = AttributeOptionFactory(code="red")

    assert_integrity_error(lambda: AttributeOptionFactory(attribute=option.attribute, code="red"))


def test_variant_axis_level_is_one_or_two():
    axis = VariantAxisFactory.build(level=3)
    axis.scheme.product_type.save()
    axis.scheme.save()
    axis.attribute.save()

    assert_integrity_error(lambda: VariantAxis.objects.create(scheme=axis.scheme, attribute=axis.attribute, level=3))


# Categories


def test_category_cannot_be_its_own_ancestor():
    root = CategoryFactory(code="root")
    child = CategoryFactory(code="child", parent=root)
    root.parent = child

    errors = errors_of(root)

    assert "root" in errors["parent"][0]


def test_category_move_updates_subtree_paths():
    root = CategoryFactory(code="cameras")
    child = CategoryFactory(code="compact", parent=root)
    grandchild = CategoryFactory(code="waterproof", parent=child)
    other = CategoryFactory(code="outdoor")

    child.parent = other
    child.save()

    grandchild.refresh_from_db()
    assert grandchild.path == "outdoor/compact/waterproof"
    assert grandchild.depth == 2
    assert set(other.subtree().values_list("code", flat=True)) == {"outdoor", "compact", "waterproof"}
    assert Category.objects.get(code="cameras").subtree().count() == 1


# Channels and prices


def test_channel_unknown_currency_named():
    channel = ChannelFactory.build(code="shop-de", currencies=["EUR", "EUX"])

    errors = errors_of(channel)

    assert list(errors) == ["currencies"]
    assert "EUX" in errors["currencies"][0]


def test_price_unknown_currency_named():
    price = PriceFactory.build(product=ProductFactory(), price_list=PriceFactory().price_list, currency="EUX")

    errors = errors_of(price)

    assert "EUX" in errors["currency"][0]


@pytest.mark.parametrize(("currency", "amount", "shown"), [("EUR", "19.999", "19.999"), ("JPY", "1500.5", "1,500.5"), ("KWD", "2.0001", "2.0001")])
def test_price_finer_than_currency_rejected(currency, amount, shown):
    channel = ChannelFactory(currencies=[currency])
    price = PriceFactory.build(product=ProductFactory(), price_list=PriceFactory().price_list, channel=channel, currency=currency, amount=Decimal(amount))

    errors = errors_of(price)

    assert shown in errors["amount"][0]
    assert currency in errors["amount"][0]


@pytest.mark.parametrize(("currency", "amount"), [("EUR", "19.99"), ("JPY", "1500"), ("KWD", "2.125")])
def test_price_at_currency_precision_passes(currency, amount):
    channel = ChannelFactory(currencies=[currency])
    price = PriceFactory.build(product=ProductFactory(), price_list=PriceFactory().price_list, channel=channel, currency=currency, amount=Decimal(amount))

    price.full_clean()


def test_price_negative_rejected_in_clean_and_database():
    price = PriceFactory.build(product=ProductFactory(), price_list=PriceFactory().price_list, amount=Decimal("-1.00"))

    errors = errors_of(price)

    assert "-1.00" in errors["amount"][0]
    assert_integrity_error(price.save)


def test_price_currency_must_be_sold_by_channel():
    # The message names the channel as the admin shows it, not by its code.
    channel = ChannelFactory(code="shop-ch", name="Swiss shop", currencies=["CHF"])
    price = PriceFactory.build(product=ProductFactory(), price_list=PriceFactory().price_list, channel=channel, currency="EUR")

    errors = errors_of(price)

    assert errors["currency"] == ["Channel Swiss shop does not sell in EUR. Add the currency to the channel first."]


def test_price_window_must_end_after_start():
    start = datetime(2026, 11, 27, tzinfo=UTC)
    price = PriceFactory.build(product=ProductFactory(), price_list=PriceFactory().price_list, valid_from=start, valid_until=start)

    assert "valid_until" in errors_of(price)
    assert_integrity_error(price.save)


def test_price_duplicate_without_channel_rejected_by_clean():
    price = PriceFactory()
    duplicate = Price(product=price.product, price_list=price.price_list, currency="EUR", amount=Decimal("1.00"))

    errors = errors_of(duplicate)

    assert errors["__all__"] == ["Price with this Product, Price list, Channel, Currency and Valid from already exists."]


@pytest.mark.postgres
def test_price_duplicate_without_channel_rejected_by_database():
    # NULLS NOT DISTINCT needs PostgreSQL 15; SQLite treats each NULL channel as distinct.
    price = PriceFactory()

    assert_integrity_error(lambda: Price.objects.create(product=price.product, price_list=price.price_list, currency="EUR", amount=Decimal("1.00")))


# Media


def test_media_checksum_unique():
    asset = MediaAssetFactory()

    assert_integrity_error(lambda: MediaAssetFactory(checksum=asset.checksum))


def test_product_media_needs_exactly_one_owner():
    asset = MediaAssetFactory()

    assert_integrity_error(lambda: ProductMedia.objects.create(asset=asset))


# Stock


def test_stock_level_negative_on_hand_named():
    level = StockLevelFactory.build(product=ProductFactory(), warehouse=WarehouseFactory(), on_hand=Decimal("-3"))

    errors = errors_of(level)

    assert "-3" in errors["on_hand"][0]
    assert_integrity_error(level.save)


def test_stock_level_reserved_beyond_on_hand_named():
    level = StockLevelFactory.build(product=ProductFactory(), warehouse=WarehouseFactory(), on_hand=Decimal(2), reserved=Decimal(3))

    errors = errors_of(level)

    assert "3" in errors["reserved"][0]
    assert_integrity_error(level.save)


def test_stock_level_negative_reserved_rejected_in_database():
    level = StockLevelFactory()

    assert_integrity_error(lambda: StockLevel.objects.filter(pk=level.pk).update(reserved=Decimal(-1)))


def test_stock_level_unique_per_product_and_warehouse():
    level = StockLevelFactory()

    assert_integrity_error(lambda: StockLevel.objects.create(product=level.product, warehouse=level.warehouse))


def test_stock_level_available_never_negative():
    assert StockLevel(on_hand=Decimal(5), reserved=Decimal(2)).available == Decimal(3)
    assert StockLevel(on_hand=Decimal(0), reserved=Decimal(0)).available == 0


@pytest.mark.parametrize("quantity", ["0", "-1"])
def test_stock_reservation_quantity_must_be_positive(quantity):
    line = OrderLineFactory()
    reservation = StockReservation(order_line=line, product=line.product, warehouse=WarehouseFactory(), quantity=Decimal(quantity))

    errors = errors_of(reservation)

    assert quantity in errors["quantity"][0]
    assert_integrity_error(reservation.save)


def test_channel_buffer_negative_rejected():
    buffer = ChannelStockBufferFactory.build(channel=ChannelFactory(), product=ProductFactory(), quantity=Decimal("-1"))

    errors = errors_of(buffer)

    assert "-1" in errors["quantity"][0]
    assert_integrity_error(buffer.save)


def test_channel_buffer_second_default_row_rejected_by_clean():
    channel = ChannelFactory()
    ChannelStockBufferFactory(channel=channel, product=None)

    errors = errors_of(ChannelStockBuffer(channel=channel, product=None, quantity=Decimal(1)))

    assert errors["__all__"] == ["Channel stock buffer with this Channel and Product already exists."]


@pytest.mark.postgres
def test_channel_buffer_second_default_row_rejected_by_database():
    # NULLS NOT DISTINCT needs PostgreSQL 15; SQLite treats each NULL product as distinct.
    channel = ChannelFactory()
    ChannelStockBufferFactory(channel=channel, product=None)

    assert_integrity_error(lambda: ChannelStockBufferFactory(channel=channel, product=None))
