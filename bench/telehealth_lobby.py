"""Waiting-room fan-out across two ASGI processes sharing the Redis channel layer.

    python bench/telehealth_lobby.py --clients 200 --sessions 20

Builds a scratch SQLite database (migrate + one clinician and N patients per video session), starts two daphne
processes on it with REDIS_URL set, and connects the clients: each session's clinician lobby on process A,
its patients alternating between A and B. Measures, per patient, the time from sending "hello" on one process
to the clinician's lobby (possibly on the other process) showing that patient connected, and from the
clinician's "admit" to the patient's status update. Prints p50/p95/max in milliseconds.

Also imported by the two-process test (trellis/telehealth/tests/test_two_processes.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
PREPARE = r"""
import json, sys, django
django.setup()
from datetime import timedelta
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from trellis.core.testing.factories import OrganizationFactory, PatientFactory, SiteFactory, make_staff
from trellis.scheduling.models import Session
from trellis.scheduling.testing import admit, make_program, make_track
from trellis.telehealth import consumers, services

n_sessions, per_session = int(sys.argv[1]), int(sys.argv[2])
site = SiteFactory(organization=OrganizationFactory(name="Bench"), name="Bench site")
program = make_program(site)
out = []
today = timezone.now().astimezone(site.zone).date()
for i in range(n_sessions):
    track = make_track(program, name=f"Track {i}")
    staff = make_staff("therapist", site, email=f"bench{i}@example.org")
    device = TOTPDevice.objects.create(user=staff, name="bench", confirmed=True)
    client = Client(); client.force_login(staff)
    s = client.session; s["otp_device_id"] = device.persistent_id; s.save()
    for j in range(per_session):
        admit(PatientFactory(primary_site=site), track, admitted_on=today - timedelta(days=3))
    starts = timezone.now() - timedelta(minutes=5)
    session = Session.objects.create(site=site, program=program, title="Group", service_type="group_psychotherapy",
                                     modality="telehealth", starts_at=starts, ends_at=starts + timedelta(hours=3),
                                     local_date=today, facilitator=staff)
    session.tracks.add(track)
    links = []
    for item in services.issue_links(session=session, user=staff, base_url="http://x/", send=False):
        services.confirm_identity(link=item.link, date_of_birth=item.link.episode.patient.date_of_birth)
        links.append({"id": str(item.link.public_id), "token": consumers.make_patient_token(item.link, f"dev{j}")})
    out.append({"session": str(session.public_id), "cookie": f"{settings.SESSION_COOKIE_NAME}={s.session_key}",
                "links": links})
