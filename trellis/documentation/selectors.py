"""Every read of the documentation app, scoped and with a bounded number of queries.

``is_billable`` / ``unbillable_services`` are the single documentation rule billing relies on: an attended
service is billable only when its note is signed and, when the author needs supervision, co-signed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import User
from trellis.accounts.policies import sites_with
from trellis.attendance.models import Attendance
from trellis.core.registry import TodayContext, TodayCounter

from . import policies
from .forms import SHARED_PREFIX, build_sections, participant_prefix
from .models import (
    Addendum,
    Note,
    NoteKind,
    NoteReturn,
    NoteStatus,
    NoteTemplate,
    ParticipantNote,
    PrivateNote,
    RiskNotice,
    Signature,
)
from .note_schema import FieldError, Scope, TemplateSchema, display_sections
from .plan_objectives import current_objectives
from .rules import ATTENDED_STATUSES, DEFAULT_DEADLINE_HOURS, signature_deadline
from .services import NAMES_PATH, SHARED_KEY, NoteConflict, section_hashes, session_defaults, verify_note

SIGNED_STATUSES = (NoteStatus.AWAITING_COSIGN, NoteStatus.COMPLETE)
DEFAULT_WORKLIST_DAYS = 60


# ---------------------------------------------------------------------------------------------------------
# Billing rule
# ---------------------------------------------------------------------------------------------------------
def complete_note_exists() -> Exists:
    """Subquery for Attendance rows: a signed (and, if required, co-signed) note covers this attendance."""
    return Exists(ParticipantNote.objects.filter(attendance=OuterRef("pk"), note__status=NoteStatus.COMPLETE))


def is_billable(attendance: Any) -> bool:
    """Documentation side of billability: attended, and covered by a complete note (CMS Pub. 100-08 Ch. 3
    §3.3.2.4; Medicare Benefit Policy Manual Ch. 6 §70.3). Whether the service type itself is billable, and
    under which code, is billing's decision."""
    if attendance.status not in ATTENDED_STATUSES:
        return False
    return ParticipantNote.objects.filter(attendance=attendance, note__status=NoteStatus.COMPLETE).exists()


def unbillable_services(
    *,
    attendances: QuerySet | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    program: Any = None,
    sites: Iterable[Any] | None = None,
) -> QuerySet:
    """Attended services whose documentation is not complete ("not billable"), oldest first.
    ``start``/``end`` bound the session start time (aware datetimes)."""
    qs = attendances if attendances is not None else Attendance.objects.all()
    qs = qs.filter(status__in=ATTENDED_STATUSES)
    if start is not None:
        qs = qs.filter(session__starts_at__gte=start)
    if end is not None:
        qs = qs.filter(session__starts_at__lt=end)
    if program is not None:
        qs = qs.filter(session__program=program)
    if sites is not None:
        qs = qs.filter(session__site__in=list(sites))
    return (qs.annotate(documented=complete_note_exists()).filter(documented=False)
            .select_related("session", "episode").order_by("session__starts_at", "pk"))


# ---------------------------------------------------------------------------------------------------------
# Notes visible to a user
# ---------------------------------------------------------------------------------------------------------
def note_sites(user: User) -> list[Any]:
    return list({*sites_with(user, Cap.NOTE_WRITE), *sites_with(user, Cap.NOTE_COSIGN)})


def note_sites_in_view(user: User, active_site: Any = None) -> list[Any]:
    """The note sites a worklist covers: the working site, or all of them ("All my sites"). Today's counters
    and the worklist both call this so they count the same sessions."""
    sites = note_sites(user)
    return [s for s in sites if s.pk == active_site.pk] if active_site is not None else sites


def returns_of(note: Note) -> list[Any]:
    """The times a supervisor returned this note to its author, oldest first (one query)."""
    return list(NoteReturn.objects.filter(note=note).select_related("returned_by"))


