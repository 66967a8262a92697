"""The DHL billing number (Abrechnungsnummer) that each shipment is charged to.

A billing number has 14 digits: the 10-digit EKP (the business customer number), the 2-digit
procedure (01 is DHL Paket national) and the 2-digit participation. The admin checks it when a
connection is saved. The connection test and label creation check the stored value before they
call DHL, so a wrong number is named here instead of in a rejected label request.
"""

import re

from django.utils.translation import gettext_lazy as _

from integrations.errors import InvalidSetting

BILLING_NUMBER_LABEL = _("Billing number (14 digits: EKP, procedure, participation)")
BILLING_NUMBER_DIGITS = 14
_BILLING_NUMBER = re.compile(rf"[0-9]{{{BILLING_NUMBER_DIGITS}}}")


def clean_billing_number(value):
    """Return the billing number without spaces, or raise InvalidSetting naming the value.

    Spaces between the parts are removed, so "3333333333 01 01" is stored as 33333333330101.
    """
    compact = "".join(str(value or "").split())
    if not _BILLING_NUMBER.fullmatch(compact):
        raise InvalidSetting(
            f"DHL billing number {value!r} is not {BILLING_NUMBER_DIGITS} digits",
            setting=BILLING_NUMBER_LABEL,
            value=value or "",
            expected=_(
                "Enter the 14 digits of the billing number from the DHL business customer portal: "
                "the 10-digit EKP, the 2-digit procedure and the 2-digit participation, such as 33333333330101."
            ),
        )
    return compact
