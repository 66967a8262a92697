"""Hot-lane tasks of the DHL connector. Each takes ids and is safe to run twice."""

from integrations.dhl import labels, tracking
from integrations.models import Connection
from orders.models import Shipment


def _connection(connection_id):
    return Connection.objects.filter(pk=connection_id, kind="dhl", enabled=True).first()


def queue_tracking_pulls():
    """Queue tracking pulls for every enabled DHL connection; schedule this every few minutes."""
    return sum(tracking.queue_tracking_pulls(pk) for pk in Connection.objects.filter(kind="dhl", enabled=True).values_list("pk", flat=True))


def pull_tracking(shipment_id, connection_id):
    connection = _connection(connection_id)
    shipment = Shipment.objects.filter(pk=shipment_id).select_related("order").first()
    if connection is None or shipment is None:
        return None
    return tracking.pull_tracking(shipment, connection)


def create_label(shipment_id, connection_id):
    connection = _connection(connection_id)
    if connection is None:
        return None
    return labels.create_label(shipment_id, connection).external_id


def install_schedule(minutes=5):
    """Store the schedule that queues tracking pulls every `minutes`; safe to run on every deploy."""
    from django_q.models import Schedule

    schedule, _ = Schedule.objects.update_or_create(
        name="dhl tracking pulls",
        defaults={
            "func": "integrations.dhl.tasks.queue_tracking_pulls",
            "schedule_type": Schedule.MINUTES,
            "minutes": minutes,
            "repeats": -1,
            "cluster": "hot",
        },
    )
    return schedule
