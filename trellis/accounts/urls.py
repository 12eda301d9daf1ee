from django.urls import path

from trellis.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.TrellisLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("mfa/setup/", views.mfa_setup, name="mfa_setup"),
    path("mfa/verify/", views.mfa_verify, name="mfa_verify"),
    path("site/", views.switch_site, name="switch_site"),
]
