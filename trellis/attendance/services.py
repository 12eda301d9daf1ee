"""Attendance writes: mark a whole roster at once, correct one record, lock/unlock a day for billing.

Marking validates every row first (minutes rules in ``attendance.minutes``) and saves nothing unless all
rows are valid (one transaction). Changing a record that was already marked is a correction: it is kept in
AttendanceCorrection with before/after values and, once the session's day is over, a required reason.
A record locked by billing cannot change until a biller unlocks it (capability ATTENDANCE_UNLOCK).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import User
from trellis.accounts.policies import has_capability
from trellis.attendance.minutes import ATTENDED_STATUSES, MinutesError, compute_minutes, validate_minutes
from trellis.attendance.models import Attendance, AttendanceCorrection, AttendanceStatus, CorrectionKind
from trellis.attendance.signals import attendance_marked
from trellis.audit.services import AuditAction, AuditEntry, record, record_many
from trellis.core.errors import ConflictError, DomainError
from trellis.episodes.models import Episode
from trellis.patients.models import Patient
from trellis.programs.models import AttendedModality, Modality
from trellis.scheduling.models import Session, SessionStatus
from trellis.scheduling.selectors import roster_for_session

DEFAULT_MODALITY = {
    Modality.IN_PERSON: AttendedModality.IN_PERSON,
    Modality.TELEHEALTH: AttendedModality.VIDEO,
    Modality.HYBRID: AttendedModality.IN_PERSON,
}


@dataclass
class MarkEntry:
    episode_id: int
    status: str
    arrived_at: datetime | None = None
    departed_at: datetime | None = None
    modality: str = ""
    absence_reason: str = ""
    # The record's version the user saw (0: not yet marked); None skips the check (imports, demo data).
    expected_version: int | None = None
    # Minutes actually present when less than arrival→departure (e.g. telehealth disconnect gaps subtracted).
    minutes: int | None = None


@dataclass
class RowError:
    field: str | None
    message: str


class AttendanceBatchError(DomainError):
    """One or more rows were invalid; ``errors`` maps episode pk -> RowError. Nothing was saved."""

    def __init__(self, errors: dict[int, RowError]) -> None:
        count = len(errors)
        super().__init__(f"{count} row{'s' if count != 1 else ''} need{'s' if count == 1 else ''} fixing; nothing was saved.")
        self.errors = errors


class AttendanceConflictError(AttendanceBatchError):
    """Rows changed by someone else since the sheet was opened; ``errors`` names them. Nothing was saved."""

    def __init__(self, errors: dict[int, RowError]) -> None:
        super().__init__(errors)
        count = len(errors)
        self.message = (
            f"{count} row{'s' if count != 1 else ''} changed while you were editing; nothing was saved. "
            "The current values are shown on those rows: check them and save again."
        )
        self.args = (self.message,)
        self.code = "conflict"


SNAPSHOT_FIELDS = ("status", "arrived_at", "departed_at", "minutes", "modality", "absence_reason")


def _snapshot(att: Attendance) -> dict[str, Any]:
    out = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(att, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def _changed_since(att: Attendance | None, session: Session) -> str:
    if att is None or att.marked_at is None:
        return "Someone else changed this row while you were editing."
    who = att.marked_by.full_name if att.marked_by_id and att.marked_by else "Someone else"
    return f"{who} changed this row at {att.marked_at.astimezone(session.site.zone):%H:%M} while you were editing."


def _site_today(session: Session) -> date:
    return timezone.now().astimezone(session.site.zone).date()


def _needs_reason(session: Session) -> bool:
    """Changes after the session's (site-local) day are corrections after the fact and need a reason."""
    return session.local_date < _site_today(session)


@dataclass
class _Computed:
    entry: MarkEntry
    minutes: int
    arrived_at: datetime | None
    departed_at: datetime | None
    modality: str
    absence_reason: str
    errors: list[RowError] = field(default_factory=list)


def _compute(entry: MarkEntry, session: Session, length: int) -> _Computed:
    result = compute_minutes(
        status=entry.status,
        session_start=session.starts_at,
        session_end=session.ends_at,
        arrived_at=entry.arrived_at,
        departed_at=entry.departed_at,
        now=timezone.now(),
    )
    attended = entry.status in ATTENDED_STATUSES
    modality = entry.modality or (DEFAULT_MODALITY.get(session.modality, AttendedModality.IN_PERSON) if attended else "")
    if attended and modality not in AttendedModality.values:
        raise MinutesError("Choose how the patient attended (in person, video or audio only).", "modality")
    if not attended:
        modality = ""
    validate_minutes(result.minutes, session_length=length)
    minutes = result.minutes
    if entry.minutes is not None and attended:
        if not 0 <= entry.minutes <= result.minutes:
            raise MinutesError("Minutes present cannot exceed the time between arrival and departure.", "minutes")
        minutes = entry.minutes
    return _Computed(entry, minutes, result.arrived_at, result.departed_at, modality,
                     (entry.absence_reason or "").strip()[:200] if not attended else "")


