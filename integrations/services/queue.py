"""Queueing of lane work after the surrounding transaction commits."""

import logging

from django.db import transaction
from django_q import tasks as django_q_tasks
from django_q.brokers import get_broker

logger = logging.getLogger(__name__)

# One broker per lane and process. django-q2 builds a new broker, and with it a new Redis
# connection, for every task unless one is passed in, so reusing it saves a TCP connect per
# task. redis-py's connection pool notices a fork and reconnects in the child.
_brokers = {}


def broker_for(lane):
    broker = _brokers.get(lane)
    if broker is None:
        broker = _brokers[lane] = get_broker(lane)
    return broker


def async_task(func_path, *args, cluster):
    """Queue `func_path(*args)` on the django-q2 cluster `cluster` now.

    save=False: a successful task leaves no django-q2 result row, because Kontor's own rows
    (inbound events, outbound messages, sync runs) record the outcome; failures are still saved.
    """
    return django_q_tasks.async_task(func_path, *args, cluster=cluster, broker=broker_for(cluster), save=False)


def enqueue_on_commit(func_path, *ids, lane):
    """Queue `func_path(*ids)` on the django-q2 cluster `lane` once the transaction commits.

    Outside a transaction the task is queued at once. A rolled-back transaction queues nothing,
    so a worker never looks for a row that was not written.
    """

    def send():
        async_task(func_path, *ids, cluster=lane)

    transaction.on_commit(send)


def enqueue_once_on_commit(func_path, *args, lane):
    """Queue a task like enqueue_on_commit, but once per transaction however often it is called.

    For tasks that work through everything due (a batch delivery per lane): a transaction that
    writes 500 outbound messages queues one such task, not 500.
    """
    key = (func_path, args, lane)
    db = transaction.get_connection()
    # Django keeps the callbacks of the open transaction as (savepoint ids, callback, robust).
    # A rolled-back savepoint removes its callbacks from the list, so the task is added again.
    if db.in_atomic_block and any(getattr(entry[1], "kontor_task", None) == key for entry in db.run_on_commit):
        return

    def send():
        async_task(func_path, *args, cluster=lane)

    send.kontor_task = key
    transaction.on_commit(send)


def queue_length(lane):
    """Tasks waiting in the lane's queue (not counting those a worker already took)."""
    return broker_for(lane).queue_size()
