"""Errors about one item's data (not about the remote call), shown to support staff.

Like integrations.errors.ConnectorError they carry a stable `code` and a translated
`support_message` that names the value and what to do; they are never retried automatically,
because the same item fails the same way until someone changes a mapping or a rule.
"""

from django.utils.translation import gettext_lazy as _


class ItemError(Exception):
    code = "item_error"
    retryable = False
    retry_after = None
    message_template = _("The item could not be processed.")

    def __init__(self, **params):
        self.params = params
        super().__init__(f"{self.code}: {params}")

    @property
    def support_message(self):
        return str(self.message_template) % self.params


class MappingMissing(ItemError):
    code = "mapping_missing"
    message_template = _(
        "No %(kind)s for the value \"%(value)s\" in %(connection)s. Add it under "
        "Integrations > %(kinds)s (or import a CSV), then retry."
    )


class MappingAmbiguous(ItemError):
    code = "mapping_ambiguous"
    message_template = _(
        "The external code \"%(value)s\" of %(connection)s has several %(kinds)s "
        "(Kontor codes %(codes)s). Keep one of them, then retry."
    )


class NoLeadingSystem(ItemError):
    code = "no_leading_system"
    message_template = _(
        "No leading system is set for %(domain)s, so Kontor accepts no changes to it from "
        "%(connection)s. Set one under Integrations > Leading system rules, then retry."
    )


class UnknownRecord(ItemError):
    code = "unknown_record"
    message_template = _(
        "%(connection)s sent %(entity)s \"%(external_id)s\", which is not linked to a record in "
        "Kontor. Import or link the record first, then retry."
    )
