from django.urls import path

from trellis.telehealth import consumers

websocket_urlpatterns = [
    path("ws/telehealth/patient/<uuid:link_id>/", consumers.PatientConsumer.as_asgi()),
    path("ws/telehealth/session/<uuid:session_id>/", consumers.StaffConsumer.as_asgi()),
    path("ws/telehealth/lobby/", consumers.SiteLobbyConsumer.as_asgi()),
]
