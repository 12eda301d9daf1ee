from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from trellis.outcomes import services
from trellis.outcomes.senders import ConsoleSender
from trellis.scheduling.testing import admit, make_program, make_track


@pytest.fixture(autouse=True)
def _outbox():
    ConsoleSender.sent.clear()
    yield ConsoleSender.sent
    ConsoleSender.sent.clear()


@pytest.fixture
def outbox(_outbox):
    return _outbox


@pytest.fixture
def program(site):
    return make_program(site, name="Adult IOP")


@pytest.fixture
def track(program):
    return make_track(program, name="Mood & Anxiety")


@pytest.fixture
def therapist(make_staff):
    return make_staff("therapist", full_name="Theo Therapist")


@pytest.fixture
def director(make_staff):
    return make_staff("program_director", full_name="Dana Director")


@pytest.fixture
def today(site):
    from trellis.core.clock import today_in

    return today_in(site.zone)


@pytest.fixture
def episode(patient, track, therapist, today):
    ep = admit(patient, track, admitted_on=today - timedelta(days=14))
    ep.primary_clinician = therapist
    ep.save()
    patient.email = "alex@example.org"
    patient.save()
    return ep


@pytest.fixture
def schedule(program, director):
    return services.save_schedule(program=program, instrument_key="phq9", actor=director, every_n_days=7)


def phq9(values):
    return {f"q{i + 1}": v for i, v in enumerate(values)}


@pytest.fixture
def complete_phq9(episode, therapist):
    def _make(values, window_key=""):
        return services.enter_from_paper(episode=episode, instrument_key="phq9", window_key=window_key,
                                         answers=phq9(values), actor=therapist).administration

    return _make


@pytest.fixture
def now():
    return timezone.now()
