from django.urls import path

from trellis.telehealth import views

app_name = "telehealth"

urlpatterns = [
    # Patients (no sign-in; the link and date of birth identify them)
    path("j/<str:token>/", views.join, name="join"),
    path("visit/", views.visit, name="join_next"),
    path("visit/consent/", views.visit_consent, name="join_consent"),
    path("visit/device/", views.visit_device, name="join_device"),
    path("visit/wait/", views.visit_wait, name="join_wait"),
    # Staff
    path("lobby/", views.lobby, name="lobby"),
    path("lobby/list/", views.lobby_list, name="lobby_list"),
    path("sessions/<uuid:session_id>/", views.session_lobby, name="session"),
    path("sessions/<uuid:session_id>/links/", views.send_links, name="send_links"),
    path("sessions/<uuid:session_id>/attendance/", views.presence_attendance, name="attendance"),
    path("links/<uuid:link_id>/revoke/", views.revoke, name="revoke"),
    path("rooms/", views.rooms, name="rooms"),
    path("rooms/<uuid:site_id>/", views.room_edit, name="room_edit"),
]
