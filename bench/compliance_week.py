"""The weekly compliance computation for every active episode against a hand-written SQL floor (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/trellis_compliance python manage.py migrate
    DATABASE_URL=... python manage.py seed_demo --patients 20000 --units 150 --weeks 1 \\
        --only accounts patients programs episodes scheduling attendance compliance    # >= 10,000 status active
    DATABASE_URL=... python bench/compliance_week.py     # BENCH_REPEAT (5); BENCH_SESSIONS=0 skips the old path

Engine path: ``compliance.selectors.weekly_results(episodes, monday, proposals=False)`` — the values-only loader
(roster rule, statuses and counted/remaining sums per episode and day in one SQL aggregate), counted flags,
requirement resolution, closures, then the pure engine for every episode.
Floor: one SQL aggregate of the same counted minutes (attended minutes at counting service types less the
session's break) per episode for the week — what the database alone needs to produce the headline number.
Session path (the engine's input before the values-only loader, still used for proposals and the chart's Hours
tab): ``week_inputs`` — one validated fact per scheduled session — then the same engine.
They are interleaved (floor, engine, session path, floor, ...) so a busy machine slows all alike; medians
reported, with the load average. Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trellis.config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from trellis.accounts.models import Site  # noqa: E402
from trellis.attendance.models import Attendance  # noqa: E402
from trellis.compliance import engine  # noqa: E402
from trellis.compliance.selectors import (  # noqa: E402
    active_episodes_in_week,
    current_monday,
    week_inputs,
    weekly_results,
)
from trellis.episodes.models import EpisodeStatus  # noqa: E402
from trellis.scheduling.models import ServiceTypeHours, Session  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
SESSIONS = os.environ.get("BENCH_SESSIONS", "1") != "0"

FLOOR_SQL = """
SELECT a.episode_id,
       SUM(CASE WHEN COALESCE(h.counts_toward_hours, TRUE) AND a.status IN ('present', 'late', 'left_early')
                THEN GREATEST(a.minutes - s.break_minutes, 0) ELSE 0 END) AS counted
FROM {attendance} a
JOIN {session} s ON s.id = a.session_id
LEFT JOIN {hours} h ON h.service_type = s.service_type
WHERE s.local_date BETWEEN %s AND %s AND a.episode_id = ANY(%s)
GROUP BY a.episode_id
"""


def floor(monday, sunday, ids: list[int]) -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL.format(  # table names from the models (the Episode table kept its old name)
            attendance=Attendance._meta.db_table, session=Session._meta.db_table,
            hours=ServiceTypeHours._meta.db_table,
        ), [monday, sunday, ids])
        return dict(cursor.fetchall())


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run on PostgreSQL: set DATABASE_URL (see the module docstring).")
    sites = list(Site.objects.all())
    monday = current_monday(sites[0])
    sunday = monday.fromordinal(monday.toordinal() + 6)
    # Every episode in care during the week (status active, plus those admitted or discharged inside it).
    episodes = list(active_episodes_in_week(sites, monday))
    ids = [e.pk for e in episodes]
    active = sum(1 for e in episodes if e.status == EpisodeStatus.ACTIVE)
    print(f"{len(episodes)} episodes in care during the week ({active} with status active), week of {monday} (ISO {monday.isocalendar().year}-W"
          f"{monday.isocalendar().week:02d}), {connection.vendor} {connection.pg_version}", flush=True)
    print("load average at start: " + " ".join(f"{x:.1f}" for x in os.getloadavg()), flush=True)
    floors, engines, olds, queries = [], [], [], 0
    results: dict = {}
    sql: dict = {}
    old: dict = {}
    for _ in range(REPEAT):
        started = time.perf_counter()
        sql = floor(monday, sunday, ids)
        floors.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            results = weekly_results(episodes, monday, proposals=False)
            engines.append(time.perf_counter() - started)
        queries = len(ctx.captured_queries)
        if SESSIONS:
            started = time.perf_counter()
            old = {r.episode_id: r for r in engine.evaluate_weeks(week_inputs(episodes, monday, propose=False)[0])}
            olds.append(time.perf_counter() - started)
    same = sum(1 for e in episodes if results[e.pk].counted_minutes == sql.get(e.pk, 0))
    f, g = statistics.median(floors), statistics.median(engines)
    print(f"floor (SQL aggregate of counted minutes): median {f * 1000:.0f} ms over {REPEAT}")
    print(f"engine (weekly_results, values-only, {queries} queries): median {g * 1000:.0f} ms over {REPEAT}")
    print(f"ratio engine/floor: {g / f:.2f}x; counted minutes agree for {same} of {len(episodes)} episodes")
    if SESSIONS:
        o = statistics.median(olds)
        agree = sum(1 for e in episodes if old[e.pk].status == results[e.pk].status
                    and old[e.pk].counted_minutes == results[e.pk].counted_minutes
                    and old[e.pk].remaining_counted_minutes == results[e.pk].remaining_counted_minutes
                    and old[e.pk].days == results[e.pk].days)
        print(f"session path (week_inputs + engine): median {o * 1000:.0f} ms; ratio {o / f:.1f}x the floor, "
              f"{o / g:.1f}x the values-only engine; results agree for {agree} of {len(episodes)} episodes")
    print("load average at end: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    by_status: dict[str, int] = {}
    for r in results.values():
        by_status[r.status] = by_status.get(r.status, 0) + 1
    print("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))


if __name__ == "__main__":
    main()
