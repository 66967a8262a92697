"""The Odoo connector: orders and customers to Odoo; stock, order states and documents back.

Odoo sends no signed webhooks, so Kontor polls it (integrations.odoo.tasks). The protocol
follows the connection's Odoo version: JSON-2 from 19.0 on, JSON-RPC execute_kw before.
"""

from django.utils.translation import gettext_lazy as _

from integrations.domains import Domain
from integrations.odoo import inbound, push
from integrations.odoo.client import JSON2, VERSION_LABEL, OdooClient, OdooSettings, clean_version
from integrations.odoo.pulls import pull_orders, pull_stock
from integrations.registry import Connector, CredentialField, Mode, ValueKind
from integrations.services.deadlocks import run_retrying_deadlocks


class OdooConnector(Connector):
    kind = "odoo"
    display_name = "Odoo"
    base_url_required = True
    reads = frozenset({Domain.STOCK, Domain.ORDERS})
    writes = frozenset({Domain.ORDERS, Domain.CUSTOMERS})
    mode = Mode.PULL
    # Orders go out many at a time: one sale.order create and one confirm for a whole batch.
    batch_entities = frozenset({Domain.ORDERS})
    # Odoo numbers sale orders as they are created, so orders go in the order they were placed.
    ordered_entities = frozenset({Domain.ORDERS})

    credential_fields = (
        CredentialField("database", _("database name"), secret=False, auth=True),
        CredentialField("login", _("login of the integration user"), secret=False, auth=True),
        CredentialField("api_key", _("API key"), auth=True),
        CredentialField("version", VERSION_LABEL, secret=False, validator=clean_version),
        CredentialField("confirm_orders", _("confirm sale orders (true or false)"), secret=False, required=False, kind=ValueKind.BOOLEAN),
    )

    def health_check(self, connection):
        client = OdooClient(connection)
        version = client.server_version()
        if client.protocol != JSON2:
            # JSON-RPC's version call needs no login, so this call checks the database, login and API key.
            client.call("res.users", "context_get")
        settings = OdooSettings.from_connection(connection)
        return _("Odoo %(version)s, database %(database)s, protocol %(protocol)s") % {
            "version": version,
            "database": settings.database or "-",
            "protocol": "JSON-2" if client.protocol == JSON2 else "JSON-RPC",
        }

    def pull(self, connection, entity, cursor):
        client = OdooClient(connection)
        if entity == Domain.STOCK:
            return pull_stock(client, connection, cursor)
        if entity == Domain.ORDERS:
            return pull_orders(client, connection, cursor)
        return super().pull(connection, entity, cursor)

    def process_inbound(self, event):
        # Stock and order states lock stock levels that new orders reserve at the same time.
        return run_retrying_deadlocks(lambda: self._process_inbound(event))

    def _process_inbound(self, event):
        connection = event.connection
        if event.entity == Domain.STOCK:
            return inbound.process_stock(connection, event)
        if event.event_type == "sale.order":
            return inbound.process_sale_order(connection, event)
        if event.event_type in ("account.move", "stock.picking"):
            return inbound.process_document(connection, event)
        return "ignored"

    def batch_window(self, connection, entity):
        """Return the seconds a new order message waits, so the orders loop sends many at once.

        Only while the connection's orders loop runs: without it the lane task sends the message.
        Without the wait, the lane task queued with each new order sent that order alone.
        """
        from integrations.odoo.tasks import ORDER_BATCH_WINDOW_SECONDS, orders_loop_running

        if entity == Domain.ORDERS and orders_loop_running(connection.pk):
            return ORDER_BATCH_WINDOW_SECONDS
        return 0

    def deliver_batch(self, messages):
        return push.deliver_orders(messages[0].connection, messages)

    def deliver(self, message):
        if message.entity == Domain.ORDERS:
            return push.deliver_order(message.connection, int(message.object_id), first_attempt=message.attempts <= 1)
        if message.entity == Domain.CUSTOMERS:
            return push.deliver_customer(message.connection, int(message.object_id))
        return super().deliver(message)
