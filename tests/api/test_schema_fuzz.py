"""Schema-driven fuzzing: every operation in the OpenAPI schema, with generated parameters and bodies.

Each response must be a documented status with a body that matches the schema, and never a 5xx.
Hypothesis examples are bounded so the whole file runs in well under a minute.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.api.catalog_data import build_catalog
from tests.api.conftest import ALL_SCOPES
from tests.factories import CustomerFactory

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
# The coverage phase sends hundreds of boundary cases per operation regardless of max_examples;
# the bounded fuzzing phase alone keeps this file fast enough for every run of the suite.
schema.config.phases.coverage.enabled = False


@pytest.fixture
def token(db, channel, price_list):
    from apiclients.services import create_client

    build_catalog(channel, price_list)
    CustomerFactory(email="anna@example.com")
    _client, token = create_client(
        name="Fuzzer", channel=channel, scopes=ALL_SCOPES, actor="test", price_list=price_list,
        customer_email="anna@example.com", throttle_rate="1000000/min",
    )

    # Like Django's test client: keep the test's transaction open across requests, because
    # request_started and request_finished would otherwise close the connection it runs in.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield token
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails_with_5xx(case, token):
    # positive_data_acceptance is left out: a schema-valid locale, category code or SKU may still
    # be unknown in the database, and the API rightly rejects it with a 400.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
