from integrations.masking import is_sensitive_key, mask, mask_mapping, mask_text


def test_mask_shows_last_four_of_long_value():
    assert mask("sk_live_4eC39HqLyjWDarjtT1zdp7dc") == "****p7dc"


def test_mask_hides_short_value_completely():
    assert mask("abc123") == "****"
    assert mask("12345678901") == "****"


def test_mask_empty_value():
    assert mask(None) == ""
    assert mask("") == ""


def test_sensitive_keys():
    for key in ["Authorization", "X-Api-Key", "client_secret", "access_token", "billing_email", "phoneNumber", "IBAN", "card_number", "lastName", "street"]:
        assert is_sensitive_key(key), key
    for key in ["sku", "quantity", "price", "currency", "status"]:
        assert not is_sensitive_key(key), key


def test_sensitive_keys_extra_fields():
    assert is_sensitive_key("dhl-api-user", extra_fields=["api_user"])


def test_mask_mapping_nested():
    data = {
        "sku": "A-1",
        "customer": {"email": "anna.schmidt@example.org", "first_name": "Anna Maria", "addresses": [{"street": "Hauptstraße 1"}]},
        "password": "hunter2hunter2",
    }

    masked = mask_mapping(data)

    assert masked == {
        "sku": "A-1",
        "customer": {"email": "****", "first_name": "****", "addresses": [{"street": "****"}]},
        "password": "****ter2",
    }


def test_mask_text_personal_data():
    text = "mail anna.schmidt@example.org iban DE89 3704 0044 0532 0130 00 card 4111 1111 1111 1111 Bearer abc.def.ghi"

    masked = mask_text(text)

    assert masked == "mail **** iban **** card **** Bearer ****"


def test_mask_text_keeps_gtin():
    # 4006381333931 is a valid EAN-13 that fails the Luhn check of card numbers
    assert mask_text("/products/4006381333931") == "/products/4006381333931"


def test_mask_mapping_extra_fields_keep_tail():
    masked = mask_mapping({"gkp_user": "merchant-user-0815", "weight": 2}, extra_fields=["gkp_user"])

    assert masked == {"gkp_user": "****0815", "weight": 2}


def test_mask_mapping_masks_text_under_other_keys():
    assert mask_mapping({"note": "call anna@example.org"}) == {"note": "call ****"}


def test_prose_after_token_kept():
    text = "POST /v1/oauth2/token failed to connect; Bearer abcdefghijklmnopq; token Zm9vOmJhcg=="

    masked = mask_text(text)

    assert masked == "POST /v1/oauth2/token failed to connect; Bearer ****; token ****"
