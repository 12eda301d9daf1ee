"""Trellis benchmarks on SQLite or PostgreSQL: pages against the framework floor, writes, a load test against
uvicorn, and the audit trail at a million events.

    make bench                                   # 10,000 patients, 8 weeks, scratch SQLite database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/trellis_bench make bench     # PostgreSQL (empty database)
    BENCH_PATIENTS=100 BENCH_SECTIONS=pages,writes make bench                     # a quick run

Environment: BENCH_PATIENTS (10000), BENCH_WEEKS (8), BENCH_REPEAT (11), BENCH_SECTIONS
(pages,writes,load,audit), BENCH_LOAD_USERS (50), BENCH_LOAD_SECONDS (60), BENCH_LOAD_WORKERS (2),
BENCH_SERVER (workers: one uvicorn with --workers N | processes: N single-process uvicorns), BENCH_THINK_SECONDS
(10: the load test runs closed-loop, then with an exponential think time of that mean; 0 runs only the first),
BENCH_AUDIT_EVENTS (1000000). A database that already holds the demo organization is reused as it is (seeding is skipped).

Speed is measured here, never asserted in tests. Everything runs on loopback; every loop is bounded by a count
or a deadline. Pages are measured interleaved with the framework floor (a minimal signed-in page through every
middleware and the page shell: bench/urls.py), so a busy machine slows both alike; the ratio is page/floor.
"""

from __future__ import annotations

import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PATIENTS = int(os.environ.get("BENCH_PATIENTS", "10000"))
WEEKS = int(os.environ.get("BENCH_WEEKS", "8"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "11"))
SECTIONS = set(os.environ.get("BENCH_SECTIONS", "pages,writes,load,audit").split(","))
LOAD_USERS = int(os.environ.get("BENCH_LOAD_USERS", "50"))
LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
LOAD_WORKERS = int(os.environ.get("BENCH_LOAD_WORKERS", "2"))
SERVER_MODE = os.environ.get("BENCH_SERVER", "workers")
AUDIT_EVENTS = int(os.environ.get("BENCH_AUDIT_EVENTS", "1000000"))
# Mean think time of the load test's staff, in seconds (exponential): the load section runs once closed-loop
# (0: no think time) and once with it. Staff read a page for some seconds before the next click; 10 s is a
# modest estimate for a clinician moving between a chart, the calendar and an attendance sheet.
THINK_SECONDS = float(os.environ.get("BENCH_THINK_SECONDS", "10"))
THINK_MODES = (0.0, THINK_SECONDS) if THINK_SECONDS > 0 else (0.0,)

if not os.environ.get("DATABASE_URL"):
    os.environ["TRELLIS_DATA_DIR"] = tempfile.mkdtemp(prefix="trellis-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trellis.config.settings")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from django.apps import apps as django_apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from htmlforms import form_fields  # noqa: E402
from load import Actor, run_load, summarize  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
settings.ROOT_URLCONF = "bench.urls"
DIRECTOR = "miriam.okafor@cedarridge.example"
AUDITOR = "dana.whitfield@cedarridge.example"


def out(line: str = "") -> None:
    print(line, flush=True)


def signed_in(user) -> Client:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from trellis.accounts.models import User

    if isinstance(user, str):
        user = User.objects.get(email=user)
    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def _timed(client: Client, url: str, data: list | None = None) -> tuple[float, int, int]:
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        response = client.post(url, _encode(data), content_type="application/x-www-form-urlencoded") if data is not None else client.get(url)
        ms = (time.perf_counter() - started) * 1000
    queries = len(ctx.captured_queries)
    reset_queries()
    if response.status_code >= 400 and os.environ.get("BENCH_DEBUG"):
        out(f"<!-- {url} answered {response.status_code}: {response.content[:2000]!r} -->")
    return ms, queries, response.status_code


