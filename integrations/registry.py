"""Connector contract and registry.

A connector is a Django app under integrations/<kind>/ whose AppConfig.ready() calls
register(MyConnector). The framework finds connectors only through this registry, so adding one
needs no change here.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from integrations.domains import Domain
from integrations.errors import InvalidSetting


class Mode:
    """The ways a connector learns about remote changes: pulling, webhooks or both."""

    PULL = "pull"
    WEBHOOK = "webhook"
    BOTH = "both"


class ValueKind:
    """Kinds of value that a credential field contains, checked by CredentialField.clean when the admin saves it."""

    TEXT = "text"
    # Either true or false, stored as "true" or "false". The admin also accepts yes, no, 1, 0, ja and nein.
    BOOLEAN = "boolean"
    # A whole number of 1 or more, such as a remote record id.
    POSITIVE_INTEGER = "positive_integer"
    # A percentage from 0 to 100, stored with a decimal point. The admin also accepts a decimal comma.
    PERCENT = "percent"


BOOLEAN_VALUES = {"true": "true", "yes": "true", "1": "true", "ja": "true", "false": "false", "no": "false", "0": "false", "nein": "false"}


@dataclass(frozen=True)
class CredentialField:
    """One credential or setting of a connection, stored encrypted in Connection.credentials."""

    name: str
    label: str
    secret: bool = True
    required: bool = True
    # What the value contains; see ValueKind. Only TEXT is allowed for a secret field, because
    # an error about another kind shows the value.
    kind: str = ValueKind.TEXT
    # True for the values that the remote system checks at sign-in. A rejected connection test
    # names them, so the merchant knows what to check.
    auth: bool = False
    # Further check for the rules of one connector. It is called with the stripped value and
    # returns the value to store or raises integrations.errors.InvalidSetting.
    validator: Callable[[str], str] | None = None

    def __post_init__(self):
        if self.secret and self.kind != ValueKind.TEXT:
            raise ValueError(f"credential field {self.name!r} is secret, so its kind must be {ValueKind.TEXT!r}, not {self.kind!r}")

    def clean(self, value):
        """Return `value` in the form that Kontor stores, or raise InvalidSetting naming it.

        An empty value is returned unchanged, because whether it is allowed is `required`'s job.
        """
        value = str(value or "").strip()
        if not value:
            return value
        value = check_value_kind(self, value)
        if self.validator is not None:
            value = self.validator(value)
        return value


def check_value_kind(spec, value):
    """Return `value` normalized for `spec.kind`, or raise InvalidSetting."""
    if spec.kind == ValueKind.BOOLEAN:
        if value.lower() not in BOOLEAN_VALUES:
            raise InvalidSetting(setting=spec.label, value=value, expected=_("Enter true or false."))
        return BOOLEAN_VALUES[value.lower()]

    if spec.kind == ValueKind.POSITIVE_INTEGER:
        if not value.isascii() or not value.isdigit() or int(value) < 1:
            raise InvalidSetting(setting=spec.label, value=value, expected=_("Enter a whole number of 1 or more, such as 8."))
        return str(int(value))

    if spec.kind == ValueKind.PERCENT:
        try:
            number = Decimal(value.replace(",", "."))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or not 0 <= number <= 100:
            raise InvalidSetting(setting=spec.label, value=value, expected=_("Enter a percentage from 0 to 100, such as 19 or 7.5."))
        # Fixed-point notation, so "1e2" is stored as "100".
        return format(number, "f")

    return value


@dataclass
class InboundItem:
    """One change a connector read from a webhook body or a pulled page.

    dedup_key identifies the business event (event type, object id and version), not only the
    transport delivery id, because providers resend the same event under new delivery ids.
    """

    entity: str
    external_id: str
    dedup_key: str
    payload: dict[str, Any]
    occurred_at: datetime | None = None
    version: str = ""
    event_type: str = ""


@dataclass
class Page:
    """One page of a delta pull. `cursor` is the position after this page, None when done."""

    items: list[InboundItem] = field(default_factory=list)
    cursor: dict[str, Any] | None = None


class WebhookRejected(Exception):
    """The webhook signature or timestamp is invalid; the view responds 401."""


class WebhookMalformed(Exception):
    """The webhook body cannot be parsed; the view responds 400."""


class Connector:
    """Base class of every connector. Override the hooks that the declared capabilities need.

    Hooks run inside lane workers or the webhook view; none of them is called for a disabled
    connection. A hook raises integrations.errors.ConnectorError (or a subclass) for remote
    failures, so the framework can decide whether to retry.
    """

    kind: str = ""
    display_name: str = ""
    # Entities (Domain values) this connector reads from and writes to the remote system.
    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    # Written entities that must reach the remote system in the order Kontor wrote them, such
    # as orders for an ERP that numbers them as they arrive (see batches.due_messages).
    ordered_entities: frozenset[str] = frozenset()
    mode: str = Mode.PULL
    # Request headers stored with each webhook event, for support (delivery ids, event types).
    # Signature headers are left out: they are useless once verified.
    stored_headers: tuple[str, ...] = ()
    credential_fields: tuple[CredentialField, ...] = ()
    # True when a connection without a base URL works from files alone (Akeneo's CSV import),
    # so the admin requires the API credentials only once a base URL is set.
    api_optional: bool = False
    # True when the system has no fixed address (every shop and ERP has its own), so the admin
    # refuses to save a connection without a base URL.
    base_url_required: bool = False
    # Mapper objects by entity, for code that wants to reach them through the registry.
    mappers: dict[str, Any] = {}
    # (domain, field group) pairs this kind of system usually leads, such as product texts for
    # a PIM. A new connection claims each pair that no other connection leads yet.
    default_leads: tuple[tuple[str, str], ...] = ()

    def health_check(self, connection):
        """Call a cheap authenticated endpoint; return a short text for the admin or raise."""
        raise NotImplementedError(f"{self.kind} does not implement health_check")

    def verify_webhook(self, connection, body: bytes, headers):
        """Raise WebhookRejected unless the signature over the raw body is valid."""
        raise WebhookRejected(f"{self.kind} does not accept webhooks")

    def parse_webhook(self, connection, body: bytes, headers, entity=None) -> list[InboundItem]:
        """Turn a verified body into inbound items; raise WebhookMalformed on a bad body.

        `entity` is the entity named in the webhook URL (/hooks/<slug>/<entity>/), or None.
        Return an empty list for an event type the connector ignores; the view responds 200.
        """
        raise WebhookMalformed(f"{self.kind} does not accept webhooks")

    def process_inbound(self, event):
        """Apply one stored InboundEvent to the canonical models through their services.

        Return a short outcome ("created", "updated", "skipped") for the sync run counts.
        Not called again for an event that was processed before.
        """
        raise NotImplementedError(f"{self.kind} does not process inbound events")

    def inbound_batch_started(self, connection, events):
        """Lock what a batch of events will lock, before the first is applied; see process_inbound_batch.

        The events are applied one after another in one transaction. A connector whose events
        lock shared rows, such as stock levels, locks all of them here in one ordered statement,
        so concurrent batches wait for each other instead of deadlocking. The default locks nothing.
        """

    def process_inbound_many(self, connection, events):
        """Apply some events of a batch together, with a fixed number of statements; return {event pk: outcome}.

        Called by process_inbound_batch after inbound_batch_started, in a savepoint, with all
        events of the batch in id order. Each event left out of the result is then applied by
        process_inbound, in id order. When the hook raises, its savepoint is rolled back and
        every event goes through process_inbound. So take an event only when applying it before
        the events left out gives the same result as applying the batch in id order, and leave
        out anything unusual. The default takes no event.
        """
        return {}

    def pull(self, connection, entity: str, cursor: dict | None) -> Page:
        """Read one page of changes after cursor (None means from the start)."""
        raise NotImplementedError(f"{self.kind} does not pull {entity}")

    def pulled_entities(self) -> frozenset[str]:
        """Return the entities that pull() reads, so a delta pull can run for them.

        A connector that overrides pull() pulls every entity it reads, unless it overrides this
        too. One that does not override pull() receives its entities another way (webhooks,
        file imports) and pulls none.
        """
        if type(self).pull is Connector.pull:
            return frozenset()
        return self.reads

    def explain_no_pull(self, connection, entity) -> str:
        """Return a sentence telling an operator how `entity` reaches Kontor instead of a pull, or "".

        Called for an entity that is not in pulled_entities(). The sentence is printed by
        management commands only, so it is in English.
        """
        if entity in self.reads and self.mode in (Mode.WEBHOOK, Mode.BOTH):
            return f"{self.display_name} sends changes of {entity} through webhooks, so there is nothing to pull."
        return ""

    def pushed_entities(self) -> frozenset[str]:
        """Return the entities that deliver() sends, so pending outbound messages of them can be pushed.

        A connector that overrides deliver() pushes every entity it writes. One that does not
        pushes none, because the base deliver() raises NotImplementedError.
        """
        if type(self).deliver is Connector.deliver:
            return frozenset()
        return self.writes

    def deliver(self, message):
        """Push one OutboundMessage to the remote system. Return the remote id or None.

        May be called more than once for the same message after a crash, so send
        message.idempotency_key where the remote API supports one.
        """
        raise NotImplementedError(f"{self.kind} does not push {message.entity}")


_connectors: dict[str, Connector] = {}


class UnknownConnector(LookupError):
    pass


def register(connector_class):
    """Register a connector class under its kind; registering the same class again is a no-op."""
    kind = connector_class.kind
    if not kind:
        raise ValueError(f"{connector_class.__name__} has no kind")
    for entity in connector_class.reads | connector_class.writes:
        Domain(entity)
    existing = _connectors.get(kind)
    if existing is not None and type(existing) is not connector_class:
        raise ValueError(f"connector kind {kind!r} is already registered by {type(existing).__name__}")
    _connectors[kind] = connector_class()
    return connector_class


def unregister(kind):
    _connectors.pop(kind, None)


def get_connector(kind):
    try:
        return _connectors[kind]
    except KeyError:
        raise UnknownConnector(
            f"No connector is registered for kind {kind!r}. Add its app to CONNECTOR_APPS."
        ) from None


def ordered_streams():
    """Return the (kind, entity) pairs whose messages go out in the order they were written."""
    return sorted((kind, entity) for kind, connector in _connectors.items() for entity in connector.ordered_entities)


def connector_choices():
    return sorted((kind, connector.display_name or kind) for kind, connector in _connectors.items())
