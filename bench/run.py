"""Trellis benchmarks: build a scale data set and time the heavy pages.

    make bench                      # 10,000 patients, 8 weeks, scratch SQLite database
    BENCH_PATIENTS=2000 BENCH_WEEKS=4 make bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/trellis_bench make bench   # against PostgreSQL

Speed is measured here, never asserted in tests. Each page is requested `BENCH_REPEAT` times after one
warm-up; the table shows the median and worst wall time and the number of SQL queries per request.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PATIENTS = int(os.environ.get("BENCH_PATIENTS", "10000"))
WEEKS = int(os.environ.get("BENCH_WEEKS", "8"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))

if not os.environ.get("DATABASE_URL"):
    os.environ["TRELLIS_DATA_DIR"] = tempfile.mkdtemp(prefix="trellis-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trellis.config.settings")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]


def signed_in(email: str) -> Client:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from trellis.accounts.models import User

    user = User.objects.get(email=email)
    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def measure(client: Client, url: str, data: dict | None = None) -> tuple[float, float, int, int]:
    def request():
        return client.post(url, data) if data is not None else client.get(url)

    request()  # warm-up
    times, queries, status = [], 0, 0
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = request()
            times.append((time.perf_counter() - started) * 1000)
        queries, status = len(ctx.captured_queries), response.status_code
    return statistics.median(times), max(times), queries, status


def pages() -> list[tuple[str, str, str, dict | None]]:
    """(label, email, url, POST data or None) for every heavy page that exists in this build."""
    from django.db.models import Count

    from trellis.attendance.models import Attendance
    from trellis.patients.models import Patient
    from trellis.programs.models import Episode, Track

    director = "miriam.okafor@cedarridge.example"
    patient = Patient.objects.order_by("pk").first()
    # The chart with the most history: the longest active episode at the main campus.
    episode = Episode.objects.filter(status="active").order_by("admitted_on", "pk").first()
    busy = (
        Attendance.objects.values("session_id").annotate(n=Count("id")).order_by("-n").first() or {}
    )
    from trellis.scheduling.models import Session

    session = Session.objects.filter(pk=busy.get("session_id")).first()
    track = Track.objects.order_by("pk").first()
    pid = {"patient_id": episode.patient.public_id} if episode else {}
    candidates = [
        ("Patient search (name)", director, "patients:search", {}, {"q": "smi"}),
        ("Patient search (DOB)", director, "patients:search", {}, {"q": f"{patient.date_of_birth:%Y-%m-%d}"}),
        ("Patient chart overview", director, "patients:chart", pid, ""),
        ("Chart: schedule & hours", director, "attendance:patient_hours", pid, ""),
        ("Chart: episodes", director, "programs:episodes_tab", pid, ""),
        ("Chart: treatment plan", director, "careplans:tab", pid, ""),
        ("Chart: consents", director, "consents:tab", pid, ""),
        ("Chart: notes", director, "documentation:chart_notes", pid, ""),
        ("Audit report", "dana.whitfield@cedarridge.example", "audit:report", {}, ""),
        ("Week calendar (all sites)", director, "scheduling:week", {}, ""),
        ("Day sheet", director, "scheduling:day", {}, ""),
        ("Attendance screen (largest group)", director, "attendance:mark",
         {"session_id": session.public_id} if session else {}, ""),
        ("Group note screen (largest group)", director, "documentation:session_notes",
         {"session_id": session.public_id} if session else {}, ""),
        ("Track hours ledger", director, "attendance:track_ledger", {"track_id": track.public_id} if track else {}, ""),
        ("Referral board", director, "referrals:board", {}, ""),
        ("Plan worklist", director, "careplans:worklist", {}, ""),
        ("Documentation worklist", director, "documentation:worklist", {}, ""),
        ("Staff list", director, "accounts:staff_list", {}, ""),
    ]
    found = []
    for label, email, name, kwargs, query in candidates:
        try:
            if isinstance(query, dict):
                found.append((label, email, reverse(name, kwargs=kwargs), query))
            else:
                found.append((label, email, reverse(name, kwargs=kwargs) + query, None))
        except NoReverseMatch:
            continue
    return found


def main() -> None:
    print(f"# Trellis benchmark — {PATIENTS} patients, {WEEKS} weeks, {connection.vendor}")
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}\n")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    call_command("seed_demo", patients=PATIENTS, weeks=WEEKS, seed=7)
    seeded = time.perf_counter()
    print(f"\nmigrate {migrated - started:.1f}s, seed_demo {seeded - migrated:.1f}s\n")
    print("| page | median ms | worst ms | queries | status |")
    print("|---|---:|---:|---:|---:|")
    clients: dict[str, Client] = {}
    for label, email, url, data in pages():
        client = clients.setdefault(email, signed_in(email))
        median, worst, queries, status = measure(client, url, data)
        print(f"| {label} | {median:.1f} | {worst:.1f} | {queries} | {status} |")
        reset_queries()
    start_verify = time.perf_counter()
    call_command("verify_audit")
    print(f"\nverify_audit over the whole trail: {time.perf_counter() - start_verify:.2f}s")


if __name__ == "__main__":
    main()
