from django.apps import AppConfig


class StripeConfig(AppConfig):
    name = "integrations.stripe"
    label = "stripe"
    verbose_name = "Stripe"

    def ready(self):
        from integrations.registry import register
        from integrations.stripe.connector import StripeConnector

        register(StripeConnector)
