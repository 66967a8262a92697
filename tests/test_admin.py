"""Admin smoke tests, German admin, status actions and read-only history."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_q.models import Failure, Schedule, Success, Task

from catalog import models as catalog
from customers import models as customers
from orders import models as orders
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def reset_language():
    """Deactivate the language a German request activated, so later tests read English."""
    yield
    translation.deactivate()


def make_task(success):
    return Task.objects.create(
        id=f"task{int(success)}",
        name=f"task-{success}",
        func="math.floor",
        started="2026-11-27T09:30:00Z",
        stopped="2026-11-27T09:30:01Z",
        success=success,
    )


# One way to create a record for each registered model, so its change page can be opened.
OBJECT_MAKERS = {
    Group: lambda: Group.objects.create(name="Support"),
    User: lambda: User.objects.create_user("support", "support@example.com", "x"),
    Schedule: lambda: Schedule.objects.create(name="nightly", func="math.floor"),
    Success: lambda: Success.objects.get(pk=make_task(True).pk),
    Failure: lambda: Failure.objects.get(pk=make_task(False).pk),
    catalog.Attribute: factories.AttributeFactory,
    catalog.AttributeOption: factories.AttributeOptionFactory,
    catalog.ProductType: factories.ProductTypeFactory,
    catalog.VariantScheme: lambda: factories.VariantAxisFactory().scheme,
    catalog.Category: lambda: factories.CategoryFactory(parent=factories.CategoryFactory()),
    catalog.Channel: factories.ChannelFactory,
    catalog.MediaAsset: factories.MediaAssetFactory,
    catalog.PriceList: factories.PriceListFactory,
    catalog.Price: factories.PriceFactory,
    catalog.Warehouse: factories.WarehouseFactory,
    catalog.StockLevel: factories.StockLevelFactory,
    catalog.StockMovement: factories.StockMovementFactory,
    catalog.StockReservation: factories.StockReservationFactory,
    catalog.ChannelStockBuffer: factories.ChannelStockBufferFactory,
    catalog.Product: lambda: full_product(),
    catalog.ProductModel: lambda: factories.ProductFactory(parent=factories.ProductModelFactory()).parent,
    orders.Order: lambda: full_order(),
    orders.OrderStatusChange: factories.OrderStatusChangeFactory,
    orders.Payment: lambda: factories.RefundFactory().payment,
    orders.Refund: factories.RefundFactory,
    orders.Document: factories.DocumentFactory,
    orders.Return: lambda: factories.ReturnLineFactory().return_request,
    orders.Shipment: lambda: factories.ShipmentEventFactory(shipment=factories.ShipmentLineFactory().shipment).shipment,
    orders.ShipmentEvent: factories.ShipmentEventFactory,
    customers.Customer: lambda: full_customer(),
    customers.Segment: factories.SegmentFactory,
    customers.Consent: factories.ConsentFactory,
    customers.Address: factories.AddressFactory,
}

# Admins that only list and show, because services or external systems write these rows.
READ_ONLY = {
    catalog.StockLevel,
    catalog.StockMovement,
    catalog.StockReservation,
    orders.Order,
    orders.OrderStatusChange,
    orders.Payment,
    orders.Refund,
    orders.Document,
    orders.Return,
    orders.Shipment,
    orders.ShipmentEvent,
    customers.Consent,
}
NO_ADD_PAGE = READ_ONLY | {Success, Failure}

CANONICAL_APPS = {"catalog", "orders", "customers"}
REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def full_product():
    product = factories.ProductFactory()
    factories.ProductTranslationFactory(product=product)
    factories.AttributeValueFactory(product=product)
    factories.ProductMediaFactory(product=product)
    factories.PriceFactory(product=product)
    factories.StockLevelFactory(product=product)
    return product


def full_order():
    order = factories.OrderFactory()
    factories.TaxLineFactory(order=order)
    factories.OrderAddressFactory(order=order)
    factories.OrderStatusChangeFactory(order=order)
    factories.RefundFactory(payment=factories.PaymentFactory(order=order))
    factories.ShipmentEventFactory(shipment=factories.ShipmentLineFactory(shipment=factories.ShipmentFactory(order=order)).shipment)
    factories.DocumentFactory(order=order)
    factories.ReturnLineFactory(return_request=factories.ReturnFactory(order=order))
    return order


def full_customer():
    customer = factories.CustomerFactory()
    customer.segments.add(factories.SegmentFactory())
    factories.AddressFactory(customer=customer)
    factories.ConsentFactory(customer=customer)
    return customer


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def label(model):
    return model._meta.label


def test_every_canonical_admin_has_an_object_maker():
    canonical = {model for model in REGISTERED if model._meta.app_label in CANONICAL_APPS}

    assert canonical - set(OBJECT_MAKERS) == set()


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_admin_changelist_and_search_open(admin_client, model):
    if model in OBJECT_MAKERS:
        OBJECT_MAKERS[model]()

    response = admin_client.get(admin_url(model, "changelist"))
    searched = admin_client.get(admin_url(model, "changelist"), {"q": "SKU-1"})

    assert response.status_code == 200
    assert searched.status_code == 200


def add_forbidden(model, user):
    """Return whether the add page is expected to be forbidden.

    Kontor's own apps are checked against NO_ADD_PAGE; other apps' admins decide for themselves.
    """
    if model._meta.app_label in CANONICAL_APPS or model in NO_ADD_PAGE:
        return model in NO_ADD_PAGE
    request = RequestFactory().get("/")
    request.user = user
    return not admin.site._registry[model].has_add_permission(request)


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_admin_add_page_opens_unless_read_only(admin_client, admin_user, model):
    response = admin_client.get(admin_url(model, "add"))

    assert response.status_code == (403 if add_forbidden(model, admin_user) else 200)


@pytest.mark.parametrize("model", [model for model in REGISTERED if model in OBJECT_MAKERS], ids=label)
def test_admin_change_page_opens(admin_client, model):
    obj = OBJECT_MAKERS[model]()

    response = admin_client.get(admin_url(model, "change", obj.pk))

    assert response.status_code == 200
    assert (b'name="_save"' in response.content) is (model not in READ_ONLY or model is orders.Order)


def test_read_only_admins_forbid_change_and_delete():
    request = RequestFactory().get("/")
    request.user = User.objects.create_superuser("root", "root@example.com", "x")

    for model in READ_ONLY - {orders.Order, customers.Consent}:
        model_admin = admin.site._registry[model]
        assert model_admin.has_change_permission(request) is False, label(model)
        assert model_admin.has_delete_permission(request) is False, label(model)


def test_status_history_cannot_be_edited_or_deleted(admin_client):
    change = factories.OrderStatusChangeFactory(note="received")

    edit = admin_client.post(admin_url(orders.OrderStatusChange, "change", change.pk), {"note": "changed", "to_status": "cancelled"})
    delete = admin_client.post(admin_url(orders.OrderStatusChange, "delete", change.pk), {"post": "yes"})

    change.refresh_from_db()
    assert edit.status_code == 403
    assert delete.status_code == 403
    assert (change.note, change.to_status) == ("received", "new")


def test_order_cannot_be_deleted_or_totals_edited(admin_client):
    order = factories.OrderFactory()

    delete = admin_client.post(admin_url(orders.Order, "delete", order.pk), {"post": "yes"})
    admin_client.post(
        admin_url(orders.Order, "change", order.pk),
        {"total_gross": "1.00", "needs_attention": "on", "attention_note": "Called the customer", "_save": "Save", **empty_inline_forms()},
    )

    order.refresh_from_db()
    assert delete.status_code == 403
    assert order.total_gross == Decimal("11.90")
    assert order.needs_attention is True
    assert order.attention_note == "Called the customer"


def empty_inline_forms():
    """Management form data for the order page's read-only inlines, none of which posts rows."""
    prefixes = ["lines", "tax_lines", "addresses", "status_history", "payments", "shipments", "documents", "returns"]
    data = {}
    for prefix in prefixes:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "0"})
    return data


