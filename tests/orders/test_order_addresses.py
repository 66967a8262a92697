"""validate_order_input checks addresses and text lengths by the rules of the order API's serializers."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.models import Channel, Product
from orders.api.serializers import AddressInputSerializer, LineInputSerializer, OrderInputSerializer
from orders.services import (
    ADDRESS_TEXT_COLUMNS,
    LINE_TEXT_COLUMNS,
    ORDER_TEXT_COLUMNS,
    AddressInput,
    LineInput,
    OrderInput,
    validate_order_input,
)

pytestmark = pytest.mark.django_db


def order_input(billing=None, shipping=None, number="1001", sku="CAM-1", name="Camera"):
    channel = Channel.objects.create(code="shop-de", name="Shop DE", currencies=["EUR"])
    line = LineInput(
        sku=sku, name=name, quantity=Decimal(1), unit_price=Decimal("11.90"),
        total_net=Decimal("10.00"), total_tax=Decimal("1.90"), total_gross=Decimal("11.90"), tax_rate=Decimal(19),
    )
    return OrderInput(
        channel=channel, external_number=number, currency="EUR", placed_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        lines=[line], total_net=Decimal("10.00"), total_tax=Decimal("1.90"), total_gross=Decimal("11.90"),
        billing_address=billing, shipping_address=shipping,
    )


def address(**changes):
    return AddressInput(**{"street": "Hauptstr. 1", "city": "Berlin", "country": "DE", **changes})


def errors_of(data):
    with pytest.raises(ValidationError) as caught:
        validate_order_input(data)
    return caught.value.message_dict


@pytest.mark.parametrize("country", ["ZZ", "de", "DEU", ""])
def test_unknown_country_rejected(country):
    Product.objects.create(sku="CAM-1")

    errors = errors_of(order_input(shipping=address(country=country)))

    assert errors == {
        "shipping_address.country": [
            f'Country "{country}" is not an ISO 3166-1 alpha-2 country code. Correct the country of the address '
            "in the source system, such as DE for Germany."
        ]
    }


@pytest.mark.parametrize("country", ["ZZ", "XX", "DE", "AT", "GB"])
def test_country_rule_matches_order_api(country):
    Product.objects.create(sku="CAM-1")
    serializer = AddressInputSerializer(data={"street": "Hauptstr. 1", "city": "Berlin", "country": country})

    try:
        validate_order_input(order_input(billing=address(country=country)))
        accepted = True
    except ValidationError:
        accepted = False

    assert accepted == serializer.is_valid()


def test_text_limits_match_order_api():
    address_fields = AddressInputSerializer().fields
    line_fields = LineInputSerializer().fields

    assert {name: column.max_length for name, column in ADDRESS_TEXT_COLUMNS.items()} == {
        name: address_fields[name].max_length for name in ADDRESS_TEXT_COLUMNS
    }
    assert LINE_TEXT_COLUMNS["sku"].max_length == line_fields["sku"].max_length == 100
    assert LINE_TEXT_COLUMNS["name"].max_length == line_fields["name"].max_length == 500
    assert ORDER_TEXT_COLUMNS["external_number"].max_length == OrderInputSerializer().fields["number"].max_length == 100


def test_long_texts_named_with_length_and_limit():
    Product.objects.create(sku="CAM-1")

    errors = errors_of(order_input(billing=address(last_name="M" * 101, phone="0" * 51), number="N" * 101, name="C" * 501))

    assert errors == {
        "external_number": ["external_number has 101 characters, but Kontor stores at most 100. Shorten it in the source system."],
        "billing_address.last_name": [
            "billing_address.last_name has 101 characters, but Kontor stores at most 100. Shorten it in the source system."
        ],
        "billing_address.phone": ["billing_address.phone has 51 characters, but Kontor stores at most 50. Shorten it in the source system."],
        "lines[0].name": ["lines[0].name has 501 characters, but Kontor stores at most 500. Shorten it in the source system."],
    }


def test_long_sku_named_with_missing_product():
    errors = errors_of(order_input(sku="S" * 101))

    assert errors["lines[0].sku"] == [
        f"SKU {'S' * 101} is not in the catalog. Import the product or correct the SKU.",
        "lines[0].sku has 101 characters, but Kontor stores at most 100. Shorten it in the source system.",
    ]
