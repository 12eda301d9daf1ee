from django.urls import path

from . import views

app_name = "coverage"

urlpatterns = [
    path("worklist/", views.worklist, name="worklist"),
    path("payers/", views.payers, name="payers"),
    path("payers/new/", views.payer_edit, name="payer_new"),
    path("payers/<uuid:payer_id>/", views.payer_edit, name="payer_edit"),
    path("patients/<uuid:patient_id>/", views.chart, name="chart"),
    path("patients/<uuid:patient_id>/new/", views.coverage_new, name="coverage_new"),
    path("patients/<uuid:patient_id>/authorizations/new/", views.authorization_new, name="authorization_new"),
    path("coverages/<uuid:coverage_id>/", views.coverage_edit, name="coverage_edit"),
    path("coverages/<uuid:coverage_id>/eligibility/", views.eligibility, name="eligibility"),
    path("authorizations/<uuid:authorization_id>/", views.authorization_edit, name="authorization_edit"),
    path("authorizations/<uuid:authorization_id>/reviews/", views.review_schedule, name="review_schedule"),
    path("reviews/<uuid:review_id>/", views.review, name="review"),
]
