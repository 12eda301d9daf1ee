"""Recompute the content hash of every signed note and addendum; exit 1 if any no longer matches its signature.

    python manage.py verify_notes [--since YYYY-MM-DD]
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from trellis.documentation.models import Note
from trellis.documentation.services import verify_note


class Command(BaseCommand):
    help = "Verify the signatures (content hashes) of signed notes and addenda."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--since", type=dt.date.fromisoformat, default=None,
                            help="Only notes of sessions on or after this date (YYYY-MM-DD).")

    def handle(self, *args: Any, since: dt.date | None = None, **options: Any) -> None:
        notes = Note.objects.exclude(status="draft").select_related(
            "session", "template_version__template").order_by("pk")
        if since is not None:
            notes = notes.filter(session__local_date__gte=since)
        checked, bad = 0, []
        for note in notes.iterator(chunk_size=500):
            checked += 1
            if not verify_note(note=note).ok:
                bad.append(str(note.public_id))
        if bad:
            for public_id in bad:
                self.stderr.write(f"MISMATCH note {public_id}")
            raise CommandError(f"{len(bad)} of {checked} signed notes no longer match their signatures.")
        self.stdout.write(f"OK: {checked} signed notes match their signatures.")
