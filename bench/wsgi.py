"""WSGI entry point for the webhook benchmark: Kontor plus the benchmark connector."""

from bench.connector import BenchConnector
from config.wsgi import application  # noqa: F401  (sets up Django)
from integrations import registry

registry.register(BenchConnector)
