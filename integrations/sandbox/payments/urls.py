"""URLs of the simulated payment providers, served under /sandbox/payments/.

Connection base URLs: http://<kontor host>/sandbox/payments/stripe, …/mollie and …/paypal.
Paths below them are the providers' own; paths starting with an underscore are controls.
"""

from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.sandbox.faults import with_faults
from integrations.sandbox.payments import mollie, paypal, stripe
from integrations.sandbox.payments.common import SYSTEM

app_name = "payments"


def _api(view, methods):
    return csrf_exempt(require_http_methods(methods)(with_faults(SYSTEM)(view)))


def _control(view):
    return csrf_exempt(require_http_methods(["POST"])(view))


urlpatterns = [
    path("stripe/_events", _control(stripe.send_event), name="stripe-events"),
    path("stripe/_disputes/<str:dispute_id>", _control(stripe.update_dispute), name="stripe-dispute-control"),
    path("stripe/v1/disputes/<str:dispute_id>", _api(stripe.get_dispute, ["GET"]), name="stripe-dispute"),
    path("mollie/v2/payments", _api(mollie.payments, ["POST"]), name="mollie-payments"),
    path("mollie/v2/payments/<str:payment_id>", _api(mollie.payment_detail, ["GET"]), name="mollie-payment"),
    path("mollie/v2/payments/<str:payment_id>/refunds", _api(mollie.refunds, ["POST"]), name="mollie-refunds"),
    path("mollie/_payments/<str:payment_id>/status", _control(mollie.set_status), name="mollie-status"),
    path("paypal/v1/oauth2/token", _api(paypal.token, ["POST"]), name="paypal-token"),
    path("paypal/v1/notifications/verify-webhook-signature", _api(paypal.verify_webhook_signature, ["POST"]), name="paypal-verify"),
    path("paypal/_events", _control(paypal.send_event), name="paypal-events"),
]
