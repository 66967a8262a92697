"""The gross check of the order models shows amounts with the currency's decimal places."""

from decimal import Decimal

from django.utils import translation

from orders.models.checks import require_sum


def gross_errors(currency, language):
    errors = {}
    with translation.override(language):
        require_sum(errors, "total_gross", Decimal("12.0000"), Decimal("10.0000"), Decimal("1.9000"), currency=currency)
    return errors


def test_gross_message_uses_currency_places():
    assert gross_errors("EUR", "en") == {"total_gross": ["Gross 12.00 EUR is not net 10.00 EUR plus tax 1.90 EUR."]}


def test_gross_message_in_german():
    assert gross_errors("EUR", "de") == {"total_gross": ["Brutto 12,00 EUR ist nicht netto 10,00 EUR plus Steuer 1,90 EUR."]}


def test_gross_message_without_currency():
    # A caller that passes no currency gets the amounts as stored.
    assert gross_errors(None, "en") == {"total_gross": ["Gross 12.0000 is not net 10.0000 plus tax 1.9000."]}


def test_gross_message_keeps_finer_digits():
    errors = {}
    with translation.override("en"):
        require_sum(errors, "total_gross", Decimal("11.9050"), Decimal("10.0040"), Decimal("1.9000"), currency="EUR")

    assert errors == {"total_gross": ["Gross 11.905 EUR is not net 10.004 EUR plus tax 1.90 EUR."]}


def test_matching_gross_adds_nothing():
    errors = {}
    require_sum(errors, "total_gross", Decimal("11.90"), Decimal("10.00"), Decimal("1.90"), currency="EUR")

    assert errors == {}
