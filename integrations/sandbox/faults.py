"""Faults a simulated system injects, switchable per system at run time.

Request faults (latency, 429 with Retry-After, 5xx, timeouts) wrap every API view of a system
through `with_faults`. Webhook faults (sent twice, out of order, lost) are applied by
integrations.sandbox.webhooks. Settings live in SandboxFaults rows, edited in the admin or
through the JSON control endpoint /sandbox/<system>/_faults (see views.faults_endpoint).
"""

import functools
import logging
import random
import time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import JsonResponse

from integrations.sandbox.models import SandboxFaults

logger = logging.getLogger(__name__)

# Answer header that marks a simulated timeout, so the in-process test bridge
# (integrations.sandbox.testing) can raise the client's timeout instead of waiting.
TIMEOUT_HEADER = "X-Sandbox-Fault"

EDITABLE_FIELDS = (
    "latency_ms",
    "rate_limit_percent",
    "retry_after_seconds",
    "server_error_percent",
    "server_error_status",
    "timeout_percent",
    "timeout_seconds",
    "fail_next_requests",
    "fail_next_status",
    "duplicate_webhooks_percent",
    "reorder_webhooks",
    "drop_webhooks_percent",
)

_random = random.Random()


def settings_for(system):
    """Return the fault settings of a system; an unsaved all-off row when none is stored."""
    return SandboxFaults.objects.filter(system=system).first() or SandboxFaults(system=system)


def as_dict(faults):
    return {"system": faults.system, **{name: getattr(faults, name) for name in EDITABLE_FIELDS}}


def validate_system(system):
    """Raise ValidationError unless `system` is one of the simulated systems.

    The check is the model field's, so the message names the value and the valid systems in the
    same words as the admin form. The error is keyed by "system", like a full_clean error.
    """
    try:
        SandboxFaults._meta.get_field("system").clean(system, None)
    except ValidationError as error:
        raise ValidationError({"system": error.error_list}) from error


def update_faults(system, values):
    """Set some fault fields of a system and return the stored settings.

    Raises ValidationError for a system that is not simulated (before any row is created) and
    for an invalid value, and ValueError naming the field for an unknown field.
    """
    validate_system(system)
    unknown = sorted(set(values) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValueError(f"Unknown fault settings {unknown}; use any of {list(EDITABLE_FIELDS)}.")
    faults, _created = SandboxFaults.objects.get_or_create(system=system)
    for name, value in values.items():
        setattr(faults, name, value)
    faults.full_clean(exclude=["system"], validate_unique=False)
    faults.save()
    logger.info("sandbox faults changed", extra={"system": system, "fields": sorted(values)})
    return faults


def reset_faults(system):
    SandboxFaults.objects.filter(system=system).delete()
    return settings_for(system)


def chance(percent):
    return percent > 0 and _random.uniform(0, 100) < percent


def _take_next_failure(system):
    """Consume one of the 'fail the next N requests' if any is left; return its status or None."""
    with transaction.atomic():
        claimed = SandboxFaults.objects.filter(system=system, fail_next_requests__gt=0).update(
            fail_next_requests=F("fail_next_requests") - 1
        )
        if not claimed:
            return None
        return SandboxFaults.objects.values_list("fail_next_status", flat=True).get(system=system)


def injected_fault(system):
    """Return the fault answer for this request, or None to handle it normally.

    Adds the configured latency before deciding.
    """
    faults = settings_for(system)
    if faults.pk is None:
        return None
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)

    status = _take_next_failure(system) if faults.fail_next_requests else None
    if status is None:
        if chance(faults.timeout_percent):
            status = 0
        elif chance(faults.rate_limit_percent):
            status = 429
        elif chance(faults.server_error_percent):
            status = faults.server_error_status
    if status is None:
        return None

    logger.info("sandbox fault injected", extra={"system": system, "status": status})
    if status == 0:
        time.sleep(faults.timeout_seconds)
        response = JsonResponse({"errors": [{"status": "504", "title": "Gateway Timeout"}]}, status=504)
        response[TIMEOUT_HEADER] = "timeout"
        return response
    if status == 429:
        response = JsonResponse(
            {"errors": [{"status": "429", "title": "Too Many Requests", "detail": "Rate limit exceeded."}]},
            status=429,
        )
        response["Retry-After"] = str(faults.retry_after_seconds)
        return response
    return JsonResponse(
        {"errors": [{"status": str(status), "title": "Internal Server Error", "detail": "Simulated failure."}]},
        status=status,
    )


def with_faults(system):
    """Decorate a sandbox API view so the system's request faults apply to it."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            fault = injected_fault(system)
            if fault is not None:
                return fault
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
