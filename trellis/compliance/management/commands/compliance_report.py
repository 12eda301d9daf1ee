"""`python manage.py compliance_report --week 2026-W47 [--site NAME] [--format csv|table]`

One row per episode in care during the ISO week: attended, counted, scheduled-remaining and required hours and
the engine's status. Patients are identified by MRN (no names: the output may land in logs); the run is audited
as an export.
"""

from __future__ import annotations

import csv
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from trellis.accounts.models import Site
from trellis.audit.services import AuditAction, record
from trellis.compliance.engine import EngineError, parse_iso_week
from trellis.compliance.selectors import active_episodes_in_week, weekly_results

COLUMNS = ["week", "site", "program", "track", "mrn", "episode", "attended_h", "counted_h", "remaining_h",
           "best_case_h", "required_h", "status", "requirement"]


class Command(BaseCommand):
    help = "Weekly treatment-hours compliance: one row per active episode for an ISO week."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--week", required=True, help="ISO week, e.g. 2026-W47")
        parser.add_argument("--site", help="Site name (default: every site)")
        parser.add_argument("--format", choices=["csv", "table"], default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            monday = parse_iso_week(options["week"])
        except EngineError as exc:
            raise CommandError(str(exc)) from exc
        sites = Site.objects.all().order_by("name")
        if options.get("site"):
            sites = sites.filter(name__iexact=options["site"])
            if not sites.exists():
                names = ", ".join(Site.objects.order_by("name").values_list("name", flat=True)) or "none"
                raise CommandError(f"No site named {options['site']!r}. Sites: {names}.")
        episodes = list(active_episodes_in_week(list(sites), monday))
        results = weekly_results(episodes, monday, proposals=False)
        rows = []
        for ep in episodes:
            r = results[ep.pk]
            rows.append([
                r.label, ep.program.site.name, ep.program.name, ep.track.name if ep.track_id else "",
                ep.patient.mrn, str(ep.public_id), f"{r.attended_hours:.2f}", f"{r.counted_hours:.2f}",
                f"{r.remaining_hours:.2f}", f"{r.best_case_hours:.2f}", f"{r.required_hours:.2f}", r.status,
                r.requirement.name,
            ])
        record(action=AuditAction.EXPORT, object_type="compliance_report", object_id=monday.isoformat(),
               detail={"episodes": len(rows), "format": options["format"]})
        if options["format"] == "csv":
            writer = csv.writer(self.stdout)
            writer.writerow(COLUMNS)
            writer.writerows(rows)
            return
        shown = [c for i, c in enumerate(COLUMNS) if c not in ("episode", "requirement")]
        table = [[v for i, v in enumerate(row) if COLUMNS[i] not in ("episode", "requirement")] for row in rows]
        widths = [max([len(h)] + [len(r[i]) for r in table]) for i, h in enumerate(shown)]
        self.stdout.write("  ".join(h.ljust(w) for h, w in zip(shown, widths, strict=True)))
        for row in table:
            self.stdout.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
        self.stdout.write(f"{len(rows)} episodes.")
