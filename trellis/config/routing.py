"""WebSocket routes; telehealth waiting rooms and live lobbies register here."""

websocket_urlpatterns: list = []
