import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin
from integrations.masking import mask_text, masked_json
from integrations.sandbox.forms import SandboxFaultsForm
from integrations.sandbox.models import SandboxFaults, SandboxRecord, SandboxWebhookDelivery


@admin.register(SandboxFaults)
class SandboxFaultsAdmin(admin.ModelAdmin):
    """Fault settings per simulated system; a change applies from the next request."""

    form = SandboxFaultsForm
    list_display = [
        "shown_system", "latency_ms", "rate_limit_percent", "server_error_percent", "timeout_percent",
        "fail_next_requests", "duplicate_webhooks_percent", "reorder_webhooks", "drop_webhooks_percent",
    ]
    list_editable = [
        "latency_ms", "rate_limit_percent", "server_error_percent", "timeout_percent",
        "fail_next_requests", "duplicate_webhooks_percent", "reorder_webhooks", "drop_webhooks_percent",
    ]

    # The field's own column shows "-" for a name that is not one of the choices.
    @admin.display(description=_("system"), ordering="system")
    def shown_system(self, faults):
        return faults.system_label()


@admin.register(SandboxWebhookDelivery)
class SandboxWebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The webhooks the simulated systems sent, read-only, with personal data in the body masked."""

    list_display = ["created_at", "system", "event", "state", "status_code", "attempts"]
    list_filter = ["system", "state", "event"]
    fields = ["system", "event", "url", "body_masked", "headers", "state", "attempts", "status_code", "error", "created_at", "sent_at"]
    readonly_fields = fields

    @admin.display(description=_("body"))
    def body_masked(self, delivery):
        try:
            text = masked_json(json.loads(delivery.body))
        except ValueError:
            text = mask_text(delivery.body)
        return format_html("<pre>{}</pre>", text)


@admin.register(SandboxRecord)
class SandboxRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The simulated systems' records, read-only: the settings records hold the sandbox's API keys."""

    list_display = ["system", "collection", "record_id", "natural_key", "changed_at"]
    list_filter = ["system", "collection"]
    search_fields = ["record_id", "natural_key"]
    fields = ["system", "collection", "record_id", "natural_key", "data_masked", "created_at", "updated_at", "changed_at"]
    readonly_fields = fields

    @admin.display(description=_("data"))
    def data_masked(self, record):
        return format_html("<pre>{}</pre>", masked_json(record.data))
