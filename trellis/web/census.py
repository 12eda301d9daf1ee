"""The census: active patients at my sites (or my caseload) by program and track, the list a clinician works from.

Lives in ``web`` because it composes several apps (patients, episodes, programs, attendance); each app stays
ignorant of the page. Reads are scoped to the user's sites (and the working site), paginated in the database,
and take a constant number of queries whatever the census size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q
from django.utils import timezone

from trellis.accounts.capabilities import Cap
from trellis.attendance.selectors import treatment_hours_for_episodes
from trellis.episodes.models import Episode, EpisodeStatus
from trellis.patients.models import PatientFlag
from trellis.programs.models import Program, Track

PAGE_SIZE = 25

SORTS: dict[str, tuple[str, ...]] = {
    "name": ("patient__legal_last_name", "patient__legal_first_name", "pk"),
    "admitted": ("admitted_on", "pk"),
    "program": ("program__name", "track__name", "patient__legal_last_name", "pk"),
    "clinician": ("primary_clinician__full_name", "patient__legal_last_name", "pk"),
}


@dataclass(frozen=True)
class CensusFilters:
    caseload: bool = False
    program: str = ""  # public id
    track: str = ""  # public id
    flagged: bool = False
    sort: str = "name"
    descending: bool = False
    page: int = 1


@dataclass(frozen=True)
class HoursCell:
    attended_minutes: int
    target_minutes: int
    monday: date
    partial_week: bool  # admitted during this week: not a failure to meet the target

    @property
    def below(self) -> bool:
        return self.attended_minutes < self.target_minutes and not self.partial_week


@dataclass
class CensusRow:
    episode: Episode
    hours: HoursCell | None
    flags: list[PatientFlag] = field(default_factory=list)


@dataclass
class Census:
    rows: list[CensusRow]
    page: Page
    programs: list[Program]
    tracks: list[Track]


def week_hours(episodes: list[Episode]) -> dict[int, HoursCell]:
    """This (site-local ISO) week's attended minutes against the program's weekly target, per episode.

    The one place the census asks for hours: the compliance engine can replace this function with its own
    counted-hours rule (issue 11 item 8) without touching the page. Bounded: one ledger read per distinct week
    (one, unless the user's sites span a date line)."""
    by_monday: dict[date, list[Episode]] = defaultdict(list)
    for episode in episodes:
        today = timezone.now().astimezone(episode.program.site.zone).date()
        by_monday[today - timedelta(days=today.weekday())].append(episode)
    cells: dict[int, HoursCell] = {}
    for monday, group in by_monday.items():
        ledgers = treatment_hours_for_episodes(group, monday, monday + timedelta(days=6))
        for episode in group:
            weeks = ledgers[episode.pk].weeks
            cells[episode.pk] = HoursCell(
                attended_minutes=weeks[0].attended_minutes if weeks else 0,
                target_minutes=int(episode.program.weekly_hours_min * 60),
                monday=monday,
                partial_week=episode.admitted_on > monday,
            )
    return cells


def census(user: Any, filters: CensusFilters, *, site: Any = None) -> Census:
    """Active episodes the user may see, filtered, sorted and paginated (a constant number of queries)."""
    episodes = Episode.objects.restrict(user, Cap.PATIENT_VIEW).filter(status=EpisodeStatus.ACTIVE)
    programs = Program.objects.restrict(user, Cap.PATIENT_VIEW)
    if site is not None:
        episodes = episodes.filter(program__site=site)
        programs = programs.filter(site=site)
    if filters.caseload:
        episodes = episodes.filter(Q(primary_clinician=user) | Q(case_manager=user) | Q(prescriber=user))
    if filters.program:
        episodes = episodes.filter(program__public_id=filters.program)
    if filters.track:
        episodes = episodes.filter(track__public_id=filters.track)
    if filters.flagged:
        episodes = episodes.filter(patient__flags__active=True).distinct()
    order = SORTS.get(filters.sort, SORTS["name"])
    if filters.descending:
        order = tuple(f"-{name}" for name in order)
    episodes = episodes.select_related(
        "patient", "program", "program__site", "track", "primary_clinician"
    ).prefetch_related(
        Prefetch("patient__flags", queryset=PatientFlag.objects.filter(active=True).order_by("kind"),
                 to_attr="active_flags")
    ).order_by(*order)
    page = Paginator(episodes, PAGE_SIZE).get_page(filters.page)
    shown = list(page.object_list)
    hours = week_hours(shown)
    program_list = list(programs.filter(active=True).order_by("name"))
    tracks = list(Track.objects.filter(program__in=program_list, active=True).select_related("program")
                  .order_by("program__name", "name"))
    return Census(
        rows=[CensusRow(e, hours.get(e.pk), list(getattr(e.patient, "active_flags", []))) for e in shown],
        page=page, programs=program_list, tracks=tracks,
    )
