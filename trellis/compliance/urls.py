from django.urls import path

from trellis.compliance import views

app_name = "compliance"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("patients/<uuid:patient_id>/hours/", views.patient_hours, name="patient_hours"),
    path("requirement-sets/", views.rule_sets, name="rule_sets"),
    path("requirement-sets/<uuid:set_id>/", views.rule_set, name="rule_set"),
]
