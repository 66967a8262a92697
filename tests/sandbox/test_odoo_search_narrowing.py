"""Searches of the simulated Odoo narrow rows in the database and still find every match."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Q

from integrations.sandbox import store
from integrations.sandbox.odoo import records
from integrations.sandbox.odoo.domain import implied_condition, matches

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


@pytest.fixture
def partners():
    """Ten partners, two per second of write_date, so positions fall inside one second."""
    created = []
    for index in range(10):
        moment = BASE + timedelta(seconds=index // 2, milliseconds=100 * index)
        created.append(records.create("res.partner", {"name": f"P{index}", "email": f"p{index}@example.com"}, now=moment))
    return created


def brute_force(model, domain):
    """Every record of the model that matches the domain, checked one by one in Python."""
    everything = [row.data for row in store.rows("odoo", model)]
    return sorted(data["id"] for data in everything if matches(data, domain, model, records.resolve))


@pytest.mark.parametrize("position", [1, 2, 4, 7])
def test_poller_domain_with_or_finds_every_later_record(partners, position):
    last = partners[position]
    domain = ["|", ["write_date", ">", last["write_date"]], "&", ["write_date", "=", last["write_date"]], ["id", ">", last["id"]]]

    found = [data["id"] for data in records.search("res.partner", domain, order="write_date asc, id asc")]

    assert found == [partner["id"] for partner in partners[position + 1:]]
    assert sorted(found) == brute_force("res.partner", domain)


def test_or_and_negation_match_brute_force(partners):
    domains = [
        ["|", ["email", "=ilike", "P1@example.com"], ["email", "=ilike", "p3@example.com"], ["name", "!=", "P3"]],
        ["!", ["id", "=", partners[0]["id"]]],
        ["|", ["id", "in", [partners[1]["id"], partners[2]["id"]]], ["name", "=", "P9"]],
    ]
    expected = [[partners[1]["id"]], [partner["id"] for partner in partners[1:]], [partners[1]["id"], partners[2]["id"], partners[9]["id"]]]

    for domain, ids in zip(domains, expected, strict=True):
        assert sorted(data["id"] for data in records.search("res.partner", domain)) == ids, domain
        assert brute_force("res.partner", domain) == ids, domain


def test_implied_condition_is_never_stricter_than_the_domain():
    def leaf(term):
        return Q(**{term[0]: term[2]}) if term[0] == "indexed" else None

    assert implied_condition([["indexed", "=", 1], ["other", "=", 2]], leaf) == Q(indexed=1)
    # One side of an "|" without a condition: the "|" gives none.
    assert implied_condition(["|", ["indexed", "=", 1], ["other", "=", 2]], leaf) is None
    assert implied_condition(["|", ["indexed", "=", 1], ["indexed", "=", 2]], leaf) == Q(indexed=1) | Q(indexed=2)
    assert implied_condition(["!", ["indexed", "=", 1]], leaf) is None
    assert implied_condition([], leaf) is None
