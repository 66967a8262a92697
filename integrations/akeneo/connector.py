"""The Akeneo PIM connector: reads the catalog through the REST API (v1) or a CSV export."""

from django.utils.translation import gettext_lazy as _

from integrations.akeneo.leading import DEFAULT_LEADS
from integrations.domains import Domain
from integrations.errors import ConnectorError
from integrations.registry import Connector, CredentialField, Mode


class CredentialsMissing(ConnectorError):
    """The connection has no base URL or lacks API credentials, so there is no API to call."""

    code = "credentials_missing"
    csv_only_template = _(
        "%(connection)s reads an Akeneo CSV export (manage.py import_catalog <folder>) and has no API "
        "credentials, so there is no API connection to test. To read the catalog through the Akeneo "
        "API instead, enter the base URL and the client ID, secret, API user name and password."
    )
    message_template = _(
        "%(connection)s cannot reach the Akeneo API because these connection settings are missing: "
        "%(missing)s. Enter them, then run \"Test connection\" again."
    )

    def __init__(self, missing, **kwargs):
        super().__init__(f"{len(missing)} connection settings missing", **kwargs)
        self.missing = missing

    @property
    def support_message(self):
        if len(self.missing) == len(REQUIRED_SETTINGS):
            return str(self.csv_only_template) % self.message_params()
        return str(self.message_template) % {**self.message_params(), "missing": ", ".join(str(label) for label in self.missing)}


class AkeneoConnector(Connector):
    kind = "akeneo"
    display_name = "Akeneo PIM"
    reads = frozenset({Domain.PRODUCTS, Domain.CATEGORIES})
    writes = frozenset()
    mode = Mode.PULL
    default_leads = DEFAULT_LEADS
    # A connection without a base URL only records imports of CSV exports, so the API
    # credentials are required only once a base URL is entered.
    api_optional = True
    credential_fields = (
        CredentialField("client_id", _("client ID"), secret=False, auth=True),
        CredentialField("secret", _("secret"), auth=True),
        CredentialField("username", _("API user name"), secret=False, auth=True),
        CredentialField("password", _("API user password"), auth=True),
    )

    def health_check(self, connection):
        from integrations.akeneo.client import AkeneoClient

        missing = missing_settings(connection)
        if missing:
            raise CredentialsMissing(missing, connection=connection.name)
        client = AkeneoClient.for_connection(connection)
        try:
            client.authenticate()
        finally:
            client.close()
        return "authenticated"

    def explain_no_pull(self, connection, entity):
        # import_catalog reads the whole catalog, so it serves every entity the connector reads.
        if entity not in self.reads:
            return super().explain_no_pull(connection, entity)
        if not connection.base_url:
            return (
                "This connection imports the files of an Akeneo CSV export instead. To import them, run: "
                f"manage.py import_catalog EXPORT_FOLDER --connection {connection.slug}"
            )
        return (
            "This connection reads the catalog through an import from the Akeneo API instead. To import "
            f"the changes since the last import, run: manage.py import_catalog {connection.slug}"
        )


# Connection settings the API needs, with the label a merchant sees in the admin.
REQUIRED_SETTINGS = (
    ("base_url", _("base URL")),
    *((field.name, field.label) for field in AkeneoConnector.credential_fields),
)


def missing_settings(connection):
    """Return the labels of the settings the API needs that the connection lacks."""
    credentials = connection.credentials
    values = {"base_url": connection.base_url, **credentials}
    return [label for name, label in REQUIRED_SETTINGS if not str(values.get(name) or "").strip()]
