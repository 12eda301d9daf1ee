from django.urls import path

from trellis.attendance import views

app_name = "attendance"

urlpatterns = [
    path("", views.index, name="index"),
    path("sessions/<uuid:session_id>/", views.mark, name="mark"),
    path("records/<uuid:record_id>/", views.correct, name="correct"),
    path("records/<uuid:record_id>/unlock/", views.unlock, name="unlock"),
    path("patients/<uuid:patient_id>/hours/", views.patient_hours, name="patient_hours"),
    path("tracks/", views.tracks, name="tracks"),
    path("tracks/<uuid:track_id>/", views.track_ledger, name="track_ledger"),
]
