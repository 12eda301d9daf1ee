"""Demo programs, tracks, rooms and episodes of care."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from trellis.accounts.models import Role
from trellis.core.demo import DemoContext
from trellis.programs.models import (
    DischargeType,
    Episode,
    EpisodeStatus,
    LevelOfCare,
    Population,
    Program,
    Room,
    Track,
    TrackKind,
)

# Weekly hour ranges follow common payer/CMS expectations: PHP >= 20 h/week (42 CFR 410.43(c)(1));
# IOP 9-19 h/week (CMS CY2024 OPPS final rule, IOP at least 9 h/week; ASAM Level 2.1: 9+ h adults, 6+ adolescents).
PROGRAMS = [
    # site idx, name, level, population, model, days, min h, max h, certification, part2, tracks
    (0, "Adult Partial Hospitalization", LevelOfCare.PHP, Population.ADULT, "CBT and DBT skills", 5, "20", "30",
     True, False, [("Mood & Anxiety", TrackKind.GENERAL), ("Trauma Recovery", TrackKind.TRAUMA)]),
    (0, "Adult Intensive Outpatient", LevelOfCare.IOP, Population.ADULT, "CBT, co-occurring", 3, "9", "19",
     True, True, [("Co-occurring Recovery", TrackKind.CO_OCCURRING), ("Daytime IOP", TrackKind.GENERAL)]),
    (1, "Adolescent Intensive Outpatient", LevelOfCare.IOP, Population.ADOLESCENT, "DBT-A, family-based", 3, "6",
     "12", False, False, [("Adolescent After-school", TrackKind.ADOLESCENT)]),
    (2, "Evening Intensive Outpatient", LevelOfCare.IOP, Population.ADULT, "Trauma-informed CBT", 3, "9", "12",
     False, False, [("Evening IOP", TrackKind.EVENING)]),
]

ACTIVE_CAP = 14  # the largest group room holds 14
DEMO_DISCHARGE_TYPES = [DischargeType.COMPLETED, DischargeType.COMPLETED, DischargeType.STEP_DOWN,
                        DischargeType.AMA, DischargeType.NO_SHOW]

ROOMS = [
    (0, [("Willow Group Room", 14), ("Birch Group Room", 12), ("Office 101", 3), ("Office 102", 3),
         ("Nursing Station", 2)]),
    (1, [("Riverside Group Room", 12), ("Family Room", 6), ("Office R1", 3)]),
    (2, [("Lakeview Group Room", 14), ("Office L1", 3)]),
]


def seed(ctx: DemoContext) -> None:
    rng = ctx.rng
    programs: list[Program] = []
    tracks: list[Track] = []
    for (si, name, level, pop, model, days, lo, hi, cert, part2, track_specs) in PROGRAMS:
        program = Program.objects.create(
            organization=ctx.org, site=ctx.sites[si], name=name, level_of_care=level, population=pop,
            clinical_model=model, days_per_week=days, weekly_hours_min=Decimal(lo), weekly_hours_max=Decimal(hi),
            requires_certification=cert, is_part2=part2,
        )
        programs.append(program)
        for tname, kind in track_specs:
            tracks.append(Track.objects.create(program=program, name=tname, kind=kind))
    rooms = []
    for si, specs in ROOMS:
        for rname, cap in specs:
            rooms.append(Room.objects.create(site=ctx.sites[si], name=rname, capacity=cap))
    ctx.extra["programs"] = programs
    ctx.extra["tracks"] = tracks
    ctx.extra["rooms"] = rooms

    therapists = ctx.staff.get(Role.THERAPIST, [])
    prescribers = ctx.staff.get(Role.PRESCRIBER, [])
    case_managers = ctx.staff.get(Role.CASE_MANAGER, [])
    tracks_by_site: dict[int, list[Track]] = {}
    for t in tracks:
        tracks_by_site.setdefault(t.program.site_id, []).append(t)
    from trellis.accounts.models import SiteMembership

    therapist_sites: dict[int, list] = {}
    for m in SiteMembership.objects.filter(user__in=therapists, role=Role.THERAPIST):
        therapist_sites.setdefault(m.site_id, []).append(next(u for u in therapists if u.pk == m.user_id))
    history_days = max(ctx.weeks, 1) * 7
    # Census stays realistic at any --patients: a track runs groups of at most ACTIVE_CAP patients, and about
    # that many more turn over inside the demo window. Everyone else is a past patient whose episode ended
    # before the window (the registry of a program that has run for years), so rosters never balloon.
    turnover_cap = ACTIVE_CAP * max(1, history_days // 30)
    active_count: dict[int, int] = {}
    window_count: dict[int, int] = {}
    episodes: list[Episode] = []
    for patient in ctx.patients:
        roll = rng.random()
        if roll < 0.10:
            continue  # not admitted yet: referrals/intake in progress
        site_tracks = tracks_by_site[patient.primary_site_id]
        age = patient.age_on(ctx.today)
        candidates = [t for t in site_tracks if (t.program.population == Population.ADOLESCENT) == (age < 18)]
        track = rng.choice(candidates or site_tracks)
        program = track.program
        status, discharged, dtype = EpisodeStatus.ACTIVE, None, ""
        if roll <= 0.82 and active_count.get(track.pk, 0) < ACTIVE_CAP:
            active_count[track.pk] = active_count.get(track.pk, 0) + 1
            admitted = ctx.today - timedelta(days=rng.randint(3, history_days + 20))
        else:
            status = EpisodeStatus.DISCHARGED
            dtype = rng.choice(DEMO_DISCHARGE_TYPES)
            if window_count.get(track.pk, 0) < turnover_cap:
                window_count[track.pk] = window_count.get(track.pk, 0) + 1
                admitted = ctx.today - timedelta(days=rng.randint(12, history_days + 20))
                discharged = min(ctx.today - timedelta(days=1), admitted + timedelta(days=rng.randint(10, 40)))
            else:
                admitted = ctx.today - timedelta(days=history_days + 60 + rng.randint(0, 3 * 365))
                discharged = admitted + timedelta(days=rng.randint(14, 45))
        site_therapists = therapist_sites.get(program.site_id) or therapists
        episodes.append(
            Episode(
                patient=patient, program=program, track=track, status=status, admitted_on=admitted,
                discharged_on=discharged, discharge_type=dtype, recommended_level=program.level_of_care,
                authorized_level=program.level_of_care,
                primary_clinician=rng.choice(site_therapists) if site_therapists else None,
                prescriber=rng.choice(prescribers) if prescribers else None,
                case_manager=rng.choice(case_managers) if case_managers else None,
            )
        )
    Episode.objects.bulk_create(episodes, batch_size=2000)
    active = sum(1 for e in episodes if e.status == EpisodeStatus.ACTIVE)
    ctx.say(f"{len(programs)} programs, {len(tracks)} tracks, {len(rooms)} rooms; {len(episodes)} episodes "
            f"({active} active).")
