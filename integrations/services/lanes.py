from integrations.domains import lane_of
from integrations.models import ConnectionEntity


def lane_for(connection, entity):
    """Return the lane for a connection's entity: its own setting, else the domain's data class."""
    lane = (
        ConnectionEntity.objects.filter(connection=connection, entity=entity)
        .values_list("lane", flat=True)
        .first()
    )
    return lane or lane_of(entity)
