from django.urls import path

from trellis.programs import views

app_name = "programs"

urlpatterns = [
    path("setup/", views.setup, name="setup"),
    path("setup/programs/new/", views.program_edit, name="program_create"),
    path("setup/programs/<uuid:program_id>/", views.program_edit, name="program_edit"),
    path("setup/programs/<uuid:program_id>/tracks/new/", views.track_edit, name="track_create"),
    path("setup/tracks/<uuid:track_id>/", views.track_edit, name="track_edit"),
    path("setup/rooms/new/", views.room_edit, name="room_create"),
    path("setup/rooms/<uuid:room_id>/", views.room_edit, name="room_edit"),
]
