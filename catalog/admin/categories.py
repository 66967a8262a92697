import re

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from catalog.models import Category, Channel
from core.money import is_known_currency

# A locale code as the catalog and the API use it: a language, and optionally a region.
LOCALE_CODE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["indented_code", "label", "parent", "depth", "position"]
    list_select_related = ["parent"]
    list_filter = ["depth"]
    search_fields = ["code", "path"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth", "created_at", "updated_at"]

    @admin.display(description=_("code"), ordering="path")
    def indented_code(self, obj):
        return f"{'— ' * obj.depth}{obj.code}"

    @admin.display(description=_("label"))
    def label(self, obj):
        return obj.label()


class CodeListField(forms.CharField):
    """A list of codes that the merchant types separated by commas or spaces, such as "EUR, CHF"."""

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(value)
        return value

    def to_python(self, value):
        return [code for code in re.split(r"[\s,;]+", super().to_python(value)) if code]


class ChannelForm(forms.ModelForm):
    currencies = CodeListField(
        label=capfirst(_("currencies")), required=False,
        help_text=_("ISO 4217 codes this channel sells in, separated by commas, such as EUR, CHF."),
    )
    locales = CodeListField(
        label=capfirst(_("locales")), required=False,
        help_text=_("Locale codes this channel publishes, separated by commas, such as de_DE, en_GB."),
    )

    class Meta:
        model = Channel
        fields = ["code", "name", "locales", "currencies", "is_active"]

    def clean_currencies(self):
        codes = [code.upper() for code in self.cleaned_data["currencies"]]
        for code in codes:
            if not is_known_currency(code):
                raise ValidationError(
                    _("Unknown currency %(code)s. Use ISO 4217 codes such as EUR, separated by commas."),
                    code="unknown_currency", params={"code": code},
                )
        return list(dict.fromkeys(codes))

    def clean_locales(self):
        codes = self.cleaned_data["locales"]
        for code in codes:
            if not LOCALE_CODE.match(code):
                raise ValidationError(
                    _("Invalid locale %(code)s. Use codes such as de_DE, separated by commas."),
                    code="invalid_locale", params={"code": code},
                )
        return list(dict.fromkeys(codes))


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ["code", "name", "currencies", "locales", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
