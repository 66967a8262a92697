"""A URL conf with one view that logs, for the request id tests."""

import logging

from django.http import HttpResponse
from django.urls import path

logger = logging.getLogger("kontor.tests.logging")


def logging_view(request):
    logger.info("First step", extra={"order_id": 42})
    logger.warning("Second step")
    return HttpResponse("ok")


urlpatterns = [path("log/", logging_view)]
