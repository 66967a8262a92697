from django.apps import AppConfig


class SendcloudConfig(AppConfig):
    name = "integrations.sendcloud"
    label = "sendcloud"
    verbose_name = "Sendcloud"

    def ready(self):
        from integrations.registry import register
        from integrations.sendcloud.connector import SendcloudConnector

        register(SendcloudConnector)
