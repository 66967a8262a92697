"""Client applications of the REST API: their tokens, scopes, channel and idempotency records."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class Scope(models.TextChoices):
    CATALOG_READ = "catalog:read", _("read the catalog")
    ORDERS_READ = "orders:read", _("read the channel's orders (one customer's with a customer email)")
    ORDERS_WRITE = "orders:write", _("place orders")
    CUSTOMERS_READ = "customers:read", _("read the own customer profile")
    CUSTOMERS_WRITE = "customers:write", _("change the own customer profile")


class ApiClient(TimeStampedModel):
    """A front end, app or partner system that calls the API with its own token.

    Only a SHA-256 hash of the token is stored, with its first characters as a prefix so
    support staff can tell tokens apart. The client sees the catalog of its channel and only
    the orders of that channel; bound to a customer email, it sees only that customer.
    """

    name = models.CharField(_("name"), max_length=200)
    channel = models.ForeignKey("catalog.Channel", verbose_name=_("channel"), on_delete=models.PROTECT, related_name="api_clients")
    price_list = models.ForeignKey("catalog.PriceList", verbose_name=_("default price list"), null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text=_("Prices are shown from this list unless a request names one of the other price lists."))
    other_price_lists = models.ManyToManyField(
        "catalog.PriceList",
        verbose_name=_("other price lists"),
        blank=True,
        related_name="+",
        help_text=_("Price lists a request may name with ?price_list= besides the default one. The prices of all other lists stay hidden from this client."),
    )
    customer_email = models.EmailField(_("customer email"), blank=True, help_text=_("When set, the client sees only this customer's profile and orders."))
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    throttle_rate = models.CharField(_("throttle rate"), max_length=20, blank=True, help_text=_("Maximum requests per period, such as 600/min or 20/s. Empty uses the default."))
    token_prefix = models.CharField(_("token prefix"), max_length=16, editable=False, db_index=True)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.token_prefix}…)"

    def has_scope(self, scope):
        return scope in (self.scopes or [])


class IdempotencyRecord(models.Model):
    """The outcome of a write request with an Idempotency-Key, so a retry returns the same order."""

    client = models.ForeignKey(ApiClient, verbose_name=_("API client"), on_delete=models.CASCADE, related_name="idempotency_records")
    key = models.CharField(_("idempotency key"), max_length=255)
    request_hash = models.CharField(_("request hash"), max_length=64)
    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="+")
    status_code = models.PositiveSmallIntegerField(_("status code"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="idempotency_unique_client_key")]

    def __str__(self):
        return f"{self.client_id}:{self.key}"
