"""Queueing of lane work after the surrounding transaction commits."""

import logging

from django.db import transaction
from django_q.tasks import async_task

logger = logging.getLogger(__name__)


def enqueue_on_commit(func_path, *ids, lane):
    """Queue `func_path(*ids)` on the django-q2 cluster `lane` once the transaction commits.

    Outside a transaction the task is queued at once. A rolled-back transaction queues nothing,
    so a worker never looks for a row that was not written.
    """

    def send():
        async_task(func_path, *ids, cluster=lane)

    transaction.on_commit(send)
