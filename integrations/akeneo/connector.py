"""The Akeneo PIM connector: reads the catalog through the REST API (v1) or a CSV export."""

from django.utils.translation import gettext_lazy as _

from integrations.akeneo.leading import DEFAULT_LEADS
from integrations.domains import Domain
from integrations.registry import Connector, CredentialField, Mode


class AkeneoConnector(Connector):
    kind = "akeneo"
    display_name = "Akeneo PIM"
    reads = frozenset({Domain.PRODUCTS, Domain.CATEGORIES})
    writes = frozenset()
    mode = Mode.PULL
    default_leads = DEFAULT_LEADS
    credential_fields = (
        CredentialField("client_id", _("client ID"), secret=False),
        CredentialField("secret", _("secret")),
        CredentialField("username", _("API user name"), secret=False),
        CredentialField("password", _("API user password")),
    )

    def health_check(self, connection):
        from integrations.akeneo.client import AkeneoClient

        client = AkeneoClient.for_connection(connection)
        try:
            client.authenticate()
        finally:
            client.close()
        return "authenticated"
