"""Helpers of the compliance operations tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from trellis.attendance.services import MarkEntry, mark_attendance
from trellis.core.clock import today_in
from trellis.core.testing.factories import PatientFactory
from trellis.scheduling.testing import admit


def last_monday(site: Any) -> date:
    today = today_in(site.zone)
    return today - timedelta(days=today.isoweekday() - 1 + 7)


def admit_patient(track: Any, *, monday: date, therapist: Any, case_manager: Any, **names: Any) -> Any:
    patient = PatientFactory(primary_site=track.program.site, **names)
    episode = admit(patient, track, admitted_on=monday - timedelta(days=21))
    episode.primary_clinician = therapist
    episode.case_manager = case_manager
    episode.save()
    return episode


def mark(session: Any, episode: Any, status: str, user: Any) -> None:
    mark_attendance(session=session, entries=[MarkEntry(episode_id=episode.pk, status=status)], user=user,
                    correction_reason="Entered from the paper sign-in sheet.")
