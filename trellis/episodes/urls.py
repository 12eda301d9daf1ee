"""Episode routes. Mounted at the site root: the paths predate this app (episodes lived under /programs/ and
intake diagnoses under /referrals/) and are kept as they were, so bookmarks and links still work."""

from django.urls import path

from trellis.episodes import medication_views, summary_views, views

app_name = "episodes"

urlpatterns = [
    path("programs/patients/<uuid:patient_id>/episodes/", views.episodes_tab, name="episodes_tab"),
    path("programs/patients/<uuid:patient_id>/admit/", views.admit, name="admit"),
    path("programs/episodes/<uuid:episode_id>/", views.episode_detail, name="episode"),
    path("programs/episodes/<uuid:episode_id>/level/", views.level_change, name="level_change"),
    path("programs/episodes/<uuid:episode_id>/diagnoses/", views.diagnosis_add, name="diagnosis_add"),
    path("programs/episodes/<uuid:episode_id>/discharge/", views.discharge, name="discharge"),
    path("programs/episodes/<uuid:episode_id>/step-down/", views.step_down, name="step_down"),
    path("programs/episodes/<uuid:episode_id>/summary.pdf", views.summary_pdf, name="summary_pdf"),
    path("programs/episodes/<uuid:episode_id>/discharge-summary/", summary_views.summary_page,
         name="discharge_summary"),
    path("programs/episodes/<uuid:episode_id>/discharge-summary/addendum/", summary_views.summary_addendum,
         name="summary_addendum"),
    path("programs/episodes/<uuid:episode_id>/letter/", views.referral_letter, name="referral_letter"),
    path("programs/episodes/<uuid:episode_id>/export/", views.export_summary, name="export_summary"),
    path("programs/episodes/<uuid:episode_id>/medications/", medication_views.medications, name="medications"),
    path("programs/discharges/<uuid:record_id>/aftercare/", medication_views.aftercare_outcome,
         name="aftercare_outcome"),
    path("programs/handoffs/<uuid:task_id>/done/", views.handoff_done, name="handoff_done"),
    path("referrals/intakes/<uuid:intake_id>/diagnoses/", views.intake_diagnosis_add, name="intake_diagnosis_add"),
    path("referrals/intakes/<uuid:intake_id>/diagnoses/<uuid:diagnosis_id>/rank/", views.intake_diagnosis_rank,
         name="intake_diagnosis_rank"),
    path("referrals/intakes/<uuid:intake_id>/diagnoses/<uuid:diagnosis_id>/error/", views.intake_diagnosis_error,
         name="intake_diagnosis_error"),
]
