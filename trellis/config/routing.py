"""WebSocket routes; telehealth waiting rooms and live lobbies register here."""

from trellis.telehealth.routing import websocket_urlpatterns as telehealth_routes

websocket_urlpatterns: list = [*telehealth_routes]
