"""Hot-lane tasks of the Sendcloud connector. Each takes ids and is safe to run twice."""

from integrations.models import Connection
from integrations.sendcloud import labels


def create_label(shipment_id, connection_id):
    connection = Connection.objects.filter(pk=connection_id, kind="sendcloud", enabled=True).first()
    if connection is None:
        return None
    return labels.create_label(shipment_id, connection).external_id
