"""Escalate critical-answer alerts left unacknowledged (run every few minutes from cron or a timer)."""

from django.core.management.base import BaseCommand

from trellis.outcomes.services import escalate_overdue_alerts


class Command(BaseCommand):
    help = "Escalate outcome alerts unacknowledged for TRELLIS_OUTCOMES_ESCALATE_MINUTES (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        escalated = escalate_overdue_alerts()
        self.stdout.write(f"Escalated {len(escalated)} alert(s).")