print("JSON" + json.dumps(out))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A scratch database and two daphne processes sharing Redis."""

    def __init__(self, *, sessions: int, per_session: int, redis_url: str = "redis://127.0.0.1:6379/0",
                 database_url: str = "", template: str = "") -> None:
        """`template`, when given, is an already-migrated database to start from instead of migrating (the
        tests pass their own test database: migrating from scratch costs most of a minute): the name of a
        PostgreSQL database nobody is connected to, or the path of an SQLite file."""
        self.tmp = tempfile.TemporaryDirectory(prefix="trellis-bench-")
        self.pg_name = ""
        if database_url.startswith("postgres"):
            self.pg_name = database_url.rsplit("/", 1)[1]
            self.admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
            self._pg(f'DROP DATABASE IF EXISTS "{self.pg_name}"')
            self._pg(f'CREATE DATABASE "{self.pg_name}"' + (f' TEMPLATE "{template}"' if template else ""))
        else:
            path = Path(self.tmp.name) / "bench.sqlite3"
            if template:
                shutil.copyfile(template, path)
            database_url = f"sqlite:///{path}"
        self.log = open(Path(self.tmp.name) / "daphne.log", "w")  # noqa: SIM115 - closed in close()
        self.env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                    "TRELLIS_DATA_DIR": self.tmp.name, "DJANGO_SETTINGS_MODULE": "trellis.config.settings",
                    "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        if not template:
            subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=self.env, check=True)  # noqa: S603
        done = subprocess.run([PY, "-c", PREPARE, str(sessions), str(per_session)], cwd=ROOT, env=self.env,  # noqa: S603
                              capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"preparing the lobbies failed:\n{done.stderr[-3000:]}")
        self.plan = json.loads(done.stdout.split("JSON", 1)[1])
        self.ports = [free_port(), free_port()]
        self.procs = [
            subprocess.Popen(  # noqa: S603 - fixed argv, no user input
                [PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "--websocket_connect_timeout", "60",
                 "trellis.config.asgi:application"],
                cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
            for port in self.ports
        ]
        deadline = time.monotonic() + 120
        for port in self.ports:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        self.close()
                        raise RuntimeError("daphne did not start") from None
                    time.sleep(0.3)

    def _pg(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def url(self, index: int, path: str) -> str:
        return f"ws://127.0.0.1:{self.ports[index]}{path}"

    def close(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.log.close()
        errors = (Path(self.tmp.name) / "daphne.log").read_text()
        if "Traceback" in errors:
            start = errors.index("Traceback")
            print("daphne reported errors:\n" + errors[max(0, start - 500):start + 4000], file=sys.stderr)
        if self.pg_name:
            self._pg(f'DROP DATABASE IF EXISTS "{self.pg_name}"')
        self.tmp.cleanup()


async def connect(url: str, cookie: str = ""):
    import websockets

    headers = {"Origin": "http://127.0.0.1"}
    if cookie:
        headers["Cookie"] = cookie
    # No client keepalive pings: on a loaded 2-core machine a late pong would close sockets mid-measurement.
    return await websockets.connect(url, additional_headers=headers, max_size=2**20, open_timeout=60,
                                    ping_interval=None)


async def next_of(ws, kind: str, timeout: float = 60) -> dict:
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if msg["type"] == kind:
            return msg


async def run(cluster: Cluster) -> dict[str, list[float]]:
    """Connect every lobby and patient; return lobby and admit delivery latencies in milliseconds."""
    lobby_ms: list[float] = []
    admit_ms: list[float] = []
    connect_slots = asyncio.Semaphore(10)  # open sockets ten at a time (a burst of 200 handshakes is not the metric)

    async def one_session(plan: dict) -> None:
        staff = await connect(cluster.url(0, f"/ws/telehealth/session/{plan['session']}/"), plan["cookie"])
        await next_of(staff, "lobby")
        seen: dict[str, float] = {}
        sent: dict[str, float] = {}
        waiters: dict[str, asyncio.Future] = {}

        async def staff_reader() -> None:
            while True:
                msg = json.loads(await staff.recv())
                if msg["type"] != "lobby":
                    continue
                now = time.perf_counter()
                for row in msg["lobby"]:
                    if row["connected"] and row["link"] in sent and row["link"] not in seen:
                        seen[row["link"]] = now
                        waiters[row["link"]].set_result(now)

        reader = asyncio.create_task(staff_reader())
        patients = []
        for n, link in enumerate(plan["links"]):
            async with connect_slots:
                ws = await connect(cluster.url(n % 2, f"/ws/telehealth/patient/{link['id']}/"))
            patients.append((link, ws))
        for link, ws in patients:
            waiters[link["id"]] = asyncio.get_running_loop().create_future()
            sent[link["id"]] = time.perf_counter()
            await ws.send(json.dumps({"type": "hello", "token": link["token"]}))
            await next_of(ws, "status")
            await asyncio.sleep(random.uniform(0, 0.05))  # noqa: S311
        for link, _ in patients:
            done = await asyncio.wait_for(waiters[link["id"]], 60)
            lobby_ms.append((done - sent[link["id"]]) * 1000)
        for link, ws in patients:
            t0 = time.perf_counter()
            await staff.send(json.dumps({"type": "admit", "link": link["id"]}))
            while True:
                msg = await next_of(ws, "status")
                if msg["status"]["state"] == "admitted":
                    admit_ms.append((time.perf_counter() - t0) * 1000)
                    break
        reader.cancel()
        for _, ws in patients:
            await ws.close()
        await staff.close()

    await asyncio.gather(*(one_session(plan) for plan in cluster.plan))
    return {"lobby": lobby_ms, "admit": admit_ms}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/trellis_telehealth_bench",
                        help="a scratch database (dropped and recreated); 'sqlite' for a temporary SQLite file")
    args = parser.parse_args()
    per_session = max(1, args.clients // args.sessions - 1)  # one clinician lobby + patients per session
    started = time.monotonic()
    cluster = Cluster(sessions=args.sessions, per_session=per_session, database_url=args.database_url)
    print(f"database {cluster.env['DATABASE_URL'].split(':')[0]}; setup {time.monotonic() - started:.1f}s; {args.sessions} lobbies + {args.sessions * per_session} patients "
          f"= {args.sessions * (per_session + 1)} WebSocket clients on 2 daphne processes (Redis channel layer)")
    try:
        result = asyncio.run(run(cluster))
    finally:
        cluster.close()
    for name, values in result.items():
        print(f"{name:6} n={len(values):4} p50={statistics.median(values):7.1f} ms  p95={pct(values, 95):7.1f} ms  "
              f"max={max(values):7.1f} ms")


if __name__ == "__main__":
    main()
