"""Order totals errors show amounts with the currency's decimal places and compare them unrounded."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from orders.models import RoundingRule
from orders.services import TaxLineInput, _totals_errors, create_order
from tests.orders.test_order_service import line, make_channel, make_product, order_input

pytestmark = pytest.mark.django_db


def errors_of(data, language):
    # The messages are rendered when read, so they are read in `language` too.
    with translation.override(language):
        with pytest.raises(ValidationError) as caught:
            create_order(data, actor="test")
        return caught.value.message_dict


def test_totals_message_uses_currency_places():
    make_product("A")
    make_product("B")
    lines = [line("A", net="8.4000", tax="1.6000", gross="10.0000"), line("B", net="8.4000", tax="1.6000", gross="10.0000")]
    data = order_input(make_channel(), lines=lines, total_gross=Decimal("20.5000"), total_net=Decimal("16.8000"), total_tax=Decimal("3.2000"))

    errors = errors_of(data, "en")

    assert errors["total_gross"] == [
        "Order total gross is 20.50 EUR but the lines and shipping add up to 20.00 EUR. Check the order in the source system."
    ]
    assert "20.0000" not in errors["total_gross"][0]


def test_totals_message_in_german():
    make_product("A")
    data = order_input(make_channel(), lines=[line("A", net="10.0000", tax="1.9000", gross="11.9000")], total_net=Decimal("12.0000"))

    errors = errors_of(data, "de")

    assert errors["total_net"] == [
        "Bestellsumme (netto) ist 12,00 EUR, Positionen und Versand ergeben aber 10,00 EUR. Prüfen Sie die Bestellung im Quellsystem."
    ]


def test_totals_message_per_order_rounding():
    make_product("A")
    make_product("B")
    lines = [line("A", net="8.4034", tax="1.5966", gross="10.0000"), line("B", net="8.4034", tax="1.5966", gross="10.0000")]
    data = order_input(
        make_channel(), lines=lines, rounding_rule=RoundingRule.PER_ORDER,
        total_net=Decimal("16.8000"), total_tax=Decimal("3.2000"), total_gross=Decimal("20.0000"),
    )

    errors = errors_of(data, "en")

    assert errors["total_net"] == [
        "Order total net is 16.80 EUR but the lines and shipping add up to 16.81 EUR. Check the order in the source system."
    ]
    assert errors["total_tax"] == [
        "Order total tax is 3.20 EUR but the lines and shipping add up to 3.19 EUR. Check the order in the source system."
    ]
    assert "total_gross" not in errors


def test_totals_compared_unrounded():
    # Rounded to cents, 20.004 would equal the stated 20.00, so the message keeps all digits.
    data = order_input(
        make_channel(), lines=[line(net="10.00", tax="0", gross="10.00"), line(net="10.004", tax="0", gross="10.004")],
        total_net=Decimal("20.00"), total_tax=Decimal("0"), total_gross=Decimal("20.00"),
    )

    with translation.override("en"):
        errors = _totals_errors(data)

    assert sorted(errors) == ["total_gross", "total_net"]
    assert str(errors["total_gross"]) == (
        "Order total gross is 20.00 EUR but the lines and shipping add up to 20.004 EUR. Check the order in the source system."
    )


def test_tax_lines_message_uses_currency_places():
    make_product("A")
    data = order_input(
        make_channel(), lines=[line("A", net="10.0000", tax="1.9000", gross="11.9000")],
        tax_lines=[TaxLineInput(rate=Decimal("19.000"), net=Decimal("10.0000"), tax=Decimal("1.8000"))],
    )

    errors = errors_of(data, "de")

    assert errors["tax_lines"] == ["Die Steuerzeilen ergeben 1,80 EUR, die Steuersumme der Bestellung ist aber 1,90 EUR."]


def test_line_gross_message_uses_currency_places():
    make_product("A")
    data = order_input(make_channel(), lines=[line("A", net="10.0000", tax="1.9000", gross="12.0000")])

    errors = errors_of(data, "en")

    assert errors["lines[0].total_gross"][0] == "Line A: gross 12.00 is not net 10.00 plus tax 1.90."


def test_negative_total_message_uses_currency_places():
    make_product("A")
    data = order_input(make_channel(), lines=[line("A")], shipping_net=Decimal("-5.0000"))

    errors = errors_of(data, "en")

    assert errors["shipping_net"] == ["shipping_net is -5.00 EUR; it must not be negative."]


def test_negative_derived_tax_names_gross_and_net():
    # The source sent gross 10.00 and net 12.00, and the tax of -2.00 is Kontor's subtraction.
    make_product("A")
    data = order_input(
        make_channel(), lines=[line("A")],
        total_gross=Decimal("10.0000"), total_net=Decimal("12.0000"), total_tax=Decimal("-2.0000"), total_tax_derived=True,
    )

    english = errors_of(data, "en")
    german = errors_of(data, "de")

    assert english["total_tax"] == [
        "Order total gross 10.00 EUR minus total net 12.00 EUR gives tax -2.00 EUR, but the tax must not be negative. "
        "Check the order in the source system."
    ]
    assert german["total_tax"] == [
        "Bestellsumme (brutto) 10,00 EUR minus Bestellsumme (netto) 12,00 EUR ergibt Steuer -2,00 EUR, die Steuer darf "
        "aber nicht negativ sein. Prüfen Sie die Bestellung im Quellsystem."
    ]


def test_tax_lines_message_with_derived_tax():
    make_product("A")
    data = order_input(
        make_channel(), lines=[line("A", net="10.0000", tax="1.9000", gross="11.9000")], total_tax_derived=True,
        tax_lines=[TaxLineInput(rate=Decimal("19.000"), net=Decimal("10.0000"), tax=Decimal("1.8000"))],
    )

    english = errors_of(data, "en")
    german = errors_of(data, "de")

    assert english["tax_lines"] == [
        "Order total gross 11.90 EUR minus total net 10.00 EUR gives tax 1.90 EUR, but the tax lines add up to 1.80 EUR."
    ]
    assert german["tax_lines"] == [
        "Bestellsumme (brutto) 11,90 EUR minus Bestellsumme (netto) 10,00 EUR ergibt Steuer 1,90 EUR, "
        "die Steuerzeilen ergeben aber 1,80 EUR."
    ]
