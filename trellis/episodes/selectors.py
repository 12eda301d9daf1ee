from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import sites_with
from trellis.episodes.models import Diagnosis, DiagnosisStage, Episode, EpisodeStatus
from trellis.programs.models import Program, Track


def programs_for(user: Any, capability: str = Cap.SCHEDULE_VIEW) -> QuerySet[Program]:
    return Program.objects.filter(site__in=[s.pk for s in sites_with(user, capability)]).select_related("site")


def episodes_for(user: Any, capability: str = Cap.PATIENT_VIEW) -> QuerySet[Episode]:
    return Episode.objects.filter(
        program__site__in=[s.pk for s in sites_with(user, capability)]
    ).select_related("patient", "program", "program__site", "track", "primary_clinician")


def active_on(day: date) -> Q:
    """Episodes in care on a calendar day (admitted on/before it, not discharged before it)."""
    return (
        Q(admitted_on__lte=day)
        & ~Q(status=EpisodeStatus.PLANNED)
        & (Q(discharged_on__isnull=True) | Q(discharged_on__gte=day))
    )


def active_episodes(*, program: Program | None = None, track: Track | None = None, on: date) -> QuerySet[Episode]:
    qs = Episode.objects.filter(active_on(on)).select_related("patient", "program", "track")
    if program is not None:
        qs = qs.filter(program=program)
    if track is not None:
        qs = qs.filter(track=track)
    return qs


def episodes_of_patient(patient: Any) -> QuerySet[Episode]:
    return Episode.objects.filter(patient=patient).select_related(
        "program", "program__site", "track", "primary_clinician"
    )


def episode_diagnoses(episode: Any, stage: str = DiagnosisStage.ADMISSION) -> list[Diagnosis]:
    return list(Diagnosis.objects.filter(episode=episode, stage=stage, entered_in_error=False))


def intake_diagnoses(intake: Any) -> list[Diagnosis]:
    return list(Diagnosis.objects.filter(intake=intake, entered_in_error=False))
