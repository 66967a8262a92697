"""Admin for API clients. A new or rotated token is shown once in a message and never again."""

from django import forms
from django.contrib import admin, messages
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apiclients import services
from apiclients.models import ApiClient, Scope
from apiclients.throttling import parse_rate
from apiclients.tokens import generate_token, hash_token, token_prefix


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(label=capfirst(_("scopes")), choices=Scope.choices, required=False, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiClient
        fields = ["name", "channel", "price_list", "other_price_lists", "customer_email", "scopes", "throttle_rate", "is_active"]

    def clean_throttle_rate(self):
        rate = self.cleaned_data["throttle_rate"].strip()
        if rate:
            try:
                parse_rate(rate)
            except ValueError as error:
                raise forms.ValidationError(_("Enter a rate such as 600/min, 20/s, 5000/hour or 100000/day.")) from error
        return rate


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "token_prefix", "channel", "customer_email", "scope_list", "throttle_rate", "is_active", "last_used_at"]
    list_filter = ["is_active", "channel"]
    search_fields = ["name", "token_prefix", "customer_email"]
    filter_horizontal = ["other_price_lists"]
    readonly_fields = ["token_prefix", "created_at", "updated_at"]
    actions = ["rotate_tokens"]

    @admin.display(description=_("scopes"))
    def scope_list(self, obj):
        # A code that is no longer a Scope (stored before it was removed) is shown as stored.
        labels = {scope.value: scope.label for scope in Scope}
        return ", ".join(str(labels.get(code, code)) for code in obj.scopes or [])

    def save_model(self, request, obj, form, change):
        token = None
        if not change:
            token = generate_token()
            obj.token_prefix = token_prefix(token)
            obj.token_hash = hash_token(token)
        super().save_model(request, obj, form, change)
        if token:
            messages.warning(
                request,
                _("The token of %(name)s is %(token)s. Copy it now: it is shown only this once and cannot be read again.")
                % {"name": obj.name, "token": token},
            )

    @admin.action(description=_("Replace the token of the selected clients"))
    def rotate_tokens(self, request, queryset):
        for client in queryset:
            token = services.rotate_token(client, actor=f"user:{request.user.pk}")
            messages.warning(
                request,
                _("The new token of %(name)s is %(token)s. Copy it now: it is shown only this once. The old token no longer works.")
                % {"name": client.name, "token": token},
            )
        messages.info(request, ngettext("%(count)d token replaced.", "%(count)d tokens replaced.", queryset.count()) % {"count": queryset.count()})
