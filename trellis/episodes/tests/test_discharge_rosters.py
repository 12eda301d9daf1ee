"""Admission puts the patient on the track's rosters and discharge removes them from future rosters (rosters
are derived from active episodes); the discharge summary shows attended hours by ISO week from the ledger."""

from __future__ import annotations

import datetime as dt

import pytest

from trellis.attendance.services import MarkEntry, mark_attendance
from trellis.episodes import services as lifecycle
from trellis.referrals.tests.builders import admitted_episode, make_program, make_track, ready_for_discharge
from trellis.scheduling.selectors import roster_for_session
from trellis.scheduling.testing import make_session

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)


def test_rosters_follow_admission_and_discharge_and_summary_hours(site, make_staff, patient, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 11, 20, tzinfo=dt.UTC), tick=False)  # Wednesday of week 11
    therapist = make_staff("therapist")
    program = make_program(site, level="iop", certification=False)
    track = make_track(program)
    episode = admitted_episode(patient, program, therapist, track=track, admitted_on=MONDAY)
    before = make_session(site=site, facilitator=therapist, day=MONDAY, start=dt.time(9), end=dt.time(10, 30),
                          tracks=[track])
    second = make_session(site=site, facilitator=therapist, day=MONDAY + dt.timedelta(days=7), start=dt.time(9),
                          end=dt.time(11), tracks=[track])
    after = make_session(site=site, facilitator=therapist, day=MONDAY + dt.timedelta(days=14), start=dt.time(9),
                         end=dt.time(10), tracks=[track])
    assert episode.pk in {m.episode.pk for m in roster_for_session(after)}
    mark_attendance(session=before, user=therapist, entries=[MarkEntry(episode.pk, "present")])
    mark_attendance(session=second, user=therapist, entries=[MarkEntry(episode.pk, "present")])

    ready_for_discharge(episode, therapist, on=dt.date(2026, 3, 11))
    rec = lifecycle.discharge(episode=episode, discharged_on=dt.date(2026, 3, 11), discharge_type="completed",
                              reason="Goals met", discharged_by=therapist, aftercare_provider="Dr. Lee",
                              aftercare_on=dt.date(2026, 3, 16))
    assert rec.aftercare_flag == ""  # 5 days out
    assert episode.pk in {m.episode.pk for m in roster_for_session(before)}  # the past stays
    assert episode.pk not in {m.episode.pk for m in roster_for_session(after)}  # removed from future rosters
    weeks = {w["label"]: w["attended_minutes"] for w in rec.summary["hours"]["weeks"]}
    assert weeks == {"2026-W10": 90, "2026-W11": 120}
    assert rec.summary["hours"]["total_minutes"] == 210