def notes_for(user: User) -> QuerySet:
    return Note.objects.filter(session__site__in=note_sites(user)).select_related(
        "session", "session__site", "session__program", "author", "template_version__template")


def note_detail_queryset() -> QuerySet:
    return Note.objects.select_related(
        "session", "session__site", "session__site__organization", "session__program", "session__facilitator",
        "author", "last_saved_by", "cosigner", "episode__patient", "template_version__template",
    )


# ---------------------------------------------------------------------------------------------------------
# The note screen (group or individual)
# ---------------------------------------------------------------------------------------------------------
@dataclass
class ParticipantRow:
    participant: ParticipantNote
    patient: Any
    attendance: Any
    objectives: dict[str, str]
    still_attending: bool = True

    @property
    def key(self) -> str:
        return str(self.participant.public_id)


@dataclass
class NoteScreen:
    note: Note
    schema: TemplateSchema
    rows: list[ParticipantRow]
    absent: list[Any]  # Attendance rows of patients who did not attend
    signatures: list[Signature]
    addenda: list[Addendum]
    previous_note: Note | None = None
    missing_from_note: list[Any] = field(default_factory=list)  # attended but no section yet

    @property
    def shared_sections(self) -> tuple:
        return self.schema.sections_for(Scope.SHARED)

    @property
    def participant_sections(self) -> tuple:
        return self.schema.sections_for(Scope.PARTICIPANT)


def note_screen(note: Note) -> NoteScreen:
    """Everything the note screen shows, in a fixed number of queries whatever the roster size."""
    participants = list(
        note.participants.select_related("episode", "episode__patient", "attendance").order_by(
            "episode__patient__legal_last_name", "episode__patient__legal_first_name", "pk")
    )
    attendance = list(
        Attendance.objects.filter(session_id=note.session_id)
        .select_related("episode", "episode__patient").order_by("pk")
    )
    objectives = current_objectives(p.episode for p in participants)
    on_note = {p.episode_id for p in participants}
    rows = [ParticipantRow(participant=p, patient=p.episode.patient, attendance=p.attendance,
                           objectives=objectives.get(p.episode_id, {}),
                           still_attending=(p.attendance is None or p.attendance.status in ATTENDED_STATUSES))
            for p in participants]
    absent = [a for a in attendance if a.status not in ATTENDED_STATUSES
              and (note.kind == NoteKind.GROUP or a.episode_id == note.episode_id)]
    missing = [a for a in attendance if a.status in ATTENDED_STATUSES and a.episode_id not in on_note
               and note.kind == NoteKind.GROUP]
    sigs = list(note.signatures.select_related("addendum").order_by("signed_at", "pk"))
    addenda = list(note.addenda.select_related("author", "signature", "episode__patient").order_by("created_at",
                                                                                                     "pk"))
    return NoteScreen(note=note, schema=note.template_version.parsed, rows=rows, absent=absent,
                      signatures=[s for s in sigs if s.addendum_id is None], addenda=addenda,
                      missing_from_note=missing)


