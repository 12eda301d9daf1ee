"""Demo programs, tracks and rooms."""

from __future__ import annotations

from decimal import Decimal

from trellis.core.demo import DemoContext
from trellis.programs.models import LevelOfCare, Population, Program, Room, Track, TrackKind

# Weekly hour ranges follow common payer/CMS expectations: PHP >= 20 h/week (42 CFR 410.43(c)(1));
# IOP 9-19 h/week (CMS CY2024 OPPS final rule, IOP at least 9 h/week; ASAM Level 2.1: 9+ h adults, 6+ adolescents).
PROGRAMS = [
    # site idx, name, level, population, model, days, min h, max h, certification, part2, tracks, ASAM level
    (0, "Adult Partial Hospitalization", LevelOfCare.PHP, Population.ADULT, "CBT and DBT skills", 5, "20", "30",
     True, False, [("Mood & Anxiety", TrackKind.GENERAL), ("Trauma Recovery", TrackKind.TRAUMA)], ""),
    (0, "Adult Intensive Outpatient", LevelOfCare.IOP, Population.ADULT, "CBT, co-occurring", 3, "9", "19",
     True, True, [("Co-occurring Recovery", TrackKind.CO_OCCURRING), ("Daytime IOP", TrackKind.GENERAL)], "2.1"),
    (1, "Adolescent Intensive Outpatient", LevelOfCare.IOP, Population.ADOLESCENT, "DBT-A, family-based", 3, "6",
     "12", False, False, [("Adolescent After-school", TrackKind.ADOLESCENT)], "2.1"),
    (2, "Evening Intensive Outpatient", LevelOfCare.IOP, Population.ADULT, "Trauma-informed CBT", 3, "9", "12",
     False, False, [("Evening IOP", TrackKind.EVENING)], ""),
]

ROOMS = [
    (0, [("Willow Group Room", 14), ("Birch Group Room", 12), ("Office 101", 3), ("Office 102", 3),
         ("Nursing Station", 2)]),
    (1, [("Riverside Group Room", 12), ("Family Room", 6), ("Office R1", 3)]),
    (2, [("Lakeview Group Room", 14), ("Office L1", 3)]),
]


def unit_suffix(unit: int) -> str:
    """Name suffix of a scale unit's copies (programs, rooms): "" for the story's unit 1."""
    return "" if unit <= 1 else f" · Unit {unit}"


def seed(ctx: DemoContext) -> None:
    programs: list[Program] = []
    tracks: list[Track] = []
    unit_of: dict[int, int] = {}
    for unit in range(1, max(ctx.units, 1) + 1):
        for (si, name, level, pop, model, days, lo, hi, cert, part2, track_specs, asam) in PROGRAMS:
            program = Program.objects.create(
                organization=ctx.org, site=ctx.sites[si], name=name + unit_suffix(unit), level_of_care=level,
                population=pop, clinical_model=model, days_per_week=days, weekly_hours_min=Decimal(lo),
                weekly_hours_max=Decimal(hi), requires_certification=cert, is_part2=part2, asam_level=asam,
                # the SUD program re-screens with the C-SSRS every two weeks (program policy)
                rescreen_every_days=14 if part2 else None,
            )
            programs.append(program)
            unit_of[program.pk] = unit
            for tname, kind in track_specs:
                tracks.append(Track.objects.create(program=program, name=tname, kind=kind))
    rooms = []
    for unit in range(1, max(ctx.units, 1) + 1):
        for si, specs in ROOMS:
            for rname, cap in specs:
                rooms.append(Room.objects.create(site=ctx.sites[si], name=rname + unit_suffix(unit), capacity=cap))
    ctx.extra["unit_of_program"] = unit_of
    ctx.extra["programs"] = programs
    ctx.extra["tracks"] = tracks
    ctx.extra["rooms"] = rooms
    ctx.say(f"{len(programs)} programs, {len(tracks)} tracks, {len(rooms)} rooms.")
