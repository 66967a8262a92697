"""validate_order_input checks address countries by the rule of the order API's serializer."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.models import Channel, Product
from orders.api.serializers import AddressInputSerializer
from orders.services import AddressInput, LineInput, OrderInput, validate_order_input

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

