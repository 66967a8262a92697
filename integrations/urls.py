from django.urls import path

from integrations.views import receive_webhook

app_name = "integrations"

urlpatterns = [
    path("<slug:slug>/", receive_webhook, name="webhook"),
    path("<slug:slug>/<str:entity>/", receive_webhook, name="webhook-entity"),
]
