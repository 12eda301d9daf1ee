"""Under ASGI (two uvicorn processes) a burst of concurrent requests keeps the database connections bounded by the
pool, during the burst and after it, and every request succeeds."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

POOL_MAX = 4
WORKERS = 2
APP_NAME = "trellis-burst-test"  # tells the server's connections from this test process's own

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql", reason="needs PostgreSQL"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            [APP_NAME],
        )
        return cursor.fetchone()[0]


def _get(url: str, cookie: str) -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310 - loopback test server
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.django_db(transaction=True)
def test_concurrent_burst_under_uvicorn_keeps_connections_bounded(client_for, make_staff, patient, tmp_path):
    c = client_for(make_staff("therapist"))
    cookie = f"{settings.SESSION_COOKIE_NAME}={c.cookies[settings.SESSION_COOKIE_NAME].value}"
    db = connection.settings_dict
    ports = [_free_port() for _ in range(WORKERS)]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}?application_name={APP_NAME}",
        "SECRET_KEY": settings.SECRET_KEY,
        "TRELLIS_DATA_DIR": str(tmp_path),
        "TRELLIS_DB_POOL_MIN": "1",
        "TRELLIS_DB_POOL_MAX": str(POOL_MAX),
        # Waiting for a free connection is the point here; the shared test machine can be slow.
        "TRELLIS_DB_POOL_TIMEOUT": "120",
    }
    # Two single-process servers rather than `--workers 2`: uvicorn's supervisor restarts a worker that is
    # slow to answer its ping, which a loaded shared test machine can trigger; the pools are the same.
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115
    servers = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "uvicorn", "trellis.config.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--timeout-keep-alive", "60"],
            cwd=Path(settings.BASE_DIR), env=env, start_new_session=True, stderr=log,
        )
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base in bases:
            for _ in range(120):  # up to 60 s for each server to start
                try:
                    if _get(base + reverse("web:healthz"), "") == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.5)
            else:
                pytest.fail("uvicorn did not start")
        urls = [reverse("web:home"), reverse("patients:chart", kwargs={"patient_id": patient.public_id})]
        statuses: list[int | str] = []
        lock = threading.Lock()

        def staff_member(i: int) -> None:
            for j in range(3):
                try:
                    status = _get(bases[i % WORKERS] + urls[(i + j) % 2], cookie)
                except OSError as exc:
                    status = repr(exc)
                with lock:
                    statuses.append(status)

        threads = [threading.Thread(target=staff_member, args=(i,)) for i in range(30)]
        for t in threads:
            t.start()
        during = [_server_connections()]
        while any(t.is_alive() for t in threads):
            during.append(_server_connections())
            time.sleep(0.05)
        for t in threads:
            t.join()
        time.sleep(1)
        after = _server_connections()
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        log.close()
    assert statuses == [200] * 90, (tmp_path / "server.log").read_text()[-3000:]
    assert 0 < max(during) <= WORKERS * POOL_MAX, during
    assert after <= WORKERS * POOL_MAX
