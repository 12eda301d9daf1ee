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
from django.db.models import Q
from django.utils import timezone

from trellis.audit.services import AuditAction, AuditEntry, record, record_many
from trellis.compliance import engine_adapter, selectors
from trellis.compliance.alert_models import (
    HOURS_KINDS,
    AlertKind,
    AlertState,
    ComplianceAlert,
    ComplianceAlertRecipient,
    RouteReason,
)
from trellis.compliance.dashboard import (
    auth_expiry_days,
    authorizations_at_risk,
    billable_days_by_episode,
    review_due_days,
    reviews_due,
)
from trellis.compliance.weekstatus import ALERT_STATUSES, CANNOT_MEET, MET, EpisodeWeek
from trellis.core.clock import today_in
from trellis.core.errors import DomainError
from trellis.coverage.models import Authorization, Coverage
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
    url = f"{settings.TRELLIS_PUBLIC_URL}/compliance/alerts/"
    body = ("A compliance alert (weekly hours, an authorization or a concurrent review) was routed to you in "
            f"Trellis. Sign in to see it:\n\n{url}\n")

    def send() -> None:
        for address in addresses:
            send_mail(EMAIL_SUBJECT, body, None, [address], fail_silently=False)

    transaction.on_commit(send, robust=True)


def raise_alert(*, episode: Episode, kind: str, key: str, message: str, week: date | None = None,
                detail: dict[str, Any] | None = None, notify: bool = True) -> Raised:
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
    email = notify and _email_enabled()
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


def _proposal_text(result: Any) -> str:
    """What the engine proposes to close the gap, in one line (session titles and days only: no PHI)."""
    proposal = getattr(result, "proposal", None)
    if proposal is None:
        return ""
    parts = []
    if proposal.essential:
        parts.append(f"attend the {len(proposal.essential)} remaining session{'s' if len(proposal.essential) != 1 else ''}")
    for add in proposal.additions[:3]:
        s = add.session
        parts.append(f"add {s.title} on {s.local_date:%a %b} {s.local_date.day} (+{add.counted_minutes} min)")
    if not parts:
        return ""
    verdict = "" if proposal.reaches_requirement else " (still short of the requirement)"
    return "To reach it: " + "; ".join(parts) + verdict + "."


