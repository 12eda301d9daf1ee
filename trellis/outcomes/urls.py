from django.urls import path

from . import views

app_name = "outcomes"

urlpatterns = [
    path("due/", views.due, name="due"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<uuid:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("report/", views.report, name="report"),
    path("schedules/", views.schedules, name="schedules"),
    path("schedules/<uuid:schedule_id>/stop/", views.schedule_deactivate, name="schedule_stop"),
    path("instruments/upload/", views.upload_definition, name="upload_definition"),
    path("patients/<uuid:patient_id>/", views.chart, name="chart"),
    path("administrations/<uuid:administration_id>/", views.administration, name="administration"),
    path("administrations/<uuid:administration_id>/fhir/", views.administration_fhir, name="fhir"),
    path("episodes/<uuid:episode_id>/enter/", views.enter, name="enter"),
    path("episodes/<uuid:episode_id>/invite/", views.invite, name="invite"),
    # Patient-facing (no account): the token is opaque and single-use; it carries no patient data.
    path("f/<str:token>/", views.link_landing, name="link"),
    path("form/", views.patient_form, name="form"),
]
