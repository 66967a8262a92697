from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.models import PostalAddress, TimeStampedModel
from core.validators import validate_vat_number


def normalize_email(value):
    """Return the email trimmed and lower-cased, the form Kontor matches customers by."""
    return (value or "").strip().lower()


class Segment(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Customer(TimeStampedModel):
    """A buyer. Guests may appear many times with one email; registered customers once."""

    email = models.EmailField(_("email"))
    is_guest = models.BooleanField(_("guest"), default=False)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True, validators=[validate_vat_number])
    language = models.CharField(_("language"), max_length=10, blank=True)
    segments = models.ManyToManyField(Segment, verbose_name=_("segments"), blank=True, related_name="customers")

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), condition=Q(is_guest=False), name="customer_unique_registered_email"),
            models.CheckConstraint(condition=~Q(email=""), name="customer_email_not_empty"),
        ]

    def __str__(self):
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} <{self.email}>" if name else self.email

    def clean_fields(self, exclude=None):
        # Normalize before the field and unique checks, so "Anna@Example.com " is accepted
        # and found to be anna@example.com.
        self.email = normalize_email(self.email)
        super().clean_fields(exclude=exclude)

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)


class Address(TimeStampedModel, PostalAddress):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=10, choices=[("billing", _("billing")), ("shipping", _("shipping"))])
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        constraints = [
            models.UniqueConstraint(fields=["customer", "kind"], condition=Q(is_default=True), name="address_one_default_per_kind"),
        ]

    def __str__(self):
        return f"{self.street}, {self.postal_code} {self.city}, {self.country}"


class ConsentPurpose(models.TextChoices):
    MARKETING_EMAIL = "marketing_email", _("marketing email")
    MARKETING_PHONE = "marketing_phone", _("marketing by phone")
    ANALYTICS = "analytics", _("analytics")
    PERSONALIZATION = "personalization", _("personalization")


class Consent(models.Model):
    """One recorded grant or withdrawal of consent. Rows are never changed; the latest per purpose counts."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=30, choices=ConsentPurpose.choices)
    granted = models.BooleanField(_("granted"))
    recorded_at = models.DateTimeField(_("given or withdrawn at"))
    source = models.CharField(_("source"), max_length=200, help_text=_("Where the customer gave or withdrew it: a shop, a form, the admin."))
    connection = models.ForeignKey("integrations.Connection", verbose_name=_("connection"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("stored at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["customer", "purpose", "-recorded_at"]
        indexes = [models.Index(fields=["customer", "purpose", "-recorded_at"], name="consent_latest_idx")]

    def __str__(self):
        state = _("granted") if self.granted else _("withdrawn")
        return f"{self.get_purpose_display()}: {state}"
