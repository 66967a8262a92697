"""Admin for provider events that could not be matched to an order: re-match and reprocess."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from integrations.masking import masked_json
from integrations.stripe.models import UnmatchedProviderEvent
from orders.models import Order
from orders.services_unmatched import rematch, reprocess, unmatched_events


class RematchForm(forms.Form):
    order = forms.ModelChoiceField(
        queryset=Order.objects.select_related("channel"),
        widget=forms.NumberInput,
        label=_("Kontor order id"),
        help_text=_("The id of the order in Kontor, as shown in the order list."),
    )


@admin.register(UnmatchedProviderEvent)
class UnmatchedProviderEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "connection", "entity", "external_id", "event_type", "reason", "attempts"]
    list_filter = ["connection", "entity"]
    search_fields = ["=external_id"]
    list_select_related = ["connection", "sync_error"]
    fields = ["connection", "entity", "external_id", "event_type", "received_at", "reason", "payload_masked"]
    readonly_fields = fields
    actions = ["reprocess_selected", "rematch_selected"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=unmatched_events().values("pk"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_rematch_permission(self, request):
        # The events themselves stay read-only; the actions need the proxy's change permission.
        return request.user.has_perm("stripe.change_unmatchedproviderevent")

    @admin.display(description=_("reason"))
    def reason(self, event):
        return event.sync_error.localized_message()

    @admin.display(description=_("payload"))
    def payload_masked(self, event):
        return format_html("<pre>{}</pre>", masked_json(event.payload))

    @admin.action(description=_("Reprocess selected events"), permissions=["rematch"])
    def reprocess_selected(self, request, queryset):
        queued = reprocess(queryset)
        self.message_user(request, ngettext("%(count)d event queued again.", "%(count)d events queued again.", queued) % {"count": queued})

    @admin.action(description=_("Link to an order and reprocess"), permissions=["rematch"])
    def rematch_selected(self, request, queryset):
        events = list(queryset)
        keys = {(event.connection_id, event.entity, event.external_id) for event in events}
        if len(keys) != 1:
            self.message_user(request, _("Select the events of one payment or parcel at a time."), messages.ERROR)
            return None

        form = RematchForm(request.POST if "order" in request.POST else None)
        if form.is_valid():
            try:
                queued = rematch(events[0], form.cleaned_data["order"], actor=f"admin:{request.user.get_username()}")
            except ValueError:
                self.message_user(request, _("The payment is in another currency than this order."), messages.ERROR)
                return None
            self.message_user(
                request,
                ngettext("Linked; %(count)d event queued again.", "Linked; %(count)d events queued again.", queued) % {"count": queued},
            )
            return redirect(request.get_full_path())

        context = {
            **self.admin_site.each_context(request),
            "title": _("Link to an order"),
            "form": form,
            "events": events,
            "action": "rematch_selected",
            "opts": self.model._meta,
        }
        return render(request, "admin/orders/rematch_provider_event.html", context)
