"""Compliance pages: allowed/denied pairs, bad input refused with a message, bounded queries for the roster bar
and the worklist."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trellis.attendance.services import MarkEntry, mark_attendance
from trellis.compliance.models import PayerRequirementAssignment, RequirementRule, RequirementSet
from trellis.coverage.models import Payer
from trellis.scheduling.testing import make_program, make_session, make_track

pytestmark = pytest.mark.django_db
MONDAY = date(2026, 3, 2)
TUESDAY_NOON = datetime(2026, 3, 3, 17, tzinfo=UTC)


@pytest.fixture
def week(time_machine, site, facilitator, track):
    time_machine.move_to(TUESDAY_NOON, tick=False)
    mon = make_session(site=site, facilitator=facilitator, day=MONDAY, start=time(9), end=time(12), tracks=[track])
    make_session(site=site, facilitator=facilitator, day=MONDAY + timedelta(days=2), start=time(9), end=time(12),
                 tracks=[track], break_minutes=15)
    return mon


def test_worklist_allowed_and_denied(client, client_for, make_staff, week, track, enroll, other_site):
    (ep,) = enroll(track, 1, last="Quinn")
    url = reverse("compliance:worklist") + "?scope=all"
    assert client.get(url).status_code == 302  # anonymous → sign in
    assert client_for(make_staff("front_desk")).get(url).status_code == 403
    assert client_for(make_staff("therapist", at=other_site)).get(url).content.count(b"Quinn") == 0
    page = client_for(make_staff("case_manager")).get(url)
    assert page.status_code == 200
    assert b"Quinn" in page.content and b'class="hours-bar"' in page.content


def test_patient_hours_tab_allowed_and_denied(client, client_for, make_staff, week, track, enroll, other_site):
    (ep,) = enroll(track, 1)
    url = reverse("compliance:patient_hours", kwargs={"patient_id": ep.patient.public_id})
    assert client.get(url).status_code == 302
    assert client_for(make_staff("front_desk")).get(url).status_code in (403, 404)
    assert client_for(make_staff("therapist", at=other_site)).get(url).status_code == 404
    page = client_for(make_staff("therapist")).get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert '<svg class="hours-chart"' in body and 'id="hours-weeks"' in body and 'id="hours-days"' in body


def test_rule_set_setup_allowed_denied_and_bad_input(client, client_for, make_staff, site):
    url = reverse("compliance:rule_sets")
    assert client.get(url).status_code == 302
    assert client_for(make_staff("therapist")).get(url).status_code == 403
    director = client_for(make_staff("program_director"))
    assert director.get(url).status_code == 200
    r = director.post(url, {"name": "Acme IOP", "source": "Acme provider manual §4"})
    assert r.status_code == 302
    rs = RequirementSet.objects.get(name="Acme IOP")
    detail = reverse("compliance:rule_set", kwargs={"set_id": rs.public_id})
    rule = {"action": "rule", "level_of_care": "iop", "population": "adult", "weekly_min_hours": "20",
            "weekly_max_hours": "9", "min_days_per_week": "0", "per_diem_min_minutes": "0",
            "min_services_per_day": "0", "partial_week": "exclude", "source": "Acme §4"}
    bad = director.post(detail, rule)
    assert bad.status_code == 400 and "above the maximum" in bad.content.decode()
    assert not RequirementRule.objects.filter(requirement_set=rs).exists()
    assert director.post(detail, {**rule, "weekly_min_hours": "9", "weekly_max_hours": "19"}).status_code == 302
    payer = Payer.objects.create(organization=site.organization, name="Acme", payer_identifier="AC",
                                 payer_type="commercial")
    ok = director.post(detail, {"action": "assign", "payer": payer.pk, "starts_on": "2026-01-01"})
    assert ok.status_code == 302
    clash = director.post(detail, {"action": "assign", "payer": payer.pk, "starts_on": "2026-03-01"})
    assert clash.status_code == 400 and "already uses" in clash.content.decode()
    assert PayerRequirementAssignment.objects.filter(payer=payer).count() == 1
    # Built-in sets are read-only.
    builtin = RequirementSet.objects.get(organization=None, name="ASAM default")
    r = director.post(reverse("compliance:rule_set", kwargs={"set_id": builtin.public_id}),
                      {**rule, "weekly_min_hours": "9", "weekly_max_hours": "19"})
    assert r.status_code == 200 and not builtin.rules.filter(source="Acme §4").exists()


def _queries(c, url):
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url).status_code == 200
    return len(ctx)


def test_roster_bar_and_worklist_queries_do_not_grow_with_patients(client_for, make_staff, week, track, enroll,
                                                                     facilitator):
    manager = client_for(make_staff("program_director"))
    other = make_track(track.program, name="Second")
    make_session(site=track.program.site, facilitator=facilitator, day=MONDAY + timedelta(days=3), start=time(13),
                 end=time(16), tracks=[other], capacity=50)
    mark = reverse("attendance:mark", kwargs={"session_id": week.public_id})
    worklist = reverse("compliance:worklist") + "?scope=all"
    eps = enroll(track, 3)
    mark_attendance(session=week, user=facilitator, entries=[MarkEntry(e.pk, "present") for e in eps])
    _queries(manager, mark), _queries(manager, worklist)
    small = (_queries(manager, mark), _queries(manager, worklist))
    more = enroll(track, 9, last="More")
    mark_attendance(session=week, user=facilitator, entries=[MarkEntry(e.pk, "absent_excused") for e in more])
    page = manager.get(mark).content.decode()
    assert page.count('class="hours-bar"') == 12
    large = (_queries(manager, mark), _queries(manager, worklist))
    assert small == large, f"3 patients: {small}, 12 patients: {large}"


def test_track_ledger_shows_bars(client_for, make_staff, week, track, enroll):
    enroll(track, 2)
    page = client_for(make_staff("program_director")).get(
        reverse("attendance:track_ledger", kwargs={"track_id": track.public_id}) + "?week=2026-03-02")
    assert page.content.decode().count('class="hours-bar"') == 2


def test_other_programs_do_not_leak(site, make_staff, client_for, week, enroll):
    php = make_program(site, name="PHP", level="php")
    (ep,) = enroll(make_track(php, name="P1"), 1, last="Phillips")
    page = client_for(make_staff("program_director")).get(reverse("compliance:worklist") + "?scope=all")
    assert "Phillips" in page.content.decode()
    assert "20 counted hours" not in page.content.decode() or "PHP" in page.content.decode()
