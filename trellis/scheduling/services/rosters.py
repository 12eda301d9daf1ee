"""Per-occurrence roster changes: add a patient to one session, excuse one from it."""

from __future__ import annotations

from django.db import transaction

from trellis.accounts.models import User
from trellis.audit.services import AuditAction, record
from trellis.core.errors import DomainError
from trellis.episodes.models import Episode
from trellis.episodes.selectors import active_on
from trellis.scheduling.models import (
    RosterChange,
    RosterChangeKind,
    Session,
    SessionStatus,
)
from trellis.scheduling.services.occurrences import _locked_session


def add_to_roster(*, session: Session, episode: Episode, user: User, reason: str = "") -> RosterChange:
    """Add a patient to one occurrence. Refused without an active episode that day, or when the session is full.

    The session row is locked first, so two people adding the last seat at once are serialized and the
    second sees the session full (exactly one succeeds).
    """
    from trellis.scheduling.selectors import roster_for_session

    with transaction.atomic():
        current = _locked_session(session)
        if current.status == SessionStatus.CANCELLED:
            raise DomainError("This session is cancelled.")
        if current.episode_id is not None:
            raise DomainError("This is an individual appointment; book another appointment instead.")
        ep = Episode.objects.select_related("program", "patient").get(pk=episode.pk)
        if ep.program.site_id != current.site_id:
            raise DomainError("That patient's episode is at another site.", field="episode")
        if not Episode.objects.filter(active_on(current.local_date), pk=ep.pk).exists():
            raise DomainError("The patient has no active episode on the session's date.", field="episode")
        roster = roster_for_session(current)
        if any(m.episode.pk == ep.pk for m in roster):
            raise DomainError("The patient is already on this session's roster.", field="episode")
        capacity = current.effective_capacity
        if capacity is not None and len(roster) >= capacity:
            raise DomainError(f"The session is full ({capacity} seats).", field="episode", code="capacity")
        change, created = RosterChange.objects.get_or_create(
            session=current, episode=ep,
            defaults={"kind": RosterChangeKind.ADD, "reason": reason[:200], "created_by": user},
        )
        if not created:
            change.kind = RosterChangeKind.ADD
            change.reason = reason[:200]
            change.save()
        record(action=AuditAction.UPDATE, obj=current, patient=ep.patient, site=current.site,
               detail={"roster": "add", "episode": str(ep.public_id)})
    return change


def excuse_from_roster(*, session: Session, episode: Episode, user: User, reason: str) -> RosterChange:
    """Take a patient off one occurrence's roster (planned absence agreed in advance)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give a reason for excusing the patient.", field="reason")
    from trellis.scheduling.selectors import roster_for_session

    with transaction.atomic():
        current = _locked_session(session)
        ep = Episode.objects.select_related("patient").get(pk=episode.pk)
        if not any(m.episode.pk == ep.pk for m in roster_for_session(current)):
            raise DomainError("The patient is not on this session's roster.", field="episode")
        if current.attendance.filter(episode=ep).exists():
            raise DomainError("Attendance is already recorded for this patient; correct it instead.")
        change, created = RosterChange.objects.get_or_create(
            session=current, episode=ep,
            defaults={"kind": RosterChangeKind.EXCUSE, "reason": reason[:200], "created_by": user},
        )
        if not created:
            if change.kind == RosterChangeKind.ADD:
                # Undo an explicit add: the patient was never on the derived roster.
                change.delete()
                change.kind = RosterChangeKind.EXCUSE
            else:
                change.reason = reason[:200]
                change.save()
        record(action=AuditAction.UPDATE, obj=current, patient=ep.patient, site=current.site,
               detail={"roster": "excuse", "episode": str(ep.public_id)})
    return change
