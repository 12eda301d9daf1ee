"""Create the deterministic demo organization: `python manage.py seed_demo [--patients N] [--weeks N] [--seed S]`."""

from __future__ import annotations

import random
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from trellis.accounts.models import Organization
from trellis.core import demo
from trellis.core.clock import now


class Command(BaseCommand):
    help = "Load the Trellis demo organization (3 sites, staff in every role, patients, programs, schedule...)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--patients", type=int, default=80, help="number of patients (default 80)")
        parser.add_argument("--weeks", type=int, default=6, help="weeks of past schedule and attendance (default 6)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same data)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if an organization exists")
        parser.add_argument("--only", nargs="*", help="only these apps' demo data (for development)")
        parser.add_argument("--units", type=int, default=1,
                            help="scale units: copies of every program with its own staff (up to 84 active "
                                 "patients each, 6 tracks of 14; --patients 20000 --units 150 --weeks 1 for more "
                                 "than 10,000 status-active episodes, see compliance/README.md)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["patients"] < 1 or options["weeks"] < 0:
            raise CommandError("--patients must be at least 1 and --weeks at least 0.")
        if Organization.objects.exists():
            if options["if_empty"]:
                self.stdout.write("Demo data already loaded; skipping (drop data/trellis.sqlite3 to start over).")
                return
            raise CommandError("An organization already exists. Use a fresh database for demo data.")
        started = time.monotonic()
        ctx = demo.DemoContext(
            rng=random.Random(options["seed"]),
            today=now().date(),
            weeks=options["weeks"],
            n_patients=options["patients"],
            units=max(1, options.get("units") or 1),
        )
        with transaction.atomic():
            demo.run(ctx, options.get("only"))
        if connection.vendor == "postgresql":
            # Fresh bulk-loaded tables have no statistics until autovacuum gets to them; without them the planner
            # guesses row counts and can pick nested loops over thousands of rows.
            analyzed = time.monotonic()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            ctx.log.append(f"ANALYZE {time.monotonic() - analyzed:.1f}s")
        for line in ctx.log:
            self.stdout.write(f"  {line}")
        timings = ", ".join(f"{label} {seconds:.1f}s" for label, seconds in ctx.timings.items())
        self.stdout.write(f"  time by app: {timings}")
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {time.monotonic() - started:.1f}s."))
