import pytest
from django.core.exceptions import ValidationError

from core.validators import validate_gtin, validate_non_negative, validate_vat_number


@pytest.mark.parametrize("gtin", ["4006381333931", "96385074", "036000291452", "10036000291459"])
def test_gtin_accepts_valid_check_digit(gtin):
    validate_gtin(gtin)


def test_gtin_rejects_wrong_check_digit():
    with pytest.raises(ValidationError) as caught:
        validate_gtin("4006381333932")

    assert caught.value.code == "invalid_gtin_checksum"
    assert "4006381333932" in caught.value.messages[0]


def test_gtin_rejects_letters():
    with pytest.raises(ValidationError) as caught:
        validate_gtin("40063813339A1")

    assert caught.value.code == "invalid_gtin"


def test_gtin_with_lost_leading_zeros_suggests_fix():
    with pytest.raises(ValidationError) as caught:
        validate_gtin("36000291452")

    assert caught.value.code == "invalid_gtin_length"
    assert "0036000291452" in caught.value.messages[0]


def test_vat_number_rejected_with_value():
    with pytest.raises(ValidationError) as caught:
        validate_vat_number("DE123")

    assert "DE123" in caught.value.messages[0]


def test_non_negative_rejects_negative_with_value():
    with pytest.raises(ValidationError) as caught:
        validate_non_negative(-1)

    assert "-1" in caught.value.messages[0]
