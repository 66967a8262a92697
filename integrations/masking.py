"""Masking of secrets and personal data before a value reaches a log line or the admin."""

import json
import re

MASK = "****"

# Values shorter than this are masked completely, because their last four characters would
# give away too much of them.
MIN_LENGTH_TO_SHOW_TAIL = 12

# Key fragments, compared after lowercasing and removing "-" and "_". A key that contains one
# of them is masked: "X-Api-Key", "client_secret", "billing_email", "shipping_street" ...
SECRET_KEY_FRAGMENTS = (
    "authorization", "token", "password", "passwd", "secret", "apikey", "accesskey",
    "signature", "cookie", "session", "credential", "privatekey",
)
# Personal data is hidden completely, because unlike a key its tail does not help to tell
# values apart and may itself identify a person.
PERSONAL_KEY_FRAGMENTS = (
    "email", "phone", "mobile", "fax", "firstname", "lastname", "fullname", "givenname",
    "familyname", "surname", "customername", "street", "address", "zipcode", "postcode",
    "postalcode", "birth", "iban", "bic", "card", "cvc", "cvv", "taxid", "vatid",
)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# IBANs: two letters, two check digits, 11 to 30 alphanumerics, optionally grouped by spaces.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
# Payment card numbers: 12 to 19 digits, optionally grouped by spaces or dashes. Only numbers
# with a valid Luhn check digit are masked, so most GTINs and order numbers stay readable.
_CARD_NUMBER = re.compile(r"\b\d(?:[ -]?\d){11,18}\b")
_BEARER = re.compile(r"(?i)\b(bearer|basic|token)\s+([\w.~+/=-]+)")
# A short word of lowercase letters after "token" is taken for prose, as in "POST /oauth2/token
# failed to connect". A credential of at most 15 lowercase letters would stay visible too, but the
# tokens that Shopware, Odoo and the payment providers issue are longer or mix cases and digits.
_PROSE_WORD = re.compile(r"[a-z]{1,15}")


def mask(value):
    """Return `value` with all but its last four characters replaced, or fully masked if short."""
    if value is None or value == "":
        return ""
    text = str(value)
    if len(text) < MIN_LENGTH_TO_SHOW_TAIL:
        return MASK
    return MASK + text[-4:]


def is_sensitive_key(key, extra_fields=()):
    """Return whether a field or header named `key` contains a secret or personal data."""
    return _is_secret_key(key, extra_fields) or _contains_fragment(key, PERSONAL_KEY_FRAGMENTS)


def mask_mapping(data, extra_fields=()):
    """Return a copy of a dict, list or header mapping with sensitive values masked, recursively.

    Secrets keep their last four characters; personal data and `extra_fields` (treated as
    secrets) are replaced. Strings under other keys still pass through `mask_text`.
    """
    if hasattr(data, "items"):
        masked = {}
        for key, value in data.items():
            if isinstance(value, (dict, list, tuple)) or hasattr(value, "items"):
                masked[key] = mask_mapping(value, extra_fields)
            elif _is_secret_key(key, extra_fields):
                masked[key] = mask(value)
            elif _contains_fragment(key, PERSONAL_KEY_FRAGMENTS):
                masked[key] = MASK if value not in (None, "") else value
            else:
                masked[key] = mask_mapping(value, extra_fields)
        return masked
    if isinstance(data, (list, tuple)):
        return [mask_mapping(item, extra_fields) for item in data]
    if isinstance(data, str):
        return mask_text(data)
    return data


def _is_secret_key(key, extra_fields):
    return _contains_fragment(key, SECRET_KEY_FRAGMENTS + tuple(extra_fields))


def _contains_fragment(key, fragments):
    normalized = _normalize(key)
    return any(_normalize(fragment) in normalized for fragment in fragments)


def _normalize(key):
    return str(key).lower().replace("-", "").replace("_", "")


def masked_json(data):
    """Return `data` as indented JSON with its secrets and personal data masked, for an admin page."""
    return json.dumps(mask_mapping(data), indent=2, sort_keys=True, ensure_ascii=False)


def mask_text(text):
    """Mask e-mail addresses, IBANs, card numbers and bearer tokens inside free text."""
    text = _EMAIL.sub(MASK, str(text))
    text = _IBAN.sub(MASK, text)
    text = _CARD_NUMBER.sub(_mask_card_number, text)
    return _BEARER.sub(_mask_credential, text)


def _mask_credential(match):
    if _PROSE_WORD.fullmatch(match.group(2)):
        return match.group(0)
    return f"{match.group(1)} {MASK}"


def _mask_card_number(match):
    digits = [int(d) for d in re.sub(r"\D", "", match.group(0))]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return MASK if total % 10 == 0 else match.group(0)
