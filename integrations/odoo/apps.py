from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OdooConfig(AppConfig):
    name = "integrations.odoo"
    label = "odoo"
    verbose_name = _("Odoo ERP")

    def ready(self):
        from integrations.odoo.connector import OdooConnector
        from integrations.registry import register

        register(OdooConnector)
