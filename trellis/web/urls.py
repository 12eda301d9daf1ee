from django.urls import path

from trellis.web import census_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("census/", census_views.patients_census, name="census"),
]
