from django.urls import path

from integrations.sandbox.odoo import views

app_name = "sandbox_odoo"

urlpatterns = [
    path("json/2/<str:model>/<str:method>", views.json2, name="json2"),
    path("jsonrpc", views.jsonrpc, name="jsonrpc"),
    path("report/pdf/<str:report_name>/<int:record_id>", views.report_pdf, name="report"),
    path("_control", views.control, name="control"),
]
