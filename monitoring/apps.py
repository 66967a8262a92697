from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self):
        from monitoring import httpcalls

        # Counts calls of integrations/http.py for /metrics; see monitoring/httpcalls.py.
        httpcalls.install()
