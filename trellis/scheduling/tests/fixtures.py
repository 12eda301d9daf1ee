"""Shared fixtures for scheduling and attendance tests (imported by both apps' conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from trellis.scheduling.testing import admit, make_program, make_room, make_track

# Monday 2 March 2026: the week before the US spring-forward change (Sunday 8 March 2026).
MONDAY = date(2026, 3, 2)


@pytest.fixture
def program(site):
    return make_program(site)


@pytest.fixture
def track(program):
    return make_track(program, name="Mood & Anxiety")


@pytest.fixture
def room(site):
    return make_room(site, capacity=10)


@pytest.fixture
def facilitator(make_staff):
    return make_staff("group_facilitator", full_name="Fran Facilitator")


@pytest.fixture
def therapist(make_staff):
    return make_staff("therapist", full_name="Theo Therapist")


@pytest.fixture
def director(make_staff):
    return make_staff("program_director", full_name="Dana Director")


@pytest.fixture
def enroll(site) -> Callable:
    """enroll(track, n=1, admitted_on=..., discharged_on=None) -> list of episodes of new patients."""
    from trellis.core.testing.factories import PatientFactory

    def _enroll(track, n: int = 1, *, admitted_on: date = date(2026, 1, 5), discharged_on=None, **names):
        out = []
        for i in range(n):
            patient = PatientFactory(primary_site=track.program.site, legal_last_name=names.get("last", f"Zed{i:03d}"),
                                     legal_first_name=names.get("first", f"Pat{i:03d}"))
            out.append(admit(patient, track, admitted_on=admitted_on, discharged_on=discharged_on))
        return out

    return _enroll
