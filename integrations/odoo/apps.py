from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class OdooConfig(AppConfig):
    name = "integrations.odoo"
    label = "odoo"
    verbose_name = _("Odoo ERP")

    def ready(self):
        from integrations.models import Connection
        from integrations.odoo.connector import OdooConnector
        from integrations.odoo.tasks import schedule_pollers_for_saved_connection
        from integrations.registry import register

        register(OdooConnector)
        post_save.connect(schedule_pollers_for_saved_connection, sender=Connection, dispatch_uid="odoo-schedule-pollers")
