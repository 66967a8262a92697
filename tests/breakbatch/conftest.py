"""Fixtures of the Shopware tests (sandbox shop, connection, products), shared with the batch attacks."""

from tests.shopware.conftest import *  # noqa: F403
