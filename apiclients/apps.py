from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiClientsConfig(AppConfig):
    name = "apiclients"
    verbose_name = _("API clients")

    def ready(self):
        # Registers the bearer token scheme with drf-spectacular.
        from apiclients import schema  # noqa: F401
        from apiclients.access import connect_version_signals
        from apiclients.cache import connect_catalog_signals

        connect_version_signals()
        connect_catalog_signals()
