"""Rolling horizon: `python manage.py extend_schedule [--days N]` — run daily (cron or a task worker).

Idempotent: occurrences that exist (including moved or cancelled ones) are never recreated; dates where a
facilitator or room is already booked are skipped and reported instead of failing the whole run.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trellis.scheduling.services import DEFAULT_HORIZON_DAYS, extend_horizons


class Command(BaseCommand):
    help = "Generate session occurrences up to today + N days for every active series."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=DEFAULT_HORIZON_DAYS)

    def handle(self, *args: Any, **options: Any) -> None:
        result = extend_horizons(days=max(1, min(options["days"], 366)))
        self.stdout.write(f"Created {result['created']} sessions; skipped {result['skipped']} conflicting dates.")
