"""The Patients page opens on the census (issue 16 item 9): scoped, filterable, sortable, paginated, audited,
and a constant number of queries at two sizes."""

# ruff: noqa: F811 - pytest fixtures imported from the scheduling tests are redefined as test arguments
from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trellis.attendance.services import MarkEntry, mark_attendance
from trellis.audit.models import AuditEvent
from trellis.patients.models import PatientFlag
from trellis.scheduling.testing import admit, make_program, make_session, make_track
from trellis.scheduling.tests.fixtures import enroll, facilitator, program, therapist, track  # noqa: F401
from trellis.web.census import PAGE_SIZE, CensusFilters, census

pytestmark = pytest.mark.django_db
URL = "/patients/census/"


@pytest.fixture
def now(time_machine):
    time_machine.move_to(datetime(2026, 3, 4, 18, tzinfo=UTC), tick=False)  # Wed 13:00 New York


def test_nav_points_patients_at_the_census():
    assert reverse("web:census") == URL


def test_allowed_and_denied(now, track, enroll, therapist, make_staff, other_site, client_for, client):
    enroll(track, 2)
    assert client.get(URL).status_code in {302, 403}  # anonymous: sign in first
    response = client_for(therapist).get(URL)
    assert response.status_code == 200
    assert "Zed000, Pat000" in response.content.decode()
    outsider = make_staff("therapist", at=other_site)
    assert "Zed000" not in client_for(outsider).get(URL).content.decode()  # other site: not listed


def test_rows_show_program_track_admission_clinician_hours_and_flags(
    now, site, track, enroll, therapist, facilitator, client_for
):
    (a, b) = enroll(track, 2, admitted_on=date(2026, 2, 2))
    a.primary_clinician = therapist
    a.save()
    PatientFlag.objects.create(patient=b.patient, kind="clinical", label="Fall risk")
    session = make_session(site=site, facilitator=facilitator, day=date(2026, 3, 4), start=time(9), end=time(10, 30),
                           tracks=[track])
    mark_attendance(session=session, user=facilitator, entries=[MarkEntry(a.pk, "present")])
    body = client_for(therapist).get(URL).content.decode()
    assert track.program.name in body and "Mood &amp; Anxiety" in body
    assert "Theo Therapist" in body
    assert "1 h 30 min" in body and "Below target" in body  # text, not colour alone
    assert "Fall risk" in body


def test_caseload_program_track_and_flag_filters(now, site, track, enroll, therapist, client_for):
    (mine, theirs) = enroll(track, 2)
    mine.primary_clinician = therapist
    mine.save()
    other_track = make_track(make_program(site, name="PHP Adults"), name="Trauma")
    from trellis.core.testing.factories import PatientFactory

    elsewhere = admit(PatientFactory(primary_site=site, legal_last_name="Yarrow", legal_first_name="Ida"),
                      other_track, admitted_on=date(2026, 2, 1))
    PatientFlag.objects.create(patient=theirs.patient, kind="clinical", label="Allergy")

    def names(**filters):
        return [r.episode.pk for r in census(therapist, CensusFilters(**filters)).rows]

    assert set(names()) == {mine.pk, theirs.pk, elsewhere.pk}
    assert names(caseload=True) == [mine.pk]
    assert set(names(program=str(track.program.public_id))) == {mine.pk, theirs.pk}
    assert names(track=str(other_track.public_id)) == [elsewhere.pk]
    assert names(flagged=True) == [theirs.pk]
    body = client_for(therapist).get(URL, {"scope": "caseload"}).content.decode()
    assert "Zed000" in body and "Zed001" not in body
    # Bad parameters are ignored, not a 500.
    assert client_for(therapist).get(URL, {"program": "not-a-uuid", "page": "x", "sort": "evil"}).status_code == 200


def test_sorting_and_pagination(now, track, enroll, therapist, client_for):
    enroll(track, PAGE_SIZE + 3)
    first = census(therapist, CensusFilters())
    assert first.page.paginator.count == PAGE_SIZE + 3 and len(first.rows) == PAGE_SIZE
    assert first.rows[0].episode.patient.legal_last_name == "Zed000"
    reverse_order = census(therapist, CensusFilters(descending=True))
    assert reverse_order.rows[0].episode.patient.legal_last_name == f"Zed{PAGE_SIZE + 2:03d}"
    second = client_for(therapist).get(URL, {"page": "2"}).content.decode()
    assert f"Zed{PAGE_SIZE + 2:03d}" in second and "Page 2 of 2" in second


def test_the_list_read_is_audited_with_the_patients_shown(now, track, enroll, therapist, client_for):
    episodes = enroll(track, 3)
    client_for(therapist).get(URL)
    event = AuditEvent.objects.filter(actor=therapist, detail__view="census").latest("pk")
    assert sorted(event.detail["patients"]) == sorted(str(e.patient.public_id) for e in episodes)


def test_constant_queries_at_two_sizes(now, site, track, enroll, therapist, client_for):
    client = client_for(therapist)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    enroll(track, 3, last="Small")
    count()  # the session's first page load sets up its shell (site, organization) once
    small = count()
    episodes = enroll(track, 20, last="Large")
    for e in episodes[:5]:
        PatientFlag.objects.create(patient=e.patient, kind="clinical", label="Flag")
    assert count() == small


def test_every_chart_page_has_its_own_title_without_phi(now, track, enroll, therapist, client_for):
    """Issue 16 item 10 (WCAG 2.4.2): chart tabs are titled by the tab's name, never the patient's."""
    import re

    from trellis.patients.selectors import chart_tabs_for

    (episode,) = enroll(track, 1)
    patient = episode.patient
    client = client_for(therapist)
    titles = {}
    for tab in chart_tabs_for(therapist, patient):
        response = client.get(tab["url"])
        if response.status_code != 200:
            continue
        titles[tab["label"]] = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()
    assert titles["Overview"] == "Overview · Chart · Trellis"
    assert len(titles) >= 3 and len(set(titles.values())) == len(titles)
    assert not any(patient.legal_last_name in t for t in titles.values())
