"""Every write of the outcomes app: administrations and their answers, self-completion links and kiosk
hand-offs, critical-answer alerts (raise, acknowledge, escalate), schedules and licensed definitions.

Each function is keyword-only, runs in one transaction and writes its audit event; messages leave after commit.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from trellis.audit.services import AuditAction, record
from trellis.core.clock import local_date
from trellis.core.errors import ConflictError, DomainError
from trellis.episodes.models import Episode, EpisodeStatus
from trellis.outcomes import library, senders
from trellis.outcomes.alerts import Step, escalate_alert, notify, users_with_roles
from trellis.outcomes.models import (
    Administration,
    AdministrationMode,
    AdministrationSchedule,
    AdministrationStatus,
    AlertRecipient,
    AlertStatus,
    CriticalAlert,
    InstrumentDefinition,
    LinkChannel,
    RecipientReason,
    SelfCompletionLink,
)
from trellis.outcomes.scoring import AnswerError, Definition, DefinitionError, parse_definition, score
from trellis.outcomes.tasks import schedule_escalation
from trellis.outcomes.windows import Window, episode_windows
from trellis.patients.models import FlagKind
from trellis.patients.services import set_flag

if TYPE_CHECKING:
    from trellis.accounts.models import User

ALERT_FLAG_LABEL = "Suicide risk: critical outcome answer awaiting acknowledgement"
ACK_FLAG_LABEL = "Suicide risk: critical outcome answer (acknowledged)"


# ---------------------------------------------------------------------------------------------------------
# Instruments and windows
# ---------------------------------------------------------------------------------------------------------
def instrument_or_error(key: str, organization: Any) -> Definition:
    defn = library.get_instrument(key, organization)
    if defn is None:
        raise DomainError("Choose an instrument from the list.", field="instrument")
    return defn


def schedule_for(episode: Episode, instrument_key: str) -> AdministrationSchedule | None:
    rows = [
        s for s in AdministrationSchedule.objects.filter(program_id=episode.program_id, instrument_key=instrument_key,
                                                         active=True)
        if s.track_id in (None, episode.track_id)
    ]
    rows.sort(key=lambda s: s.track_id is None)  # a track's own schedule wins over the program-wide one
    return rows[0] if rows else None


def windows_for(episode: Episode, schedule: AdministrationSchedule | None, until: date) -> list[Window]:
    if schedule is None:
        return []
    return episode_windows(
        admitted_on=episode.admitted_on, discharged_on=episode.discharged_on, until=until,
        at_admission=schedule.at_admission, every_n_days=schedule.every_n_days, at_discharge=schedule.at_discharge,
    )


def site_today(episode: Episode) -> date:
    return local_date(timezone.now(), episode.program.site.zone)


def open_window(episode: Episode, instrument_key: str, today: date | None = None) -> Window | None:
    """The schedule window open today (due or overdue), if any."""
    today = today or site_today(episode)
    for w in windows_for(episode, schedule_for(episode, instrument_key), today + timedelta(days=3)):
        if w.opens <= today <= w.closes:
            return w
    return None


def _window(episode: Episode, instrument_key: str, window_key: str) -> Window | None:
    if not window_key:
        return None
    until = site_today(episode) + timedelta(days=3)
    for w in windows_for(episode, schedule_for(episode, instrument_key), until):
        if w.key == window_key:
            return w
    raise DomainError("That window is not on this program's schedule for this instrument.", field="window")


# ---------------------------------------------------------------------------------------------------------
# Administrations
# ---------------------------------------------------------------------------------------------------------
def start_administration(
    *, episode: Episode, instrument_key: str, window_key: str = "", mode: str, actor: User | None = None
) -> Administration:
    """A draft administration, or the existing draft/complete one for the same window."""
    defn = instrument_or_error(instrument_key, episode.patient.organization)
    if mode not in AdministrationMode.values:
        raise DomainError("Choose how the measure is given.", field="mode")
    if episode.status == EpisodeStatus.PLANNED:
        raise DomainError("The patient is not admitted yet.")
    window = _window(episode, instrument_key, window_key)
    with transaction.atomic():
        if window is not None:
            existing = (Administration.objects.select_for_update()
                        .filter(episode=episode, instrument_key=instrument_key, window_key=window.key)
                        .exclude(status=AdministrationStatus.CANCELLED).first())
            if existing is not None:
                return existing
        try:
            with transaction.atomic():
                admin = Administration.objects.create(
                    episode=episode, instrument_key=instrument_key, instrument_version=defn.version,
                    window_key=window.key if window else "", window_due=window.due if window else None,
                    mode=mode, created_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
        except IntegrityError:
            return Administration.objects.get(episode=episode, instrument_key=instrument_key,
                                              window_key=window.key if window else "",
                                              status__in=[AdministrationStatus.DRAFT, AdministrationStatus.COMPLETE])
        record(action=AuditAction.CREATE, obj=admin, patient=episode.patient, actor=actor,
               detail={"instrument": instrument_key, "window": admin.window_key, "mode": mode})
    return admin


@dataclass(frozen=True)
class SaveResult:
    administration: Administration
    completed: bool
    alert: CriticalAlert | None


def save_answers(
    *,
    administration: Administration,
    answers: dict[str, Any],
    complete: bool,
    actor: User | None = None,
    expected_version: int | None = None,
    replace: bool = False,
) -> SaveResult:
    """Merge answers into a draft (or replace them); with `complete`, score and close it.

    Out-of-range answers raise DomainError naming the question. A complete administration is never changed.
    A critical answer raises an alert at once, even on a partial save.
    """
    with transaction.atomic():
        # FOR UPDATE OF the administration only: PostgreSQL refuses to lock the nullable side of an outer join.
        admin = (Administration.objects.select_for_update(of=("self",))
                 .select_related("episode__patient__organization", "episode__program__site",
                                 "episode__primary_clinician")
                 .get(pk=administration.pk))
        if admin.status != AdministrationStatus.DRAFT:
            raise DomainError("These answers were already submitted and cannot be changed.", code="closed")
        if expected_version is not None and admin.version != expected_version:
            raise ConflictError("Someone else saved these answers first; reload to see them.")
        defn = instrument_or_error(admin.instrument_key, admin.episode.patient.organization)
        merged = {} if replace else dict(admin.answers)
        merged.update({k: v for k, v in answers.items() if v not in (None, "")})
        try:
            result = score(defn, merged)
        except AnswerError as exc:
            raise DomainError(exc.message, field=exc.item) from exc
        if complete and not result.complete:
            first = defn.item_by_key[result.unanswered[0]] if result.unanswered else None
            raise DomainError(f"Answer question {first.number} before submitting." if first
                              else "Answer the remaining questions before submitting.", field=first and first.key)
        admin.answers = {k: int(v) for k, v in merged.items()}
        admin.version += 1
        user = actor if getattr(actor, "is_authenticated", False) else None
        if complete:
            now = timezone.now()
            primary = defn.primary_scale
            p = result.scales.get(primary.key) if primary else None
            admin.status = AdministrationStatus.COMPLETE
            admin.completed_at = now
            admin.completed_on = local_date(now, admin.episode.program.site.zone)
            admin.scores = result.as_dict()
            admin.primary_score = p.value if p else None
            admin.primary_band = p.band if p else ""
            admin.primary_severity = p.severity if p else None
            admin.entered_by = user
            SelfCompletionLink.objects.filter(administration=admin, used_at__isnull=True).update(used_at=now)
        admin.has_critical = admin.has_critical or bool(result.critical)
        admin.save()
        record(action=AuditAction.UPDATE, obj=admin, patient=admin.episode.patient, actor=user,
               detail={"instrument": admin.instrument_key, "answered": len(merged), "complete": complete})
        alert = None
        if result.critical and not CriticalAlert.objects.filter(administration=admin).exists():
            hit = result.critical[0]
            alert = raise_alert(administration=admin, item_key=hit.item, message=hit.message)
    return SaveResult(admin, complete, alert)


def enter_from_paper(
    *, episode: Episode, instrument_key: str, window_key: str, answers: dict[str, Any], actor: User,
    mode: str = AdministrationMode.PAPER,
) -> SaveResult:
    """A clinician types in a completed paper form (or an interview) in one step."""
    with transaction.atomic():
        admin = start_administration(episode=episode, instrument_key=instrument_key, window_key=window_key,
                                     mode=mode, actor=actor)
        if admin.status == AdministrationStatus.COMPLETE:
            raise DomainError("This instrument was already completed in this window.", field="window")
        return save_answers(administration=admin, answers=answers, complete=True, actor=actor, replace=True)


def cancel_administration(*, administration: Administration, actor: User) -> Administration:
    with transaction.atomic():
        admin = Administration.objects.select_for_update().get(pk=administration.pk)
        if admin.status != AdministrationStatus.DRAFT:
            raise DomainError("Only an unfinished measure can be cancelled.")
        admin.status = AdministrationStatus.CANCELLED
        admin.save(update_fields=["status", "updated_at"])
        SelfCompletionLink.objects.filter(administration=admin, used_at__isnull=True,
                                          revoked_at__isnull=True).update(revoked_at=timezone.now())
        record(action=AuditAction.UPDATE, obj=admin, patient=administration.episode.patient, actor=actor,
               detail={"status": "cancelled"})
    return admin


# ---------------------------------------------------------------------------------------------------------
# Self-completion links and kiosk
# ---------------------------------------------------------------------------------------------------------
def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LinkRefused(DomainError):
    """A link that cannot be used; the message is calm, patient-facing and carries no PHI."""


LINK_MESSAGES = {
    "unknown": "This link is not valid. Please ask your care team for a new one.",
    "expired": "This link has expired. Please ask your care team for a new one.",
    "used": "These answers were already sent. Thank you. If you need to change something, tell your care team.",
    "revoked": "This questionnaire is no longer needed. Thank you.",
    "discharged": "This questionnaire is no longer needed because your program has ended. Thank you.",
}


@dataclass(frozen=True)
class IssuedLink:
    link: SelfCompletionLink
    token: str


def issue_link(
    *, episode: Episode, instrument_key: str, window_key: str, channel: str, actor: User, base_url: str = "",
    address: str = "",
) -> IssuedLink:
    """Create a one-time link (token stored hashed) and, for e-mail/text, send it after commit."""
    if channel not in LinkChannel.values:
        raise DomainError("Choose e-mail, text message or the clinic tablet.", field="channel")
    if episode.status != EpisodeStatus.ACTIVE:
        raise DomainError("Links can be sent only while the patient is in the program.")
    patient = episode.patient
    if channel == LinkChannel.EMAIL:
        address = address or patient.email
        if not address:
            raise DomainError("The patient has no e-mail address on file; add one or use the clinic tablet.",
                              field="channel")
    elif channel == LinkChannel.SMS:
        address = address or patient.phone
        if not address:
            raise DomainError("The patient has no phone number on file; add one or use the clinic tablet.",
                              field="channel")
    if channel != LinkChannel.KIOSK and channel not in senders.get_sender().channels:
        raise DomainError("Text messages are not set up here; send the link by e-mail or use the clinic tablet.",
                          field="channel")
    mode = AdministrationMode.KIOSK if channel == LinkChannel.KIOSK else AdministrationMode.SELF_LINK
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        admin = None
        if not window_key:
            # An unscheduled measure the patient has not finished is reused, so a resent link continues it.
            admin = (Administration.objects.filter(episode=episode, instrument_key=instrument_key, window_key="",
                                                   status=AdministrationStatus.DRAFT,
                                                   mode__in=[AdministrationMode.SELF_LINK, AdministrationMode.KIOSK])
                     .order_by("-created_at").first())
        if admin is None:
            admin = start_administration(episode=episode, instrument_key=instrument_key, window_key=window_key,
                                         mode=mode, actor=actor)
        if admin.status != AdministrationStatus.DRAFT:
            raise DomainError("This measure was already completed in this window.", field="window")
        hours = 2 if channel == LinkChannel.KIOSK else settings.TRELLIS_OUTCOMES_LINK_HOURS
        # An earlier unused link for the same sitting stops working: only the newest one opens it.
        SelfCompletionLink.objects.filter(administration=admin, used_at__isnull=True,
                                          revoked_at__isnull=True).update(revoked_at=timezone.now())
        link = SelfCompletionLink.objects.create(
            administration=admin, token_hash=hash_token(token), channel=channel,
            expires_at=timezone.now() + timedelta(hours=hours), created_by=actor,
        )
        record(action=AuditAction.CREATE, obj=link, patient=patient, actor=actor,
               detail={"channel": channel, "administration": str(admin.public_id)})
        if channel != LinkChannel.KIOSK:
            message = senders.link_message(
                channel=channel, to=address, program_name=episode.program.name,
                url=f"{base_url}/outcomes/f/{token}/", expires_label=f"in {hours} hours",
            )
            transaction.on_commit(lambda: senders.deliver(message, str(link.public_id)))
    return IssuedLink(link, token)


def resolve_link(token_or_hash: str, *, hashed: bool = False, now: datetime | None = None) -> SelfCompletionLink:
    """The usable link for a token, or LinkRefused with a patient-facing reason. Never writes."""
    now = now or timezone.now()
    key = token_or_hash if hashed else hash_token(token_or_hash or "")
    link = (SelfCompletionLink.objects.select_related("administration__episode__program__site",
                                                      "administration__episode__patient__organization")
            .filter(token_hash=key).first())
    if link is None:
        raise LinkRefused(LINK_MESSAGES["unknown"], code="unknown")
    admin = link.administration
    if link.used_at is not None or admin.status == AdministrationStatus.COMPLETE:
        raise LinkRefused(LINK_MESSAGES["used"], code="used")
    if link.revoked_at is not None or admin.status == AdministrationStatus.CANCELLED:
        raise LinkRefused(LINK_MESSAGES["revoked"], code="revoked")
    if admin.episode.status != EpisodeStatus.ACTIVE:
        raise LinkRefused(LINK_MESSAGES["discharged"], code="discharged")
    if link.expires_at <= now:
        raise LinkRefused(LINK_MESSAGES["expired"], code="expired")
    return link


def begin_link(*, token_or_hash: str, hashed: bool = False) -> SelfCompletionLink:
    """The patient pressed Start (a POST): record the first opening."""
    with transaction.atomic():
        link = resolve_link(token_or_hash, hashed=hashed)
        if link.first_opened_at is None:
            link.first_opened_at = timezone.now()
            link.save(update_fields=["first_opened_at", "updated_at"])
        record(action=AuditAction.READ, obj=link.administration, patient=link.administration.episode.patient,
               object_type="outcomes.self_completion", detail={"link": str(link.public_id)})
    return link


def patient_save(*, link: SelfCompletionLink, answers: dict[str, Any], complete: bool) -> SaveResult:
    """The patient saves a page (or submits). The link is re-checked inside the transaction."""
    with transaction.atomic():
        fresh = resolve_link(link.token_hash, hashed=True)
        return save_answers(administration=fresh.administration, answers=answers, complete=complete)


# ---------------------------------------------------------------------------------------------------------
# Critical alerts
# ---------------------------------------------------------------------------------------------------------
def raise_alert(*, administration: Administration, item_key: str, message: str) -> CriticalAlert:
    """An urgent task for the primary clinician and the site's on-call role(s), and a banner on the chart."""
    episode = administration.episode
    now = timezone.now()
    with transaction.atomic():
        alert = CriticalAlert.objects.create(
            administration=administration, episode=episode, item_key=item_key, message=message[:400], raised_at=now
        )
        recipients: dict[int, tuple[Any, str]] = {}
        if episode.primary_clinician_id and episode.primary_clinician.is_active:
            recipients[episode.primary_clinician_id] = (episode.primary_clinician, RecipientReason.PRIMARY)
        for user in users_with_roles(episode.program.site_id, settings.TRELLIS_OUTCOMES_ON_CALL_ROLES):
            recipients.setdefault(user.pk, (user, RecipientReason.ON_CALL))
        AlertRecipient.objects.bulk_create(
            [AlertRecipient(alert=alert, user=u, reason=r, notified_at=now) for u, r in recipients.values()]
        )
        set_flag(patient=episode.patient, kind=FlagKind.SUICIDE_RISK, label=ALERT_FLAG_LABEL)
        record(action=AuditAction.CREATE, obj=alert, patient=episode.patient,
               detail={"administration": str(administration.public_id), "item": item_key,
                       "recipients": len(recipients)})
        notify(alert, [u for u, _ in recipients.values()])
        schedule_escalation(alert)
    return alert


