"""The weekly compliance computation for every active episode against a hand-written SQL floor (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/trellis_cbench python manage.py migrate
    DATABASE_URL=... python manage.py seed_demo --patients 14000 --units 104 --weeks 1 \\
        --only accounts patients programs episodes scheduling attendance compliance
    DATABASE_URL=... python bench/compliance_week.py            # BENCH_REPEAT (5)

Engine path: ``compliance.selectors.weekly_results(episodes, monday, proposals=False)`` — roster derivation,
attendance facts, counted flags, requirement resolution, closures, then the pure engine for every episode.
Floor: one SQL aggregate of the same counted minutes (attended minutes at counting service types less the
session's break) per episode for the week — what the database alone needs to produce the headline number.
The two are interleaved (floor, engine, floor, engine, ...) so a busy machine slows both alike; medians reported.
Speed is measured here, never asserted in tests.
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
from trellis.compliance.selectors import active_episodes_in_week, current_monday, weekly_results  # noqa: E402
from trellis.episodes.models import EpisodeStatus  # noqa: E402
from trellis.scheduling.models import ServiceTypeHours, Session  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))

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
    floors, engines, queries = [], [], 0
    results: dict = {}
    sql: dict = {}
    for _ in range(REPEAT):
        started = time.perf_counter()
        sql = floor(monday, sunday, ids)
        floors.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            results = weekly_results(episodes, monday, proposals=False)
            engines.append(time.perf_counter() - started)
        queries = len(ctx.captured_queries)
    same = sum(1 for e in episodes if results[e.pk].counted_minutes == sql.get(e.pk, 0))
    f, g = statistics.median(floors), statistics.median(engines)
    print(f"floor (SQL aggregate of counted minutes): median {f * 1000:.0f} ms over {REPEAT}")
    print(f"engine (weekly_results, {queries} queries): median {g * 1000:.0f} ms over {REPEAT}")
    print(f"ratio engine/floor: {g / f:.1f}x; counted minutes agree for {same} of {len(episodes)} episodes")
    by_status: dict[str, int] = {}
    for r in results.values():
        by_status[r.status] = by_status.get(r.status, 0) + 1
    print("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))


if __name__ == "__main__":
    main()
