from django.urls import path

from trellis.scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("", views.week, name="week"),
    path("day/", views.day, name="day"),
    path("day/print/", views.day_sheet, name="day_sheet"),
    path("sessions/new/", views.session_create, name="session_create"),
    path("sessions/<uuid:session_id>/", views.session_detail, name="session"),
    path("sessions/<uuid:session_id>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<uuid:session_id>/move/", views.session_move, name="session_move"),
    path("sessions/<uuid:session_id>/restaff/", views.session_restaff, name="session_restaff"),
    path("sessions/<uuid:session_id>/roster/add/", views.roster_add, name="roster_add"),
    path("sessions/<uuid:session_id>/roster/excuse/", views.roster_excuse, name="roster_excuse"),
    path("series/", views.series_list, name="series_list"),
    path("series/new/", views.series_create, name="series_create"),
    path("series/<uuid:series_id>/", views.series_edit, name="series_edit"),
    path("appointments/new/", views.appointment_create, name="appointment_create"),
    path("closures/", views.closures, name="closures"),
    # Program/track/room setup moved to /programs/setup/; the old paths redirect (308 keeps a POST a POST).
    path("setup/", views.moved_to("programs:setup")),
    path("setup/programs/new/", views.moved_to("programs:program_create")),
    path("setup/programs/<uuid:program_id>/", views.moved_to("programs:program_edit")),
    path("setup/programs/<uuid:program_id>/tracks/new/", views.moved_to("programs:track_create")),
    path("setup/tracks/<uuid:track_id>/", views.moved_to("programs:track_edit")),
    path("setup/rooms/new/", views.moved_to("programs:room_create")),
    path("setup/rooms/<uuid:room_id>/", views.moved_to("programs:room_edit")),
    path("feeds/", views.feeds, name="feeds"),
    path("feeds/<uuid:token_id>/revoke/", views.feed_revoke, name="feed_revoke"),
    path("ical/<str:secret>.ics", views.ical_feed, name="ical_feed"),
]
