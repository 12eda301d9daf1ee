"""Demo schedule: a full weekly timetable per track, holidays, individual appointments and a few one-off changes.

Weekly hours (site-local, America/New_York):
* Adult PHP (Main Campus), both tracks, Mon–Fri: nursing check-in 30 min + process group 90 + skills 60 +
  psychoeducation 60 + CBT/trauma group 90 = 5.5 h/day of groups (27.5 h/week), plus weekly individual therapy
  (53 min) and medication management (25 min): ~29 h/week, inside the program's 20–30 h range.
* Adult IOP (Main Campus): Co-occurring Mon/Wed/Fri 17:00–20:00 in person; Daytime IOP by telehealth Tue/Thu
  15:45–18:45 and Sat 09:00–12:00 — 3 days × 3 h = 9 h/week.
* Adolescent IOP (Riverside): Mon/Tue/Thu 15:30–18:30 after school.
* Evening IOP (Lakeview): Mon/Tue/Thu 18:00–21:00 (23:00–02:00 UTC: crosses midnight UTC).

Occurrences run from the Monday ``ctx.weeks`` weeks before ``ctx.today`` to four weeks after it. Individual
appointments are placed in each clinician's free hours (no double booking) and bulk-inserted.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from trellis.accounts.models import Role, SiteMembership
from trellis.core.demo import DemoContext
from trellis.core.errors import DomainError
from trellis.episodes.models import Episode, EpisodeStatus
from trellis.programs.models import LevelOfCare, Program, Room, ServiceType, Track
from trellis.scheduling import services
from trellis.scheduling.models import Session, SessionSeries, SessionStatus
from trellis.scheduling.recurrence import local_to_utc

MON_FRI = [0, 1, 2, 3, 4]

# track name -> list of (weekdays, start, end, title, service type, staff key, co-staff key, room name or None)
# Staff keys name demo users by e-mail local part (trellis/accounts/demo.py).
SCHEDULE: dict[str, list[tuple]] = {
    "Mood & Anxiety": [
        (MON_FRI, "09:30", "11:00", "Process group", "group_psychotherapy", "priya.natarajan", None, "Willow Group Room"),
        (MON_FRI, "11:15", "12:15", "DBT skills", "skills_group", "grace.mensah", None, "Willow Group Room"),
        (MON_FRI, "14:00", "15:30", "CBT for mood and anxiety", "group_psychotherapy", "marcus.bell", None,
         "Willow Group Room"),
    ],
    "Trauma Recovery": [
        (MON_FRI, "09:30", "11:00", "Trauma process group", "group_psychotherapy", "marcus.bell", None,
         "Birch Group Room"),
        (MON_FRI, "11:15", "12:15", "Seeking Safety skills", "skills_group", "chris.morgan", None, "Birch Group Room"),
        (MON_FRI, "14:00", "15:30", "CPT-informed group", "group_psychotherapy", "priya.natarajan", None,
         "Birch Group Room"),
    ],
    "Co-occurring Recovery": [
        ([0, 2, 4], "17:00", "18:00", "Co-occurring process group", "group_psychotherapy", "chris.morgan", None,
         "Birch Group Room"),
        ([0, 2, 4], "18:00", "19:00", "Relapse prevention skills", "skills_group", "grace.mensah", None,
         "Birch Group Room"),
        ([0, 2, 4], "19:00", "20:00", "Recovery psychoeducation", "psychoeducation", "marcus.bell",
         "imani.brooks", "Birch Group Room"),
    ],
    "Daytime IOP": [
        ([1, 3], "15:45", "16:45", "Virtual process group", "group_psychotherapy", "priya.natarajan", None, None),
        ([1, 3], "16:45", "17:45", "Virtual CBT skills", "skills_group", "grace.mensah", None, None),
        ([1, 3], "17:45", "18:45", "Virtual wellness education", "psychoeducation", "imani.brooks", None, None),
        ([5], "09:00", "12:00", "Saturday virtual IOP", "group_psychotherapy", "chris.morgan", None, None),
    ],
    "Adolescent After-school": [
        ([0, 1, 3], "15:30", "16:30", "DBT-A skills", "skills_group", "leo.fischer", None, "Riverside Group Room"),
        ([0, 1, 3], "16:30", "17:30", "Teen process group", "group_psychotherapy", "hannah.cho", None,
         "Riverside Group Room"),
        ([0, 1, 3], "17:30", "18:30", "Family skills psychoeducation", "psychoeducation", "samuel.reyes",
         "leo.fischer", "Riverside Group Room"),
    ],
    "Evening IOP": [
        ([0, 1, 3], "18:00", "19:30", "Evening process group", "group_psychotherapy", "tomas.alvarez", None,
         "Lakeview Group Room"),
        ([0, 1, 3], "19:30", "21:00", "Evening skills and psychoeducation", "skills_group", "tomas.alvarez", None,
         "Lakeview Group Room"),
    ],
}
# Sessions several tracks of one program attend together.
SHARED = [
    (("Mood & Anxiety", "Trauma Recovery"), MON_FRI, "09:00", "09:30", "Morning check-in", "nursing_check_in",
     "rosa.delgado", None, "Willow Group Room"),
    (("Mood & Anxiety", "Trauma Recovery"), MON_FRI, "12:45", "13:45", "Wellness and recovery education",
     "psychoeducation", "imani.brooks", "kevin.park", "Willow Group Room"),
]


def _t(text: str) -> time:
    return time.fromisoformat(text)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    d = date(year, month, 1)
    d += timedelta(days=(weekday - d.weekday()) % 7)
    return d + timedelta(weeks=n - 1)


def _last_weekday(year: int, month: int, weekday: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return d - timedelta(days=(d.weekday() - weekday) % 7)


def us_holidays(year: int) -> list[tuple[date, str]]:
    """Federal holidays programs commonly close for (5 U.S.C. 6103), on their actual dates."""
    return [
        (date(year, 1, 1), "New Year's Day"),
        (_nth_weekday(year, 1, 0, 3), "Martin Luther King Jr. Day"),
        (_last_weekday(year, 5, 0), "Memorial Day"),
        (date(year, 6, 19), "Juneteenth"),
        (date(year, 7, 4), "Independence Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (_nth_weekday(year, 11, 3, 4), "Thanksgiving Day"),
        (date(year, 12, 25), "Christmas Day"),
    ]


def seed(ctx: DemoContext) -> None:
    tracks: list[Track] = ctx.extra.get("tracks") or list(Track.objects.select_related("program__site"))
    rooms: list[Room] = ctx.extra.get("rooms") or list(Room.objects.all())
    by_email: dict[str, Any] = {u.email.split("@")[0]: u for users in ctx.staff.values() for u in users}
    by_email.update({k: v for k, v in (ctx.extra.get("staff_by_email") or {}).items()})
    director = next(iter(ctx.staff.get(Role.PROGRAM_DIRECTOR, [])), None)
    start = ctx.today - timedelta(days=ctx.today.weekday() + 7 * max(ctx.weeks, 0))
    through = ctx.today + timedelta(days=28)

    # Holidays first: generation then creates those dates' occurrences already cancelled with the reason.
    closures = 0
    for year in sorted({start.year, through.year}):
        for day, name in us_holidays(year):
            if start <= day <= through:
                services.create_closure(user=director, organization=ctx.org, on=day, reason=name)
                closures += 1
    if len(ctx.sites) > 1:
        training = start + timedelta(days=9)  # a past Wednesday at Riverside
        if training < ctx.today:
            services.create_closure(user=director, organization=ctx.org, on=training, reason="Staff training day",
                                    site=ctx.sites[1])
            closures += 1

    unit_of = ctx.extra.get("unit_of_program") or {}
    unit_staff = ctx.extra.get("unit_staff") or {}
    room_by_name = {(r.site_id, r.name): r for r in rooms}
    made, skipped = 0, 0
    plans = [((name,), *spec) for name, specs in SCHEDULE.items() for spec in specs] + list(SHARED)
    track_by_name = {t.name: t for t in tracks if unit_of.get(t.program_id, 1) == 1}
    made, skipped = _series(ctx, plans, track_by_name, by_email, room_by_name, "", director, start, through)
    if len(set(unit_of.values())) > 1:
        # Scale units copy unit 1's timetable with their own staff and rooms (so nobody is double-booked): cloned
        # in bulk rather than through create_series, which checks conflicts one series at a time.
        made += _clone_units(tracks, rooms, unit_of, unit_staff, by_email)

    appointments = _appointments(ctx, start, through, by_email)
    _one_off_changes(ctx, director)
    ctx.extra["schedule_range"] = (start, through)
    ctx.say(f"{made} recurring series ({skipped} skipped), {closures} closures, {appointments} individual "
            f"appointments, {Session.objects.count()} sessions from {start} to {through}.")


def _series(ctx: DemoContext, plans: list, track_by_name: dict[str, Track], by_email: dict[str, Any],
            room_by_name: dict[tuple[int, str], Room], suffix: str, director: Any, start: date,
            through: date) -> tuple[int, int]:
    made = skipped = 0
    for names, weekdays, st, en, title, service, fac_key, co_key, room_name in plans:
        group = [track_by_name[n] for n in names if n in track_by_name]
        facilitator = by_email.get(fac_key)
        if not group or facilitator is None:
            skipped += 1
            continue
        program = group[0].program
        site = program.site
        telehealth = room_name is None
        try:
            services.create_series(
                user=director or facilitator, site=site, program=program, tracks=group, title=title,
                topic="", service_type=service, modality="telehealth" if telehealth else "in_person",
                weekdays=weekdays, start_time=_t(st), end_time=_t(en), starts_on=start, facilitator=facilitator,
                co_facilitator=by_email.get(co_key) if co_key else None,
                room=room_by_name.get((site.pk, room_name + suffix)) if room_name else None,
                capacity=12 if telehealth else None, allow_past=True, through=through,
            )
            made += 1
        except DomainError as error:  # a clash in edited demo data: leave that series out, keep going
            ctx.say(f"  schedule: skipped “{title}”: {error.message}")
            skipped += 1
    return made, skipped


def _appointments(ctx: DemoContext, start: date, through: date, by_email: dict[str, Any]) -> int:
    """Weekly individual therapy for everyone; weekly med management in PHP, every other week in IOP.

    Slots are taken from each clinician's free time (group sessions already block theirs), 08:00–17:00 on
    weekdays, so no clinician is double-booked. At large patient counts clinicians run out of slots and the
    remaining patients simply have no individual appointment that week.
    """
    rng = ctx.rng
    episodes = list(
        Episode.objects.exclude(status=EpisodeStatus.PLANNED)
        .filter(admitted_on__lte=through)
        .select_related("program__site", "primary_clinician", "prescriber")
        .order_by("pk")
    )
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for fac, co, s, e in Session.objects.filter(local_date__gte=start, local_date__lte=through,
                                                status=SessionStatus.SCHEDULED).values_list(
        "facilitator_id", "co_facilitator_id", "starts_at", "ends_at"
    ):
        busy[fac].append((s, e))
        if co:
            busy[co].append((s, e))
    therapists_by_site: dict[int, list[Any]] = defaultdict(list)

    for m in SiteMembership.objects.filter(role=Role.THERAPIST).select_related("user"):
        therapists_by_site[m.site_id].append(m.user)
    prescribers_by_site: dict[int, list[Any]] = defaultdict(list)
    for m in SiteMembership.objects.filter(role=Role.PRESCRIBER).select_related("user"):
        prescribers_by_site[m.site_id].append(m.user)

    slots: dict[tuple[int, date], list[int]] = {}
    tz_of = {ep.program.site_id: ep.program.site.zone for ep in episodes}

    def free_hours(user_id: int, site_id: int, day: date) -> list[int]:
        key = (user_id, day)
        if key not in slots:
            zone = tz_of[site_id]
            hours = []
            for hour in range(8, 17):
                s = local_to_utc(day, time(hour, 0), zone)
                e = s + timedelta(hours=1)
                if all(not (s < be and bs < e) for bs, be in busy[user_id]):
                    hours.append(hour)
            slots[key] = hours
        return slots[key]

    rows: list[Session] = []
    weeks = (through - start).days // 7 + 1
    for w in range(weeks):
        monday = start + timedelta(weeks=w)
        for ep in episodes:
            site = ep.program.site
            end_of_care = ep.discharged_on or through
            wanted = [("individual_therapy", 53, ep.primary_clinician or _pick(rng, therapists_by_site[site.pk]))]
            php = ep.program.level_of_care == LevelOfCare.PHP
            if php or w % 2 == ep.pk % 2:
                wanted.append(("medication_management", 25, ep.prescriber or _pick(rng, prescribers_by_site[site.pk])))
            if ep.program.population == "adolescent" and w % 2 == 0:
                wanted.append(("family_therapy", 50, ep.primary_clinician or _pick(rng, therapists_by_site[site.pk])))
            for service, minutes, clinician in wanted:
                if clinician is None:
                    continue
                for offset in rng.sample(range(5), 5):
                    day = monday + timedelta(days=offset)
                    if day < ep.admitted_on or day > end_of_care or day > through:
                        continue
                    hours = free_hours(clinician.pk, site.pk, day)
                    if not hours:
                        continue
                    hour = hours.pop(rng.randrange(len(hours)))
                    s = local_to_utc(day, time(hour, 0), site.zone)
                    rows.append(Session(
                        site=site, program=ep.program, episode=ep, title=_label(service), service_type=service,
                        modality="telehealth" if rng.random() < 0.15 else "in_person",
                        starts_at=s, ends_at=s + timedelta(minutes=minutes), local_date=day,
                        facilitator=clinician, capacity=1,
                    ))
                    break
    Session.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _label(service: str) -> str:
    return str(ServiceType(service).label)


def _pick(rng: Any, items: list[Any]) -> Any:
    return rng.choice(items) if items else None


def _one_off_changes(ctx: DemoContext, user: Any) -> None:
    """A cancelled and a re-staffed occurrence in the coming two weeks (so the calendar shows them)."""
    upcoming = list(
        Session.objects.filter(series__isnull=False, status=SessionStatus.SCHEDULED, local_date__gt=ctx.today,
                               local_date__lte=ctx.today + timedelta(days=14))
        .select_related("site").order_by("starts_at")[:60]
    )
    if len(upcoming) < 13:
        return
    with contextlib.suppress(DomainError):
        services.cancel_session(session=upcoming[5], user=user, reason="Facilitator out sick")
    subs = ctx.staff.get(Role.THERAPIST, [])
    for candidate in subs:
        try:
            services.restaff_session(session=upcoming[12], user=user, facilitator=candidate,
                                     reason="Covering for planned leave")
            break
        except DomainError:
            continue


def _clone_units(tracks: list[Track], rooms: list[Room], unit_of: dict[int, int], unit_staff: dict[int, dict],
                 by_email: dict[str, Any]) -> int:
    local_of = {u.pk: key for key, u in by_email.items()}
    programs = {p.pk: p for p in Program.objects.filter(pk__in=set(unit_of))}
    base = {pk: p.name.split(" · Unit ")[0] for pk, p in programs.items()}
    program_of = {(unit_of[pk], base[pk]): p for pk, p in programs.items()}
    track_of = {(t.program_id, t.name): t for t in tracks}
    room_of = {(r.site_id, r.name): r for r in rooms}
    originals = list(SessionSeries.objects.filter(program_id__in=[pk for pk, u in unit_of.items() if u == 1])
                     .prefetch_related("tracks"))
    occurrences: dict[int, list[Session]] = defaultdict(list)
    for occ in Session.objects.filter(series__in=originals):
        occurrences[occ.series_id].append(occ)
    session_tracks: dict[int, list[int]] = defaultdict(list)
    for sid, tid in Session.tracks.through.objects.filter(session__series__in=originals).values_list(
            "session_id", "track_id"):
        session_tracks[sid].append(tid)
    track_by_pk = {t.pk: t for t in tracks}
    made = 0
    for unit in sorted(set(unit_of.values()) - {1}):
        staff = unit_staff.get(unit, {})
        suffix = f" · Unit {unit}"

        def person(user_id: int | None, staff: dict = staff) -> Any:
            if user_id is None:
                return None
            return staff.get(local_of.get(user_id, ""))

        def room(room: Any, suffix: str = suffix) -> Any:
            return room_of.get((room.site_id, room.name + suffix)) if room is not None else None

        pairs = []
        for series in originals:
            program = program_of[(unit, base[series.program_id])]
            fac = person(series.facilitator_id)
            if fac is None:
                continue
            clone = SessionSeries(
                site_id=series.site_id, program=program, title=series.title, topic=series.topic,
                service_type=series.service_type, modality=series.modality, weekdays=series.weekdays,
                start_time=series.start_time, end_time=series.end_time, starts_on=series.starts_on,
                ends_on=series.ends_on, facilitator=fac, co_facilitator=person(series.co_facilitator_id),
                room=room(series.room), capacity=series.capacity, break_minutes=series.break_minutes,
                generated_through=series.generated_through,
            )
            pairs.append((series, clone))
        SessionSeries.objects.bulk_create([c for _, c in pairs], batch_size=1000)
        series_tracks, sessions, origin = [], [], []
        for series, clone in pairs:
            program = clone.program
            for t in series.tracks.all():
                series_tracks.append(SessionSeries.tracks.through(sessionseries_id=clone.pk,
                                                                  track_id=track_of[(program.pk, t.name)].pk))
            for occ in occurrences[series.pk]:
                sessions.append(Session(
                    series=clone, occurrence_date=occ.occurrence_date, site_id=occ.site_id, program=program,
                    title=occ.title, topic=occ.topic, service_type=occ.service_type, modality=occ.modality,
                    starts_at=occ.starts_at, ends_at=occ.ends_at, local_date=occ.local_date,
                    facilitator=clone.facilitator, co_facilitator=clone.co_facilitator, room=clone.room,
                    capacity=occ.capacity, status=occ.status, cancel_reason=occ.cancel_reason,
                    closure_id=occ.closure_id, break_minutes=occ.break_minutes,
                ))
                origin.append((occ.pk, program.pk))
        SessionSeries.tracks.through.objects.bulk_create(series_tracks, batch_size=2000)
        Session.objects.bulk_create(sessions, batch_size=2000)
        Session.tracks.through.objects.bulk_create([
            Session.tracks.through(session_id=new.pk, track_id=track_of[(program_id, track_by_pk[tid].name)].pk)
            for new, (old_id, program_id) in zip(sessions, origin, strict=True) for tid in session_tracks[old_id]
        ], batch_size=2000)
        made += len(pairs)
    return made
