"""Background jobs of outcomes (django-tasks, database backend; run them with `python manage.py db_worker`).

An unacknowledged critical-answer alert escalates on its own: raising it enqueues `escalate_alert` to run when
the escalation falls due (`run_after`), and each step enqueues the next one, until someone acknowledges the
alert. The task is a thin wrapper around `alerts.escalate_alert`, which acts only on an open alert still at the
level the task was enqueued for: a task that runs twice, or after the catch-up command took the step, escalates
once.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks import task

from trellis.outcomes import alerts
from trellis.outcomes.models import CriticalAlert


@task()
def escalate_alert(alert_id: int, from_level: int) -> dict[str, Any]:
    result = alerts.escalate_alert(alert_id=alert_id, from_level=from_level)
    if result.step in (alerts.Step.ESCALATED, alerts.Step.NOT_DUE) and result.alert is not None:
        schedule_escalation(result.alert)
    return {"step": str(result.step)}


def schedule_escalation(alert: CriticalAlert) -> bool:
    """Enqueue the alert's next escalation step for when it falls due, once the current transaction commits
    (a rolled-back alert queues nothing). A task backend that cannot defer work (the immediate backend of tests
    and development) would escalate at once, so nothing is queued there; `manage.py escalate_outcome_alerts`
    catches up. Returns whether a task will be queued."""
    if not escalate_alert.get_backend().supports_defer:
        return False
    deferred = escalate_alert.using(run_after=alerts.escalation_due_at(alert))
    alert_id, level = alert.pk, alert.escalation_level
    transaction.on_commit(lambda: deferred.enqueue(alert_id, level))
    return True