# Status actions


def run_action(client, action, orders_to_change):
    return client.post(
        admin_url(orders.Order, "changelist"),
        {"action": action, admin.helpers.ACTION_CHECKBOX_NAME: [order.pk for order in orders_to_change]},
        follow=True,
    )


def test_status_action_moves_orders_through_service(admin_client, admin_user):
    first, second = factories.OrderFactory(), factories.OrderFactory()

    response = run_action(admin_client, "mark_confirmed", [first, second])

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("confirmed", "confirmed")
    history = orders.OrderStatusChange.objects.get(order=first)
    assert (history.from_status, history.to_status) == ("new", "confirmed")
    assert history.actor == f"admin:{admin_user.username}"
    assert history.user == admin_user
    assert "2 orders moved to confirmed by ERP." in response.content.decode()


def test_disallowed_status_action_reports_and_changes_nothing(admin_client):
    shipped = factories.OrderFactory(status="shipped", external_number="5001")

    response = run_action(admin_client, "mark_cancelled", [shipped])

    shipped.refresh_from_db()
    assert shipped.status == "shipped"
    assert not orders.OrderStatusChange.objects.filter(order=shipped).exists()
    content = response.content.decode()
    assert "5001" in content
    assert "cannot move from shipped to cancelled" in content
    assert "0 orders moved to cancelled." in content


