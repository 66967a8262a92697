"""Liveness and readiness of this Kontor installation.

Ready means: the database responds, each lane's broker responds, and each lane's workers took a
task recently. A worker proves the last point by running the heartbeat task, which the
monitoring schedule queues on every lane once a minute. A lane whose workers stopped
consuming leaves its heartbeat to age.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db import DatabaseError, connections, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from monitoring.models import LaneHeartbeat

logger = logging.getLogger(__name__)

# The schedule queues a heartbeat every minute, and django-q2's scheduler checks schedules about
# every 30 s (django-q2 1.11, Sentinel.guard in cluster.py). So a healthy lane's heartbeat is at
# most about 90 s old, and three minutes tolerates one late beat before the lane counts as stopped.
HEARTBEAT_MAX_AGE = timedelta(minutes=3)

# Readiness probes run often and must not hang on an unreachable broker.
BROKER_TIMEOUT_SECONDS = 2


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


def record_heartbeat(lane, queued_at=None, now=None):
    """Store that a worker of `lane` runs tasks; return how long the task waited in the queue.

    `queued_at` is when the task was put in the lane's queue (a datetime or an ISO string).
    Without it the stored queue delay is kept as it is.
    """
    now = now or timezone.now()
    defaults = {"last_seen_at": now}
    delay = None
    if queued_at:
        queued = parse_datetime(queued_at) if isinstance(queued_at, str) else queued_at
        if queued is not None:
            delay = max(0.0, (now - queued).total_seconds())
            defaults["queue_delay_seconds"] = delay
    LaneHeartbeat.objects.update_or_create(lane=lane, defaults=defaults)
    return delay


def check_database(database=None):
    """Run SELECT 1 on `database` (a connection wrapper; the default database if None)."""
    database = database or connections["default"]
    try:
        database.ensure_connection()
        with database.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.warning("readiness database check failed", extra={"error": type(error).__name__})
        first_line = (str(error).strip().splitlines() or [""])[0]
        return Check("database", False, f"{type(error).__name__}: {first_line}")
    return Check("database", True)


def check_broker(lane):
    """Ping the Redis broker of `lane`; a lane on the ORM broker shares the database check."""
    lane_settings = settings.LANES[lane]
    url = lane_settings.get("redis")
    if not url:
        return Check(f"broker:{lane}", True, "ORM broker (the database)")
    client = redis.Redis.from_url(url, socket_connect_timeout=BROKER_TIMEOUT_SECONDS, socket_timeout=BROKER_TIMEOUT_SECONDS)
    try:
        client.ping()
    except redis.RedisError as error:
        logger.warning("readiness broker check failed", extra={"lane": lane, "error": type(error).__name__})
        return Check(f"broker:{lane}", False, f"{type(error).__name__}: {error}")
    finally:
        client.close()
    return Check(f"broker:{lane}", True)


def check_lane(lane, now=None, heartbeats=None):
    """Check that a worker of `lane` ran the heartbeat task within HEARTBEAT_MAX_AGE."""
    now = now or timezone.now()
    if heartbeats is None:
        heartbeats = {beat.lane: beat.last_seen_at for beat in LaneHeartbeat.objects.all()}
    last_seen: datetime | None = heartbeats.get(lane)
    name = f"lane:{lane}"
    if last_seen is None:
        return Check(name, False, "no heartbeat yet: is the lane's cluster running and the monitoring schedule installed?")
    age = (now - last_seen).total_seconds()
    if age > HEARTBEAT_MAX_AGE.total_seconds():
        return Check(name, False, f"last heartbeat {int(age)} s ago, limit {int(HEARTBEAT_MAX_AGE.total_seconds())} s")
    return Check(name, True, f"last heartbeat {int(age)} s ago")


def readiness(now=None, database=None):
    """Return (ready, checks). Lanes are checked only when the database responds, because it stores
    their heartbeats."""
    checks = [check_database(database)]
    checks += [check_broker(lane) for lane in settings.LANES]
    if checks[0].ok:
        try:
            heartbeats = {beat.lane: beat.last_seen_at for beat in LaneHeartbeat.objects.all()}
        except DatabaseError:
            heartbeats = {}
        checks += [check_lane(lane, now, heartbeats) for lane in settings.LANES]
    else:
        checks += [Check(f"lane:{lane}", False, "not checked: database unreachable") for lane in settings.LANES]
    return all(check.ok for check in checks), checks


class LaneState(models.TextChoices):
    CONSUMING = "consuming", _("yes")
    # A cluster runs but its lane has not run a heartbeat since the cluster started.
    STARTING = "starting", _("starting")
    NOT_CONSUMING = "not_consuming", _("no")


@dataclass(frozen=True)
class LaneStatus:
    lane: str
    last_seen_at: datetime | None
    queue_delay_seconds: float | None
    queue_depth: int | None
    state: LaneState

    @property
    def consuming(self):
        return self.state == LaneState.CONSUMING


def cluster_start_times():
    """Return when each running django-q2 cluster started, from the status its sentinel stores.

    A sentinel stores its status in the broker's cache every guard cycle with a 3 s expiry
    (django-q2 1.11, Stat.save), so a cluster that died drops out within seconds. Returns an empty
    list when the cache cannot be read, so the lanes then show what their heartbeats show.
    """
    from django_q.brokers import get_broker
    from django_q.conf import Conf
    from django_q.status import Stat

    try:
        stats = Stat.get_all(broker=get_broker())
    except (redis.RedisError, DatabaseError) as error:
        logger.warning("cluster status not readable", extra={"error": type(error).__name__})
        return []
    stopping = {str(Conf.STOPPING), str(Conf.STOPPED)}
    return [stat.tob for stat in stats if stat.tob is not None and str(stat.status) not in stopping]


def lane_is_starting(now, last_seen, cluster_starts):
    """Return whether a lane without a fresh heartbeat waits for its first one after a cluster start.

    A cluster runs its first heartbeat only at the scheduler's first pass, about 30 s after it
    starts, or later when the schedule is not due yet. So a lane counts as starting when a cluster
    started within HEARTBEAT_MAX_AGE and the lane has run no heartbeat since that start.
    """
    # NOTE: django-q2 stores no queue name in a cluster's status, so a cluster is not matched to
    # its lane. A stopped lane shows "starting" while another lane's cluster is younger than
    # HEARTBEAT_MAX_AGE, and "no" after that.
    for started_at in cluster_starts:
        recent = now - started_at <= HEARTBEAT_MAX_AGE
        if recent and (last_seen is None or last_seen < started_at):
            return True
    return False


def lane_overview(now=None):
    """Return a LaneStatus per lane for the dashboard: state, heartbeat, queue delay and broker queue depth."""
    from django_q.brokers import get_broker

    now = now or timezone.now()
    beats = {beat.lane: beat for beat in LaneHeartbeat.objects.all()}
    cluster_starts = None
    statuses = []
    for lane in settings.LANES:
        beat = beats.get(lane)
        try:
            depth = get_broker(lane).queue_size()
        except (redis.RedisError, DatabaseError):
            depth = None
        last_seen = beat.last_seen_at if beat else None
        if check_lane(lane, now, {lane: last_seen} if last_seen else {}).ok:
            state = LaneState.CONSUMING
        else:
            if cluster_starts is None:
                # Read once, and only when a lane lacks a fresh heartbeat, because only then the clusters matter.
                cluster_starts = cluster_start_times()
            starting = lane_is_starting(now, last_seen, cluster_starts)
            state = LaneState.STARTING if starting else LaneState.NOT_CONSUMING
        statuses.append(
            LaneStatus(
                lane=lane,
                last_seen_at=last_seen,
                queue_delay_seconds=beat.queue_delay_seconds if beat else None,
                queue_depth=depth,
                state=state,
            )
        )
    return statuses
