from django.urls import path

from trellis.careplans import views

app_name = "careplans"

urlpatterns = [
    path("worklist/", views.worklist, name="worklist"),
    path("admission-requirements/", views.admission_requirements, name="admission_programs"),
    path("admission-requirements/<uuid:program_id>/", views.admission_requirements,
         name="admission_requirements"),
    path("patients/<uuid:patient_id>/", views.tab, name="tab"),
    path("episodes/<uuid:episode_id>/plan/", views.plan_create, name="plan_create"),
    path("episodes/<uuid:episode_id>/certify/", views.certify, name="certify"),
    path("plans/<uuid:plan_id>/", views.plan_view, name="plan"),
    path("plans/<uuid:plan_id>/plan.pdf", views.plan_pdf, name="plan_pdf"),
    path("plans/<uuid:plan_id>/add/<str:kind>/", views.plan_add, name="plan_add"),
    path("plans/<uuid:plan_id>/sign/", views.plan_sign, name="plan_sign"),
    path("plans/<uuid:plan_id>/diagnosis/", views.plan_diagnosis, name="plan_diagnosis"),
    path("plans/<uuid:plan_id>/physician-sign/", views.plan_physician_sign, name="plan_physician_sign"),
    path("plans/<uuid:plan_id>/review/", views.plan_review, name="plan_review"),
]
