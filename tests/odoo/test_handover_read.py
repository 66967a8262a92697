"""The handover's stock read is retried on transient Odoo errors, because Odoo has confirmed the
orders already: while the read fails, Kontor's reservations and Odoo's overlap."""

from types import SimpleNamespace

import pytest

from integrations.errors import AuthError, ServerError, Timeout
from integrations.odoo import inbound

# Only its id is read, for the log line.
CONNECTION = SimpleNamespace(pk=1)


@pytest.fixture
def reads(monkeypatch):
    """Make read_stock raise the queued errors in turn, then return a reading."""
    outcomes = []
    calls = []

    def read_stock(connection, client, product_ids):
        calls.append(product_ids)
        if outcomes:
            raise outcomes.pop(0)
        return {"reading": product_ids}

    monkeypatch.setattr(inbound, "read_stock", read_stock)
    monkeypatch.setattr(inbound, "OdooClient", lambda connection: None)
    return outcomes, calls


def test_transient_errors_retried(reads):
    outcomes, calls = reads
    outcomes.extend([ServerError("503"), Timeout("timed out")])

    reading = inbound._read_stock_for_handover(CONNECTION, [7])

    assert reading == {"reading": [7]}
    assert len(calls) == 3


def test_gives_up_after_the_last_attempt(reads):
    outcomes, calls = reads
    outcomes.extend([ServerError("503")] * inbound.HANDOVER_READ_ATTEMPTS)

    with pytest.raises(ServerError):
        inbound._read_stock_for_handover(CONNECTION, [7])
    assert len(calls) == inbound.HANDOVER_READ_ATTEMPTS


def test_permanent_error_not_retried(reads):
    outcomes, calls = reads
    outcomes.append(AuthError("invalid api key"))

    with pytest.raises(AuthError):
        inbound._read_stock_for_handover(CONNECTION, [7])
    assert len(calls) == 1
