import json

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from integrations.admin.records import choice_label_column
from integrations.domains import Domain, FieldGroup, field_groups_of
from integrations.models import Conflict, LeadingSystemRule
from integrations.models.leading import conflict_field
from orders.models import Order
from orders.services import settle_attention_after_conflicts


class LeadingSystemRuleForm(forms.ModelForm):
    """Rule form that accepts only a field group of the chosen domain."""

    class Meta:
        model = LeadingSystemRule
        fields = ["domain", "field_group", "connection"]

    def clean(self):
        cleaned_data = super().clean()
        domain = cleaned_data.get("domain")
        field_group = cleaned_data.get("field_group")
        if not domain or not field_group:
            return cleaned_data

        # Inbound changes name only field groups of their own domain, so a rule for another
        # group would never apply.
        groups = field_groups_of(domain)
        params = {"domain": Domain(domain).label, "group": FieldGroup(field_group).label}
        if not groups:
            self.add_error("field_group", forms.ValidationError(
                _("The data domain %(domain)s has no field groups, so a rule for %(group)s would never apply. "
                  "Leave the field group empty to choose the leading system of the whole domain."),
                code="no_field_groups",
                params=params,
            ))
        elif field_group not in groups:
            self.add_error("field_group", forms.ValidationError(
                _("%(group)s is not a field group of the data domain %(domain)s. Choose one of %(groups)s, or "
                  "leave the field group empty to choose the leading system of the whole domain."),
                code="wrong_field_group",
                params={**params, "groups": ", ".join(str(group.label) for group in groups)},
            ))
        return cleaned_data


@admin.register(LeadingSystemRule)
class LeadingSystemRuleAdmin(admin.ModelAdmin):
    form = LeadingSystemRuleForm
    list_display = ["domain_label", "field_group_label", "connection"]
    list_filter = ["domain", "connection"]
    list_select_related = ["connection"]

    domain_label = choice_label_column(LeadingSystemRule, "domain")
    field_group_label = choice_label_column(LeadingSystemRule, "field_group")


def shown_value(conflict, value):
    """Return a stored conflict value as support reads it: a choice by its label, text without quotes."""
    if value is None:
        return "-"
    field = conflict_field(conflict)
    if field is not None and field.choices and isinstance(value, str | int):
        labels = dict(field.flatchoices)
        if value in labels:
            return labels[value]
    if isinstance(value, str) and value:
        return value
    return json.dumps(value, ensure_ascii=False)


@admin.register(Conflict)
class ConflictAdmin(admin.ModelAdmin):
    list_display = [
        "detected_at", "domain_label", "field_group_label", "field_name", "record_link",
        "current_value_shown", "incoming_value_shown", "connection", "leading_connection", "resolved",
    ]
    list_filter = ["resolved", "domain", "field_group", "connection"]
    search_fields = ["object_id", "field"]
    date_hierarchy = "detected_at"
    list_select_related = ["connection", "leading_connection", "content_type"]
    # A conflict records what a system sent, so support only marks it resolved. Editable
    # relations would also render a select of every inbound event, which grows without bound.
    fields = [
        "detected_at", "record_link", "domain_label", "field_group_label", "field_name", "current_value_shown",
        "incoming_value_shown", "connection", "leading_connection", "inbound_event", "resolved",
    ]
    readonly_fields = [name for name in fields if name != "resolved"]
    actions = ["mark_resolved"]

    domain_label = choice_label_column(Conflict, "domain")
    field_group_label = choice_label_column(Conflict, "field_group")

    def get_queryset(self, request):
        # An order's label names its channel, which is read with the orders in one query.
        orders = apps.get_model("orders", "Order").objects.select_related("channel")
        return super().get_queryset(request).prefetch_related(GenericPrefetch("record", [orders]))

    @admin.display(description=_("field"), ordering="field")
    def field_name(self, conflict):
        field = conflict_field(conflict)
        return capfirst(field.verbose_name) if field is not None else conflict.field

    @admin.display(description=_("current value"))
    def current_value_shown(self, conflict):
        return shown_value(conflict, conflict.current_value)

    @admin.display(description=_("incoming value"))
    def incoming_value_shown(self, conflict):
        return shown_value(conflict, conflict.incoming_value)

    @admin.display(description=_("record"))
    def record_link(self, conflict):
        # Support searches for the record's own name, such as an order's number. The id is the
        # fallback for a record that was deleted since.
        record = conflict.record
        label = conflict.record_label()
        if record is None:
            return label
        try:
            url = reverse(f"admin:{conflict.content_type.app_label}_{conflict.content_type.model}_change", args=[record.pk])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.action(description=_("Mark resolved"))
    def mark_resolved(self, request, queryset):
        open_conflicts = queryset.filter(resolved=False)
        order_type = ContentType.objects.get_for_model(Order)
        order_ids = [int(pk) for pk in open_conflicts.filter(content_type=order_type).values_list("object_id", flat=True)]
        count = open_conflicts.update(resolved=True)
        settle_attention_after_conflicts(order_ids, user=request.user)
        text = ngettext("%(count)d conflict marked resolved.", "%(count)d conflicts marked resolved.", count)
        self.message_user(request, text % {"count": count})

    def has_add_permission(self, request):
        return False
