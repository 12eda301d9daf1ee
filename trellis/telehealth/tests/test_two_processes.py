"""Two daphne processes sharing the Redis channel layer: a clinician's lobby on one process sees a patient who
connected to the other, the admit travels back, and another session's lobby hears nothing."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))


def redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not redis_up() and os.environ.get("TRELLIS_REQUIRE_REDIS") != "1",
                                reason="Redis is not running on 127.0.0.1:6379")


def _migrated_copy(tmp_path: Path) -> dict[str, str]:
    """The test database, already migrated, as the template of the processes' scratch database: migrating a
    new one would cost most of a minute of the suite. On PostgreSQL this worker's connections are closed so
    that the database can be a template; on SQLite the in-memory database is copied into a file."""
    from django.db import connection, connections

    if connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        for conn in connections.all():
            conn.close()
            if hasattr(conn, "close_pool"):
                conn.close_pool()
        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        return {"database_url": f"{base}/{name}_lobby", "template": name}
    import sqlite3

    connection.ensure_connection()
    path = tmp_path / "template.sqlite3"
    with sqlite3.connect(path) as target:
        connection.connection.backup(target)
    return {"template": str(path)}


def test_lobby_across_two_processes(transactional_db, tmp_path):
    import telehealth_lobby as bench

    cluster = bench.Cluster(sessions=2, per_session=1, redis_url="redis://127.0.0.1:6379/0",
                            **_migrated_copy(tmp_path))
    try:
        first, second = cluster.plan

        async def run() -> None:
            staff = await bench.connect(cluster.url(0, f"/ws/telehealth/session/{first['session']}/"), first["cookie"])
            other = await bench.connect(cluster.url(1, f"/ws/telehealth/session/{second['session']}/"), second["cookie"])
            await bench.next_of(staff, "lobby")
            await bench.next_of(other, "lobby")
            link = first["links"][0]
            patient = await bench.connect(cluster.url(1, f"/ws/telehealth/patient/{link['id']}/"))
            await patient.send(json.dumps({"type": "hello", "token": link["token"]}))
            assert (await bench.next_of(patient, "status"))["status"]["state"] == "waiting"
            while True:  # process A's lobby learns of a patient who connected to process B
                row = (await bench.next_of(staff, "lobby"))["lobby"][0]
                if row["connected"]:
                    break
            assert row["state"] == "waiting" and row["link"] == link["id"]
            await staff.send(json.dumps({"type": "admit", "link": link["id"]}))
            while (await bench.next_of(patient, "status"))["status"]["state"] != "admitted":
                pass
            with pytest.raises(asyncio.TimeoutError):  # the other session's lobby got nothing
                await bench.next_of(other, "lobby", timeout=1.5)
            for ws in (patient, staff, other):
                await ws.close()

        asyncio.run(run())
    finally:
        cluster.close()
