from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin
from customers.models import Address, Consent, Customer, Segment


class AddressInline(admin.StackedInline):
    model = Address
    fields = [("kind", "is_default"), ("first_name", "last_name"), "company", "street", "street2", ("postal_code", "city"), "region", "country", "phone"]
    extra = 0


class ConsentInline(admin.TabularInline):
    """Consents are an append-only record: a support person may record a new grant or
    withdrawal (say, one received by phone), but never edit or delete an earlier one."""

    model = Consent
    fields = ["purpose", "granted", "recorded_at", "source", "connection", "created_at"]
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return ["connection", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CustomerForm(forms.ModelForm):
    """Customer form that names an existing registered customer with the same email.

    The database constraint would reject the save as well, but with only its name.
    """

    class Meta:
        model = Customer
        fields = ["email", "is_guest", "first_name", "last_name", "company", "phone", "vat_number", "language", "segments"]

    def clean(self):
        cleaned_data = super().clean()
        email = cleaned_data.get("email")
        if not email or cleaned_data.get("is_guest"):
            return cleaned_data

        # The constraint compares emails case-insensitively, and only among registered customers.
        registered = Customer.objects.filter(email__iexact=email, is_guest=False).exclude(pk=self.instance.pk)
        if registered.exists():
            self.add_error("email", forms.ValidationError(
                _("A registered customer with the email %(email)s exists already. Search for it in the customer "
                  "list, or tick \"guest\" for the buyer of a guest order."),
                code="duplicate_email",
                params={"email": email},
            ))
        return cleaned_data


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerForm
    list_display = ["email", "first_name", "last_name", "company", "is_guest", "created_at"]
    list_filter = ["is_guest", "segments", "language"]
    search_fields = ["email", "last_name", "company", "=vat_number"]
    autocomplete_fields = ["segments"]
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False
    inlines = [AddressInline, ConsentInline]


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "customer_count"]
    search_fields = ["code", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(customer_total=Count("customers"))

    @admin.display(description=_("customers"), ordering="customer_total")
    def customer_count(self, obj):
        return obj.customer_total


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The consent log across all customers, for audits and data-protection requests."""

    list_display = ["recorded_at", "customer", "purpose", "granted", "source", "connection"]
    list_select_related = ["customer", "connection"]
    list_filter = ["purpose", "granted"]
    search_fields = ["customer__email", "source"]
    date_hierarchy = "recorded_at"
    show_full_result_count = False


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    # The customer comes first: the address belongs to one, and the form otherwise puts the
    # required customer input last, below the postal fields.
    fields = ["customer", ("kind", "is_default"), *AddressInline.fields[1:]]
    list_display = ["__str__", "customer", "kind", "is_default"]
    list_select_related = ["customer"]
    list_filter = ["kind", "country"]
    search_fields = ["customer__email", "postal_code", "city"]
    autocomplete_fields = ["customer"]
    show_full_result_count = False
