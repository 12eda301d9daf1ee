"""Episode writes. Admission here is the minimal one; the episode-of-care module adds consents and criteria."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from trellis.audit.services import AuditAction, record
from trellis.core.errors import DomainError
from trellis.patients.services import link_patient_to_site
from trellis.programs.models import Episode, EpisodeStatus, Program, Track


def _overlapping(patient: Any, program: Program, admitted_on: date, exclude: Episode | None = None) -> Episode | None:
    from django.db.models import Q

    qs = Episode.objects.filter(patient=patient, program=program).filter(
        Q(discharged_on__isnull=True) | Q(discharged_on__gte=admitted_on)
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.first()


def admit_patient(
    *,
    patient: Any,
    program: Program,
    admitted_on: date,
    track: Track | None = None,
    primary_clinician: Any = None,
    prescriber: Any = None,
    case_manager: Any = None,
    recommended_level: str | None = None,
    authorized_level: str | None = None,
    previous_episode: Episode | None = None,
    created_by: Any = None,
) -> Episode:
    if track is not None and track.program_id != program.pk:
        raise DomainError("That track belongs to another program.", field="track")
    if program.organization_id != patient.organization_id:
        raise DomainError("That program belongs to another organization.", field="program")
    with transaction.atomic():
        # Lock the patient row so two concurrent admissions cannot both pass the overlap check.
        type(patient).objects.select_for_update().filter(pk=patient.pk).first()
        clash = _overlapping(patient, program, admitted_on)
        if clash is not None:
            raise DomainError(
                f"This patient already has an episode in {program.name} from {clash.admitted_on:%b %d, %Y} "
                "that overlaps that date. Discharge it first.",
                field="admitted_on",
            )
        episode = Episode.objects.create(
            patient=patient,
            program=program,
            track=track,
            admitted_on=admitted_on,
            status=EpisodeStatus.ACTIVE,
            recommended_level=recommended_level or program.level_of_care,
            authorized_level=authorized_level,
            primary_clinician=primary_clinician,
            prescriber=prescriber,
            case_manager=case_manager,
            previous_episode=previous_episode,
            created_by=created_by,
        )
        link_patient_to_site(patient=patient, site=program.site)
        record(action=AuditAction.CREATE, obj=episode, patient=patient, site=program.site,
               detail={"program": str(program.public_id)})
    return episode


def discharge_episode(
    *, episode: Episode, discharged_on: date, discharge_type: str, reason: str = "", changed_by: Any = None
) -> Episode:
    with transaction.atomic():
        current = Episode.objects.select_for_update().get(pk=episode.pk)
        if current.status == EpisodeStatus.DISCHARGED:
            raise DomainError("This episode is already discharged.")
        if discharged_on < current.admitted_on:
            raise DomainError("The discharge date is before the admission date.", field="discharged_on")
        current.status = EpisodeStatus.DISCHARGED
        current.discharged_on = discharged_on
        current.discharge_type = discharge_type
        current.discharge_reason = reason
        current.version += 1
        current.save()
        record(action=AuditAction.UPDATE, obj=current, patient=current.patient, site=current.program.site,
               detail={"discharge_type": discharge_type})
    return current
