"""A database that does not answer in time gives calm 503s (JSON for /healthz), one log line, and recovery."""

from __future__ import annotations

import json
import logging
import socket

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.urls import reverse

from trellis.core.health import DropOutageTracebacks

pytestmark = pytest.mark.django_db


def _outage_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "trellis.database"]


class _Unreachable:
    """Stands in for the connection of a database that does not answer (connect timeout)."""

    def ensure_connection(self) -> None:
        raise OperationalError("connection timeout expired")

    def cursor(self) -> None:
        self.ensure_connection()


def _database_unreachable(monkeypatch) -> None:
    from trellis.core import health, middleware

    monkeypatch.setattr(middleware, "connection", _Unreachable())
    monkeypatch.setattr(health, "connection", _Unreachable())


def test_healthz_answers_503_json_with_one_log_line_when_the_database_fails(client, monkeypatch, caplog):
    _database_unreachable(monkeypatch)
    with caplog.at_level(logging.INFO):
        response = client.get(reverse("web:healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "db_unavailable"}
    assert response["Retry-After"] == "30"
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == 1 and records[0].exc_info is None
    assert "database unavailable" in records[0].getMessage()


def test_healthz_view_itself_answers_503_json(rf, monkeypatch):
    from trellis.core import health

    monkeypatch.setattr(health, "connection", _Unreachable())
    response = health.healthz(rf.get("/healthz"))
    assert (response.status_code, json.loads(response.content)) == (503, {"status": "db_unavailable"})


def test_pages_answer_a_calm_503_page_with_retry_after(client_for, make_staff, monkeypatch, caplog):
    c = client_for(make_staff("therapist"))

    _database_unreachable(monkeypatch)
    response = c.get(reverse("web:home"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "Trellis is briefly unavailable" in body and "web/css/trellis.css" in body
    assert len(_outage_records(caplog)) == 1


def test_a_timeout_inside_a_view_is_a_503_not_a_500(client_for, make_staff, patient, monkeypatch, caplog):
    from trellis.patients import views as patient_views

    c = client_for(make_staff("therapist"))
    c.get(reverse("web:home"))

    def timed_out(*args, **kwargs):
        raise OperationalError("canceling statement due to statement timeout")

    monkeypatch.setattr(patient_views, "render", timed_out)
    with caplog.at_level(logging.INFO):
        response = c.get(reverse("patients:chart", kwargs={"patient_id": patient.public_id}))
    assert response.status_code == 503
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []  # no "Internal Server Error" traceback
    assert len(_outage_records(caplog)) == 1


def test_outage_tracebacks_are_dropped_from_django_request_but_other_errors_kept():
    keep = logging.LogRecord("django.request", logging.ERROR, "", 0, "boom", (), (ValueError, ValueError(), None))
    drop = logging.LogRecord(
        "django.request", logging.ERROR, "", 0, "boom", (), (OperationalError, OperationalError(), None)
    )
    assert DropOutageTracebacks().filter(keep) is True
    assert DropOutageTracebacks().filter(drop) is False


def test_database_settings_carry_timeouts_and_no_persistent_connections():
    db = settings.DATABASES["default"]
    assert db["CONN_MAX_AGE"] == 0
    if db["ENGINE"].endswith("sqlite3"):
        assert "PRAGMA synchronous=FULL" in db["OPTIONS"]["init_command"]
    else:
        assert db["OPTIONS"]["connect_timeout"] == settings.DB_CONNECT_TIMEOUT
        assert f"-c statement_timeout={settings.DB_STATEMENT_TIMEOUT_MS}" in db["OPTIONS"]["options"]
        assert f"-c lock_timeout={settings.DB_LOCK_TIMEOUT_MS}" in db["OPTIONS"]["options"]


def test_settings_read_pool_and_timeouts_from_the_environment(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ, "TRELLIS_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgres://u@db.invalid:5432/x",
        "TRELLIS_DB_POOL_MIN": "3", "TRELLIS_DB_POOL_MAX": "7", "TRELLIS_DB_CONNECT_TIMEOUT": "4",
        "TRELLIS_DB_STATEMENT_TIMEOUT_MS": "15000", "TRELLIS_DB_LOCK_TIMEOUT_MS": "2000",
    }
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='trellis.config.settings'; import django; django.setup();"
        "from django.conf import settings as s; o=s.DATABASES['default']['OPTIONS'];"
        "print(o['pool']['min_size'], o['pool']['max_size'], o['connect_timeout'], o['options'],"
        " s.DATABASES['default']['CONN_MAX_AGE'])"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert out.split() == ["3", "7", "4", "-c", "statement_timeout=15000", "-c", "lock_timeout=2000", "0"]
    env["TRELLIS_DB_POOL_MAX"] = "0"  # an external pooler (PgBouncer) instead
    code = code.replace("o['pool']['min_size'], o['pool']['max_size']", "'pool' in o")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert out.split()[0] == "False"


# --- real faults on PostgreSQL ------------------------------------------------------------------------

postgres_only = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql", reason="needs PostgreSQL"
)


def _other_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("pool", None)
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_held_lock_makes_requests_fail_fast_with_503_and_healthz_still_answers(
    client, client_for, make_staff, patient
):
    """Another session holds an exclusive lock (a frozen table): with a short lock_timeout the chart and the
    pages that read the session give up with a 503 instead of hanging; /healthz (SELECT 1) still answers."""
    c = client_for(make_staff("therapist"))
    c.raise_request_exception = False  # as a server: an error inside a middleware becomes a response
    chart = reverse("patients:chart", kwargs={"patient_id": patient.public_id})
    assert c.get(chart).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        configured = cursor.fetchone()[0]
        cursor.execute("SET lock_timeout = '300ms'")  # the configured value (10s) applies in production
    holder = _other_connection()
    try:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE patients_patient IN ACCESS EXCLUSIVE MODE")
        response = c.get(chart)  # the view's query waits for the lock, then fails
        assert response.status_code == 503 and response["Retry-After"] == "30"
        holder.execute("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
        assert c.get(reverse("web:home")).status_code == 503  # fails inside the session middleware
        assert client.get(reverse("web:healthz")).json() == {"status": "ok"}  # a probe has no session
        holder.execute("ROLLBACK")
        assert c.get(chart).status_code == 200  # recovered, no restart
    finally:
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert configured == f"{settings.DB_LOCK_TIMEOUT_MS // 1000}s"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_database_that_does_not_answer_makes_healthz_503_within_the_connect_timeout(client):
    """A server that accepts TCP but never answers (frozen): the connect timeout turns it into a 503 JSON;
    once the database answers again the next request succeeds without a restart."""
    frozen = socket.socket()
    frozen.bind(("127.0.0.1", 0))
    frozen.listen(8)  # never accepted: the handshake completes, then silence
    original = connection.settings_dict
    try:
        connection.close()
        options = {k: v for k, v in original["OPTIONS"].items() if k != "pool"}
        connection.settings_dict = {
            **original, "HOST": "127.0.0.1", "PORT": frozen.getsockname()[1],
            "OPTIONS": {**options, "connect_timeout": 2, "sslmode": "disable"},
        }
        response = client.get(reverse("web:healthz"))
        assert response.status_code == 503
        assert response.json() == {"status": "db_unavailable"}
        assert client.get(reverse("accounts:login")).status_code == 503
    finally:
        connection.close()
        connection.settings_dict = original
        frozen.close()
    assert client.get(reverse("web:healthz")).json() == {"status": "ok"}
