from django.urls import path

from trellis.billing import views

app_name = "billing"

urlpatterns = [
    path("", views.home, name="home"),
    path("claims/<uuid:claim_id>/", views.claim, name="claim"),
    path("claims/<uuid:claim_id>/appeal/", views.appeal, name="appeal"),
    path("scrub/", views.scrub, name="scrub"),
    path("batches/build/", views.build, name="build"),
    path("batches/<uuid:batch_id>/download/", views.download, name="download"),
    path("batches/<uuid:batch_id>/submit/", views.submit, name="submit"),
    path("fees/", views.fees, name="fees"),
    path("fees/<uuid:profile_id>/add/", views.fee_add, name="fee_add"),
    path("fees/rates/<uuid:entry_id>/end/", views.fee_end, name="fee_end"),
    path("charges/", views.charges, name="charges"),
    path("charges/<uuid:charge_id>/hold/", views.charge_hold, name="charge_hold"),
    path("charges/<uuid:charge_id>/release/", views.charge_release, name="charge_release"),
    path("charges/<uuid:charge_id>/correct/", views.charge_correct, name="charge_correct"),
    path("suspense/<uuid:item_id>/", views.suspense_item, name="suspense_item"),
    path("suspense/<uuid:item_id>/match/", views.suspense_match, name="suspense_match"),
    path("remittances/upload/", views.remittance_upload, name="remittance_upload"),
    path("kpi/days-in-ar/", views.kpi_days_in_ar, name="kpi_ar"),
    path("kpi/denials/", views.kpi_denials, name="kpi_denials"),
]
