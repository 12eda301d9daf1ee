from django.urls import path

from trellis.web import census_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Under /patients/ so the "Patients" navigation item stays current on the search and census pages.
    path("patients/census/", census_views.patients_census, name="census"),
]
