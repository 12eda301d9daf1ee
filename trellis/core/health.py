"""The database is down, frozen or saturated: answer calmly (503) instead of hanging or tracing back.

Connections carry a connect timeout, and PostgreSQL sessions a statement and a lock timeout (settings), so a
database that does not answer turns into an `OperationalError` within seconds. This module decides which
errors mean "the database is unavailable" and renders the answer: JSON for the health check, a standalone
page with `Retry-After` for everything else, and one log line without a traceback per failed request.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

logger = logging.getLogger("trellis.database")

RETRY_AFTER_SECONDS = 30


def is_database_outage(exc: BaseException | None) -> bool:
    """Connection refused/timed out/lost, pool exhausted, statement or lock timeout, SQLite busy."""
    return isinstance(exc, OperationalError | InterfaceError)


def _driver_error_name(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    return type(cause).__name__


def _health_path() -> str:
    return getattr(settings, "TRELLIS_HEALTH_PATH", "/healthz")


def database_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 answer for `request`; logs one line (error class and path only: URLs carry opaque ids)."""
    logger.warning(
        "database unavailable (%s) answering %s %s with 503", _driver_error_name(exc), request.method, request.path
    )
    if request.path == _health_path():
        response: HttpResponse = JsonResponse({"status": "db_unavailable"}, status=503)
    else:
        # Rendered without a request or context processors: they would query the database.
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store, max-age=0"
    response._has_been_logged = True  # noqa: SLF001 - Django's flag: our line above is the only one
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness/readiness for the reverse proxy: the database answers (503 JSON when it does not)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        if not is_database_outage(exc):
            raise
        return database_unavailable(request, exc)
    return JsonResponse({"status": "ok"})


class DropOutageTracebacks(logging.Filter):
    """On `django.request`: an outage already got its one line from `database_unavailable`; drop the
    traceback Django logs when the error surfaced in a middleware rather than a view."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not is_database_outage(exc)


def mark_outage(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """`got_request_exception` receiver: remember that the 500 being built was a database outage."""
    exc = sys.exception()
    if request is not None and is_database_outage(exc):
        request.trellis_db_outage = exc