def acknowledge_alert(*, alert: CriticalAlert, actor: User, action_taken: str) -> CriticalAlert:
    action_taken = (action_taken or "").strip()
    if len(action_taken) < 5:
        raise DomainError("Describe the action taken (for example: risk assessed, safety plan reviewed).",
                          field="action_taken")
    with transaction.atomic():
        fresh = (CriticalAlert.objects.select_for_update(of=("self",)).select_related("episode__patient")
                 .get(pk=alert.pk))
        if fresh.status == AlertStatus.ACKNOWLEDGED:
            raise DomainError("This alert was already acknowledged.")
        fresh.status = AlertStatus.ACKNOWLEDGED
        fresh.acknowledged_at = timezone.now()
        fresh.acknowledged_by = actor
        fresh.action_taken = action_taken[:2000]
        fresh.save()
        patient = fresh.episode.patient
        still_open = CriticalAlert.objects.filter(episode__patient=patient, status=AlertStatus.OPEN).exists()
        if not still_open:
            # The risk flag stays (a clinician clears it on the chart); it no longer says "awaiting".
            set_flag(patient=patient, kind=FlagKind.SUICIDE_RISK, label=ACK_FLAG_LABEL)
        record(action=AuditAction.UPDATE, obj=fresh, patient=patient, actor=actor,
               detail={"status": "acknowledged"})
    return fresh


