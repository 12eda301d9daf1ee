"""Fixtures for documentation tests: a program, a group session with attendance, plans with objectives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from trellis.attendance.models import Attendance
from trellis.core.testing.factories import PatientFactory
from trellis.scheduling.testing import admit, make_program, make_session, make_track

DAY = dt.date(2026, 11, 16)  # a Monday, in the past relative to the frozen test clock below
NOW = dt.datetime(2026, 11, 16, 16, 0, tzinfo=dt.UTC)  # 11:00 New York, after a 09:00-10:30 group


@dataclass
class GroupFixture:
    session: Any
    attended: list[Attendance] = field(default_factory=list)
    absent: list[Attendance] = field(default_factory=list)

    @property
    def episodes(self) -> list[Any]:
        return [a.episode for a in self.attended]


@pytest.fixture
def program(site):
    return make_program(site, name="Adult IOP")


@pytest.fixture
def track(program):
    return make_track(program, name="General")


@pytest.fixture
def facilitator(make_staff):
    return make_staff("group_facilitator", full_name="Fran Facilitator")


@pytest.fixture
def supervisor(make_staff):
    user = make_staff("therapist", full_name="Sam Supervisor")
    user.profile.credentials = "LCSW"
    user.profile.save()
    return user


@pytest.fixture
def supervised(make_staff, supervisor):
    """A pre-licensure therapist whose notes need the supervisor's co-signature."""
    user = make_staff("therapist", full_name="Tess Trainee")
    user.profile.credentials = "LMSW"
    user.profile.supervisor = supervisor
    user.profile.requires_cosign = True
    user.profile.save()
    return user


def mark(session: Any, episode: Any, status: str = "present", minutes: int | None = None) -> Attendance:
    length = session.minutes
    attended = status in ("present", "late", "left_early")
    return Attendance.objects.create(
        session=session, episode=episode, status=status,
        minutes=(length if minutes is None else minutes) if attended else 0,
        scheduled_minutes=length, modality="in_person" if attended else "", marked_at=session.ends_at,
    )


@pytest.fixture
def make_group(site, track, facilitator) -> Callable[..., GroupFixture]:
    """make_group(attended=10, absent=2, day=DAY, facilitator=None) -> GroupFixture with new patients."""
    counter = {"n": 0}

    def _make(attended: int = 3, absent: int = 0, *, day: dt.date = DAY, by: Any = None, session: Any = None,
              service_type: str = "group_psychotherapy") -> GroupFixture:
        s = session or make_session(site=site, facilitator=by or facilitator, day=day, tracks=[track],
                                    service_type=service_type, title="Process group")
        g = GroupFixture(session=s)
        for i in range(attended + absent):
            counter["n"] += 1
            n = counter["n"]
            p = PatientFactory(primary_site=site, legal_first_name=f"Pat{n:03d}", legal_last_name=f"Zulu{n:03d}")
            ep = admit(p, track, admitted_on=day - dt.timedelta(days=14))
            if i < attended:
                g.attended.append(mark(s, ep))
            else:
                g.absent.append(mark(s, ep, "absent_excused"))
        return g

    return _make


def add_plan(episode: Any, statements: list[str]) -> list[str]:
    """An active treatment plan with one objective per statement; returns the objectives' lineage ids."""
    from trellis.careplans.models import PlanGoal, PlanObjective, PlanProblem, PlanStatus, TreatmentPlan

    plan = TreatmentPlan.objects.create(episode=episode, patient=episode.patient, version=1,
                                        status=PlanStatus.ACTIVE, effective_on=DAY - dt.timedelta(days=7))
    problem = PlanProblem.objects.create(plan=plan, statement="Depressed mood")
    goal = PlanGoal.objects.create(problem=problem, statement="Feel better")
    out = []
    for i, text in enumerate(statements):
        o = PlanObjective.objects.create(goal=goal, order=i, statement=text, target_date=DAY + dt.timedelta(days=30))
        out.append(str(o.lineage))
    return out


SHARED_OK = {
    "group": {
        "topic": "Coping with cravings",
        "curriculum": "Relapse prevention, module 3",
        "interventions": ["cbt", "relapse_prevention"],
        "start_time": "09:00",
        "end_time": "10:30",
        "summary": "",
    }
}


def participant_ok(objectives: list[str] | None = None, plan: str = "Continue module 4.") -> dict[str, Any]:
    return {
        "participant": {
            "participation": "active",
            "mood_affect": ["anxious"],
            "response": "receptive",
            "response_detail": "",
            "objectives": list(objectives or []),
            "progress": "progressing",
            "progress_detail": "",
            "risk": {"suicidal_ideation": "denied", "homicidal_ideation": "denied", "self_harm": "denied",
                     "risk_level": "low"},
            "plan": plan,
        }
    }


# The fixtures' sessions are in November 2026; worklists look back 60 days from "now". Run every non-browser
# test at a fixed moment (the clock still ticks) so that results do not depend on the day the suite runs.
# Browser tests keep the real clock (the browser's cookie expiry uses it).
TEST_CLOCK = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fixed_clock(request):
    if request.node.get_closest_marker("browser"):
        yield
        return
    import time_machine

    with time_machine.travel(TEST_CLOCK, tick=True):
        yield


def now() -> dt.datetime:
    return timezone.now()
