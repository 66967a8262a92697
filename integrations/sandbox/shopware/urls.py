"""URLs of the simulated Shopware shop, served under /sandbox/shopware/.

A connection's base URL is http://<kontor host>/sandbox/shopware; the Admin API paths below
it are the real ones (/api/oauth/token, /api/search/product ...).
"""

from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.sandbox.faults import with_faults
from integrations.sandbox.shopware import api, auth, control
from integrations.sandbox.shopware.state import SYSTEM

app_name = "shopware"


def _api(view, methods):
    """Wrap an Admin API view: CSRF exempt, allowed methods, faults, then the bearer check."""
    return csrf_exempt(require_http_methods(methods)(with_faults(SYSTEM)(auth.authenticated(view))))


urlpatterns = [
    path("_control", control.control, name="control"),
    path("_orders", control.orders, name="orders"),
    path("api/oauth/token", csrf_exempt(require_http_methods(["POST"])(with_faults(SYSTEM)(auth.token_view))), name="token"),
    path("api/_action/sync", _api(api.sync, ["POST"]), name="sync"),
    re_path(
        r"^api/_action/(?P<entity>order|order_delivery|order_transaction)/(?P<record_id>[0-9a-f]{32})/state/(?P<transition_name>[a-z_]+)$",
        _api(api.transition, ["POST"]),
        name="transition",
    ),
    path("api/search/<str:entity_route>", _api(api.search, ["POST"]), name="search"),
    path("api/search-ids/<str:entity_route>", _api(api.search_ids, ["POST"]), name="search-ids"),
    path("api/<str:entity_route>/<str:record_id>", _api(api.entity_detail, ["GET", "PATCH", "DELETE"]), name="entity-detail"),
    path("api/<str:entity_route>", _api(api.entity_collection, ["GET", "POST"]), name="entity-collection"),
]