def mark_attendance(
    *,
    session: Session,
    entries: Sequence[MarkEntry],
    user: User,
    correction_reason: str = "",
) -> list[Attendance]:
    """Record attendance for many roster members of one session in one transaction (all or nothing)."""

    if not entries:
        raise DomainError("Nothing to save: mark at least one patient.")
    correction_reason = (correction_reason or "").strip()
    with transaction.atomic():
        current = Session.objects.select_for_update(of=("self",)).select_related("site").get(pk=session.pk)
        if current.status == SessionStatus.CANCELLED:
            raise DomainError("This session was cancelled; there is no attendance to mark.")
        if current.starts_at > timezone.now():
            raise DomainError("Attendance can be marked once the session has started.")
        length = current.minutes
        roster_ids = {m.episode.pk for m in roster_for_session(current)}
        existing = {
            a.episode_id: a
            for a in Attendance.objects.select_for_update(of=("self",)).select_related("marked_by")
            .filter(session=current, episode_id__in=[e.episode_id for e in entries])
        }
        conflicts = {
            entry.episode_id: RowError(None, _changed_since(existing.get(entry.episode_id), current))
            for entry in entries
            if entry.expected_version is not None
            and (existing[entry.episode_id].version if entry.episode_id in existing else 0) != entry.expected_version
        }
        if conflicts:
            raise AttendanceConflictError(conflicts)
        errors: dict[int, RowError] = {}
        computed: list[_Computed] = []
        seen: set[int] = set()
        for entry in entries:
            if entry.episode_id in seen:
                errors[entry.episode_id] = RowError(None, "This patient appears twice.")
                continue
            seen.add(entry.episode_id)
            if entry.episode_id not in roster_ids and entry.episode_id not in existing:
                errors[entry.episode_id] = RowError(None, "This patient is not on the session's roster.")
                continue
            try:
                computed.append(_compute(entry, current, length))
            except MinutesError as exc:
                errors[entry.episode_id] = RowError(exc.field, exc.message)
        now = timezone.now()
        changed: list[tuple[Attendance, dict[str, Any]]] = []
        new: list[Attendance] = []
        for c in computed:
            att = existing.get(c.entry.episode_id)
            values = {
                "status": c.entry.status,
                "arrived_at": c.arrived_at,
                "departed_at": c.departed_at,
                "minutes": c.minutes,
                "modality": c.modality,
                "absence_reason": c.absence_reason,
            }
            if att is None:
                new.append(Attendance(session=current, episode_id=c.entry.episode_id, scheduled_minutes=length,
                                      marked_by=user, marked_at=now, created_by=user, **values))
                continue
            if all(getattr(att, k) == v for k, v in values.items()):
                continue
            if att.is_locked:
                errors[c.entry.episode_id] = RowError(
                    None, "Billing has locked this day; a biller must unlock it before it can change."
                )
                continue
            changed.append((att, values))
        if changed and not correction_reason and _needs_reason(current):
            for att, _ in changed:
                errors[att.episode_id] = RowError("correction_reason", "Give a reason for correcting past attendance.")
        if errors:
            raise AttendanceBatchError(errors)

        # A constant number of queries whatever the group's size: rows, corrections and audit events in bulk.
        created = Attendance.objects.bulk_create(new)
        corrections = []
        for att, values in changed:
            before = _snapshot(att)
            for key, value in values.items():
                setattr(att, key, value)
            att.marked_by, att.marked_at, att.updated_at = user, now, now
            att.version += 1
            corrections.append(AttendanceCorrection(attendance=att, kind=CorrectionKind.CORRECTION, changed_by=user,
                                                    changed_at=now, reason=correction_reason[:300], before=before,
                                                    after=_snapshot(att)))
        if changed:
            Attendance.objects.bulk_update([att for att, _ in changed],
                                           [*SNAPSHOT_FIELDS, "marked_by", "marked_at", "updated_at", "version"])
        AttendanceCorrection.objects.bulk_create(corrections)
        patients = dict(Episode.objects.filter(pk__in=[a.episode_id for a in [*created, *(c[0] for c in changed)]])
                        .values_list("pk", "patient"))
        people = Patient.objects.in_bulk(list(patients.values()))
        record_many([
            *(AuditEntry(action=AuditAction.CREATE, object_type="attendance", object_id=str(att.public_id),
                         patient=people.get(patients.get(att.episode_id)), site=current.site,
                         detail={"session": str(current.public_id), "status": att.status}) for att in created),
            *(AuditEntry(action=AuditAction.UPDATE, obj=att, patient=people.get(patients.get(att.episode_id)),
                         site=current.site, detail={"session": str(current.public_id), "correction": True})
              for att, _ in changed),
        ], actor=user)
        if created or changed:
            attendance_marked.send(sender=Attendance, session=current, user=user)
    return [*created, *(c[0] for c in changed)]


