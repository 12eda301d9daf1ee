"""Catch-up for the escalation task (trellis/outcomes/tasks.py): escalate every critical-answer alert whose step
is overdue and queue its next step. Run hourly from cron or a timer, and after the task worker was down."""

from django.core.management.base import BaseCommand

from trellis.outcomes.services import escalate_overdue_alerts


class Command(BaseCommand):
    help = "Escalate outcome alerts unacknowledged for TRELLIS_OUTCOMES_ESCALATE_MINUTES (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        escalated = escalate_overdue_alerts()
        self.stdout.write(f"Escalated {len(escalated)} alert(s).")
