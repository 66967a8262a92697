"""URLs of the sandbox, mounted at /sandbox/ only when settings.SANDBOX_ENABLED.

Extension point: a simulated system is a sub-package integrations/sandbox/<name>/ with a
urls.py. Its URLs are served under /sandbox/<name>/ when the name is one of the SandboxSystem
choices (integrations.sandbox.models) and the package exists in the checkout, so a helper
adding odoo, payments or shipping needs no edit here. Its views wrap the API with
faults.with_faults("<name>"), keep state through integrations.sandbox.store and send webhooks
through integrations.sandbox.webhooks; the shared control endpoints /sandbox/<name>/_faults
and /_webhooks then work for it too.
"""

from importlib.util import find_spec

from django.urls import include, path

from integrations.sandbox import views
from integrations.sandbox.models import SandboxSystem

app_name = "sandbox"

# The fault settings accept exactly these names, so they come from the model's choices.
SIMULATED_SYSTEMS = tuple(SandboxSystem.values)

urlpatterns = [
    path("<slug:system>/_faults", views.faults_endpoint, name="faults"),
    path("<slug:system>/_webhooks", views.webhooks_endpoint, name="webhooks"),
]


def _has_urls(name):
    try:
        return find_spec(f"integrations.sandbox.{name}.urls") is not None
    except ModuleNotFoundError:
        return False


for _name in SIMULATED_SYSTEMS:
    if _has_urls(_name):
        urlpatterns.append(path(f"{_name}/", include(f"integrations.sandbox.{_name}.urls")))