def hours_key(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"hours:{year}-W{week:02d}"


def evaluate_hours_alerts(*, episodes: Sequence[Episode], monday: date, notify: bool = True) -> list[Raised]:
    """Raise (or worsen) the hours alert of every episode whose week starting `monday` is at risk or cannot be
    met. Episodes need program, patient, case_manager and primary_clinician loaded (see `alertable_episodes`)."""
    weeks = engine_adapter.weeks(list(episodes), monday)
    by_pk = {e.pk: e for e in episodes}
    flagged = [w for w in weeks.values() if w.status in ALERT_STATUSES]
    known = set(ComplianceAlert.objects.filter(patient_id__in=[by_pk[w.episode_id].patient_id for w in flagged],
                                               week=monday, kind__in=HOURS_KINDS).values_list("patient_id", flat=True))
    fresh = [by_pk[w.episode_id] for w in flagged if by_pk[w.episode_id].patient_id not in known]
    # Proposals (open groups, care-team slots) only for the weeks about to be alerted: one bounded batch.
    proposals = selectors.weekly_results(fresh, monday, proposals=True) if fresh else {}
    _resolve_met(episodes=[by_pk[w.episode_id] for w in weeks.values() if w.status == MET], monday=monday)
    out = []
    for week in flagged:
        episode = by_pk[week.episode_id]
        kind = AlertKind.HOURS_CANNOT_MEET if week.status == CANNOT_MEET else AlertKind.HOURS_AT_RISK
        advice = _proposal_text(proposals.get(episode.pk))
        raised = raise_alert(episode=episode, kind=kind, key=hours_key(monday), week=monday,
                             message=f"{_hours_message(week)} {advice}".strip(),
                             detail={"counted": week.counted_minutes, "remaining": week.remaining_minutes,
                                     "required": week.required_minutes, "status": week.status},
                             notify=notify)
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


def _resolve_met(*, episodes: list[Episode], monday: date) -> None:
    """An open hours alert whose week has since been met leaves the worklists (kept, marked resolved)."""
    if not episodes:
        return
    stale = list(ComplianceAlert.objects.filter(patient_id__in=[e.patient_id for e in episodes], week=monday,
                                                kind__in=HOURS_KINDS, state=AlertState.OPEN)
                 .select_related("patient", "episode__program__site"))
    if not stale:
        return
    ComplianceAlert.objects.filter(pk__in=[a.pk for a in stale]).update(state=AlertState.RESOLVED,
                                                                        updated_at=timezone.now())
    record_many([AuditEntry(action=AuditAction.UPDATE, obj=a, patient=a.patient, site=a.episode.program.site,
                            detail={"state": "resolved"}) for a in stale])


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


def _week_key(day: date) -> tuple[date, str]:
    monday = day - timedelta(days=day.isoweekday() - 1)
    year, week, _ = monday.isocalendar()
    return monday, f"{year}-W{week:02d}"


def evaluate_authorization_alerts(*, episodes: Sequence[Episode], today: date, lookback_days: int = 14,
                                  notify: bool = True) -> list[Raised]:
    """Authorizations ending within N days or with fewer than N units left, concurrent reviews due, and days
    worked (billable days in the last `lookback_days`) that no authorization covers when the patient's payer
    requires one. A constant number of queries for any number of episodes."""
    episodes = list(episodes)
    by_pk = {e.pk: e for e in episodes}
    out: list[Raised] = []
    for row in authorizations_at_risk(episodes=episodes, today=today):
        a, episode = row.auth, by_pk[row.auth.episode_id]
        if row.days_to_end <= auth_expiry_days():
            out.append(raise_alert(
                episode=episode, kind=AlertKind.AUTH_EXPIRING, key=f"auth_expiring:{a.public_id}:{a.end_on}",
                message=f"Authorization {a.number} ends on {a.end_on.isoformat()} ({row.used} of "
                        f"{a.units_authorized} {a.get_unit_kind_display().lower()} used).",
                detail={"authorization": str(a.public_id)}, notify=notify))
        if any("left" in r for r in row.reasons):
            out.append(raise_alert(
                episode=episode, kind=AlertKind.AUTH_LOW_UNITS,
                key=f"auth_units:{a.public_id}:{a.units_authorized}",
                message=f"Authorization {a.number}: {row.left} of {a.units_authorized} days left; request more "
                        "or schedule the concurrent review.",
                detail={"authorization": str(a.public_id), "left": row.left}, notify=notify))
    for review in reviews_due(episodes=episodes, until=today + timedelta(days=review_due_days())):
        episode = by_pk[review.authorization.episode_id]
        out.append(raise_alert(
            episode=episode, kind=AlertKind.REVIEW_DUE, key=f"review_due:{review.public_id}",
            message=f"Concurrent review for authorization {review.authorization.number} due "
                    f"{review.due_on.isoformat()}.", detail={"review": str(review.public_id)}, notify=notify))
    out.extend(_unauthorized_days(episodes, today, lookback_days, notify))
    return out


def _unauthorized_days(episodes: list[Episode], today: date, lookback_days: int, notify: bool) -> list[Raised]:
    if not episodes:
        return []
    start = today - timedelta(days=lookback_days)
    patient_ids = {e.patient_id for e in episodes}
    needs_auth = set(Coverage.objects.filter(patient_id__in=patient_ids, payer__requires_authorization=True,
                                             effective_from__lte=today)
                     .filter(_open_end(start)).values_list("patient_id", flat=True))
    candidates = [e for e in episodes if e.patient_id in needs_auth]
    if not candidates:
        return []
    auths: dict[int, list[Authorization]] = {}
    for a in Authorization.objects.filter(episode__in=[e.pk for e in candidates], end_on__gte=start):
        auths.setdefault(a.episode_id, []).append(a)
    days = billable_days_by_episode(candidates, start, today)
    out = []
    for e in candidates:
        uncovered = [d.day for d in days.get(e.pk, []) if d.billable
                     and not any(a.covers(d.day) for a in auths.get(e.pk, []))]
        weeks: dict[date, list[date]] = {}
        for day in uncovered:
            weeks.setdefault(_week_key(day)[0], []).append(day)
        for monday, worked in sorted(weeks.items()):
            label = _week_key(monday)[1]
            out.append(raise_alert(
                episode=e, kind=AlertKind.UNAUTHORIZED_DAYS, week=monday, key=f"unauthorized:{e.public_id}:{label}",
                message=f"{len(worked)} day{'s' if len(worked) != 1 else ''} worked without an authorization in "
                        f"the week of {monday.isoformat()} (first {worked[0].isoformat()}); obtain or extend one.",
                detail={"days": [d.isoformat() for d in worked]}, notify=notify))
    return out


def _open_end(start: date) -> Q:
    return Q(effective_to__isnull=True) | Q(effective_to__gte=start)


def sweep(*, site: Any = None, today: date | None = None) -> dict[str, int]:
    """Everything the alerts depend on that the attendance hook does not see (sessions added or cancelled,
    authorizations, reviews, the calendar moving on): run regularly (manage.py compliance_alerts)."""
    episodes = alertable_episodes(site=site)
    created = 0
    by_site: dict[int, list[Episode]] = {}
    for e in episodes:
        by_site.setdefault(e.program.site_id, []).append(e)
    for group in by_site.values():
        day = today or today_in(group[0].program.site.zone)
        monday = day - timedelta(days=day.isoweekday() - 1)
        created += sum(r.created for r in evaluate_hours_alerts(episodes=group, monday=monday))
        created += sum(r.created for r in evaluate_authorization_alerts(episodes=group, today=day))
    return {"episodes": len(episodes), "created": created}
