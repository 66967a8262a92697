"""Access rule for monitoring data: active staff users, or a caller with the monitoring token."""

from django.conf import settings
from django.utils.crypto import constant_time_compare


def has_token(request):
    """Return whether the request carries `Authorization: Bearer <MONITORING_TOKEN>`."""
    token = settings.MONITORING_TOKEN
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and constant_time_compare(value.strip(), token)


def may_read_monitoring(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_active and user.is_staff:
        return True
    return has_token(request)
