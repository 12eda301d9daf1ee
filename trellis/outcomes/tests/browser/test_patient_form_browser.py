"""Browser (phone viewport): the patient opens a link and completes a PHQ-9 with the keyboard only; axe-core finds
no serious violations on the patient form; the clinician then sees the score, the band and the trend chart."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from trellis.core.clock import today_in
from trellis.core.testing.a11y import ZOOM_200, axe_serious, reflow_overflow, shots_dir
from trellis.outcomes import services
from trellis.outcomes.models import Administration, AdministrationStatus
from trellis.outcomes.tests.conftest import phq9
from trellis.referrals.tests.builders import simple_plan
from trellis.scheduling.testing import admit, make_program, make_track

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("TRELLIS_SCREENSHOTS")  # a directory: save screenshots there for review


def _axe_serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]
            if v.get("impact") in {"serious", "critical"}]


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def test_patient_completes_phq9_by_keyboard_and_clinician_sees_trend(browser, live_server, login_as, site,
                                                                      make_staff, patient):
    therapist = make_staff("therapist", full_name="Theo Therapist")
    program = make_program(site, name="Adult IOP")
    track = make_track(program, name="Daytime")
    today = today_in(site.zone)
    episode = admit(patient, track, admitted_on=today - timedelta(days=14))
    episode.primary_clinician = therapist
    episode.save()
    patient.email = "alex@example.org"
    patient.save()
    # an earlier score so that the trend has two points
    services.enter_from_paper(episode=episode, instrument_key="phq9", window_key="",
                              answers=phq9([3, 3, 2, 2, 2, 2, 2, 1, 0]), actor=therapist)
    issued = services.issue_link(episode=episode, instrument_key="phq9", window_key="", channel="email",
                                 actor=therapist)

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(45_000)
    try:
        page.goto(f"{live_server.url}/outcomes/f/{issued.token}/")
        assert page.title() == "Questionnaire · Trellis"
        _shot(page, "patient-start-phone.png")
        page.keyboard.press("Tab")  # skip link
        start = page.get_by_role("button", name="Start")
        start.focus()
        page.keyboard.press("Enter")
        page.get_by_text("Question 1 of 10").wait_for()
        assert _axe_serious(page) == []
        # answers: 1,1,1,1,0,0,0,0,0 -> 4 (minimal); item 10 skipped (optional)
        wanted = [1, 1, 1, 1, 0, 0, 0, 0, 0]
        for n, value in enumerate(wanted, start=1):
            page.get_by_text(f"Question {n} of 10").wait_for()
            first = page.locator("input[name='answer']").first
            first.focus()  # Tab order: the first radio of the group
            for _ in range(value):
                page.keyboard.press("ArrowDown")  # arrow keys move and select within a radio group
            if value == 0:
                page.keyboard.press("Space")
            if n == 3:
                _shot(page, "patient-form-phone.png")
            checked = page.locator("input[name='answer']:checked")
            assert checked.get_attribute("value") == str(value)
            page.keyboard.press("Enter")  # submits the form with the default (Next) button
        page.get_by_text("Question 10 of 10").wait_for()
        assert _axe_serious(page) == []
        page.get_by_role("button", name="Send my answers").focus()
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Thank you").wait_for()
        _shot(page, "patient-done-phone.png")
    finally:
        context.close()

    latest = Administration.objects.filter(status=AdministrationStatus.COMPLETE).order_by("-completed_at").first()
    assert latest.primary_score == 4 and latest.primary_band == "Minimal" and latest.mode == "self_link"

    clinician = browser.new_context(viewport={"width": 1280, "height": 900})
    page = clinician.new_page()
    page.set_default_timeout(45_000)
    try:
        login_as(page, therapist)
        page.goto(f"{live_server.url}/outcomes/patients/{patient.public_id}/")
        trend = page.locator("section.outcomes-trend", has_text="PHQ-9")
        assert trend.locator(".stat-value").inner_text() == "4"
        assert "Minimal" in trend.inner_text()
        assert trend.locator("svg[role='img'] circle").count() == 2
        assert "Reliably improved" in trend.inner_text()  # 17 -> 4
        _shot(page, "chart-outcomes.png")
        assert _axe_serious(page) == []
    finally:
        clinician.close()


def test_plan_review_page_shows_the_outcome_evidence_card(page, live_server, login_as, site, make_staff, patient):
    """The treatment-plan review with its outcome-score evidence card: a screenshot to look at (1280 and 640 px, i.e.
    200 % zoom), no serious axe violation, no whole-page sideways scroll, and the card's chart drawn inside it."""
    therapist = make_staff("therapist", full_name="Theo Therapist")
    track = make_track(make_program(site, name="Adult IOP"), name="Daytime")
    episode = admit(patient, track, admitted_on=today_in(site.zone) - timedelta(days=14))
    episode.primary_clinician = therapist
    episode.save()
    plan = simple_plan(episode, therapist)
    for weeks_ago, values in ((2, [3, 3, 3, 2, 2, 2, 2, 1, 0]), (1, [2, 2, 2, 1, 1, 1, 1, 0, 0]),
                              (0, [1, 1, 1, 1, 0, 0, 0, 0, 0])):
        done = services.enter_from_paper(episode=episode, instrument_key="phq9", window_key="",
                                         answers=phq9(values), actor=therapist).administration
        when = done.completed_at - timedelta(days=7 * weeks_ago)  # weekly, as a program gives it
        Administration.objects.filter(pk=done.pk).update(completed_at=when, completed_on=when.astimezone(
            site.zone).date())
    shots = shots_dir()
    page.set_default_timeout(45_000)
    page.set_viewport_size({"width": 1280, "height": 800})
    login_as(page, therapist)
    page.goto(f"{live_server.url}/careplans/plans/{plan.public_id}/review/")
    card = page.locator("section.card", has=page.get_by_role("heading", name="Outcome measures this episode"))
    card.wait_for()
    assert "PHQ-9: 4" in card.inner_text() and "Reliably improved" in card.inner_text()
    assert card.locator("svg circle").count() == 3
    inside = page.evaluate(
        """() => {
          const card = [...document.querySelectorAll('section.card')].find(c => c.textContent.includes('Outcome measures'));
          const c = card.getBoundingClientRect(), s = card.querySelector('svg').getBoundingClientRect();
          return s.width > 200 && s.left >= c.left && s.right <= c.right + 0.5;
        }"""
    )
    assert inside
    page.screenshot(path=f"{shots}/plan-review-evidence-1280.png", full_page=True)
    assert axe_serious(page) == []
    assert reflow_overflow(page, shot=f"{shots}/plan-review-evidence-640.png", **ZOOM_200) == []
