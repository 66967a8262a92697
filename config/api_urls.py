"""The REST API for shop front ends, version 1, mounted at /api/v1/."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from apiclients.errors import not_found_view
from apiclients.schema import SchemaView
from catalog.api.views import CategoryTreeView, CategoryViewSet, ProductViewSet
from customers.api.views import AddressListView, ConsentListView, ProfileView
from orders.api.views import OrderViewSet

router = SimpleRouter()
router.register("products", ProductViewSet, basename="api-product")
router.register("categories", CategoryViewSet, basename="api-category")
router.register("orders", OrderViewSet, basename="api-order")

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("categories/", CategoryTreeView.as_view(), name="api-category-tree"),
    path("customers/me/", ProfileView.as_view(), name="api-customer-profile"),
    path("customers/me/addresses/", AddressListView.as_view(), name="api-customer-addresses"),
    path("customers/me/consents/", ConsentListView.as_view(), name="api-customer-consents"),
    *router.urls,
    # Anything else under /api/v1/ gets a JSON 404 in the API's error shape, not an HTML page.
    re_path(r"^.*$", not_found_view),
]
