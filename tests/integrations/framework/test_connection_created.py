import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from integrations.domains import Domain, FieldGroup
from integrations.models import Connection, LeadingSystemRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client


def add_connection(client, slug, kind="akeneo"):
    return client.post(
        reverse("admin:integrations_connection_add"),
        {
            "kind": kind,
            "name": slug,
            "slug": slug,
            "base_url": "http://127.0.0.1:9/",
            "enabled": "on",
            "time_zone": "UTC",
            "rate_limit_per_second": "5",
            "rate_limit_burst": "10",
            "entities-TOTAL_FORMS": "0",
            "entities-INITIAL_FORMS": "0",
            "credential_client_id": "kontor",
            "credential_secret": "s3cret-value",
            "credential_username": "api",
            "credential_password": "pw-value",
        },
    )


def test_pim_added_in_admin_leads_product_texts(admin_client_logged_in):
    response = add_connection(admin_client_logged_in, "pim")

    assert response.status_code == 302, response.context["adminform"].form.errors
    pim = Connection.objects.get(slug="pim")
    texts = LeadingSystemRule.objects.get(domain=Domain.PRODUCTS, field_group=FieldGroup.TEXTS)
    assert texts.connection_id == pim.pk
    assert LeadingSystemRule.objects.filter(connection=pim).count() == 5


def test_second_pim_keeps_existing_rules(admin_client_logged_in):
    add_connection(admin_client_logged_in, "pim")
    first = Connection.objects.get(slug="pim")

    add_connection(admin_client_logged_in, "pim-2")

    second = Connection.objects.get(slug="pim-2")
    assert LeadingSystemRule.objects.filter(connection=first).count() == 5
    assert LeadingSystemRule.objects.filter(connection=second).count() == 0
