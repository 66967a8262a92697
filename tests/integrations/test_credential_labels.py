"""Every connector's credential fields are labelled in German in the German admin."""

import pytest
from django.utils import translation

from integrations.registry import get_connector

KINDS = ["stripe", "mollie", "paypal", "dhl", "sendcloud", "odoo", "akeneo", "shopware"]


@pytest.mark.parametrize("kind", KINDS)
def test_labels_translated(kind):
    fields = get_connector(kind).credential_fields
    assert fields

    for field in fields:
        with translation.override("en"):
            english = str(field.label)
        with translation.override("de"):
            german = str(field.label)
        assert german != english, f"{kind}.{field.name} has no German label: {english!r}"
