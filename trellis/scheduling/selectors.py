"""Scheduling reads: rosters, calendars, a patient's sessions. Scoped to the user; bounded query counts.

Roster rule: the roster of a group session is
    members of the session's track(s) whose episode is active on the session's site-local date
  + patients explicitly added to that occurrence
  − patients excused from that occurrence.
An individual appointment's roster is its one episode. Rosters are derived on read (never copied), so an
admission or discharge is reflected at once; explicit changes are the only stored roster rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Max, Q, QuerySet

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import User
from trellis.audit.models import AuditAction, AuditEvent
from trellis.core.registry import TodayContext
from trellis.episodes.models import Episode, EpisodeStatus
from trellis.programs.models import COUNTS_TOWARD_HOURS_DEFAULT
from trellis.scheduling.models import (
    FeedToken,
    OrganizationClosure,
    RosterChange,
    RosterChangeKind,
    ServiceTypeHours,
    Session,
    SessionSeries,
)

SOURCE_TRACK = "track"
SOURCE_ADDED = "added"
SOURCE_APPOINTMENT = "appointment"


@dataclass
class RosterMember:
    episode: Episode
    source: str
    reason: str = ""

    @property
    def patient(self) -> Any:
        return self.episode.patient


@dataclass
class Roster:
    session: Session
    members: list[RosterMember] = field(default_factory=list)
    excused: list[RosterMember] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.members)

    def __iter__(self):
        return iter(self.members)


def _active(ep: Episode, day: date) -> bool:
    if ep.status == EpisodeStatus.PLANNED or day < ep.admitted_on:
        return False
    return ep.discharged_on is None or day <= ep.discharged_on


def _sort_key(member: RosterMember) -> tuple[str, str]:
    p = member.episode.patient
    return (p.legal_last_name.lower(), p.legal_first_name.lower())


@dataclass(frozen=True, slots=True)
class EpisodeRef:
    """Just enough of an episode to decide roster membership (for counts: no patient rows loaded)."""

    pk: int
    track_id: int | None
    status: str
    admitted_on: date
    discharged_on: date | None


EPISODE_REF_FIELDS = ("pk", "track_id", "status", "admitted_on", "discharged_on")


def rosters_for_sessions(sessions: Sequence[Session], *, with_patients: bool = True) -> dict[int, Roster]:
    """Rosters of many sessions in four queries, whatever the number of sessions or patients.

    ``with_patients=False`` (calendars, counts) loads :class:`EpisodeRef` rows instead of episodes with their
    patients, which keeps the week calendar cheap when tracks are large.
    """
    result = {s.pk: Roster(session=s) for s in sessions}
    if not sessions:
        return result
    ids = [s.pk for s in sessions]
    through = Session.tracks.through
    tracks_of: dict[int, set[int]] = defaultdict(set)
    for session_id, track_id in through.objects.filter(session_id__in=ids).values_list("session_id", "track_id"):
        tracks_of[session_id].add(track_id)
    all_tracks = set().union(*tracks_of.values()) if tracks_of else set()
    lo = min(s.local_date for s in sessions)
    hi = max(s.local_date for s in sessions)
    by_track: dict[int, list[Any]] = defaultdict(list)
    if all_tracks:
        episodes = (
            Episode.objects.filter(track_id__in=all_tracks, admitted_on__lte=hi)
            .exclude(status=EpisodeStatus.PLANNED)
            .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=lo))
        )
        rows = (
            episodes.select_related("patient")
            if with_patients
            else (EpisodeRef(*values) for values in episodes.values_list(*EPISODE_REF_FIELDS))
        )
        for ep in rows:
            by_track[ep.track_id].append(ep)
    changes: dict[int, list[RosterChange]] = defaultdict(list)
    change_qs = RosterChange.objects.filter(session_id__in=ids)
    if with_patients:
        change_qs = change_qs.select_related("episode", "episode__patient")
    for change in change_qs:
        changes[change.session_id].append(change)
    appointment_ids = {s.episode_id for s in sessions if s.episode_id}
    change_episodes: dict[int, Any] = {}
    if not with_patients:
        wanted = appointment_ids | {c.episode_id for cs in changes.values() for c in cs}
        change_episodes = {
            values[0]: EpisodeRef(*values)
            for values in Episode.objects.filter(pk__in=wanted).values_list(*EPISODE_REF_FIELDS)
        } if wanted else {}
        appointments = change_episodes
    else:
        appointments = (
            {e.pk: e for e in Episode.objects.filter(pk__in=appointment_ids).select_related("patient")}
            if appointment_ids
            else {}
        )

    def change_episode(change: RosterChange) -> Any:
        return change.episode if with_patients else change_episodes[change.episode_id]

    for s in sessions:
        roster = result[s.pk]
        if s.episode_id:
            roster.members.append(RosterMember(appointments[s.episode_id], SOURCE_APPOINTMENT))
            continue
        members: dict[int, RosterMember] = {}
        day = s.local_date
        for track_id in tracks_of.get(s.pk, ()):
            for ep in by_track.get(track_id, ()):
                if _active(ep, day):
                    members[ep.pk] = RosterMember(ep, SOURCE_TRACK)
        for change in changes.get(s.pk, ()):
            if change.kind == RosterChangeKind.ADD:
                members[change.episode_id] = RosterMember(change_episode(change), SOURCE_ADDED, change.reason)
            elif change.kind == RosterChangeKind.EXCUSE:
                gone = members.pop(change.episode_id, None)
                roster.excused.append(gone or RosterMember(change_episode(change), SOURCE_TRACK, change.reason))
                roster.excused[-1].reason = change.reason
        roster.members = sorted(members.values(), key=_sort_key) if with_patients else list(members.values())
    return result


def counts_toward_hours() -> dict[str, bool]:
    """Service type → whether its minutes count toward weekly treatment hours. One query."""
    flags = {str(k): v for k, v in COUNTS_TOWARD_HOURS_DEFAULT.items()}
    flags.update(dict(ServiceTypeHours.objects.values_list("service_type", "counts_toward_hours")))
    return flags


def roster_for_session(session: Session) -> Roster:
    return rosters_for_sessions([session])[session.pk]


# --------------------------------------------------------------------------------------------------
# Calendars
# --------------------------------------------------------------------------------------------------


def sessions_for(user: User, capability: str = Cap.SCHEDULE_VIEW) -> QuerySet[Session]:
    return Session.objects.restrict(user, capability).select_related(
        "site", "facilitator", "co_facilitator", "room", "program", "series", "episode", "episode__patient"
    )


def series_for(user: User, capability: str = Cap.SCHEDULE_VIEW) -> QuerySet[SessionSeries]:
    return (
        SessionSeries.objects.restrict(user, capability)
        .select_related("site", "program", "facilitator", "co_facilitator", "room", "episode__patient")
        .prefetch_related("tracks")
    )


@dataclass
class CalendarFilters:
    start: date
    end: date
    site: Any = None
    program: Any = None
    track: Any = None
    staff: Any = None
    room: Any = None
    patient: Any = None
    include_cancelled: bool = True
    kind: str = ""  # "" all, "group", "individual"


@dataclass
class CalendarEntry:
    session: Session
    roster: Roster

    @property
    def count(self) -> int:
        return len(self.roster.members)

    @property
    def capacity(self) -> int | None:
        return self.session.effective_capacity

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.count >= self.capacity


@dataclass
class CalendarDay:
    date: date
    entries: list[CalendarEntry]


def calendar(
    user: User, filters: CalendarFilters, *, max_sessions: int = 2000, with_patients: bool = False
) -> list[CalendarDay]:
    """Sessions for a date range, grouped by site-local day, with their rosters. Constant query count."""
    qs = sessions_for(user).filter(local_date__gte=filters.start, local_date__lte=filters.end)
    if filters.site is not None:
        qs = qs.filter(site=filters.site)
    if filters.program is not None:
        qs = qs.filter(program=filters.program)
    if filters.track is not None:
        qs = qs.filter(Q(tracks=filters.track) | Q(episode__track=filters.track)).distinct()
    if filters.staff is not None:
        qs = qs.filter(Q(facilitator=filters.staff) | Q(co_facilitator=filters.staff))
    if filters.room is not None:
        qs = qs.filter(room=filters.room)
    if not filters.include_cancelled:
        qs = qs.exclude(status="cancelled")
    if filters.kind == "group":
        qs = qs.filter(episode__isnull=True)
    elif filters.kind == "individual":
        qs = qs.filter(episode__isnull=False)
    if filters.patient is not None:
        ids = [s.pk for s in sessions_for_episodes(
            list(Episode.objects.filter(patient=filters.patient)), filters.start, filters.end
        )]
        qs = qs.filter(pk__in=ids)
    sessions = list(qs.order_by("starts_at", "title")[:max_sessions])
    rosters = rosters_for_sessions(sessions, with_patients=with_patients)
    by_day: dict[date, list[CalendarEntry]] = defaultdict(list)
    for s in sessions:
        by_day[s.local_date].append(CalendarEntry(s, rosters[s.pk]))
    days = []
    d = filters.start
    while d <= filters.end:
        days.append(CalendarDay(d, by_day.get(d, [])))
        d += timedelta(days=1)
    return days


def closures_between(organization: Any, start: date, end: date, site: Any = None) -> list[OrganizationClosure]:
    qs = OrganizationClosure.objects.filter(organization=organization, date__gte=start, date__lte=end)
    if site is not None:
        qs = qs.filter(Q(site=site) | Q(site__isnull=True))
    return list(qs.select_related("site"))


# --------------------------------------------------------------------------------------------------
# A patient's sessions (used by the ledger)
# --------------------------------------------------------------------------------------------------


#: The fields the treatment-hours ledger reads from a session: loading only these (and the site's zone) keeps
#: the weekly computation for thousands of episodes from instantiating staff and room rows it never uses.
LEDGER_SESSION_FIELDS = ("pk", "series_id", "site_id", "program_id", "episode_id", "title", "service_type",
                         "starts_at", "ends_at", "local_date", "status", "break_minutes", "site__time_zone")


def sessions_for_episodes(episodes: Sequence[Any], start: date, end: date, *, lean: bool = False) -> list[Session]:
    """Sessions on the rosters of ``episodes`` with local dates in ``[start, end]``. Bounded: 5 queries.

    Each returned session carries ``roster_episode_ids`` — which of the given episodes it is for.
    ``episodes`` may be Episode instances or :class:`EpisodeRef` rows.
    """
    if not episodes:
        return []
    ep_ids = [e.pk for e in episodes]
    track_ids = {e.track_id for e in episodes if e.track_id}
    in_range = {"local_date__gte": start, "local_date__lte": end}
    through = Session.tracks.through
    tracks_of: dict[int, set[int]] = defaultdict(set)
    if track_ids:
        for session_id, track_id in through.objects.filter(
            track_id__in=track_ids, session__episode__isnull=True,
            session__local_date__gte=start, session__local_date__lte=end,
        ).values_list("session_id", "track_id"):
            tracks_of[session_id].add(track_id)
    changes: dict[tuple[int, int], str] = {}
    for session_id, episode_id, kind in RosterChange.objects.filter(
        episode_id__in=ep_ids, session__local_date__gte=start, session__local_date__lte=end
    ).values_list("session_id", "episode_id", "kind"):
        changes[(session_id, episode_id)] = kind
    ids = set(tracks_of) | {sid for sid, _ in changes}
    query = Session.objects.filter(Q(pk__in=ids) | Q(episode_id__in=ep_ids), **in_range)
    query = (query.select_related("site").only(*LEDGER_SESSION_FIELDS) if lean
             else query.select_related("site", "facilitator", "room"))
    sessions = {s.pk: s for s in query}
    if not sessions:
        return []
    by_track: dict[int, list[Any]] = defaultdict(list)
    for ep in episodes:
        if ep.track_id:
            by_track[ep.track_id].append(ep)
    added: dict[int, set[int]] = defaultdict(set)
    excused: dict[int, set[int]] = defaultdict(set)
    for (session_id, episode_id), kind in changes.items():
        (added if kind == RosterChangeKind.ADD else excused)[session_id].add(episode_id)
    out = []
    for s in sorted(sessions.values(), key=lambda x: x.starts_at):
        if s.episode_id is not None:
            members = {s.episode_id}
        else:
            members = {
                ep.pk for track_id in tracks_of.get(s.pk, ()) for ep in by_track.get(track_id, ())
                if _active(ep, s.local_date)
            }
            members = (members | added.get(s.pk, set())) - excused.get(s.pk, set())
        if members:
            s.roster_episode_ids = members
            out.append(s)
    return out


FEED_AUDIT_TYPE = "ical_feed"  # object_type of the EXPORT event written on every feed fetch


def feed_tokens_of(user: User) -> list[FeedToken]:
    """The user's calendar links, each with ``last_used_at``: when a calendar last fetched it, read from the audit
    trail (every fetch is an EXPORT event), so that fetching the feed writes nothing else. Two queries."""
    tokens = list(FeedToken.objects.filter(user=user).order_by("-created_at"))
    last_use = dict(
        AuditEvent.objects.filter(actor=user, action=AuditAction.EXPORT, object_type=FEED_AUDIT_TYPE,
                                  object_id__in=[str(t.public_id) for t in tokens])
        .values("object_id").annotate(last=Max("occurred_at")).values_list("object_id", "last")
    ) if tokens else {}
    for t in tokens:
        t.last_used_at = last_use.get(str(t.public_id))  # type: ignore[attr-defined]
    return tokens


def find_feed_token(secret: str) -> FeedToken | None:
    if not secret or len(secret) > 100:
        return None
    return (
        FeedToken.objects.filter(token_hash=FeedToken.hash_secret(secret), revoked_at__isnull=True)
        .select_related("user")
        .first()
    )


def staff_feed_sessions(user: User, start: date, end: date) -> list[Session]:
    return list(
        Session.objects.filter(Q(facilitator=user) | Q(co_facilitator=user), local_date__gte=start, local_date__lte=end)
        .select_related("site", "room", "episode__patient")
        .order_by("starts_at")
    )


def staff_choices(sites: Iterable[Any]) -> QuerySet[Any]:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(memberships__site__in=list(sites), is_active=True).distinct().order_by(
        "full_name"
    )


def today_sessions(user: User, ctx: TodayContext) -> dict[str, Any]:
    """The sessions this user facilitates today at the sites in view (Today's first card)."""
    sessions = list(
        Session.objects.filter(
            Q(facilitator=user) | Q(co_facilitator=user), local_date=ctx.day, site__in=ctx.sites
        )
        .select_related("room", "site", "program")
        .order_by("starts_at")[:20]
    )
    return {"sessions": sessions}
