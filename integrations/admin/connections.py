import logging

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrations.crypto import CredentialsUnreadable
from integrations.errors import url_without_secrets
from integrations.models import Binding, Connection, ConnectionEntity
from integrations.registry import UnknownConnector, connector_choices, get_connector
from integrations.services.connections import check_connection, connection_created

logger = logging.getLogger(__name__)


class ConnectionForm(forms.ModelForm):
    """Connection form whose credential inputs are write-only: a stored secret is never rendered."""

    kind = forms.ChoiceField(label=_("kind"), choices=())
    base_url = forms.URLField(label=_("base URL"), max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Connection
        fields = ["kind", "name", "slug", "base_url", "enabled", "time_zone", "rate_limit_per_second", "rate_limit_burst"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = connector_choices() or [("", "-")]
        self._credential_fields = []
        kind = self.instance.kind if self.instance.pk else self.data.get("kind") or self.initial.get("kind")
        try:
            self._connector = get_connector(kind) if kind else None
        except UnknownConnector:
            self._connector = None
        credential_fields = self._connector.credential_fields if self._connector else ()
        # A connector with `api_optional` (Akeneo, which also imports CSV exports) needs its
        # credentials only when a base URL is set, which clean() checks.
        self._api_optional = bool(self._connector and self._connector.api_optional)
        stored = self._stored_credentials()
        for spec in credential_fields:
            name = f"credential_{spec.name}"
            self._credential_fields.append((name, spec))
            widget = forms.PasswordInput(render_value=False) if spec.secret else forms.TextInput()
            is_set = bool(stored.get(spec.name))
            self.fields[name] = forms.CharField(
                label=spec.label,
                required=spec.required and not is_set and not self._api_optional,
                widget=widget,
                help_text=gettext("Stored. Leave empty to keep it.") if is_set else "",
                initial="" if spec.secret else stored.get(spec.name, ""),
            )

    def clean(self):
        cleaned_data = super().clean()
        if self._api_optional and "base_url" not in self.errors:
            self._check_api_settings(cleaned_data)
        return cleaned_data

    def _check_api_settings(self, cleaned_data):
        """Require the API credentials when a base URL is set, and the base URL when credentials are entered."""
        connector = self._connector
        base_url = url_without_secrets(cleaned_data.get("base_url"))
        if not base_url:
            if any(cleaned_data.get(name) for name, _spec in self._credential_fields):
                self.add_error("base_url", gettext(
                    "Enter the base URL of the %(connector)s API, because API credentials were entered. "
                    "For a connection that imports CSV exports, leave the credentials empty."
                ) % {"connector": connector.display_name})
            return

        stored = self._stored_credentials()
        for name, spec in self._credential_fields:
            if spec.required and not cleaned_data.get(name) and not stored.get(spec.name):
                self.add_error(name, gettext(
                    "The field \"%(field)s\" is missing. The %(connector)s API at %(url)s needs it, so "
                    "enter it, or leave the base URL empty for a connection that imports CSV exports."
                ) % {"field": spec.label, "connector": connector.display_name, "url": base_url})

    def _stored_credentials(self):
        try:
            return self.instance.credentials
        except CredentialsUnreadable:
            return {}

    def save(self, commit=True):
        credentials = self._stored_credentials()
        for name, spec in self._credential_fields:
            value = self.cleaned_data.get(name)
            if value:
                credentials[spec.name] = value
        self.instance.set_credentials(credentials)
        return super().save(commit=commit)


class ConnectionEntityInline(admin.TabularInline):
    model = ConnectionEntity
    extra = 0


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    form = ConnectionForm
    list_display = ["name", "slug", "kind", "enabled", "time_zone", "rate_limit_per_second", "credentials_status"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ConnectionEntityInline]
    actions = ["test_connection"]

    def get_form(self, request, obj=None, **kwargs):
        # Credential inputs are added per connector in ConnectionForm.__init__, not model fields.
        kwargs["fields"] = ConnectionForm.Meta.fields
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": ConnectionForm.Meta.fields})]
        # On the add page the kind comes from the posted form or the ?kind= link, as in
        # ConnectionForm, so that the credential inputs it validates are shown with their errors.
        kind = obj.kind if obj else request.POST.get("kind") or request.GET.get("kind")
        try:
            credential_fields = get_connector(kind).credential_fields if kind else ()
        except UnknownConnector:
            credential_fields = ()
        if credential_fields:
            names = [f"credential_{spec.name}" for spec in credential_fields]
            fieldsets.append((_("Credentials"), {"fields": names}))
        return fieldsets

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            connection_created(obj)

    @admin.display(description=_("credentials"))
    def credentials_status(self, connection):
        # Only whether credentials are stored; their values never reach the admin.
        return gettext("set") if connection.credentials_encrypted else gettext("not set")

    @admin.action(description=_("Test connection"))
    def test_connection(self, request, queryset):
        for connection in queryset:
            ok, text = check_connection(connection)
            level = messages.SUCCESS if ok else messages.ERROR
            self.message_user(request, f"{connection.name}: {text}", level)


@admin.register(Binding)
class BindingAdmin(admin.ModelAdmin):
    list_display = ["connection", "content_type", "object_id", "external_id", "pulled_at", "pushed_at"]
    list_filter = ["connection", "content_type"]
    search_fields = ["external_id", "object_id"]
    list_select_related = ["connection", "content_type"]
