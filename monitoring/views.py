"""Health endpoints and the Prometheus metrics endpoint.

/health/live returns 200 while the process serves requests. /health/ready returns 200 when the
database, the brokers and every lane's workers work, else 503; both are public so that load
balancers and orchestrators can call them, and only staff or the token see the details.
/metrics needs a staff session or the token.
"""

from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from monitoring.access import may_read_monitoring
from monitoring.metrics import render_metrics
from monitoring.services.readiness import readiness


@never_cache
@require_GET
def live(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    is_ready, checks = readiness()
    body = {
        "status": "ready" if is_ready else "not ready",
        "checks": {check.name: "ok" if check.ok else "failed" for check in checks},
    }
    # Details may name hosts and ports, so anonymous callers see only the check results.
    if may_read_monitoring(request):
        body["details"] = {check.name: check.detail for check in checks}
    return JsonResponse(body, status=200 if is_ready else 503)


@never_cache
@require_GET
def metrics(request):
    if not may_read_monitoring(request):
        return HttpResponseForbidden(
            "Forbidden: log in to the admin as staff, or send Authorization: Bearer <MONITORING_TOKEN>.",
            content_type="text/plain",
        )
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)
