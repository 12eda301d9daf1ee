"""Telehealth fixtures: a video group session happening now with two rostered patients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from trellis.consents.models import ConsentKind
from trellis.consents.services import create_consent, sign_consent
from trellis.core.testing.factories import PatientFactory
from trellis.scheduling.models import Session
from trellis.scheduling.testing import admit, make_program, make_track
from trellis.telehealth.senders import MemorySender


@dataclass
class Scene:
    site: Any
    program: Any
    track: Any
    clinician: Any
    session: Any
    patients: list[Any]
    episodes: list[Any]


def video_session(site: Any, facilitator: Any, track: Any, *, start_offset: int = -5, minutes: int = 90,
                  modality: str = "telehealth", title: str = "Process group") -> Session:
    starts = timezone.now().replace(microsecond=0) + timedelta(minutes=start_offset)
    session = Session.objects.create(
        site=site, program=track.program, title=title, service_type="group_psychotherapy", modality=modality,
        starts_at=starts, ends_at=starts + timedelta(minutes=minutes), local_date=starts.astimezone(site.zone).date(),
        facilitator=facilitator,
    )
    session.tracks.add(track)
    return session


def sign_telehealth(patient: Any, site: Any) -> None:
    consent = create_consent(patient=patient, site=site, kind=ConsentKind.TELEHEALTH, created_by=None)
    sign_consent(consent=consent, signer_name=patient.legal_name, collected_by=None, ip_address=None)


@pytest.fixture(autouse=True)
def _memory_sender(settings) -> None:
    settings.TRELLIS_PATIENT_SENDER = "trellis.telehealth.senders.MemorySender"
    MemorySender.outbox.clear()


@pytest.fixture
def scene(site, make_staff) -> Scene:
    program = make_program(site, name="Adult IOP")
    track = make_track(program)
    clinician = make_staff("therapist", full_name="Dana Clinician")
    today = timezone.now().astimezone(site.zone).date()
    patients = [
        PatientFactory(primary_site=site, legal_first_name="Alex", legal_last_name="Rivera", email="alex@example.org"),
        PatientFactory(primary_site=site, legal_first_name="Sam", legal_last_name="Okafor", email=""),
    ]
    episodes = [admit(p, track, admitted_on=today - timedelta(days=10)) for p in patients]
    session = video_session(site, clinician, track)
    return Scene(site, program, track, clinician, session, patients, episodes)
