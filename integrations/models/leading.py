from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from integrations.domains import Domain, FieldGroup
from integrations.models.connections import Connection


class LeadingSystemRule(models.Model):
    """The connection that is the source of truth for a domain, or for one field group of it.

    A rule with an empty field group covers every field group of the domain that has no rule
    of its own.
    """

    domain = models.CharField(_("data domain"), max_length=30, choices=Domain.choices)
    field_group = models.CharField(_("field group"), max_length=30, choices=FieldGroup.choices, blank=True)
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="leading_rules", verbose_name=_("leading connection"))

    class Meta:
        verbose_name = _("leading system rule")
        verbose_name_plural = _("leading system rules")
        ordering = ["domain", "field_group"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "field_group"], name="integrations_leading_rule_unique"),
        ]

    def __str__(self):
        # The admin shows this in titles and breadcrumbs, so it names the domain by its label.
        scope = f"{self.get_domain_display()} / {self.get_field_group_display()}" if self.field_group else self.get_domain_display()
        return f"{scope} ← {self.connection}"


# An order's number is unique only within its sales channel, so its label names both. A channel
# name with brackets of its own, such as "Shopware (sandbox)", follows a word instead, so
# brackets never nest.
ORDER_LABEL = _("Order %(number)s (%(channel)s)")
ORDER_LABEL_BRACKETED_CHANNEL = _("Order %(number)s from %(channel)s")


def _has_brackets(text):
    return "(" in text or ")" in text


def conflict_field(conflict):
    """Return the model field of the conflict's record that `conflict.field` names, or None.

    Conflicts may name values that are not model fields, such as a product's translated name.
    """
    model = conflict.content_type.model_class()
    if model is None:
        return None
    try:
        field = model._meta.get_field(conflict.field)
    except FieldDoesNotExist:
        return None
    # Reverse relations have no verbose name and no choices.
    return field if hasattr(field, "verbose_name") else None


class Conflict(models.Model):
    """An inbound change to a field that its connection does not lead; stored, not applied."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("connection"))
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name=_("record type"))
    object_id = models.CharField(_("record id"), max_length=64)
    record = GenericForeignKey("content_type", "object_id")
    domain = models.CharField(_("data domain"), max_length=30, choices=Domain.choices)
    field_group = models.CharField(_("field group"), max_length=30, choices=FieldGroup.choices, blank=True)
    field = models.CharField(_("field"), max_length=100)
    current_value = models.JSONField(_("current value"), null=True)
    incoming_value = models.JSONField(_("incoming value"), null=True)
    leading_connection = models.ForeignKey(
        Connection, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("leading connection")
    )
    inbound_event = models.ForeignKey("integrations.InboundEvent", on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("inbound event"))
    detected_at = models.DateTimeField(_("detected at"), auto_now_add=True, db_index=True)
    resolved = models.BooleanField(_("resolved"), default=False)

    class Meta:
        verbose_name = _("conflict")
        verbose_name_plural = _("conflicts")
        ordering = ["-detected_at"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="integrations_conflict_record")]

    def __str__(self):
        # The admin shows this in titles and breadcrumbs, so the field is named by its translated
        # label. An order's label names its channel, which is usually the connection that sent the
        # change, and then the connection is not named twice.
        field = conflict_field(self)
        params = {
            "field": capfirst(field.verbose_name if field is not None else self.field),
            "record": self.record_label(),
            "connection": self.connection,
        }
        channel = self.order_channel_name()
        if channel == self.connection.name:
            return _("%(field)s of %(record)s") % params
        if channel is not None and _has_brackets(channel):
            # The label already reads "Order 10083 from Shop (DE)", and a second "from" would be ambiguous.
            return _("%(field)s of %(record)s, sent by %(connection)s") % params
        return _("%(field)s of %(record)s from %(connection)s") % params

    def order_channel_name(self):
        """Return the name of the sales channel of the conflict's order, or None for another or a deleted record."""
        if (self.content_type.app_label, self.content_type.model) != ("orders", "order") or self.record is None:
            return None
        return self.record.channel.name or self.record.channel.code

    def record_label(self):
        """Return the conflict's record as the admin names it, such as "Order 10090 (Shopware sandbox)".

        An order is named by its number and its channel's name, another record by its type and
        text. A record deleted since is named by its type and id.
        """
        record = self.record
        if record is None:
            return f"{capfirst(self.content_type.name)} {self.object_id}"
        channel = self.order_channel_name()
        if channel is None:
            return f"{capfirst(self.content_type.name)} {record}"
        label = ORDER_LABEL_BRACKETED_CHANNEL if _has_brackets(channel) else ORDER_LABEL
        return label % {"number": record.external_number, "channel": channel}
