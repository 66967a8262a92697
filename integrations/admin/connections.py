import logging
from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrations.crypto import CredentialsUnreadable
from integrations.errors import InvalidSetting, url_without_secrets
from integrations.models import (
    Binding,
    Connection,
    ConnectionEntity,
    InboundEvent,
    OutboundMessage,
    SyncError,
)
from integrations.registry import UnknownConnector, connector_choices, get_connector
from integrations.services.connections import (
    check_connection,
    connection_created,
    deletion_blockers,
)

logger = logging.getLogger(__name__)


class BaseURLField(forms.URLField):
    """URL input whose "invalid" error always has the entered address as %(value)s."""

    default_error_messages = {
        "invalid": _("%(value)s is not a valid URL. Enter the address of the API, such as https://shop.example.com."),
    }

    def to_python(self, value):
        # URLField raises its "invalid" error here without the value when it cannot split the
        # address (such as "https://[::1"), and the URL validator later raises it with the value.
        try:
            return super().to_python(value)
        except forms.ValidationError as error:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid", params={"value": value}) from error


class ConnectionForm(forms.ModelForm):
    """Connection form whose credential inputs are write-only: a stored secret is never rendered."""

    kind = forms.ChoiceField(label=capfirst(_("kind")), choices=())
    base_url = BaseURLField(label=capfirst(_("base URL")), max_length=500, required=False, assume_scheme="https")

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
            is_set = bool(stored.get(spec.name))
            self.fields[name] = forms.CharField(
                label=capfirst(spec.label),
                required=spec.required and not (is_set and self._keeps_stored(name, spec)) and not self._api_optional,
                widget=forms.PasswordInput(render_value=False) if spec.secret else forms.TextInput(),
                help_text=gettext("Stored. Leave empty to keep it.") if is_set and spec.secret else "",
                initial="" if spec.secret else stored.get(spec.name, ""),
            )

    def _keeps_stored(self, name, spec):
        """Return whether an empty input `name` keeps the stored value instead of clearing it.

        A stored secret is never shown, so an empty input keeps it. A setting that is not secret
        is shown in its input, so submitting it empty clears it, as in any other form. A post
        without the input leaves the setting as it is.
        """
        return spec.secret or (self.is_bound and name not in self.data)

    def clean_base_url(self):
        """Accept only an address that Kontor can call: http or https."""
        base_url = self.cleaned_data.get("base_url")
        scheme = urlsplit(base_url).scheme if base_url else ""
        if scheme and scheme not in ("http", "https"):
            raise forms.ValidationError(
                _("The base URL %(url)s starts with %(scheme)s://. Kontor calls APIs over HTTP, so enter an "
                  "address that starts with https://, or http:// for a server on your own network."),
                code="scheme",
                params={"url": url_without_secrets(base_url), "scheme": scheme},
            )
        return base_url

    def clean(self):
        cleaned_data = super().clean()
        self._clean_credential_values(cleaned_data)
        if self._api_optional and "base_url" not in self.errors:
            self._check_api_settings(cleaned_data)
        if "base_url" not in self.errors:
            self._reject_secrets_in_base_url(cleaned_data.get("base_url"))
        if "base_url" not in self.errors and self._connector and self._connector.base_url_required and not cleaned_data.get("base_url"):
            # Saved without one, every call fails until someone finds the empty field.
            self.add_error(
                "base_url",
                forms.ValidationError(
                    _("A %(system)s connection needs the address of its API. Enter the base URL, starting with https://."),
                    code="required",
                    params={"system": self._connector.display_name or self._connector.kind},
                ),
            )
        return cleaned_data

    def _clean_credential_values(self, cleaned_data):
        """Check each entered setting against its declared kind and store the normalized value."""
        for name, spec in self._credential_fields:
            if name not in cleaned_data:
                continue
            try:
                cleaned_data[name] = spec.clean(cleaned_data[name])
            except InvalidSetting as error:
                self.add_error(name, error.support_message)

    def _reject_secrets_in_base_url(self, base_url):
        """Reject a user name, password, query or fragment in the base URL.

        The base URL is stored in plain text and shown on this page, so secrets in it belong in
        the encrypted credential inputs. Kontor appends API paths to it, so a query would break them.
        """
        parts = urlsplit(base_url or "")
        if "@" in parts.netloc:
            self.add_error("base_url", forms.ValidationError(
                _("Remove the user name and password from the base URL %(url)s and enter them under Credentials, "
                  "where Kontor stores them encrypted."),
                code="credentials_in_url",
                params={"url": url_without_secrets(base_url)},
            ))
        elif parts.query or parts.fragment:
            self.add_error("base_url", forms.ValidationError(
                _("Remove the part after ? or # from the base URL %(url)s. Kontor appends the API paths to the "
                  "base URL, and tokens belong under Credentials."),
                code="query_in_url",
                params={"url": url_without_secrets(base_url)},
            ))

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
            kept = stored.get(spec.name) and self._keeps_stored(name, spec)
            if spec.required and not cleaned_data.get(name) and not kept:
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
            elif not self._keeps_stored(name, spec):
                credentials.pop(spec.name, None)
        self.instance.set_credentials(credentials)
        return super().save(commit=commit)


class ConnectionEntityInline(admin.TabularInline):
    model = ConnectionEntity
    extra = 0


class ConnectorKindFilter(admin.SimpleListFilter):
    """Filter by connector, named as the connector names itself ("Shopware 6"), not by its code."""

    title = _("kind")
    # The parameter of the plain field filter this replaces, so existing links keep working.
    parameter_name = "kind__exact"

    def lookups(self, request, model_admin):
        names = dict(connector_choices())
        kinds = model_admin.get_queryset(request).order_by("kind").values_list("kind", flat=True).distinct()
        return [(kind, names.get(kind, kind)) for kind in kinds]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(kind=self.value())
        return queryset


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    form = ConnectionForm
    list_display = ["name", "slug", "kind_name", "enabled", "time_zone", "rate_limit_per_second", "credentials_status"]
    list_filter = [ConnectorKindFilter, "enabled"]
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

    def get_deleted_objects(self, objs, request):
        # Django's delete page and the bulk delete action refuse a deletion that lists protected
        # objects, so the reasons are listed there with what to do instead. They replace Django's
        # "no permission to delete outbound messages", which gives no reason and no way out.
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        for connection in objs:
            protected.extend(deletion_blockers(connection))
        if protected:
            perms_needed -= {model._meta.verbose_name for model in (OutboundMessage, InboundEvent, SyncError)}
        return deleted, model_count, perms_needed, protected

    @admin.display(description=_("kind"), ordering="kind")
    def kind_name(self, connection):
        # A kind without an installed connector keeps its code, so support can still see it.
        return dict(connector_choices()).get(connection.kind, connection.kind)

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
    fieldsets = [
        (None, {"fields": ["connection", "content_type", "object_id", "external_id"]}),
        (_("Sync state"), {"fields": ["pulled_fingerprint", "pulled_at", "pushed_fingerprint", "pushed_at"]}),
        (_("Stock in a shop that counts its own"), {
            "fields": ["stock_sent", "stock_known", "stock_known_since", "stock_unseen", "stock_unseen_since"],
            "description": _(
                "Units the shop sold before Kontor received their orders are held back from the "
                "figure Kontor sends, until the orders arrive or for a minute at most."
            ),
        }),
    ]
    # Kontor keeps the stock baseline itself, because an edited figure would hold back the wrong units.
    readonly_fields = ["stock_sent", "stock_known", "stock_known_since", "stock_unseen", "stock_unseen_since"]