def note_screen_context(
    *,
    user: User,
    note: Note,
    shared: dict | None = None,
    participants: dict[str, dict] | None = None,
    errors: dict[str, list[FieldError]] | None = None,
    conflict: NoteConflict | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    """Everything the note screen renders for ``user``: the stored note, or (after a refused save) the user's own
    text with its errors, and the other person's saved text next to it on a conflict. Reads only; a fixed number of
    queries whatever the roster size. The view adds the addendum form."""
    screen = note_screen(note)
    schema = screen.schema
    errors = errors or {}
    bases = section_hashes(note, [r.participant for r in screen.rows]) if note.is_draft else {}
    editable = bool(policies.can_edit(user, note))
    shared_content = shared if shared is not None else note.shared_content
    shared_sections = build_sections(schema, Scope.SHARED, shared_content, errors.get("shared", ()),
                                     prefix=SHARED_PREFIX, defaults=session_defaults(note) if editable else None)
    rows = []
    conflict_rows = []
    keys = [r.key for r in screen.rows]
    for i, row in enumerate(screen.rows):
        key = row.key
        content = (participants or {}).get(key, row.participant.content)
        rows.append({
            "row": row,
            "key": key,
            "prefix": participant_prefix(key),
            "sections": build_sections(schema, Scope.PARTICIPANT, content, errors.get(key, ()),
                                       prefix=participant_prefix(key), objectives=row.objectives),
            "display": display_sections(schema, row.participant.content, scope=Scope.PARTICIPANT,
                                        objective_labels=row.objectives),
            "has_errors": bool(errors.get(key)),
            "base": bases.get(key, ""),
            "section_errors": [e.message for e in errors.get(key, ()) if e.path == NAMES_PATH],
            "clash": conflict is not None and key in conflict.sections,
            "next_key": keys[i + 1] if i + 1 < len(keys) else None,
        })
        if conflict is not None and participants and key in participants and participants[key] != (
                row.participant.content or {}):
            conflict_rows.append({"patient": row.patient,
                                  "saved": display_sections(schema, row.participant.content,
                                                            scope=Scope.PARTICIPANT,
                                                            objective_labels=row.objectives)})
    conflict_shared = None
    if conflict is not None and shared is not None and shared != (note.shared_content or {}):
        conflict_shared = display_sections(schema, note.shared_content, scope=Scope.SHARED)
    return {
        "note": note,
        "session": note.session,
        "screen": screen,
        "schema": schema,
        "editable": editable,
        "can_sign": bool(policies.can_sign(user, note)),
        "can_cosign": bool(policies.can_cosign(user, note)),
        "can_addendum": bool(policies.can_add_addendum(user, note)),
        "can_print": note.is_signed and bool(policies.can_print(user, note.session.site)),
        "shared_sections": shared_sections,
        "shared_display": display_sections(schema, note.shared_content, scope=Scope.SHARED),
        "rows": rows,
        "errors": errors,
        "error_count": sum(len(v) for v in errors.values()),
        "conflict": conflict,
        "conflict_rows": conflict_rows,
        "conflict_shared": conflict_shared,
        "version": version if version is not None else note.version,
        "base_shared": bases.get(SHARED_KEY, ""),
        "shared_errors": [e.message for e in errors.get("shared", ()) if e.path == NAMES_PATH],
        "addendum_choices": [(str(r.participant.episode.public_id), r.patient.display_name) for r in screen.rows],
        "zone": note.session.site.zone,
        "has_previous": previous_note(note) is not None if editable else False,
        "verification": verify_note(note=note) if note.is_signed else None,
    }


def previous_note(note: Note) -> Note | None:
    """The most recent earlier note of the same series (or, without a series, the same program, service type
    and template), to copy its shared section as a starting point."""
    session = note.session
    qs = Note.objects.filter(kind=note.kind, session__starts_at__lt=session.starts_at,
                             template_version__template=note.template_version.template).exclude(pk=note.pk)
    series_id = getattr(session, "series_id", None)
    if series_id:
        qs = qs.filter(session__series_id=series_id)
    else:
        qs = qs.filter(session__program_id=session.program_id, session__service_type=session.service_type)
    if note.kind == NoteKind.INDIVIDUAL:
        qs = qs.filter(episode_id=note.episode_id)
    return qs.select_related("template_version").order_by("-session__starts_at").first()


# ---------------------------------------------------------------------------------------------------------
# A patient's chart: only that patient's sections, plus the shared section, plus addenda about them or the note
# ---------------------------------------------------------------------------------------------------------
@dataclass
class ChartNote:
    participant: ParticipantNote
    note: Note
    session: Any
    schema: TemplateSchema
    signatures: list[Signature]
    addenda: list[Addendum]
    objectives: dict[str, str]


def patient_notes(
    *,
    patient: Any,
    start: dt.date | None = None,
    end: dt.date | None = None,
    include_drafts: bool = False,
    limit: int | None = 200,
    participant_id: Any = None,
) -> list[ChartNote]:
    """The patient's notes, newest first. Every row is this patient's ParticipantNote; other attendees' rows are
    never loaded. Dates are the session's local date at its site (inclusive range)."""
    qs = ParticipantNote.objects.filter(episode__patient=patient).select_related(
        "note", "note__session", "note__session__site", "note__session__program", "note__session__facilitator",
        "note__author", "note__template_version__template", "episode", "attendance",
    )
    if not include_drafts:
        qs = qs.filter(note__status__in=SIGNED_STATUSES)
    if participant_id is not None:
        qs = qs.filter(public_id=participant_id)
    rows = list(qs.order_by("-note__session__starts_at", "-pk"))
    if start or end:
        def local_day(p: ParticipantNote) -> dt.date:
            s = p.note.session
            return timezone.localtime(s.starts_at, s.site.zone).date()

        rows = [p for p in rows if (start is None or local_day(p) >= start) and (end is None or local_day(p) <= end)]
    if limit is not None:
        rows = rows[:limit]
    note_ids = [p.note_id for p in rows]
    episode_ids = {p.episode_id for p in rows}
    sigs: dict[int, list[Signature]] = {}
    for s in Signature.objects.filter(note_id__in=note_ids, addendum__isnull=True, returned_at__isnull=True
                                      ).order_by("signed_at", "pk"):
        sigs.setdefault(s.note_id, []).append(s)
    adds: dict[int, list[Addendum]] = {}
    for a in (Addendum.objects.filter(note_id__in=note_ids)
              .filter(Q(episode__isnull=True) | Q(episode_id__in=episode_ids))
              .select_related("signature", "author").order_by("created_at", "pk")):
        adds.setdefault(a.note_id, []).append(a)
    objectives = current_objectives({p.episode_id: p.episode for p in rows}.values()) if rows else {}
    return [
        ChartNote(participant=p, note=p.note, session=p.note.session, schema=p.note.template_version.parsed,
                  signatures=sigs.get(p.note_id, []),
                  addenda=[a for a in adds.get(p.note_id, []) if a.episode_id in (None, p.episode_id)],
                  objectives=objectives.get(p.episode_id, {}))
        for p in rows
    ]


def chart_note(*, patient: Any, participant_id: Any) -> ChartNote | None:
    """One signed note as it appears in this patient's chart (None if it is not this patient's)."""
    found = patient_notes(patient=patient, include_drafts=False, limit=1, participant_id=participant_id)
    return found[0] if found else None


# ---------------------------------------------------------------------------------------------------------
# Completeness worklists
# ---------------------------------------------------------------------------------------------------------
@dataclass
class WorkItem:
    session: Any
    note: Note | None
    patients: int  # attended patients concerned
    state: str  # "missing" | "draft" | "returned" (by the supervisor, with comments) | "awaiting_cosign" | "late"
    overdue: bool = False
    deadline: dt.datetime | None = None
    episode: Any = None  # individual sessions


@dataclass
class Worklist:
    unsigned: list[WorkItem]
    awaiting_cosign: list[WorkItem]  # notes waiting for someone's co-signature
    to_cosign: list[WorkItem]  # (clinician view) notes this user must co-sign
    late: list[WorkItem]

    @property
    def total(self) -> int:
        return len(self.unsigned) + len(self.awaiting_cosign) + len(self.to_cosign) + len(self.late)


def _worklist_querysets(*, user: User, program: Any, sites: Iterable[Any] | None, now: dt.datetime,
                        days: int) -> tuple[QuerySet, QuerySet]:
    """(attended rows of ended sessions without a signed note, notes of the window): what the worklist lists and
    Today's counters count."""
    since = now - dt.timedelta(days=days)
    # Redundant with starts_at >= since (a site-local date is at most a day before the UTC date: zones are UTC-12 to
    # UTC+14) but indexable with the site: the (site, local_date) index bounds the sessions read to the window even
    # without table statistics, where the planner otherwise walks every session of the site (issue 9).
    window = {"session__local_date__gte": since.date() - dt.timedelta(days=1), "session__starts_at__gte": since}
    att = Attendance.objects.filter(status__in=ATTENDED_STATUSES, session__ends_at__lte=now, **window)
    notes = Note.objects.filter(**window)
    if sites is not None:
        site_list = list(sites)
        att = att.filter(session__site__in=site_list)
        notes = notes.filter(session__site__in=site_list)
    if program is not None:
        att = att.filter(session__program=program)
        notes = notes.filter(session__program=program)
    if user is not None:
        att = att.filter(Q(session__facilitator=user) | Q(session__co_facilitator=user)
                         | Q(participant_notes__note__author=user))
    signed_exists = Exists(ParticipantNote.objects.filter(attendance=OuterRef("pk"),
                                                          note__status__in=SIGNED_STATUSES))
    return att.filter(~signed_exists), notes


def worklist_counts(*, user: User, sites: Iterable[Any], now: dt.datetime | None = None,
                    days: int = DEFAULT_WORKLIST_DAYS) -> tuple[int, int]:
    """(unsigned items, notes waiting for ``user``'s co-signature) by COUNT queries, without building the lists:
    the same filters as ``worklist`` (a group session is one item, an individual session one per patient)."""
    now = now or timezone.now()
    att, notes = _worklist_querysets(user=user, program=None, sites=sites, now=now, days=days)
    # One aggregate: a group session counts once; an individual session once per patient, i.e. per attendance row
    # (one per session and episode). Filtered aggregates rather than a "session has no episode" filter, which a
    # planner without statistics takes for a selective index condition and walks every group session ever held.
    counts = att.aggregate(
        groups=Count("session_id", distinct=True, filter=Q(session__episode__isnull=True)),
        individual=Count("pk", distinct=True, filter=Q(session__episode__isnull=False)),
    )
    groups, individual = counts["groups"], counts["individual"]
    to_cosign = notes.filter(status=NoteStatus.AWAITING_COSIGN, cosigner=user).count()
    return groups + individual, to_cosign


def worklist(
    *,
    user: User | None = None,
    program: Any = None,
    sites: Iterable[Any] | None = None,
    now: dt.datetime | None = None,
    days: int = DEFAULT_WORKLIST_DAYS,
) -> Worklist:
    """Per clinician (``user``: sessions they facilitate or notes they wrote) or per program.

    - unsigned: ended sessions with attended patients and no signed note (missing or draft), flagged overdue
      after the program's deadline;
    - awaiting_cosign: signed notes whose required co-signature is missing (the note is incomplete);
    - to_cosign: for a clinician, notes waiting for *their* co-signature;
    - late: notes signed after the deadline, in the window.
    """
    now = now or timezone.now()
    att, notes = _worklist_querysets(user=user, program=program, sites=sites, now=now, days=days)
    pending = list(att.select_related("session", "session__program", "session__site", "episode", "episode__patient")
                   .distinct().order_by("session__starts_at", "pk")[:2000])
    session_ids = {a.session_id for a in pending}
    drafts = {(n.session_id, n.episode_id): n for n in Note.objects.filter(session_id__in=session_ids,
                                                                           status=NoteStatus.DRAFT)}
    returned = set(NoteReturn.objects.filter(note_id__in=[n.pk for n in drafts.values()])
                   .values_list("note_id", flat=True)) if drafts else set()
    unsigned: dict[tuple, WorkItem] = {}
    for a in pending:
        s = a.session
        group = s.is_group
        key = (s.pk, None) if group else (s.pk, a.episode_id)
        item = unsigned.get(key)
        if item is None:
            hours = getattr(s.program, "note_deadline_hours", None) or DEFAULT_DEADLINE_HOURS
            deadline = signature_deadline(s.ends_at, hours)
            note = drafts.get(key)
            state = ("returned" if note.pk in returned else "draft") if note else "missing"
            item = WorkItem(session=s, note=note, patients=0, state=state,
                            overdue=now > deadline, deadline=deadline, episode=None if group else a.episode)
            unsigned[key] = item
        item.patients += 1

    base = notes.select_related("session", "session__program", "session__site", "author", "cosigner",
                                "episode__patient")
    waiting = base.filter(status=NoteStatus.AWAITING_COSIGN)
    late_qs = base.filter(is_late=True, status__in=SIGNED_STATUSES)
    to_cosign: list[WorkItem] = []
    if user is not None:
        to_cosign = [WorkItem(session=n.session, note=n, patients=0, state="awaiting_cosign")
                     for n in waiting.filter(Q(cosigner=user)).order_by("signed_at")[:500]]
        waiting = waiting.filter(author=user)
        late_qs = late_qs.filter(author=user)
    return Worklist(
        unsigned=list(unsigned.values()),
        awaiting_cosign=[WorkItem(session=n.session, note=n, patients=0, state="awaiting_cosign")
                         for n in waiting.order_by("signed_at")[:500]],
        to_cosign=to_cosign,
        late=[WorkItem(session=n.session, note=n, patients=0, state="late", deadline=n.deadline_at)
              for n in late_qs.order_by("-signed_at")[:500]],
    )


# ---------------------------------------------------------------------------------------------------------
# Templates and private notes
# ---------------------------------------------------------------------------------------------------------
def templates_for(organization: Any, service_type: str | None = None) -> QuerySet:
    qs = NoteTemplate.objects.filter(organization=organization, active=True).prefetch_related(
        Prefetch("versions"))
    if service_type:
        qs = qs.filter(service_type=service_type)
    return qs


def private_notes_for(user: User) -> QuerySet:
    """Only the author's own private notes. No other selector in Trellis reads PrivateNote."""
    return PrivateNote.objects.filter(author=user).select_related("episode__patient", "episode__program",
                                                                  "session")


def open_risk_notices(user: User) -> QuerySet:
    """High-risk ratings in signed notes sent to this clinician and not yet acknowledged: Today's counter and the
    worklist's list both read this (index doc_risknotice_open_idx)."""
    return (RiskNotice.objects.filter(recipient=user, acknowledged_at__isnull=True)
            .select_related("note__session", "episode__patient").order_by("pk"))


def chart_risk_notices(user: User, patient: Any, today: Any) -> dict[str, Any] | None:
    """The chart's card of this patient's unacknowledged high-risk notices (whoever they were sent to), with the
    acknowledge form for the recipient; None when there are none. One query."""
    notices = list(RiskNotice.objects.filter(episode__patient=patient, acknowledged_at__isnull=True)
                   .select_related("note__session", "recipient").order_by("pk")[:50])
    if not notices:
        return None
    return {"notices": notices, "user_id": user.pk}


def today_counters(user: User, ctx: TodayContext) -> list[TodayCounter]:
    """Today's note counters; each links to the worklist whose length it is."""
    unsigned, to_cosign = worklist_counts(user=user, sites=note_sites_in_view(user, ctx.active_site))
    url = reverse("documentation:worklist")
    high_risk = open_risk_notices(user).count()
    counters = [
        TodayCounter(unsigned, "sessions need a signed note", f"{url}#unsigned", "warn" if unsigned else ""),
        TodayCounter(to_cosign, "notes waiting for your co-signature", f"{url}#to-cosign",
                     "warn" if to_cosign else ""),
    ]
    if high_risk:
        # C-SSRS triage: a signed note rated a patient of yours high risk (documentation.risk_rules).
        counters.append(TodayCounter(high_risk, "patients of yours rated high suicide risk in a signed note",
                                     f"{url}#high-risk", "danger"))
    return counters
