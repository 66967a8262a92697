from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    # Kontor has no public site; the admin's "View site" link and a bare address lead to the admin.
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    # set_language backs the language switch in the admin header.
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # REST API for shop front ends, with its OpenAPI schema and docs.
    path("api/v1/", include("config.api_urls")),
    # Webhooks from external systems: /hooks/<connection slug>/[<entity>/].
    path("hooks/", include("integrations.urls")),
    # /health/live, /health/ready and /metrics; the monitoring dashboard is in the admin.
    path("", include("monitoring.urls")),
]

if settings.SANDBOX_ENABLED:
    # Simulated external systems (Shopware, Odoo ...) for the demo, tests and benchmarks.
    urlpatterns.append(path("sandbox/", include("integrations.sandbox.urls")))

if settings.DEBUG or settings.EMBEDDED:
    # Product images and label PDFs; a production setup serves MEDIA_ROOT from its web server.
    from django.urls import re_path
    from django.views.static import serve

    urlpatterns.append(re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}))
