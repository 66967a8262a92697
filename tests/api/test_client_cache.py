"""API clients kept in process memory: every committed change of a client, its channel or its
price list counts from the next request on, on the fast path and on the full stack alike."""

import pytest
from django.contrib.auth import get_user_model

from apiclients.models import ApiClient, Scope
from apiclients.services import rotate_token
from tests.api.conftest import make_client, needs_redis

pytestmark = pytest.mark.django_db

DETAIL = "/api/v1/products/{}/"


@pytest.fixture
def storefront(channel, price_list, catalog):
    """A client whose token this process has in memory, with the tripod's detail in the response cache."""
    client, http = make_client(channel, price_list=price_list)
    first = http.get(DETAIL.format(catalog.tripod.pk))
    second = http.get(DETAIL.format(catalog.tripod.pk))
    assert first.status_code == second.status_code == 200
    return client, http


@needs_redis
def test_cached_client_costs_no_query(storefront, catalog, django_assert_num_queries):
    _client, http = storefront

    # Another locale is a cache miss: the simple product's five queries, none for the token.
    with django_assert_num_queries(5):
        response = http.get(DETAIL.format(catalog.tripod.pk) + "?locale=en_GB")

    assert response.status_code == 200


def test_deactivated_client_is_401_on_next_request(storefront, catalog, django_capture_on_commit_callbacks):
    client, http = storefront

    with django_capture_on_commit_callbacks(execute=True):
        client.is_active = False
        client.save()
    response = http.get(DETAIL.format(catalog.tripod.pk))

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_deleted_client_is_401_on_next_request(storefront, catalog, django_capture_on_commit_callbacks):
    client, http = storefront

    with django_capture_on_commit_callbacks(execute=True):
        client.delete()
    response = http.get(DETAIL.format(catalog.tripod.pk))

    assert response.status_code == 401


def test_removed_scope_is_403_on_next_request(storefront, catalog, django_capture_on_commit_callbacks):
    client, http = storefront

    with django_capture_on_commit_callbacks(execute=True):
        client.scopes = [Scope.ORDERS_READ]
        client.save()
    response = http.get(DETAIL.format(catalog.tripod.pk))

    assert response.status_code == 403
    assert "catalog:read" in response.json()["message"]


def test_rotated_token_is_401_on_next_request(storefront, catalog, django_capture_on_commit_callbacks):
    client, http = storefront

    with django_capture_on_commit_callbacks(execute=True):
        new_token = rotate_token(client, actor="test")
    old = http.get(DETAIL.format(catalog.tripod.pk))
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {new_token}")
    new = http.get(DETAIL.format(catalog.tripod.pk))

    assert old.status_code == 401
    assert new.status_code == 200


def test_admin_deactivation_is_401_on_next_request(storefront, catalog, channel, client, django_capture_on_commit_callbacks):
    api_client, http = storefront
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(
            f"/admin/apiclients/apiclient/{api_client.pk}/change/",
            {"name": api_client.name, "channel": channel.pk, "price_list": api_client.price_list_id, "scopes": api_client.scopes, "throttle_rate": api_client.throttle_rate},
        )
    response = http.get(DETAIL.format(catalog.tripod.pk))

    assert saved.status_code == 302
    assert ApiClient.objects.get(pk=api_client.pk).is_active is False
    assert response.status_code == 401


def test_admin_bulk_delete_is_401_on_next_request(storefront, catalog, client, django_capture_on_commit_callbacks):
    api_client, http = storefront
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=True):
        deleted = client.post(
            "/admin/apiclients/apiclient/",
            {"action": "delete_selected", "_selected_action": [api_client.pk], "post": "yes"},
        )
    response = http.get(DETAIL.format(catalog.tripod.pk))

    assert deleted.status_code == 302
    assert not ApiClient.objects.filter(pk=api_client.pk).exists()
    assert response.status_code == 401


def test_channel_change_shows_on_next_request(storefront, channel, django_capture_on_commit_callbacks):
    _client, http = storefront
    before = http.get("/api/v1/products/?currency=CHF")

    with django_capture_on_commit_callbacks(execute=True):
        channel.currencies = ["EUR"]
        channel.save()
    after = http.get("/api/v1/products/?currency=CHF")

    assert before.status_code == 200
    assert after.status_code == 400
    assert after.json()["code"] == "currency_not_sold"


def test_uncommitted_change_keeps_cached_client(storefront, catalog):
    client, http = storefront

    # The version changes only when the change commits, and here it never does.
    client.is_active = False
    client.save()

    assert http.get(DETAIL.format(catalog.tripod.pk)).status_code == 200


def test_zero_max_age_reads_client_every_time(storefront, catalog, settings):
    client, http = storefront
    settings.API_CLIENT_CACHE_SECONDS = 0

    # A queryset update renews no version; with no cache it shows all the same.
    ApiClient.objects.filter(pk=client.pk).update(is_active=False)

    assert http.get(DETAIL.format(catalog.tripod.pk)).status_code == 401


@needs_redis
def test_rejected_token_costs_no_query_until_clients_change(storefront, catalog, django_assert_num_queries, django_capture_on_commit_callbacks):
    client, http = storefront
    with django_capture_on_commit_callbacks(execute=True):
        client.is_active = False
        client.save()
    assert http.get(DETAIL.format(catalog.tripod.pk)).status_code == 401

    with django_assert_num_queries(0):
        again = http.get(DETAIL.format(catalog.tripod.pk))
    with django_capture_on_commit_callbacks(execute=True):
        client.is_active = True
        client.save()
    reactivated = http.get(DETAIL.format(catalog.tripod.pk))

    assert again.status_code == 401
    assert reactivated.status_code == 200
