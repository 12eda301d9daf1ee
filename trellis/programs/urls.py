from django.urls import path

from trellis.programs import lifecycle_views as views

app_name = "programs"

urlpatterns = [
    path("patients/<uuid:patient_id>/episodes/", views.episodes_tab, name="episodes_tab"),
    path("patients/<uuid:patient_id>/admit/", views.admit, name="admit"),
    path("episodes/<uuid:episode_id>/", views.episode_detail, name="episode"),
    path("episodes/<uuid:episode_id>/level/", views.level_change, name="level_change"),
    path("episodes/<uuid:episode_id>/diagnoses/", views.diagnosis_add, name="diagnosis_add"),
    path("episodes/<uuid:episode_id>/discharge/", views.discharge, name="discharge"),
    path("episodes/<uuid:episode_id>/step-down/", views.step_down, name="step_down"),
    path("episodes/<uuid:episode_id>/summary.pdf", views.summary_pdf, name="summary_pdf"),
    path("episodes/<uuid:episode_id>/letter/", views.referral_letter, name="referral_letter"),
    path("episodes/<uuid:episode_id>/export/", views.export_summary, name="export_summary"),
    path("handoffs/<uuid:task_id>/done/", views.handoff_done, name="handoff_done"),
]
