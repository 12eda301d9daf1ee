"""Demo episodes of care (before referrals, which link to them) and the diagnoses recorded at intake (after
referrals, which create the intakes: see seed_diagnoses)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from trellis.accounts.models import Role, SiteMembership
from trellis.core.demo import DemoContext
from trellis.episodes.models import Diagnosis, DischargeType, Episode, EpisodeStatus
from trellis.programs.models import Population, Track
from trellis.referrals import icd10

ACTIVE_CAP = 14  # the largest group room holds 14
DEMO_DISCHARGE_TYPES = [DischargeType.COMPLETED, DischargeType.COMPLETED, DischargeType.STEP_DOWN,
                        DischargeType.AMA, DischargeType.NO_SHOW]


def seed(ctx: DemoContext) -> None:
    rng = ctx.rng
    tracks: list[Track] = ctx.extra["tracks"]
    therapists = ctx.staff.get(Role.THERAPIST, [])
    prescribers = ctx.staff.get(Role.PRESCRIBER, [])
    case_managers = ctx.staff.get(Role.CASE_MANAGER, [])
    tracks_by_site: dict[int, list[Track]] = {}
    for t in tracks:
        tracks_by_site.setdefault(t.program.site_id, []).append(t)
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
    # One admission inside the current ISO week (a partial week the compliance engine must not flag as a failure):
    # admitted today, or — on a Monday, when an admission today makes a full week — discharged today instead.
    newest = next((e for e in episodes if e.status == EpisodeStatus.ACTIVE), None)
    if newest is not None and ctx.today.weekday() > 0:
        newest.admitted_on = ctx.today
    elif newest is not None:
        newest.status, newest.discharged_on, newest.discharge_type = (
            EpisodeStatus.DISCHARGED, ctx.today, DischargeType.COMPLETED)
    Episode.objects.bulk_create(episodes, batch_size=2000)
    active = sum(1 for e in episodes if e.status == EpisodeStatus.ACTIVE)
    ctx.extra["episodes"] = episodes
    ctx.say(f"{len(episodes)} episodes ({active} active).")


def seed_diagnoses(ctx: DemoContext) -> None:
    """The ICD-10-CM diagnoses of the demo intakes (referrals' demo leaves (intake, episode, clinician, codes)
    in ctx.extra["intake_diagnoses"]); an admitted patient's intake diagnoses are on the episode too."""
    diagnoses: list[Diagnosis] = []
    planned: list[tuple[Any, Any, Any, list[tuple[str, str]]]] = ctx.extra.get("intake_diagnoses", [])
    for intake, episode, clinician, codes in planned:
        for code, rank in codes:
            item = icd10.lookup(code)
            diagnoses.append(Diagnosis(
                patient_id=intake.patient_id, intake=intake, episode=episode, code=item.code,
                description=item.description, code_set_version=icd10.CODE_SET_VERSION, rank=rank,
                diagnosed_on=intake.assessed_on, diagnosed_by=clinician,
            ))
    Diagnosis.objects.bulk_create(diagnoses, batch_size=5000)
    ctx.say(f"{len(diagnoses)} diagnoses.")
