"""Admin-only model of the payment and shipping connectors.

UnmatchedProviderEvent lists inbox events of any payment or shipping connection that wait for
support to name their order. It is a proxy, so it has no table of its own.
NOTE: it lives in this app only because the orders app's models belong to another module owner;
it covers PayPal, Mollie, DHL and Sendcloud events too.
"""

from django.utils.translation import gettext_lazy as _

from integrations.models import InboundEvent


class UnmatchedProviderEvent(InboundEvent):
    class Meta:
        proxy = True
        verbose_name = _("unmatched provider event")
        verbose_name_plural = _("unmatched provider events")
