from django.urls import path

from trellis.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_report, name="report"),
]
