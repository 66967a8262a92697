"""The sandbox order stream returns when the lane cluster that runs it begins to stop."""

import multiprocessing

import pytest

from core import taskqueue
from integrations.sandbox import orderstream
from integrations.sandbox.shopware import stream as shopware_stream
from tests.sandbox.test_shopware_order_blocks import shop_products

pytestmark = pytest.mark.django_db


def test_stream_returns_when_cluster_stops(monkeypatch):
    shop_products(100000)
    stopping = multiprocessing.RawValue("b", 0)
    monkeypatch.setattr(taskqueue, "_cluster_stopping", stopping)
    replayed = []

    def progress(totals):
        replayed.append(sum(totals.values()))
        if len(replayed) == 3:
            # The cluster's stop event was set while the third invoice was being placed.
            stopping.value = 1

    totals = shopware_stream.run(rate=1000, count=10, progress=progress)

    assert replayed == [1, 2, 3]
    assert sum(totals.values()) == 3
    assert orderstream.stream_status("shopware")["index"] == 3
