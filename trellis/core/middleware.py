from __future__ import annotations

from collections.abc import Callable

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse

from trellis.core.health import database_unavailable, is_database_outage


class NoStoreMiddleware:
    """Pages for signed-in users can carry patient data: the browser must not keep them (no-store)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store, max-age=0"
            response["Pragma"] = "no-cache"
        return response


class DatabaseUnavailableMiddleware:
    """A calm 503 (JSON for the health check) when the database does not answer in time.

    Checks out the connection before anything else touches the database, so a refused/timed-out connection or
    an exhausted pool is answered here; an outage later in the request (statement or lock timeout, a dropped
    connection) is answered from `process_exception` for views and from the `got_request_exception` mark for
    middleware. Nothing is kept between requests: the next request tries the database again (no restart).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            connection.ensure_connection()
        except DatabaseError as exc:
            if not is_database_outage(exc):
                raise
            return database_unavailable(request, exc)
        response = self.get_response(request)
        outage = getattr(request, "trellis_db_outage", None)
        if outage is not None and response.status_code >= 500:
            return database_unavailable(request, outage)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_outage(exception):
            return database_unavailable(request, exception)
        return None
