import itertools

from integrations.subscriptions import CREATED, UNCHANGED, UPDATED, ensure_subscription

TARGET = "https://kontor.example.com/webhooks/shopware/7/"


class FakeRemote:
    """A remote webhook registry that, like most, accepts duplicates and never lists secrets."""

    def __init__(self, *subscriptions):
        self.ids = itertools.count(1)
        self.subscriptions = [dict(s, id=next(self.ids)) for s in subscriptions]
        self.calls = []

    def list_existing(self):
        self.calls.append("list")
        return [{k: v for k, v in s.items() if k != "secret"} for s in self.subscriptions]

    def create(self, desired):
        self.calls.append("create")
        created = dict(desired, id=next(self.ids))
        self.subscriptions.append(created)
        return created

    def update(self, existing, desired):
        self.calls.append(f"update {existing['id']}")
        stored = next(s for s in self.subscriptions if s["id"] == existing["id"])
        stored.update(desired)
        return dict(stored)

    def delete(self, existing):
        self.calls.append(f"delete {existing['id']}")
        self.subscriptions = [s for s in self.subscriptions if s["id"] != existing["id"]]

    def ensure(self, desired):
        return ensure_subscription(
            self.list_existing, self.create, self.update, desired, ("url", "event"), delete=self.delete
        )


def desired(**overrides):
    return {"url": TARGET, "event": "product.written", "active": True, "secret": "whsec_1234567890abcdef", **overrides}


def test_ensure_twice_leaves_one_subscription():
    remote = FakeRemote()

    first = remote.ensure(desired())
    second = remote.ensure(desired())

    assert first.action == CREATED
    assert second.action == UNCHANGED
    assert len(remote.subscriptions) == 1
    assert remote.calls == ["list", "create", "list"]


def test_ensure_removes_existing_duplicates():
    remote = FakeRemote(desired(), desired(), desired())

    result = remote.ensure(desired())

    assert result.action == UNCHANGED
    assert [s["id"] for s in remote.subscriptions] == [1]
    assert [d["id"] for d in result.deleted] == [2, 3]
    assert remote.calls == ["list", "delete 2", "delete 3"]


def test_ensure_keeps_the_current_duplicate():
    remote = FakeRemote(desired(active=False), desired())

    result = remote.ensure(desired())

    assert result.action == UNCHANGED
    assert [s["id"] for s in remote.subscriptions] == [2]
    assert remote.calls == ["list", "delete 1"]


def test_ensure_updates_a_changed_subscription():
    remote = FakeRemote(desired(active=False))

    result = remote.ensure(desired())

    assert result.action == UPDATED
    assert remote.subscriptions == [{**desired(), "id": 1}]
    assert remote.calls == ["list", "update 1"]


def test_ensure_leaves_other_subscriptions_alone():
    other = {"url": TARGET, "event": "order.placed", "active": True}
    foreign = {"url": "https://other.example.com/hook", "event": "product.written", "active": True}
    remote = FakeRemote(other, foreign)

    result = remote.ensure(desired())

    assert result.action == CREATED
    assert len(remote.subscriptions) == 3
    assert remote.calls == ["list", "create"]


def test_ensure_with_callable_match_key_and_compare_fields():
    remote = FakeRemote({"address": TARGET.upper(), "topic": "orders/create", "format": "xml"})

    result = ensure_subscription(
        remote.list_existing,
        remote.create,
        remote.update,
        {"address": TARGET, "topic": "orders/create", "format": "json"},
        lambda s: (s["address"].lower(), s["topic"]),
        delete=remote.delete,
        compare_fields=["format"],
    )

    assert result.action == UPDATED
    assert remote.subscriptions[0]["format"] == "json"
    assert len(remote.subscriptions) == 1
