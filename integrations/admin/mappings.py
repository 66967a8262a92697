from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from integrations.models import AttributeMapping, CategoryMapping, Connection, ValueMapping
from integrations.services.mappings import REQUIRED_COLUMNS, import_mappings_csv

# CSV files of mappings are small; 5 MiB is tens of thousands of rows.
MAX_CSV_BYTES = 5 * 1024 * 1024


class MappingImportForm(forms.Form):
    connection = forms.ModelChoiceField(label=capfirst(_("connection")), queryset=Connection.objects.all())
    file = forms.FileField(label=_("CSV file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB. Split it and import the parts."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text. Save it as CSV UTF-8 and try again.")) from None


class MappingAdmin(admin.ModelAdmin):
    change_list_template = "admin/integrations/mappings/change_list.html"
    list_display = ["connection", "canonical_code", "external_code", "external_label"]
    list_filter = ["connection"]
    search_fields = ["canonical_code", "external_code", "external_label"]
    list_select_related = ["connection"]
    mapping_kind = ""

    def get_urls(self):
        opts = self.model._meta
        urls = [path("import/", self.admin_site.admin_view(self.import_view), name=f"{opts.app_label}_{opts.model_name}_import")]
        return urls + super().get_urls()

    def import_view(self, request):
        """Bulk create or update mappings from an uploaded CSV file."""
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        form = MappingImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            result = import_mappings_csv(form.cleaned_data["connection"], self.mapping_kind, form.cleaned_data["file"])
            if result.errors:
                for error in result.errors:
                    self.message_user(request, error, messages.ERROR)
                self.message_user(request, _("Nothing was imported. Correct the file and upload it again."), messages.ERROR)
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(created)d mapping created, %(updated)d updated.",
                        "%(created)d mappings created, %(updated)d updated.",
                        result.created,
                    )
                    % {"created": result.created, "updated": result.updated},
                    messages.SUCCESS,
                )
                opts = self.model._meta
                return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "columns": ", ".join((*REQUIRED_COLUMNS[self.mapping_kind], "external_label")),
            "title": _("Import %(name)s from CSV") % {"name": self.model._meta.verbose_name_plural},
        }
        return TemplateResponse(request, "admin/integrations/mappings/import.html", context)


@admin.register(CategoryMapping)
class CategoryMappingAdmin(MappingAdmin):
    mapping_kind = "category"


@admin.register(AttributeMapping)
class AttributeMappingAdmin(MappingAdmin):
    mapping_kind = "attribute"


@admin.register(ValueMapping)
class ValueMappingAdmin(MappingAdmin):
    mapping_kind = "value"
    list_display = ["connection", "attribute", "canonical_code", "external_code", "external_label"]
    list_filter = ["connection", "attribute"]
