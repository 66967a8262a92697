"""URLs of the simulated carriers, served under /sandbox/shipping/.

Connection base URLs: http://<kontor host>/sandbox/shipping/dhl and …/sendcloud. Paths below
them are the carriers' own; paths starting with an underscore are controls.
"""

from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.sandbox.faults import with_faults
from integrations.sandbox.shipping import dhl, sendcloud
from integrations.sandbox.shipping.common import SYSTEM

app_name = "shipping"


def _api(view, methods):
    return csrf_exempt(require_http_methods(methods)(with_faults(SYSTEM)(view)))


def _control(view):
    return csrf_exempt(require_http_methods(["POST"])(view))


urlpatterns = [
    path("dhl/parcel/de/shipping/v2/orders", _api(dhl.create_orders, ["POST"]), name="dhl-orders"),
    path("dhl/track/shipments", _api(dhl.track, ["GET"]), name="dhl-track"),
    path("dhl/_shipments/<str:number>/events", _control(dhl.add_event), name="dhl-events"),
    path("sendcloud/api/v2/parcels", _api(sendcloud.parcels, ["GET", "POST"]), name="sendcloud-parcels"),
    path("sendcloud/api/v2/labels/label_printer/<int:parcel_id>", _api(sendcloud.label, ["GET"]), name="sendcloud-label"),
    path("sendcloud/_parcels/<int:parcel_id>/status", _control(sendcloud.set_status), name="sendcloud-status"),
]
