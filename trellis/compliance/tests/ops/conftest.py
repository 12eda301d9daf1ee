"""Fixtures of the compliance tests: an IOP program needing 9 counted hours a week, a patient with a case
manager and a primary clinician, and three 3-hour groups last week."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from trellis.compliance.tests.ops.ops_helpers import last_monday
from trellis.scheduling.testing import admit, make_program, make_session, make_track


@pytest.fixture
def program(site):
    return make_program(site, name="Adult IOP")


@pytest.fixture
def track(program):
    return make_track(program, name="Mood")


@pytest.fixture
def therapist(make_staff):
    return make_staff("therapist", full_name="Theo Therapist", email="theo@example.org")


@pytest.fixture
def case_manager(make_staff):
    return make_staff("case_manager", full_name="Casey Manager", email="casey@example.org")


@pytest.fixture
def monday(site):
    return last_monday(site)


@pytest.fixture
def episode(patient, track, monday, therapist, case_manager):
    ep = admit(patient, track, admitted_on=monday - timedelta(days=21))
    ep.primary_clinician = therapist
    ep.case_manager = case_manager
    ep.save()
    return ep


@pytest.fixture
def groups(site, track, therapist, monday):
    """Mon, Wed, Fri 09:00-12:00 group psychotherapy last week: 9 counted hours if all attended."""
    return [make_session(site=site, facilitator=therapist, day=monday + timedelta(days=d), start=time(9),
                         end=time(12), tracks=[track]) for d in (0, 2, 4)]
