from django.urls import path

from trellis.accounts import admin_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.TrellisLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("mfa/setup/", views.mfa_setup, name="mfa_setup"),
    path("mfa/verify/", views.mfa_verify, name="mfa_verify"),
    path("site/", views.switch_site, name="switch_site"),
    path("keepalive/", views.keepalive, name="keepalive"),
    path("me/", admin_views.profile, name="profile"),
    path("organization/", admin_views.organization, name="organization"),
    path("organization/sites/new/", admin_views.site_edit, name="site_create"),
    path("organization/sites/<uuid:site_id>/", admin_views.site_edit, name="site_edit"),
    path("staff/", admin_views.staff_list, name="staff_list"),
    path("staff/new/", admin_views.staff_edit, name="staff_create"),
    path("staff/<uuid:user_id>/", admin_views.staff_edit, name="staff_edit"),
    path("staff/<uuid:user_id>/licenses/", admin_views.credential_add, name="credential_add"),
    path("staff/<uuid:user_id>/send-reset/", admin_views.staff_send_reset, name="staff_send_reset"),
    path("staff/<uuid:user_id>/unlock/", admin_views.staff_unlock, name="staff_unlock"),
    path("staff/<uuid:user_id>/force-reset/", admin_views.staff_force_reset, name="staff_force_reset"),
    path("password/", views.password_change, name="password_change"),
    path("password/set/<uuid:user_id>/<str:token>/", views.password_reset_confirm, name="password_reset_confirm"),
]
