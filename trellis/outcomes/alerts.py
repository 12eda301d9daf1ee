"""Critical-answer alerts: who is told, and one escalation step.

An alert left unacknowledged for TRELLIS_OUTCOMES_ESCALATE_MINUTES since it was raised (or since its last
escalation) goes one level up: the site's TRELLIS_OUTCOMES_ESCALATION_ROLES become recipients and everyone is
told again. The step is taken by a background task enqueued for the moment it falls due (trellis/outcomes/
tasks.py), and by `manage.py escalate_outcome_alerts` as a catch-up; both call `escalate_alert`, which takes a
step only from the level the caller saw, so a task that runs twice, or after the catch-up, changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from trellis.accounts.models import SiteMembership
from trellis.audit.services import AuditAction, record
from trellis.outcomes import senders
from trellis.outcomes.models import AlertRecipient, AlertStatus, CriticalAlert, RecipientReason


def users_with_roles(site_id: int, roles: list[str]) -> list[Any]:
    user_ids = SiteMembership.objects.filter(site_id=site_id, role__in=roles,
                                             user__is_active=True).values_list("user_id", flat=True)
    return list(get_user_model().objects.filter(pk__in=list(user_ids)))


def notify(alert: CriticalAlert, users: list[Any]) -> None:
    """Tell `users` after commit; the message names the site only (no patient data in e-mail)."""
    site = alert.episode.program.site
    messages = [senders.alert_message(to=u.email, site_name=site.name, url=f"{settings.TRELLIS_PUBLIC_URL}/outcomes/alerts/")
                for u in users if u.email]

    def send() -> None:
        sender = senders.get_sender()
        for m in messages:
            sender.send(m)

    transaction.on_commit(send)


def escalation_due_at(alert: CriticalAlert) -> datetime:
    """When the alert's next escalation step falls due if nobody acknowledges it."""
    since = alert.escalated_at or alert.raised_at
    return since + timedelta(minutes=settings.TRELLIS_OUTCOMES_ESCALATE_MINUTES)


class Step(StrEnum):
    ESCALATED = "escalated"
    NOT_DUE = "not_due"  # too early (a worker ran early, or the interval was lengthened): try again when due
    SETTLED = "settled"  # acknowledged, already escalated past this level, or gone: nothing more to do


@dataclass(frozen=True)
class StepResult:
    step: Step
    alert: CriticalAlert | None = None


def escalate_alert(*, alert_id: int, from_level: int, now: datetime | None = None) -> StepResult:
    """Take one escalation step for an open alert still at `from_level` whose step is due at `now`."""
    now = now or timezone.now()
    with transaction.atomic():
        alert = (CriticalAlert.objects.select_for_update(of=("self",))
                 .select_related("episode__program__site", "episode__patient").filter(pk=alert_id).first())
        if alert is None or alert.status != AlertStatus.OPEN or alert.escalation_level != from_level:
            return StepResult(Step.SETTLED, alert)
        if escalation_due_at(alert) > now:
            return StepResult(Step.NOT_DUE, alert)
        alert.escalation_level += 1
        alert.escalated_at = now
        alert.save(update_fields=["escalation_level", "escalated_at", "updated_at"])
        existing = set(alert.recipients.values_list("user_id", flat=True))
        new = [u for u in users_with_roles(alert.episode.program.site_id, settings.TRELLIS_OUTCOMES_ESCALATION_ROLES)
               if u.pk not in existing]
        AlertRecipient.objects.bulk_create(
            [AlertRecipient(alert=alert, user=u, reason=RecipientReason.ESCALATION, notified_at=now) for u in new]
        )
        everyone = list(get_user_model().objects.filter(pk__in=existing | {u.pk for u in new}))
        record(action=AuditAction.UPDATE, obj=alert, patient=alert.episode.patient, actor=None,
               detail={"escalation_level": alert.escalation_level, "added": len(new)})
        notify(alert, everyone)
    return StepResult(Step.ESCALATED, alert)
