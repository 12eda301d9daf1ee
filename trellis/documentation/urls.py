from django.urls import path

from . import views

app_name = "documentation"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("programs/<uuid:program_id>/worklist/", views.program_worklist, name="program_worklist"),
    path("sessions/<uuid:session_id>/", views.session_notes, name="session_notes"),
    path("sessions/<uuid:session_id>/start/", views.start, name="start"),
    path("notes/<uuid:note_id>/", views.note_detail, name="note"),
    path("notes/<uuid:note_id>/save/", views.note_save, name="note_save"),
    path("notes/<uuid:note_id>/previous-shared/", views.previous_shared, name="previous_shared"),
    path("notes/<uuid:note_id>/cosign/", views.cosign, name="cosign"),
    path("notes/<uuid:note_id>/return/", views.return_to_author, name="return"),
    path("notes/<uuid:note_id>/addendum/", views.addendum, name="addendum"),
    path("notes/<uuid:note_id>/risk/<uuid:episode_id>/acknowledge/", views.risk_notice_ack, name="risk_notice_ack"),
    path("patients/<uuid:patient_id>/notes/", views.chart_notes, name="chart_notes"),
    path("patients/<uuid:patient_id>/notes/pdf/", views.chart_notes_pdf, name="chart_notes_pdf"),
    path("patients/<uuid:patient_id>/notes/<uuid:participant_id>/pdf/", views.chart_note_pdf,
         name="chart_note_pdf"),
    path("patients/<uuid:patient_id>/private-notes/new/", views.private_new, name="private_new"),
    path("private/", views.private_list, name="private_list"),
    path("templates/", views.template_list, name="template_list"),
    path("templates/<uuid:template_id>/", views.template_detail, name="template_detail"),
    path("private/<uuid:private_id>/", views.private_edit, name="private_edit"),
]
