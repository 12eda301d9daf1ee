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
]
