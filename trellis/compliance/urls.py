from django.urls import path

from trellis.compliance import ops_views, views

app_name = "compliance"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("patients/<uuid:patient_id>/hours/", views.patient_hours, name="patient_hours"),
    path("requirement-sets/", views.rule_sets, name="rule_sets"),
    path("requirement-sets/<uuid:set_id>/", views.rule_set, name="rule_set"),
    # compliance operations: alerts, dashboard, audit readiness, UR packet
    path("alerts/", ops_views.alerts_list, name="alerts"),
    path("alerts/<uuid:compliance_alert_id>/acknowledge/", ops_views.acknowledge, name="acknowledge"),
    path("dashboard/", ops_views.dashboard, name="dashboard"),
    path("dashboard/panel/", ops_views.dashboard_panel, name="dashboard_panel"),
    path("audit-readiness/", ops_views.audit_readiness, name="audit_report"),
    path("ur-packet/<uuid:patient_id>/", ops_views.ur_packet, name="ur_packet"),
]
