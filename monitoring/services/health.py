"""The state of each connection as one dashboard tile.

failing: the circuit breaker is open or half-open (Kontor stopped calling the system), or the
    connection's latest sync run failed.
degraded: open sync errors wait for a person, or a data class lags behind its target. Open
    import warnings do not count: each dropped one value and kept its record. The tile shows
    their number apart.
healthy: none of these.
disabled: the connection is switched off, whatever else holds.
"""

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import Count, Max, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from integrations.circuit import CLOSED, HALF_OPEN, OPEN
from integrations.models import (
    Connection,
    InboundEvent,
    InboundState,
    OutboundMessage,
    OutboundState,
    SyncError,
    SyncRun,
    SyncRunKind,
    SyncRunState,
)
from integrations.services.clients import circuit_breaker_for
from monitoring.models import Incident
from monitoring.services.lag import WAITING_OUTBOUND_STATES, Lag, current_lags

HEALTHY = "healthy"
DEGRADED = "degraded"
FAILING = "failing"
DISABLED = "disabled"

STATE_LABELS = {
    HEALTHY: _("healthy"),
    DEGRADED: _("degraded"),
    FAILING: _("failing"),
    DISABLED: _("disabled"),
}

CIRCUIT_LABELS = {
    CLOSED: _("closed"),
    OPEN: _("open"),
    HALF_OPEN: _("half-open"),
}


@dataclass
class Tile:
    connection: Connection
    state: str
    reasons: list[str]
    last_pull_at: datetime | None
    last_push_at: datetime | None
    # Open errors that are not import warnings. The warnings are counted in open_warnings.
    open_errors: int
    open_warnings: int
    circuit_state: str
    lags: list[Lag]
    open_incidents: int
    links: dict[str, str] = field(default_factory=dict)

    @property
    def state_label(self):
        return STATE_LABELS[self.state]

    @property
    def circuit_label(self):
        return CIRCUIT_LABELS.get(self.circuit_state, self.circuit_state)


def admin_links(connection):
    """Return the filtered admin changelists for one connection: sync runs, open errors, open warnings, waiting outbox."""
    by_connection = {"connection__id__exact": connection.pk}
    unresolved = {**by_connection, "resolved__exact": 0}
    return {
        "sync_runs": reverse("admin:integrations_syncrun_changelist") + "?" + urlencode(by_connection),
        # The admin's severity filter splits the list as the tile's two counts do.
        "sync_errors": reverse("admin:integrations_syncerror_changelist")
        + "?"
        + urlencode({**unresolved, "severity": "error"}),
        "sync_warnings": reverse("admin:integrations_syncerror_changelist")
        + "?"
        + urlencode({**unresolved, "severity": "warning"}),
        # The messages that the tile's lag counts as waiting: pending and in flight.
        "outbox": reverse("admin:integrations_outboundmessage_changelist")
        + "?"
        + urlencode({**by_connection, "state__in": ",".join(WAITING_OUTBOUND_STATES)}),
    }


def _last_pulls(connection_ids):
    """Return {connection id: time of the latest successful pull run or processed inbound event}."""
    runs = (
        SyncRun.objects.filter(connection_id__in=connection_ids, kind=SyncRunKind.PULL, state=SyncRunState.SUCCEEDED)
        .values("connection_id")
        .annotate(last=Max("finished_at"))
    )
    events = (
        InboundEvent.objects.filter(connection_id__in=connection_ids, state=InboundState.PROCESSED)
        .values("connection_id")
        .annotate(last=Max("processed_at"))
    )
    last = {}
    for row in [*runs, *events]:
        if row["last"] is not None and (row["connection_id"] not in last or row["last"] > last[row["connection_id"]]):
            last[row["connection_id"]] = row["last"]
    return last


def _count_by_connection(queryset):
    return dict(queryset.values("connection_id").annotate(count=Count("pk")).values_list("connection_id", "count"))


def connection_tiles(now=None):
    """Return one Tile per connection, ordered by name."""
    now = now or timezone.now()
    latest_run_state = SyncRun.objects.filter(connection=OuterRef("pk")).order_by("-started_at", "-pk").values("state")[:1]
    connections = list(Connection.objects.annotate(latest_run_state=Subquery(latest_run_state)).order_by("name"))
    ids = [connection.pk for connection in connections]

    last_pulls = _last_pulls(ids)
    last_pushes = dict(
        OutboundMessage.objects.filter(connection_id__in=ids, state=OutboundState.DELIVERED)
        .values("connection_id")
        .annotate(last=Max("delivered_at"))
        .values_list("connection_id", "last")
    )
    unresolved = SyncError.objects.filter(connection_id__in=ids, resolved=False)
    open_errors = _count_by_connection(unresolved.problems())
    open_warnings = _count_by_connection(unresolved.warnings())
    open_incidents = _count_by_connection(Incident.objects.filter(connection_id__in=ids, resolved_at__isnull=True))
    lags = current_lags(ids, now)

    tiles = []
    for connection in connections:
        circuit_state = circuit_breaker_for(connection).state
        tile = Tile(
            connection=connection,
            state=HEALTHY,
            reasons=[],
            last_pull_at=last_pulls.get(connection.pk),
            last_push_at=last_pushes.get(connection.pk),
            open_errors=open_errors.get(connection.pk, 0),
            open_warnings=open_warnings.get(connection.pk, 0),
            circuit_state=circuit_state,
            lags=lags[connection.pk],
            open_incidents=open_incidents.get(connection.pk, 0),
            links=admin_links(connection),
        )
        tile.state, tile.reasons = _state_of(connection, tile)
        tiles.append(tile)
    return tiles


def _state_of(connection, tile):
    """Return (state, reasons), the reasons as sentences support staff can act on."""
    if not connection.enabled:
        return DISABLED, [str(_("The connection is switched off, so Kontor neither pulls nor pushes."))]

    failing = []
    if tile.circuit_state != CLOSED:
        failing.append(str(_("The circuit breaker is %(state)s after repeated server errors or timeouts.") % {"state": tile.circuit_label}))
    if connection.latest_run_state == SyncRunState.FAILED:
        failing.append(str(_("The latest sync run failed.")))
    if failing:
        return FAILING, failing

    degraded = []
    if tile.open_errors:
        degraded.append(
            ngettext("%(count)d sync error waits for a person.", "%(count)d sync errors wait for a person.", tile.open_errors)
            % {"count": tile.open_errors}
        )
    for lag in tile.lags:
        if lag.over_target:
            degraded.append(capfirst(_("%(data_class)s data lags behind its target.") % {"data_class": lag.label}))
    if degraded:
        return DEGRADED, degraded
    return HEALTHY, []
