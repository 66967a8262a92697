import time

from integrations.domains import lane_of
from integrations.models import ConnectionEntity

# Lanes are read on every webhook, so each process caches them. A changed lane setting takes
# effect within this many seconds, which is soon enough for a setting changed by hand.
LANE_CACHE_SECONDS = 30

_cache = {}


def lane_for(connection, entity):
    """Return the lane for a connection's entity: its own setting, else the domain's data class."""
    key = (connection.pk, entity)
    cached = _cache.get(key)
    now = time.monotonic()
    if cached is not None and cached[1] > now:
        return cached[0]

    lane = (
        ConnectionEntity.objects.filter(connection=connection, entity=entity)
        .values_list("lane", flat=True)
        .first()
    )
    lane = lane or lane_of(entity)
    _cache[key] = (lane, now + LANE_CACHE_SECONDS)
    return lane


def clear_lane_cache():
    _cache.clear()