def test_cancel_action_releases_reservation(admin_client):
    reservation = factories.StockReservationFactory(quantity=Decimal(1))
    order = reservation.order_line.order

    run_action(admin_client, "mark_cancelled", [order])

    reservation.refresh_from_db()
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert reservation.state == "released"


# Money and large lists


def test_order_list_shows_money_with_currency(admin_client):
    factories.OrderFactory(
        currency="JPY", total_net=Decimal(1000), total_tax=Decimal(100), total_gross=Decimal(1100),
        lines=[{"unit_price": Decimal(1100), "total_net": Decimal(1000), "total_tax": Decimal(100), "total_gross": Decimal(1100)}],
    )

    content = admin_client.get(admin_url(orders.Order, "changelist")).content.decode()

    assert "1,100 JPY" in content


def count_changelist_queries(client, model):
    with CaptureQueriesContext(connection) as context:
        assert client.get(admin_url(model, "changelist")).status_code == 200
    return len(context.captured_queries)


def test_product_list_queries_do_not_grow_with_rows(admin_client):
    for _ in range(3):
        full_product()
    few = count_changelist_queries(admin_client, catalog.Product)

    for _ in range(20):
        full_product()
    many = count_changelist_queries(admin_client, catalog.Product)

    assert many == few


def test_order_list_queries_do_not_grow_with_rows(admin_client):
    factories.OrderFactory(customer=factories.CustomerFactory())
    few = count_changelist_queries(admin_client, orders.Order)

    for _ in range(15):
        factories.OrderFactory(customer=factories.CustomerFactory())
    many = count_changelist_queries(admin_client, orders.Order)

    assert many == few


# German admin


def test_admin_in_german_by_accept_language(admin_client):
    response = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="de")

    content = response.content.decode()
    assert "Bestellungen" in content
    assert "Artikel" in content
    assert "Lager" in content
    assert "Orders" not in content


def test_admin_in_german_by_language_cookie(admin_client):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"

    content = admin_client.get(admin_url(orders.Order, "changelist")).content.decode()

    assert "Bestellungen" in content
    assert "Ausgewählte Bestellungen stornieren" in content


def test_admin_in_english_by_default(admin_client):
    content = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Orders" in content
    assert "Bestellungen" not in content


def test_language_switch_sets_cookie(admin_client):
    response = admin_client.post(reverse("set_language"), {"language": "de", "next": reverse("admin:index")})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert "Bestellungen" in admin_client.get(reverse("admin:index")).content.decode()


def test_german_validation_message_names_value(admin_client):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"

    response = admin_client.post(
        admin_url(catalog.Product, "add"),
        {"sku": "CAM-1", "gtin": "4006381333932", "enabled": "on", **empty_product_inline_forms()},
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "4006381333932" in content
    assert "Prüfziffer" in content
    assert not catalog.Product.objects.filter(sku="CAM-1").exists()


def empty_product_inline_forms():
    prefixes = ["translations", "attribute_values", "media", "prices", "stock_levels"]
    data = {}
    for prefix in prefixes:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
    return data
