"""Issue 16 item 2: a 12-patient group marked with the keyboard only (within 40 key presses), a contradiction
refused on its row as it is typed and again by the server, focus kept after the htmx save, axe and reflow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from trellis.attendance.models import Attendance
from trellis.core.testing.a11y import axe_serious, reflow_overflow, shots_dir
from trellis.scheduling.models import Session
from trellis.scheduling.testing import admit, make_program, make_room, make_track

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = shots_dir()


def test_mark_a_group_of_twelve_with_the_keyboard_only(page, live_server, login_as, make_staff, site):
    from trellis.core.testing.factories import PatientFactory

    facilitator = make_staff("group_facilitator", full_name="Fran Facilitator")
    track = make_track(make_program(site), name="Day")
    # In progress: started an hour ago, ends in half an hour (so "now" is inside the session).
    starts_at = (timezone.now() - timedelta(minutes=60)).replace(second=0, microsecond=0)
    session = Session.objects.create(
        site=site, program=track.program, title="Process group", service_type="group_psychotherapy",
        starts_at=starts_at, ends_at=starts_at + timedelta(minutes=90),
        local_date=starts_at.astimezone(site.zone).date(), facilitator=facilitator, room=make_room(site),
    )
    session.tracks.set([track])
    episodes = []
    for i in range(12):
        patient = PatientFactory(primary_site=site, legal_first_name=f"Pat{i:02d}", legal_last_name=f"Row{i:02d}")
        episodes.append(admit(patient, track, admitted_on=session.local_date - timedelta(days=10)))

    page.set_default_timeout(60_000)  # a loaded 2-core machine; not a timing assertion
    login_as(page, facilitator)
    page.goto(f"{live_server.url}/attendance/sessions/{session.public_id}/")
    page.screenshot(path=f"{SHOTS}/attendance-1280.png", full_page=True)
    by_pid = {str(e.public_id): e for e in episodes}
    episodes = [by_pid[pid] for pid in page.eval_on_selector_all("tr[data-episode]", "rs => rs.map(r => r.dataset.episode)")]
    presses = 0

    def press(key: str) -> None:
        nonlocal presses
        presses += 1
        page.keyboard.press(key)

    # Skip link to main, then the page's own skip link to the first patient.
    press("Tab")
    press("Enter")
    while page.evaluate("document.activeElement.textContent.trim()") != "Skip to the first patient":
        press("Tab")
        assert presses < 10
    press("Enter")
    assert page.evaluate("document.activeElement.id") == f"status-{episodes[0].public_id}"
    for _ in range(8):
        press("p")
    press("u")
    press("l")  # late: focus moves to the arrival time
    assert page.evaluate("document.activeElement.id") == f"arrived-{episodes[9].public_id}"
    press("n")  # now
    press("Enter")  # next patient
    press("e")  # left early: focus moves to the departure time
    press("n")
    press("Enter")
    press("a")
    assert page.evaluate("document.activeElement.id") == "sheet-save"
    summary = page.inner_text("#sheet-summary")
    assert "12 marked, 0 not marked, 10 present" in summary
    assert page.inner_text(f'tr[data-episode="{episodes[9].public_id}"] [data-live-minutes]') != "—"
    press("Enter")
    page.locator("#sheet-status").get_by_text("Saved 12 records.").wait_for()
    assert presses <= 40, presses
    assert page.evaluate("document.activeElement.id") == "sheet-save"  # focus kept after the htmx swap
    statuses = dict(Attendance.objects.values_list("episode_id", "status"))
    assert [statuses[e.pk] for e in episodes] == ["present"] * 8 + [
        "absent_unexcused", "late", "left_early", "absent_excused"]
    late = Attendance.objects.get(episode=episodes[9])
    assert 0 < late.minutes < 90

    # A contradiction is refused on its row as it is typed: "late" arriving before the start.
    first = episodes[0].public_id
    page.focus(f"#status-{episodes[1].public_id}")
    page.keyboard.press("ArrowUp")  # arrow keys move between patients instead of changing the status
    assert page.evaluate("document.activeElement.id") == f"status-{first}"
    assert page.input_value(f"#status-{episodes[1].public_id}") == "present"
    page.keyboard.press("l")
    before_start = (starts_at - timedelta(minutes=10)).astimezone(site.zone).strftime("%H:%M")
    page.fill(f"#arrived-{first}", before_start)
    row = page.locator(f'tr[data-episode="{first}"]')
    assert "needs an arrival after the start" in row.locator("[data-row-error]").inner_text()
    assert row.locator(f"#arrived-{first}").get_attribute("aria-invalid") == "true"
    assert row.locator(f"#status-{first}").get_attribute("aria-invalid") is None
    page.screenshot(path=f"{SHOTS}/attendance-contradiction-1280.png", full_page=True)
    # ... and by the server (the source of truth) if saved anyway.
    page.click("#sheet-save")
    page.locator("#sheet-status .alert-danger").wait_for()
    assert "nothing was saved" in page.inner_text("#sheet-status")
    row = page.locator(f'tr[data-episode="{first}"]')
    assert "needs an arrival after the start" in row.locator("[data-row-error]").inner_text()
    assert Attendance.objects.get(episode=episodes[0]).status == "present"
    assert axe_serious(page) == []
    assert reflow_overflow(page, shot=f"{SHOTS}/attendance-320.png") == []


def test_this_week_column_fits_a_1280_px_screen(page, live_server, login_as, make_staff, site):
    """The sheet at 1280x800 (the side navigation open): no sideways scroll inside the table and none for the page,
    with long names, a row error and the hours bar drawn at its full width beside its status in words."""
    from trellis.core.testing.factories import PatientFactory

    facilitator = make_staff("group_facilitator", full_name="Fran Facilitator")
    track = make_track(make_program(site), name="Day")
    starts_at = (timezone.now() - timedelta(minutes=60)).replace(second=0, microsecond=0)
    session = Session.objects.create(
        site=site, program=track.program, title="Process group", service_type="group_psychotherapy",
        starts_at=starts_at, ends_at=starts_at + timedelta(minutes=90),
        local_date=starts_at.astimezone(site.zone).date(), facilitator=facilitator, room=make_room(site),
    )
    session.tracks.set([track])
    names = [("Maximiliana", "Christopherson-Wainwright"), ("Grace", "Roberts"), ("Ian", "Moss"),
             ("Bartholomew", "Fitzgerald-O'Sullivan")]
    for first, last in names:
        patient = PatientFactory(primary_site=site, legal_first_name=first, legal_last_name=last)
        admit(patient, track, admitted_on=session.local_date - timedelta(days=10))

    page.set_default_timeout(60_000)  # a loaded 2-core machine; not a timing assertion
    page.set_viewport_size({"width": 1280, "height": 800})
    login_as(page, facilitator)
    page.goto(f"{live_server.url}/attendance/sessions/{session.public_id}/")
    first = page.eval_on_selector("tr[data-episode]", "r => r.dataset.episode")
    page.focus(f"#status-{first}")
    page.keyboard.press("l")  # "late" without an arrival: the row shows its error
    page.locator(f'tr[data-episode="{first}"] [data-row-error]').get_by_text("arrival time").wait_for()
    page.screenshot(path=f"{SHOTS}/attendance-this-week-1280x800.png", full_page=True)
    sizes = page.evaluate(
        """() => {
          const wrap = document.querySelector('table[data-sheet]').closest('.table-wrap');
          const doc = document.documentElement;
          return {wrap: [wrap.scrollWidth, wrap.clientWidth], page: [doc.scrollWidth, doc.clientWidth]};
        }"""
    )
    assert sizes["wrap"][0] <= sizes["wrap"][1], sizes  # no sideways scroll inside the table
    assert sizes["page"][0] <= sizes["page"][1], sizes  # nor for the whole page
    cells = page.eval_on_selector_all(
        "td.week-total",
        """cells => cells.map(td => {
          const svg = td.querySelector('svg.hours-bar__svg'), badge = td.querySelector('.hours-bar .badge');
          const cell = td.getBoundingClientRect();
          return {svg: svg ? svg.getBoundingClientRect().width : 0, badge: badge ? badge.textContent.trim() : '',
                  clipped: badge ? badge.scrollWidth > badge.clientWidth + 1 : true,
                  inside: svg ? svg.getBoundingClientRect().right <= cell.right + 0.5 : false};
        })""",
    )
    assert len(cells) == len(names)
    for cell in cells:
        assert cell["svg"] >= 100, cell  # the bar keeps its drawn width (not squeezed into a sliver)
        assert cell["badge"] and not cell["clipped"] and cell["inside"], cell  # the status is in words, whole
