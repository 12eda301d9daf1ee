from django.urls import path

from trellis.patients import views

app_name = "patients"

urlpatterns = [
    path("", views.search, name="search"),
    path("new/", views.create, name="create"),
    path("<uuid:patient_id>/", views.chart, name="chart"),
    path("<uuid:patient_id>/edit/", views.edit, name="edit"),
    path("<uuid:patient_id>/face-sheet/", views.face_sheet, name="face_sheet"),
    path("<uuid:patient_id>/flags/", views.flags, name="flags"),
]
