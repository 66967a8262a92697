from integrations.models.bindings import Binding
from integrations.models.connections import Connection, ConnectionEntity, Direction
from integrations.models.inbox import InboundEvent, InboundSource, InboundState
from integrations.models.leading import Conflict, LeadingSystemRule
from integrations.models.mappings import AttributeMapping, CategoryMapping, ValueMapping
from integrations.models.outbox import OutboundAction, OutboundMessage, OutboundState
from integrations.models.sync import (
    DeltaCursor,
    SyncDirection,
    SyncError,
    SyncRun,
    SyncRunKind,
    SyncRunState,
)

__all__ = [
    "AttributeMapping",
    "Binding",
    "CategoryMapping",
    "Conflict",
    "Connection",
    "ConnectionEntity",
    "DeltaCursor",
    "Direction",
    "InboundEvent",
    "InboundSource",
    "InboundState",
    "LeadingSystemRule",
    "OutboundAction",
    "OutboundMessage",
    "OutboundState",
    "SyncDirection",
    "SyncError",
    "SyncRun",
    "SyncRunKind",
    "SyncRunState",
    "ValueMapping",
]