def escalate_overdue_alerts(*, now: datetime | None = None) -> list[CriticalAlert]:
    """Catch-up for the escalation task (trellis/outcomes/tasks.py): take the due step of every open alert left
    unacknowledged for TRELLIS_OUTCOMES_ESCALATE_MINUTES since raised or last escalated, and queue its next one
    (for a task queue that was down, or a backend that cannot defer). Safe next to the task: each step is taken
    from the level seen here, so an alert the task escalated meanwhile is left alone (manage.py
    escalate_outcome_alerts)."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.TRELLIS_OUTCOMES_ESCALATE_MINUTES)
    due = CriticalAlert.objects.filter(status=AlertStatus.OPEN).filter(
        Q(escalated_at__isnull=True, raised_at__lte=cutoff) | Q(escalated_at__lte=cutoff)
    )
    escalated = []
    for alert_id, level in list(due.values_list("pk", "escalation_level")[:500]):
        result = escalate_alert(alert_id=alert_id, from_level=level, now=now)
        if result.step == Step.ESCALATED and result.alert is not None:
            schedule_escalation(result.alert)
            escalated.append(result.alert)
    return escalated


# ---------------------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------------------
def save_schedule(
    *, program: Any, instrument_key: str, actor: User, track: Any = None, at_admission: bool = True,
    every_n_days: int | None = None, at_discharge: bool = True,
) -> AdministrationSchedule:
    instrument_or_error(instrument_key, program.site.organization)
    if not (at_admission or at_discharge or every_n_days):
        raise DomainError("Choose at least one occasion: admission, every N days or discharge.")
    if every_n_days is not None and not 1 <= every_n_days <= 365:
        raise DomainError("Every N days must be between 1 and 365.", field="every_n_days")
    if track is not None and track.program_id != program.pk:
        raise DomainError("That track belongs to another program.", field="track")
    with transaction.atomic():
        schedule, created = AdministrationSchedule.objects.update_or_create(
            program=program, track=track, instrument_key=instrument_key,
            defaults={"at_admission": at_admission, "every_n_days": every_n_days, "at_discharge": at_discharge,
                      "active": True},
        )
        record(action=AuditAction.CREATE if created else AuditAction.UPDATE, obj=schedule, actor=actor,
               site=program.site, detail={"instrument": instrument_key, "every_n_days": every_n_days})
    return schedule


def deactivate_schedule(*, schedule: AdministrationSchedule, actor: User) -> AdministrationSchedule:
    with transaction.atomic():
        schedule.active = False
        schedule.save(update_fields=["active", "updated_at"])
        record(action=AuditAction.UPDATE, obj=schedule, actor=actor, site=schedule.program.site,
               detail={"active": False})
    return schedule


def upload_definition(*, organization: Any, data: Any, actor: User) -> InstrumentDefinition:
    """Validate an organization's licensed instrument (same format as the shipped ones) and store it."""
    try:
        defn = parse_definition(data)
    except DefinitionError as exc:
        raise DomainError("The definition has problems: " + "; ".join(exc.errors[:10])) from exc
    if defn.key in library.shipped():
        raise DomainError(f"'{defn.key}' is a built-in instrument; choose another key.", field="key")
    if defn.licence_status != "licensed_by_organization":
        raise DomainError("Organization-supplied instruments must have licence.status 'licensed_by_organization' "
                          "and say whose licence covers them.")
    with transaction.atomic():
        if InstrumentDefinition.objects.filter(organization=organization, key=defn.key,
                                               version=defn.version).exists():
            raise DomainError(f"Version {defn.version} of '{defn.key}' is already uploaded; raise the version.")
        row = InstrumentDefinition.objects.create(organization=organization, key=defn.key, version=defn.version,
                                                  name=defn.name, definition=dict(defn.raw), created_by=actor)
        record(action=AuditAction.CREATE, obj=row, actor=actor, detail={"key": defn.key, "version": defn.version})
    return row
