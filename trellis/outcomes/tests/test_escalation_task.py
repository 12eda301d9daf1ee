"""Escalation of unacknowledged critical alerts as a background task: enqueued on the database queue when the
alert is raised, for the moment it falls due (`run_after`); run by the worker then; each step queues the next;
idempotent; the management command catches up."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from trellis.outcomes import services
from trellis.outcomes.models import AlertStatus, CriticalAlert
from trellis.outcomes.tasks import escalate_alert, schedule_escalation
from trellis.outcomes.tests.conftest import phq9

pytestmark = pytest.mark.django_db

MINUTES = 30


@pytest.fixture
def queue(settings):
    """The production backend (database queue) instead of the tests' immediate one."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TRELLIS_OUTCOMES_ESCALATE_MINUTES = MINUTES


def _raise(episode, therapist, capture) -> CriticalAlert:
    with capture(execute=True):
        return services.enter_from_paper(episode=episode, instrument_key="phq9", window_key="",
                                         answers=phq9([0] * 8 + [2]), actor=therapist).alert


def _run_worker(at, capture) -> list[dict]:
    """What `manage.py db_worker --batch` does at time `at`: claim each ready task and run it (each in its own
    transaction there; here inside the test's, so what a task does on commit runs when it finishes)."""
    worker = Worker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
                    max_tasks=None, worker_id="test-worker", excluded_queue_names=[])
    returned = []
    with time_machine.travel(at, tick=False):
        while (row := DBTaskResult.objects.ready().order_by("run_after").first()) is not None:
            row.claim(worker.worker_id)
            with capture(execute=True):
                worker.run_task(row)
            row.refresh_from_db()
            assert row.status == "SUCCESSFUL", row.traceback
            returned.append(row.return_value)
    return returned


def test_raising_an_alert_queues_its_escalation_for_when_it_falls_due(
        queue, episode, therapist, django_capture_on_commit_callbacks):
    alert = _raise(episode, therapist, django_capture_on_commit_callbacks)
    (row,) = DBTaskResult.objects.all()
    assert row.task_path == "trellis.outcomes.tasks.escalate_alert"
    assert row.args_kwargs == {"args": [alert.pk, 0], "kwargs": {}}
    assert row.run_after == alert.raised_at + timedelta(minutes=MINUTES)
    assert not DBTaskResult.objects.ready().exists()  # not before it is due


def test_worker_escalates_when_due_then_queues_the_next_step_until_acknowledged(
        queue, episode, therapist, make_staff, outbox, django_capture_on_commit_callbacks):
    prescriber = make_staff("prescriber")
    alert = _raise(episode, therapist, django_capture_on_commit_callbacks)
    raised = alert.raised_at
    assert _run_worker(raised + timedelta(minutes=MINUTES - 1), django_capture_on_commit_callbacks) == []  # too early: the worker leaves it
    outbox.clear()
    assert _run_worker(raised + timedelta(minutes=MINUTES), django_capture_on_commit_callbacks) == [{"step": "escalated"}]
    alert.refresh_from_db()
    assert alert.escalation_level == 1 and alert.escalated_at == raised + timedelta(minutes=MINUTES)
    assert alert.recipients.filter(user=prescriber, reason="escalation").exists()
    assert prescriber.email in {m.to for m in outbox}
    nxt = DBTaskResult.objects.get(status="READY")
    assert nxt.args_kwargs["args"] == [alert.pk, 1]
    assert nxt.run_after == alert.escalated_at + timedelta(minutes=MINUTES)

    services.acknowledge_alert(alert=alert, actor=therapist, action_taken="Called the patient; safe at home.")
    assert _run_worker(raised + timedelta(days=1), django_capture_on_commit_callbacks) == [{"step": "settled"}]  # acknowledged: no step, no next task
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_the_task_run_twice_escalates_once(queue, episode, therapist, make_staff, outbox,
                                           django_capture_on_commit_callbacks):
    make_staff("prescriber")
    alert = _raise(episode, therapist, django_capture_on_commit_callbacks)
    due = alert.raised_at + timedelta(minutes=MINUTES)
    outbox.clear()
    with time_machine.travel(due, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert escalate_alert.call(alert.pk, 0) == {"step": "escalated"}
        assert escalate_alert.call(alert.pk, 0) == {"step": "settled"}
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    assert alert.recipients.filter(reason="escalation").count() == 1
    assert len(outbox) == alert.recipients.count()  # one round of messages, not two
    queued = [row.args_kwargs["args"] for row in DBTaskResult.objects.all()]
    assert queued.count([alert.pk, 1]) == 1  # one next step


def test_a_task_that_runs_early_waits_for_the_due_time(queue, episode, therapist, django_capture_on_commit_callbacks):
    alert = _raise(episode, therapist, django_capture_on_commit_callbacks)
    DBTaskResult.objects.all().delete()
    with (time_machine.travel(alert.raised_at + timedelta(minutes=5), tick=False),
          django_capture_on_commit_callbacks(execute=True)):
        assert escalate_alert.call(alert.pk, 0) == {"step": "not_due"}
    alert.refresh_from_db()
    assert alert.escalation_level == 0
    (again,) = DBTaskResult.objects.all()  # queued again for the due time
    assert again.run_after == alert.raised_at + timedelta(minutes=MINUTES)


def test_catch_up_command_escalates_overdue_alerts_and_the_pending_task_then_does_nothing(
        queue, episode, therapist, django_capture_on_commit_callbacks):
    alert = _raise(episode, therapist, django_capture_on_commit_callbacks)
    late = alert.raised_at + timedelta(minutes=MINUTES + 90)  # the worker was down
    out = StringIO()
    with time_machine.travel(late, tick=False), django_capture_on_commit_callbacks(execute=True):
        call_command("escalate_outcome_alerts", stdout=out)
        call_command("escalate_outcome_alerts", stdout=out)  # twice: once
    assert "Escalated 1 alert" in out.getvalue() and "Escalated 0 alert" in out.getvalue()
    alert.refresh_from_db()
    assert alert.escalation_level == 1 and alert.status == AlertStatus.OPEN
    # the task queued at raising (level 0) finds the step taken; the command's next step (level 1) is not due yet
    assert _run_worker(late, django_capture_on_commit_callbacks) == [{"step": "settled"}]
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    assert list(DBTaskResult.objects.filter(status="READY").values_list("args_kwargs", flat=True)) == [
        {"args": [alert.pk, 1], "kwargs": {}}]


def test_a_backend_that_cannot_defer_queues_nothing(episode, therapist, django_capture_on_commit_callbacks):
    """The tests' immediate backend would escalate at once: nothing is queued, the catch-up command covers it."""
    alert = _raise(episode, therapist, django_capture_on_commit_callbacks)
    assert schedule_escalation(alert) is False
    alert.refresh_from_db()
    assert alert.escalation_level == 0
