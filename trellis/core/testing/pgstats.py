"""PostgreSQL helpers for tests that bound how many rows a query reads (issue 9: no scan of growing tables).

A plan shape ("Index Scan") is brittle to assert: for a few thousand rows PostgreSQL may rightly prefer a hash
join over a sequential scan, and costs change between versions. What matters is that a request's reads do not grow
with the history. ``rows_read`` reads PostgreSQL's per-transaction counters (``pg_stat_xact_user_tables``: tuples
read by sequential scans plus tuples fetched through indexes) so a test can bound them by the rows it expects;
``forget_statistics`` removes the tables' statistics inside the test's transaction (rolled back with it), as after
a bulk load that nobody analyzed, so the test also covers the planner's no-statistics guesses.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection


def forget_statistics(tables: Iterable[str]) -> None:
    """No column statistics and no row estimate for `tables` (the planner then estimates from their size)."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute("DELETE FROM pg_statistic WHERE starelid = %s::regclass", [table])
            cursor.execute("UPDATE pg_class SET reltuples = -1, relpages = 0 WHERE oid = %s::regclass", [table])


def rows_read(table: str) -> int:
    """Tuples of `table` read so far in this transaction by sequential scans plus fetched through indexes."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables "
                       "WHERE relname = %s", [table])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def reads(tables: Iterable[str], run) -> tuple[object, dict[str, int]]:
    """Run `run()`; its result and the rows it read from each of `tables`."""
    tables = list(tables)
    before = {t: rows_read(t) for t in tables}
    result = run()
    return result, {t: rows_read(t) - before[t] for t in tables}
