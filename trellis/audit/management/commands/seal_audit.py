"""Seal committed audit events left unsealed (a process stopped between commit and sealing). Run from cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trellis.audit.services import seal_pending


class Command(BaseCommand):
    help = "Chain any committed audit events that are not sealed yet."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Sealed {seal_pending()} audit events.")
