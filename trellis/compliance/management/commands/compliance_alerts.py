"""Raise the compliance alerts due now (hours at risk / cannot be met, authorizations, reviews, unauthorized
days). Run every few minutes (cron or a task runner); idempotent, so running it twice raises nothing new."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from trellis.accounts.models import Site
from trellis.compliance.alerts import sweep


class Command(BaseCommand):
    help = "Raise the compliance alerts due now (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--site", help="Site name or code (default: every site).")

    def handle(self, *args: Any, **options: Any) -> None:
        site = None
        if options.get("site"):
            site = (Site.objects.filter(name__iexact=options["site"]).first()
                    or Site.objects.filter(code__iexact=options["site"]).first())
            if site is None:
                raise CommandError(f"No site named {options['site']!r}.")
        result = sweep(site=site)
        self.stdout.write(f"{result['episodes']} active episodes checked, {result['created']} new alerts.")
