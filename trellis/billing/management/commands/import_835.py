"""python manage.py import_835 FILE [--organization ID]

Posts an X12 835 remittance in one transaction and prints a summary. Refuses anything that is not a
balanced 835 for one of the organization's sites (e.g. an 837) with a clear message and exit status 1;
importing the same payment again posts nothing.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trellis.billing import services

from ._common import organization_from

MAX_BYTES = 50 * 1024 * 1024


class Command(BaseCommand):
    help = "Post an X12 835 remittance file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--organization", help="Organization public id (when there are several).")

    def handle(self, *args: object, **opts: object) -> None:
        path = Path(str(opts["file"]))
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(f"{path} is larger than 50 MB: split the remittance.")
        raw = path.read_bytes()
        try:
            content = raw.decode("ascii")
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not an X12 text file (it has non-ASCII bytes at {exc.start}).") from exc
        org = organization_from(opts.get("organization"))  # type: ignore[arg-type]
        try:
            summary = services.import_remittance(content=content, organization=org)
        except services.RemittanceRefused as exc:
            raise CommandError(f"Refused {path.name}: {exc}") from exc
        for line in summary.lines():
            self.stdout.write(line)
        if summary.payments_posted == 0 and summary.payments_already_posted:
            self.stdout.write("Nothing new: this remittance was already posted.")
