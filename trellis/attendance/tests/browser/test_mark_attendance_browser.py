"""End to end in headless Chromium: mark a group's attendance on the htmx screen and see the ledger update."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from trellis.attendance.models import Attendance
from trellis.scheduling.models import Session
from trellis.scheduling.testing import admit, make_program, make_room, make_track

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _axe_serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]
            if v.get("impact") in {"serious", "critical"}]


def test_mark_group_attendance_and_see_ledger(page, live_server, login_as, make_staff, site):
    from trellis.core.testing.factories import PatientFactory

    facilitator = make_staff("group_facilitator", full_name="Fran Facilitator")
    track = make_track(make_program(site), name="Evening")
    # A 90-minute group that ended half an hour ago (whatever the time of day).
    starts_at = (timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)
    session = Session.objects.create(
        site=site, program=track.program, title="Process group", service_type="group_psychotherapy",
        starts_at=starts_at, ends_at=starts_at + timedelta(minutes=90),
        local_date=starts_at.astimezone(site.zone).date(), facilitator=facilitator, room=make_room(site),
    )
    session.tracks.set([track])
    names = [("Avery", "Adams"), ("Blake", "Brown"), ("Casey", "Clark")]
    episodes = []
    for first, last in names:
        patient = PatientFactory(primary_site=site, legal_first_name=first, legal_last_name=last)
        episodes.append(admit(patient, track, admitted_on=session.local_date - timedelta(days=10)))
    a, b, c = (str(e.public_id) for e in episodes)
    late_arrival = (starts_at + timedelta(minutes=20)).astimezone(site.zone).strftime("%H:%M")

    login_as(page, facilitator)
    page.goto(f"{live_server.url}/attendance/sessions/{session.public_id}/")
    assert page.locator("#attendance-sheet").is_visible()
    assert "Adams" not in page.title()  # no PHI in titles
    page.select_option(f"#status-{a}", "present")
    page.select_option(f"#status-{b}", "late")
    page.fill(f"#arrived-{b}", late_arrival)
    page.select_option(f"#status-{c}", "absent_excused")
    page.fill(f"#reason-{c}", "Medical appointment")
    page.get_by_role("button", name="Save attendance").click()
    page.locator("#sheet-status").get_by_text("Saved 3 records.").wait_for()  # htmx swapped the sheet in place
    assert page.url.endswith(f"/attendance/sessions/{session.public_id}/")
    assert page.inner_text(f'tr[data-episode="{a}"] .week-total').startswith("1 h 30 min")
    assert page.inner_text(f'tr[data-episode="{b}"] .week-total').startswith("1 h 10 min")
    assert dict(Attendance.objects.values_list("episode_id", "minutes")) == {
        episodes[0].pk: 90, episodes[1].pk: 70, episodes[2].pk: 0,
    }
    assert _axe_serious(page) == []

    # The patient's chart tab shows the same minutes in this week's ledger.
    page.get_by_role("link", name="Brown, Blake").click()
    page.wait_for_selector("#ledger-days")
    assert "1 h 10 min" in page.inner_text("#ledger-days")
    assert page.get_by_role("link", name="Schedule & hours").is_visible()

    # Correcting the late arrival on the screen updates the ledger too.
    page.go_back()
    page.select_option(f"#status-{b}", "present")
    page.fill(f"#arrived-{b}", "")
    page.get_by_role("button", name="Save attendance").click()
    page.locator("#sheet-status").get_by_text("Saved 1 record.").wait_for()
    assert page.inner_text(f'tr[data-episode="{b}"] .week-total').startswith("1 h 30 min")


def test_week_calendar_and_session_page_are_accessible(page, live_server, login_as, make_staff, site):
    director = make_staff("program_director", full_name="Dana Director")
    track = make_track(make_program(site), name="Day")
    starts_at = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    session = Session.objects.create(
        site=site, program=track.program, title="Skills group", service_type="skills_group", starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=60), local_date=starts_at.astimezone(site.zone).date(),
        facilitator=director, room=make_room(site),
    )
    session.tracks.set([track])
    login_as(page, director)
    page.goto(f"{live_server.url}/scheduling/?date={session.local_date.isoformat()}")
    page.get_by_role("link", name="Skills group").first.click()
    page.wait_for_url(f"**/scheduling/sessions/{session.public_id}/")
    assert _axe_serious(page) == []
    page.goto(f"{live_server.url}/scheduling/?date={session.local_date.isoformat()}")
    assert _axe_serious(page) == []

