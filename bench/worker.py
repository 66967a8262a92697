"""Run a django-q2 lane cluster with the benchmark connector registered.

Run: Q_CLUSTER_NAME=hot python -m bench.worker
"""

import django

django.setup()

from django_q.cluster import Cluster  # noqa: E402

from bench.connector import BenchConnector  # noqa: E402
from integrations import registry  # noqa: E402

registry.register(BenchConnector)

if __name__ == "__main__":
    Cluster().start()