def correct_attendance(
    *,
    attendance: Attendance,
    user: User,
    reason: str,
    status: str,
    arrived_at: datetime | None = None,
    departed_at: datetime | None = None,
    modality: str = "",
    absence_reason: str = "",
    minutes: int | None = None,
    expected_version: int | None = None,
) -> Attendance:
    """Correct one record with a required reason. ``minutes`` overrides the computed value (within the session).

    ``expected_version`` is the version the user opened: if the record changed since, the correction is
    refused (ConflictError) instead of overwriting a change the user never saw."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give a reason for the correction.", field="reason")
    with transaction.atomic():
        att = Attendance.objects.select_for_update(of=("self",)).select_related("session", "session__site", "episode__patient").get(
            pk=attendance.pk
        )
        if expected_version is not None and att.version != expected_version:
            raise ConflictError(
                "This record changed after you opened it; nothing was saved. The current values are shown below: "
                "check them and save again."
            )
        if att.is_locked:
            raise DomainError("Billing has locked this day; a biller must unlock it before it can change.")
        session = att.session
        try:
            c = _compute(MarkEntry(att.episode_id, status, arrived_at, departed_at, modality, absence_reason),
                         session, session.minutes)
            if minutes is not None:
                c.minutes = validate_minutes(minutes, session_length=session.minutes)
                if status not in ATTENDED_STATUSES and minutes:
                    raise MinutesError("An absence has no attended minutes.", "minutes")
        except MinutesError as exc:
            raise DomainError(exc.message, field=exc.field) from exc
        before = _snapshot(att)
        att.status, att.arrived_at, att.departed_at = status, c.arrived_at, c.departed_at
        att.minutes, att.modality, att.absence_reason = c.minutes, c.modality, c.absence_reason
        att.marked_by, att.marked_at = user, timezone.now()
        att.version += 1
        att.save()
        AttendanceCorrection.objects.create(attendance=att, kind=CorrectionKind.CORRECTION, changed_by=user,
                                            changed_at=att.marked_at, reason=reason[:300], before=before,
                                            after=_snapshot(att))
        record(action=AuditAction.UPDATE, obj=att, patient=att.episode.patient, site=session.site,
               detail={"correction": True})
        attendance_marked.send(sender=Attendance, session=session, user=user)
    return att


def lock_attendance(*, attendances: Iterable[Attendance], user: User, reference: str = "") -> int:
    """Billing claims these records (a day's services went on a claim). Idempotent."""
    ids = [a.pk for a in attendances]
    now = timezone.now()
    with transaction.atomic():
        rows = list(Attendance.objects.select_for_update().filter(pk__in=ids, locked_at__isnull=True))
        for att in rows:
            att.locked_at, att.locked_by, att.lock_reference = now, user, reference[:64]
        Attendance.objects.bulk_update(rows, ["locked_at", "locked_by", "lock_reference"])
        AttendanceCorrection.objects.bulk_create([
            AttendanceCorrection(attendance=a, kind=CorrectionKind.LOCK, changed_by=user, changed_at=now,
                                 reason=reference[:300], before={}, after={"locked": True}) for a in rows
        ])
        if rows:
            record(action=AuditAction.UPDATE, object_type="attendance", object_id="",
                   detail={"locked": len(rows), "reference": reference[:64]})
    return len(rows)


def lock_day(*, episode: Episode, day: date, user: User, reference: str = "") -> int:
    """Lock every attendance record of ``episode`` on site-local ``day`` (what billing calls per claim day)."""
    return lock_attendance(
        attendances=Attendance.objects.filter(episode=episode, session__local_date=day), user=user, reference=reference
    )


def unlock_attendance(*, attendance: Attendance, user: User, reason: str) -> Attendance:
    """A biller re-opens a locked record so it can be corrected (HIPAA-audited with the reason)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give a reason for unlocking.", field="reason")
    with transaction.atomic():
        att = Attendance.objects.select_for_update(of=("self",)).select_related("session__site", "episode__patient").get(
            pk=attendance.pk
        )
        if not has_capability(user, Cap.ATTENDANCE_UNLOCK, att.session.site):
            raise DomainError("Only billing staff at this site can unlock attendance.", code="forbidden")
        if not att.is_locked:
            raise DomainError("This record is not locked.")
        before = {"locked_at": att.locked_at.isoformat(), "lock_reference": att.lock_reference}
        att.locked_at, att.locked_by, att.lock_reference = None, None, ""
        att.version += 1
        att.save()
        AttendanceCorrection.objects.create(attendance=att, kind=CorrectionKind.UNLOCK, changed_by=user,
                                            changed_at=timezone.now(), reason=reason[:300], before=before,
                                            after={"locked": False})
        record(action=AuditAction.UNLOCK, obj=att, patient=att.episode.patient, site=att.session.site,
               detail={"reason_given": True})
    return att


__all__ = [
    "AttendanceBatchError",
    "AttendanceConflictError",
    "AttendanceStatus",
    "MarkEntry",
    "RowError",
    "correct_attendance",
    "lock_attendance",
    "lock_day",
    "mark_attendance",
    "unlock_attendance",
]
