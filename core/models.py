from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class PostalAddress(models.Model):
    """The fields of a postal address, shared by a customer's addresses and an order's copies."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    street = models.CharField(_("street"), max_length=255)
    street2 = models.CharField(_("address line 2"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("region"), max_length=100, blank=True)
    country = CountryField(_("country"))
    phone = models.CharField(_("phone"), max_length=50, blank=True)

    class Meta:
        abstract = True
