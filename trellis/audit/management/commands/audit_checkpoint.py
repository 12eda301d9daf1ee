"""Write a signed checkpoint of the audit chain head outside the database. Run from cron (e.g. hourly)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from trellis.audit.checkpoints import default_path, write_checkpoint


class Command(BaseCommand):
    help = "Append a signed checkpoint of the audit chain head to a file (and print it, for an external log)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--file", default=None,
                            help="checkpoint file to append to (default TRELLIS_AUDIT_CHECKPOINT_FILE)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"]) if options["file"] else default_path()
        checkpoint = write_checkpoint(path)
        self.stdout.write(json.dumps(checkpoint, sort_keys=True))
