from django.urls import path

from trellis.compliance import ops_views

app_name = "compliance"

urlpatterns: list = [
    path("worklist/", ops_views.worklist, name="worklist"),
    path("alerts/<uuid:compliance_alert_id>/acknowledge/", ops_views.acknowledge, name="acknowledge"),
    path("dashboard/", ops_views.dashboard, name="dashboard"),
    path("dashboard/panel/", ops_views.dashboard_panel, name="dashboard_panel"),
    path("audit-readiness/", ops_views.audit_readiness, name="audit_report"),
    path("ur-packet/<uuid:patient_id>/", ops_views.ur_packet, name="ur_packet"),
]
