from django.urls import path
from django.views.generic import RedirectView

from trellis.referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.board, name="board"),
    path("new/", views.referral_create, name="new"),
    path("sources/", views.sources, name="sources"),
    path("sources/new/", views.source_edit, name="source_new"),
    path("sources/<uuid:source_id>/", views.source_edit, name="source_edit"),
    path("reasons/", views.loss_reasons, name="loss_reasons"),
    path("icd10/", views.icd10_search, name="icd10_search"),
    # The admission requirements screen moved to careplans (it also sets the certification cadence); the old
    # addresses redirect.
    path("programs/", RedirectView.as_view(pattern_name="careplans:admission_programs")),
    path("programs/<uuid:program_id>/", RedirectView.as_view(pattern_name="careplans:admission_requirements")),
    path("<uuid:referral_id>/", views.referral_detail, name="detail"),
    path("<uuid:referral_id>/edit/", views.referral_edit, name="edit"),
    path("<uuid:referral_id>/move/", views.referral_move, name="move"),
    path("<uuid:referral_id>/move/form/", views.referral_move_form, name="move_form"),
    path("board/column/", views.board_column, name="board_column"),
    path("<uuid:referral_id>/convert/", views.referral_convert, name="convert"),
    path("patients/<uuid:patient_id>/intake/", views.intake_start, name="intake_start"),
    path("intakes/<uuid:intake_id>/", views.intake, name="intake"),
    path("patients/<uuid:patient_id>/cssrs/", views.screen_new, name="screen_new"),
    path("screens/<uuid:screen_id>/", views.screen, name="screen"),
    path("patients/<uuid:patient_id>/level-of-care/", views.determination_new, name="determination_new"),
    path("level-of-care/<uuid:determination_id>/", views.determination, name="determination"),
]
