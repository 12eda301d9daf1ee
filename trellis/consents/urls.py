from django.urls import path

from trellis.consents import views

app_name = "consents"

urlpatterns = [
    path("patients/<uuid:patient_id>/", views.tab, name="tab"),
    path("patients/<uuid:patient_id>/new/", views.new, name="new"),
    path("patients/<uuid:patient_id>/disclosures/", views.accounting, name="accounting"),
    path("patients/<uuid:patient_id>/disclosures/emergency/", views.emergency, name="emergency"),
    path("programs/<uuid:program_id>/notice/", views.program_notice, name="program_notice"),
    path("<uuid:consent_id>/", views.detail, name="detail"),
    path("<uuid:consent_id>/sign/", views.sign, name="sign"),
    path("<uuid:consent_id>/revoke/", views.revoke, name="revoke"),
    path("<uuid:consent_id>/expire/", views.expire, name="expire"),
]
