"""Compliance alerts: raising them when their cause is computed, routing them to the episode's case manager and
primary clinician (in-app, and e-mail through Django's mail backend), and acknowledging them.

Alerts are raised by `evaluate_hours_alerts` (called after attendance is saved, through the attendance hook,
and by `manage.py compliance_alerts` which also sees session changes and cancellations) and by
`evaluate_authorization_alerts` (the same command). A page view never raises one.

Once per patient-week: the database refuses a second hours alert for a patient and week (constraint
`compliance_one_hours_alert_per_patient_week`); a week that worsens from at risk to cannot-be-met updates the
alert in place and is not notified again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from trellis.audit.services import AuditAction, record
from trellis.compliance import engine_adapter
from trellis.compliance.alert_models import (
    HOURS_KINDS,
    AlertKind,
    AlertState,
    ComplianceAlert,
    ComplianceAlertRecipient,
    RouteReason,
)
from trellis.compliance.weekstatus import ALERT_STATUSES, CANNOT_MEET, EpisodeWeek
from trellis.core.errors import DomainError
from trellis.episodes.models import Episode, EpisodeStatus

log = logging.getLogger(__name__)

# No PHI in e-mail (HIPAA minimum necessary; e-mail is not a secure channel): a generic subject and a link.
EMAIL_SUBJECT = "Trellis: a compliance alert was routed to you"


@dataclass(frozen=True)
class Raised:
    alert: ComplianceAlert
    created: bool


def _hours_message(week: EpisodeWeek) -> str:
    need = (week.required_minutes or 0) / 60
    return (f"{week.status_label}: {week.counted_minutes / 60:.1f} h counted, {week.remaining_minutes / 60:.1f} h "
            f"still scheduled, {need:.1f} h required for the week of {week.monday.isoformat()}.")


def _routes(episode: Episode) -> list[tuple[Any, str]]:
    routes: dict[int, tuple[Any, str]] = {}
    for user, reason in ((episode.case_manager, RouteReason.CASE_MANAGER),
                         (episode.primary_clinician, RouteReason.PRIMARY_CLINICIAN)):
        if user is not None and user.is_active and user.pk not in routes:
            routes[user.pk] = (user, reason)
    return list(routes.values())


def _email_enabled() -> bool:
    return bool(getattr(settings, "TRELLIS_COMPLIANCE_ALERT_EMAIL", True) and settings.EMAIL_BACKEND)


def _email(addresses: list[str]) -> None:
    if not addresses:
        return
    url = f"{settings.TRELLIS_PUBLIC_URL}/compliance/worklist/"
    body = ("A compliance alert (weekly hours, an authorization or a concurrent review) was routed to you in "
            f"Trellis. Sign in to see it:\n\n{url}\n")

    def send() -> None:
        for address in addresses:
            send_mail(EMAIL_SUBJECT, body, None, [address], fail_silently=False)

    transaction.on_commit(send, robust=True)


def raise_alert(*, episode: Episode, kind: str, key: str, message: str, week: date | None = None,
                detail: dict[str, Any] | None = None) -> Raised:
    """The alert for this cause, created and routed if it did not exist yet (idempotent; safe under races)."""
    if kind not in AlertKind.values:
        raise DomainError("Unknown alert kind.")
    existing = ComplianceAlert.objects.filter(patient_id=episode.patient_id, key=key).first()
    if existing is None and kind in HOURS_KINDS:
        existing = ComplianceAlert.objects.filter(patient_id=episode.patient_id, week=week,
                                                  kind__in=HOURS_KINDS).first()
    if existing is not None:
        return Raised(existing, False)
    stamp = timezone.now()
    routes = _routes(episode)
    email = _email_enabled()
    try:
        with transaction.atomic():
            alert = ComplianceAlert.objects.create(
                patient_id=episode.patient_id, episode=episode, kind=kind, week=week, key=key[:120],
                message=message[:400], detail=detail or {}, raised_at=stamp,
            )
            ComplianceAlertRecipient.objects.bulk_create([
                ComplianceAlertRecipient(alert=alert, user=u, reason=r, notified_at=stamp,
                                         emailed=bool(email and u.email)) for u, r in routes
            ])
            record(action=AuditAction.CREATE, obj=alert, patient=episode.patient, site=episode.program.site,
                   actor=None, detail={"kind": kind, "recipients": len(routes)})
    except IntegrityError:
        # Raised concurrently by another process (attendance saved twice at once): theirs stands.
        found = ComplianceAlert.objects.filter(patient_id=episode.patient_id, key=key).first() or (
            ComplianceAlert.objects.filter(patient_id=episode.patient_id, week=week, kind__in=HOURS_KINDS).first())
        if found is None:
            raise
        return Raised(found, False)
    if email:
        _email([u.email for u, _ in routes if u.email])
    return Raised(alert, True)


def hours_key(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"hours:{year}-W{week:02d}"


def evaluate_hours_alerts(*, episodes: Sequence[Episode], monday: date) -> list[Raised]:
    """Raise (or worsen) the hours alert of every episode whose week starting `monday` is at risk or cannot be
    met. Episodes need program, patient, case_manager and primary_clinician loaded (see `alertable_episodes`)."""
    weeks = engine_adapter.weeks(list(episodes), monday)
    by_pk = {e.pk: e for e in episodes}
    out = []
    for week in weeks.values():
        if week.status not in ALERT_STATUSES:
            continue
        episode = by_pk[week.episode_id]
        kind = AlertKind.HOURS_CANNOT_MEET if week.status == CANNOT_MEET else AlertKind.HOURS_AT_RISK
        raised = raise_alert(episode=episode, kind=kind, key=hours_key(monday), week=monday,
                             message=_hours_message(week),
                             detail={"counted": week.counted_minutes, "remaining": week.remaining_minutes,
                                     "required": week.required_minutes, "status": week.status})
        alert = raised.alert
        if not raised.created and alert.state == AlertState.OPEN and alert.kind == AlertKind.HOURS_AT_RISK \
                and kind == AlertKind.HOURS_CANNOT_MEET:
            # Worse than when it was raised: say so on the same alert (no second notification this week).
            alert.kind, alert.message = kind, _hours_message(week)[:400]
            alert.detail = {**alert.detail, "status": week.status, "counted": week.counted_minutes,
                            "remaining": week.remaining_minutes}
            alert.save(update_fields=["kind", "message", "detail", "updated_at"])
            record(action=AuditAction.UPDATE, obj=alert, patient=episode.patient, site=episode.program.site,
                   actor=None, detail={"kind": kind})
        out.append(raised)
    return out


def alertable_episodes(*, episode_ids: Iterable[int] | None = None, site: Any = None) -> list[Episode]:
    qs = Episode.objects.filter(status=EpisodeStatus.ACTIVE).select_related(
        "program__site", "patient", "case_manager", "primary_clinician")
    if episode_ids is not None:
        qs = qs.filter(pk__in=list(episode_ids))
    if site is not None:
        qs = qs.filter(program__site=site)
    return list(qs.order_by("pk"))


def on_attendance_marked(*, session: Any, **_: Any) -> None:
    """Attendance hook: after the marking commits, re-evaluate the week of the session for its patients."""
    episode_ids = list(session.attendance.values_list("episode_id", flat=True))
    monday = session.local_date - timedelta(days=session.local_date.isoweekday() - 1)

    def evaluate() -> None:
        evaluate_hours_alerts(episodes=alertable_episodes(episode_ids=episode_ids), monday=monday)

    # After commit: an alert never stops attendance from being saved, and a rolled-back marking raises nothing.
    transaction.on_commit(evaluate, robust=True)


def acknowledge(*, alert: ComplianceAlert, actor: Any, action_taken: str = "") -> ComplianceAlert:
    with transaction.atomic():
        fresh = ComplianceAlert.objects.select_for_update(of=("self",)).select_related(
            "patient", "episode__program__site").get(pk=alert.pk)
        if fresh.state == AlertState.ACKNOWLEDGED:
            raise DomainError("This alert was already acknowledged.")
        fresh.state = AlertState.ACKNOWLEDGED
        fresh.acknowledged_at = timezone.now()
        fresh.acknowledged_by = actor
        fresh.action_taken = (action_taken or "").strip()[:400]
        fresh.save()
        record(action=AuditAction.UPDATE, obj=fresh, patient=fresh.patient, site=fresh.episode.program.site,
               actor=actor, detail={"state": "acknowledged"})
    return fresh
