from django.apps import AppConfig


class PaypalConfig(AppConfig):
    name = "integrations.paypal"
    label = "paypal"
    verbose_name = "PayPal"

    def ready(self):
        from integrations.paypal.connector import PaypalConnector
        from integrations.registry import register

        register(PaypalConnector)