def _encode(fields: list[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(fields)


# --- pages against the floor --------------------------------------------------------------------------------

def _url(name: str, kwargs: dict | None = None, query: str = "") -> str | None:
    try:
        return reverse(name, kwargs=kwargs or {}) + query
    except NoReverseMatch:
        return None


def heavy_pages() -> list[tuple[str, str, str]]:
    from django.db.models import Count

    from trellis.attendance.models import Attendance
    from trellis.patients.models import Patient
    from trellis.scheduling.models import Session

    patient = Patient.objects.order_by("pk").first()
    episode_model = Attendance._meta.get_field("episode").related_model
    from trellis.accounts.models import SiteMembership

    director_sites = SiteMembership.objects.filter(user__email=DIRECTOR).values_list("site_id", flat=True)
    # the chart with the most history that the director may open: the longest active episode at their sites
    episode = (
        episode_model.objects.filter(status="active", patient__primary_site_id__in=list(director_sites))
        .order_by("admitted_on", "pk").first()
    )
    busy = Attendance.objects.values("session_id").annotate(n=Count("id")).order_by("-n").first() or {}
    session = Session.objects.filter(pk=busy.get("session_id")).first()
    first_track = django_apps.get_model("programs", "Track").objects.order_by("pk").first()
    pid = {"patient_id": episode.patient.public_id} if episode else {}
    sid = {"session_id": session.public_id} if session else {}
    candidates = [
        ("Today", DIRECTOR, "web:home", {}, ""),
        ("Patient search (name)", DIRECTOR, "patients:search", {}, "?q=smi"),
        ("Patient search (DOB)", DIRECTOR, "patients:search", {}, f"?q={patient.date_of_birth:%Y-%m-%d}"),
        ("Patient chart overview", DIRECTOR, "patients:chart", pid, ""),
        ("Chart: schedule & hours", DIRECTOR, "attendance:patient_hours", pid, ""),
        ("Chart: episodes", DIRECTOR, "programs:episodes_tab", pid, ""),
        ("Chart: episodes", DIRECTOR, "episodes:episodes_tab", pid, ""),
        ("Chart: treatment plan", DIRECTOR, "careplans:tab", pid, ""),
        ("Chart: consents", DIRECTOR, "consents:tab", pid, ""),
        ("Chart: notes", DIRECTOR, "documentation:chart_notes", pid, ""),
        ("Audit report", AUDITOR, "audit:report", {}, ""),
        ("Week calendar (all sites)", DIRECTOR, "scheduling:week", {}, ""),
        ("Day sheet", DIRECTOR, "scheduling:day", {}, ""),
        ("Attendance screen (largest group)", DIRECTOR, "attendance:mark", sid, ""),
        ("Group note screen (largest group)", DIRECTOR, "documentation:session_notes", sid, ""),
        ("Track hours ledger", DIRECTOR, "attendance:track_ledger",
         {"track_id": first_track.public_id} if first_track else {}, ""),
        ("Referral board", DIRECTOR, "referrals:board", {}, ""),
        ("Plan worklist", DIRECTOR, "careplans:worklist", {}, ""),
        ("Documentation worklist", DIRECTOR, "documentation:worklist", {}, ""),
        ("Staff list", DIRECTOR, "accounts:staff_list", {}, ""),
    ]
    found, seen = [], set()
    for label, email, name, kwargs, query in candidates:
        url = _url(name, kwargs, query)
        if url and label not in seen:
            seen.add(label)
            found.append((label, email, url))
    return found


def bench_pages() -> None:
    out("## Pages against the framework floor (single user, interleaved)\n")
    out(f"Each page and the floor are requested alternately {REPEAT} times after a warm-up; medians.\n")
    out("| page | median ms | floor ms | ratio | queries | status |")
    out("|---|---:|---:|---:|---:|---:|")
    clients: dict[str, Client] = {}
    floor_url = reverse("bench_floor")
    failed: list[str] = []
    for label, email, url in heavy_pages():
        client = clients.setdefault(email, signed_in(email))
        _require_ok("the framework floor", floor_url, client.get(floor_url).status_code)
        client.get(url)  # warm-up
        pages, floors, queries, statuses = [], [], 0, set()
        for _ in range(REPEAT):
            floor_ms, _, floor_status = _timed(client, floor_url)
            _require_ok("the framework floor", floor_url, floor_status)
            floors.append(floor_ms)
            ms, queries, status = _timed(client, url)
            pages.append(ms)
            statuses.add(status)
        page_ms, floor_ms = statistics.median(pages), statistics.median(floors)
        shown = "/".join(str(s) for s in sorted(statuses))
        out(f"| {label} | {page_ms:.1f} | {floor_ms:.1f} | {page_ms / floor_ms:.1f}× | {queries} | {shown} |")
        if statuses != {200}:
            failed.append(f"{label} ({url}) answered {shown}")
    out()
    if failed:
        # a page that answered an error measured the error page, not the page: the run is not a result
        raise SystemExit("bench: pages did not answer 200 (rerun with BENCH_DEBUG=1 to see the answers):\n  "
                         + "\n  ".join(failed))


def _require_ok(label: str, url: str, status: int) -> None:
    """Stop the run when the floor does not answer 200: every ratio would be measured against a refusal."""
    if status != 200:
        raise SystemExit(f"bench: {label} ({url}) answered {status}, not 200; no ratio can be measured against it "
                         "(rerun with BENCH_DEBUG=1 to see the answer)")


# --- writes ---------------------------------------------------------------------------------------------------

def _largest_past_session():
    from django.db.models import Count

    from trellis.attendance.models import Attendance

    return (
        Attendance.objects.filter(session__starts_at__lt=timezone.now() - timedelta(hours=3),
                                  session__starts_at__gt=timezone.now() - timedelta(days=6))
        .values("session_id", "session__public_id", "session__facilitator_id")
        .annotate(n=Count("id")).order_by("-n").first()
    )


def mark_attendance_once(client: Client, session_public_id) -> tuple[float, int, int, int]:
    url = reverse("attendance:mark", kwargs={"session_id": session_public_id})
    html = client.get(url).content.decode()
    action, fields = form_fields(html, action_contains=url)
    rows, toggled = 0, []
    for name, value in fields:
        if name.startswith("modality-") and value in {"in_person", "video"}:
            value, rows = ("video" if value == "in_person" else "in_person"), rows + 1
        if name != "action":
            toggled.append((name, value))
    toggled.append(("correction_reason", "benchmark"))
    ms, queries, status = _timed(client, action or url, toggled)
    return ms, queries, status, rows


def _drafts(limit: int) -> list:
    from trellis.documentation.models import Note

    return list(
        Note.objects.filter(status="draft", session__starts_at__lt=timezone.now())
        .select_related("author", "session").order_by("pk")[:limit]
    )


def sign_notes(count: int) -> list[tuple[float, int, int, int]]:
    """Sign up to `count` drafts as their authors (drafts whose screen offers no editable form are skipped)."""
    done = []
    for note in _drafts(count * 5):
        result = sign_note_once(note)
        if result is not None:
            done.append(result)
        if len(done) == count:
            break
    return done


def sign_note_once(note) -> tuple[float, int, int, int] | None:
    client = signed_in(note.author)
    html = client.get(reverse("documentation:note", kwargs={"note_id": note.public_id})).content.decode()
    try:
        action, fields = form_fields(html, form_id="note-form")
    except LookupError:
        return None
    participants = len({name.split("-participant.")[0] for name, _ in fields if "-participant." in name})
    ms, queries, status = _timed(client, action, [*fields, ("action", "sign")])
    return ms, queries, status, participants


def bench_writes() -> None:
    from trellis.accounts.models import User

    out("## Writes (single user)\n")
    out("Queries include the audit seal run that follows the response.\n")
    out("| write | rows | median ms | queries | status |")
    out("|---|---:|---:|---:|---:|")
    busy = _largest_past_session()
    if busy:
        client = signed_in(User.objects.get(pk=busy["session__facilitator_id"]))
        runs = [mark_attendance_once(client, busy["session__public_id"]) for _ in range(max(3, REPEAT // 2))]
        out(f"| mark attendance (whole group, every row's modality changed) | {runs[-1][3]} | "
            f"{statistics.median(r[0] for r in runs):.1f} | {runs[-1][1]} | {runs[-1][2]} |")
    signs = sign_notes(max(3, REPEAT // 2))
    if signs:
        out(f"| sign a draft note (participant sections) | {statistics.median(s[3] for s in signs):.0f} | "
            f"{statistics.median(s[0] for s in signs):.1f} | {signs[-1][1]} | {signs[-1][2]} |")
    out()


# --- load test against uvicorn -------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CHART_TABS = ("patients:chart", "attendance:patient_hours", "documentation:chart_notes", "careplans:tab")


def _actors() -> list[Actor]:
    from trellis.accounts.models import SiteMembership, User
    from trellis.accounts.policies import may_open
    from trellis.attendance.models import Attendance
    from trellis.patients.models import Patient

    recent = timezone.now() - timedelta(days=7)
    facilitators = list(
        Attendance.objects.filter(session__starts_at__gt=recent, session__starts_at__lt=timezone.now())
        .values_list("session__facilitator_id", flat=True).distinct()
    )
    drafts = _drafts(2000)
    actors = []
    for user in User.objects.filter(pk__in=facilitators).order_by("pk"):
        sites = list(SiteMembership.objects.filter(user=user).values_list("site_id", flat=True))
        own_drafts = [reverse("documentation:note", kwargs={"note_id": n.public_id})
                      for n in drafts if n.author_id == user.pk and n.session.site_id in sites]
        patients = list(Patient.objects.filter(primary_site_id__in=sites).order_by("pk")
                        .values_list("public_id", flat=True)[:40])
        # only the chart tabs this staff member's role may open (a refused tab would measure the refusal)
        tabs = [name for name in CHART_TABS if patients and _url(name, {"patient_id": patients[0]})
                and may_open(user, name)]
        charts = [reverse(name, kwargs={"patient_id": public_id}) for public_id in patients for name in tabs]
        sheets = [
            reverse("attendance:mark", kwargs={"session_id": sid})
            for sid in Attendance.objects.filter(
                session__facilitator=user, session__site_id__in=sites, session__starts_at__gt=recent,
                session__starts_at__lt=timezone.now(),
            ).values_list("session__public_id", flat=True).distinct()[:20]
        ]
        if not charts or not sheets:
            continue
        client = signed_in(user)
        cookie = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
        actors.append(Actor(cookie=cookie, charts=charts, sheets=sheets, drafts=own_drafts))
    return actors


def _server_connections() -> int:
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND application_name = 'trellis-bench-server'")
        return cursor.fetchone()[0]


def _with_app_name(url: str) -> str:
    if not url.startswith("postgres"):
        return url
    return url + ("&" if "?" in url else "?") + "application_name=trellis-bench-server"


def bench_load() -> None:
    actors = _actors()
    if not actors:
        out("## Load test skipped: no staff with recent sessions in this data set\n")
        return
    env = {**os.environ, "SECRET_KEY": settings.SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1",
           "DATABASE_URL": _with_app_name(os.environ.get("DATABASE_URL", ""))}
    if not os.environ.get("DATABASE_URL"):
        env.pop("DATABASE_URL")
    base_cmd = [sys.executable, "-m", "uvicorn", "trellis.config.asgi:application", "--host", "127.0.0.1",
                "--log-level", "warning", "--timeout-keep-alive", "60"]
    if SERVER_MODE == "processes":
        ports = [_free_port() for _ in range(LOAD_WORKERS)]
        commands = [[*base_cmd, "--port", str(p)] for p in ports]
    else:
        ports = [_free_port()]
        commands = [[*base_cmd, "--port", str(ports[0]), "--workers", str(LOAD_WORKERS)]]
    servers = [subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True) for cmd in commands]  # noqa: S603
    try:
        import urllib.request

        for port in ports:
            for _ in range(240):  # up to 2 minutes per server to start
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):  # noqa: S310
                        break
                except OSError:
                    time.sleep(0.5)
            else:
                raise RuntimeError("uvicorn did not start")
        out(f"## Load test: {LOAD_USERS} simulated staff for {LOAD_SECONDS:.0f} s, uvicorn "
            f"{'--workers ' + str(LOAD_WORKERS) if SERVER_MODE != 'processes' else str(LOAD_WORKERS) + ' processes'}, "
            + (f"pool max {settings.DB_POOL_MAX} per process" if connection.vendor == "postgresql" else "SQLite")
            + "\n")
        out(f"{len(actors)} staff logins (facilitators of the last week's sessions, with their sites' charts "
            "(only the tabs their role may open), attendance sheets and draft notes), shared round-robin. Mix: chart "
            "tabs 40%, week calendar 15%, attendance sheet 15%, mark attendance 15% (sheet + POST switching every "
            "attended row between in person and video), Today 10%, sign a draft note 5% (note screen + POST).\n")
        for think in THINK_MODES:
            if think:
                out(f"### With think time: each staff member pauses after every answer (and before a save) for an "
                    f"exponential time of mean {think:g} s\n")
            else:
                out("### Closed loop, no think time: every staff member clicks again as soon as the answer arrives "
                    "(latency is mostly queueing once the server is saturated)\n")
            result = _run_multi(actors, ports, think)
            for line in summarize(result):
                out(line)
            out()
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


def _run_multi(actors: list[Actor], ports: list[int], think: float = 0.0) -> dict:
    """One load run; with several single-process servers the staff are spread over their ports."""
    import threading

    if len(ports) == 1:
        return run_load("127.0.0.1", ports[0], actors, users=LOAD_USERS, seconds=LOAD_SECONDS,
                        week_url=reverse("scheduling:week"), sample_connections=_server_connections, think=think)
    parts: list[dict] = []
    per_port = [LOAD_USERS // len(ports) + (1 if i < LOAD_USERS % len(ports) else 0) for i in range(len(ports))]

    def one(port: int, users: int) -> None:
        parts.append(run_load("127.0.0.1", port, actors, users=users, seconds=LOAD_SECONDS,
                              week_url=reverse("scheduling:week"), think=think))

    threads = [threading.Thread(target=one, args=(p, n)) for p, n in zip(ports, per_port, strict=True)]
    for t in threads:
        t.start()
    connections = []
    while any(t.is_alive() for t in threads):
        connections.append(_server_connections())
        time.sleep(0.5)
    return {
        "samples": [s for p in parts for s in p["samples"]],
        "failures": {k: v for p in parts for k, v in p["failures"].items()},
        "elapsed": max(p["elapsed"] for p in parts),
        "connections": connections,
    }


# --- the audit trail at scale ---------------------------------------------------------------------------------

def inflate_audit(target: int) -> None:
    """Append chart-read events (a year of them, spread over staff and patients) until the trail holds
    `target`, each with its content hash, and seal them through the real sealing code."""
    from trellis.accounts.models import User
    from trellis.audit.chain import content_hash
    from trellis.audit.keys import current_key
    from trellis.audit.models import AuditEvent
    from trellis.audit.sealing import seal_pending
    from trellis.patients.models import Patient

    need = target - AuditEvent.objects.count()
    if need <= 0:
        return
    rng = random.Random(7)
    staff = list(User.objects.values_list("id", "email")[:60])
    patients = list(Patient.objects.values_list("id", "primary_site_id", "public_id")[:20000])
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / need
    started, chunk = time.perf_counter(), 10_000
    key_id, key = current_key()  # as the audit writer does: keyed events after the keyed chain began
    for offset in range(0, need, chunk):
        events = []
        for i in range(offset, min(need, offset + chunk)):
            actor_id, email = rng.choice(staff)
            patient_id, site_id, public_id = rng.choice(patients)
            fields = {
                "occurred_at": (start + step * i).isoformat(), "actor_id": actor_id, "actor_label": email,
                "roles": "therapist", "action": "read", "object_type": "patient", "object_id": str(public_id),
                "patient_id": patient_id, "site_id": site_id, "ip_address": "10.0.0.1",
                "user_agent": "Mozilla/5.0 (bench)", "request_path": f"/patients/{public_id}/", "outcome": "success",
                "detail": {},
            }
            events.append(AuditEvent(**fields, content_hash=content_hash(fields, key), key_id=key_id))
        AuditEvent.objects.bulk_create(events, batch_size=5000)
        seal_pending(batch=5000)
        done = min(need, offset + chunk)
        if done % 100_000 == 0 or done == need:
            out(f"  … {done:,} events appended and sealed ({time.perf_counter() - started:.0f} s)")


def _verify_in_subprocess() -> tuple[float, int, int]:
    """verify_audit in a fresh process: seconds, and the process's memory high-water mark (VmHWM, KiB) after
    start-up and after verifying. (getrusage's ru_maxrss would include the bench process it was forked from.)"""
    code = (
        "import os, time, django\n"
        "def hwm():\n"
        "    return int(next(x for x in open('/proc/self/status') if x.startswith('VmHWM')).split()[1])\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'trellis.config.settings')\n"
        "django.setup()\n"
        "from django.core.management import call_command\n"
        "before = hwm()\n"
        "t = time.perf_counter()\n"
        "call_command('verify_audit')\n"
        "print('VERIFY', time.perf_counter() - t, before, hwm())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=os.environ.copy(),  # noqa: S603
                          capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("VERIFY")), None)
    if line is None:
        raise RuntimeError(f"verify_audit failed: {done.stdout[-500:]} {done.stderr[-1500:]}")
    _, seconds, before, peak = line.split()
    return float(seconds), int(before), int(peak)


def _audit_probe() -> dict[str, tuple[float, int]]:
    """Median ms and queries of the audited operations whose cost could grow with the trail."""
    from trellis.accounts.models import User

    results: dict[str, tuple[float, int]] = {}
    director, auditor = signed_in(DIRECTOR), signed_in(AUDITOR)
    pages = {label: (email, url) for label, email, url in heavy_pages()}
    pages = {k: v for k, v in pages.items() if k in {"Patient chart overview", "Audit report", "Today"}}
    for label, key in (("chart read", "Patient chart overview"), ("audit report", "Audit report"),
                       ("Today (recent charts read from the trail)", "Today")):
        if key not in pages:
            continue
        email, url = pages[key]
        client = auditor if email == AUDITOR else director
        client.get(url)
        runs = [_timed(client, url) for _ in range(REPEAT)]
        results[label] = (statistics.median(r[0] for r in runs), runs[-1][1])
    busy = _largest_past_session()
    if busy:
        client = signed_in(User.objects.get(pk=busy["session__facilitator_id"]))
        runs = [mark_attendance_once(client, busy["session__public_id"]) for _ in range(5)]
        results["attendance mark"] = (statistics.median(r[0] for r in runs), runs[-1][1])
    signs = sign_notes(3)
    if signs:
        results["note sign"] = (statistics.median(s[0] for s in signs), signs[-1][1])
    return results


def bench_audit() -> None:
    from trellis.audit.models import AuditEvent

    out(f"## Audit trail at {AUDIT_EVENTS:,} events\n")
    small = AuditEvent.objects.count()
    before = _audit_probe()
    v_small = _verify_in_subprocess()
    started = time.perf_counter()
    inflate_audit(AUDIT_EVENTS)
    out(f"appending and sealing up to {AUDIT_EVENTS:,} events took {time.perf_counter() - started:.0f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE audit_auditevent, audit_auditseal, audit_auditsealqueue")
    large = AuditEvent.objects.count()
    after = _audit_probe()
    v_large = _verify_in_subprocess()
    out()
    out(f"| operation | ms at {small:,} events | ms at {large:,} events | change | queries (small → large) |")
    out("|---|---:|---:|---:|---|")
    for label, (ms_small, q_small) in before.items():
        ms_large, q_large = after.get(label, (float("nan"), 0))
        out(f"| {label} | {ms_small:.1f} | {ms_large:.1f} | {(ms_large / ms_small - 1) * 100:+.0f}% | {q_small} → {q_large} |")
    out(f"| verify_audit | {v_small[0] * 1000:.0f} | {v_large[0] * 1000:.0f} | | peak memory {v_small[2] // 1024} MiB → "
        f"{v_large[2] // 1024} MiB (after start-up, before verifying: {v_small[1] // 1024} → {v_large[1] // 1024} MiB) |")
    out()


def _machine() -> str:
    mem = ""
    try:
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{platform.machine()} {os.cpu_count()} cores{mem}, Python {platform.python_version()}, load average {load:.1f} at start"


def main() -> None:
    from trellis.accounts.models import Organization
    from trellis.patients.models import Patient

    out(f"# Trellis benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {connection.vendor}")
    out(f"machine: {_machine()}\n")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    if Organization.objects.exists():
        out(f"Reusing the data set already in this database ({Patient.objects.count():,} patients).\n")
    else:
        call_command("seed_demo", patients=PATIENTS, weeks=WEEKS, seed=7)
        out(f"\nmigrate {migrated - started:.1f}s, seed_demo {time.perf_counter() - migrated:.1f}s "
            f"({PATIENTS:,} patients, {WEEKS} weeks)\n")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            out(f"PostgreSQL {cursor.fetchone()[0]}\n")
    if "pages" in SECTIONS:
        bench_pages()
    if "writes" in SECTIONS:
        bench_writes()
    if "load" in SECTIONS:
        bench_load()
    if "audit" in SECTIONS:
        bench_audit()


if __name__ == "__main__":
    main()
