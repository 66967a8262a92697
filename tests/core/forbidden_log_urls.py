"""A URL conf with views that raise, for the tests of how Django's 403 and 500 lines are logged."""

from django.core.exceptions import PermissionDenied
from django.urls import path


def forbidden_view(request):
    raise PermissionDenied("Staff only.")


def broken_view(request):
    raise RuntimeError("Report total does not add up.")


urlpatterns = [path("forbidden/", forbidden_view), path("broken/", broken_view)]
