"""Browser: the discharge summary page - draft, refused signature, signature, addendum - through the real page,
with an accessibility check. Set TRELLIS_SCREENSHOTS=<dir> to keep screenshots of the page and the letter PDF."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trellis.consents import services as consent_services
from trellis.consents.models import ConsentKind
from trellis.episodes import services as lifecycle
from trellis.episodes.models import DischargeSummary, SummaryStatus
from trellis.referrals import services as referral_services
from trellis.referrals.tests.builders import admitted_episode, make_program, ready_for_discharge, sign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("TRELLIS_SCREENSHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def _axe_serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]
            if v.get("impact") in {"serious", "critical"}]


def test_discharge_summary_page_in_the_browser(page, live_server, login_as, site, make_staff, patient):
    therapist = make_staff("therapist", full_name="Priya Natarajan")
    program = make_program(site, level="iop", name="Co-occurring IOP", part2=True, certification=False)
    source = referral_services.create_referral_source(organization=site.organization, created_by=therapist,
                                                      name="Recovery Court", kind="court")
    referral = referral_services.create_referral(site=site, created_by=therapist, first_name="Alex",
                                                 last_name="Rivera", source=source, program=program)
    referral.patient = patient
    referral.save()
    episode = admitted_episode(patient, program, therapist, referral=referral)
    lifecycle.add_diagnosis(patient=patient, episode=episode, code="F10.20", rank="primary",
                            diagnosed_on=episode.admitted_on, diagnosed_by=therapist)
    ready_for_discharge(episode, therapist, sign_summary=False)
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    login_as(page, therapist)
    url = f"{live_server.url}/programs/episodes/{episode.public_id}/discharge-summary/"
    page.goto(url)
    page.get_by_role("button", name="Start the discharge summary").click()
    page.get_by_label("Services provided and course of treatment").fill(
        "Attended 4 groups a week and weekly individual CBT; practised relapse-prevention and coping skills.")
    page.get_by_label("Recommendations and aftercare").fill("Weekly outpatient therapy; continue sertraline.")
    page.get_by_role("button", name="Sign summary").click()  # the status at discharge is still empty
    page.get_by_text("describe the clinical status at discharge").wait_for()
    assert DischargeSummary.objects.get().status == SummaryStatus.DRAFT
    page.get_by_label("Clinical status at discharge").fill("Euthymic, sleeping well, no suicidal ideation.")
    _shot(page, "discharge-summary-draft.png")
    assert _axe_serious(page) == []
    page.get_by_role("button", name="Sign summary").click()
    page.get_by_text("Discharge summary signed.").wait_for()
    assert page.get_by_text("Content matches its signature").is_visible()
    page.get_by_label("Addendum").fill("Aftercare appointment moved to Thursday 10:00.")
    page.get_by_role("button", name="Sign addendum").click()
    page.get_by_text("Addendum signed.").wait_for()
    _shot(page, "discharge-summary-signed.png")
    assert _axe_serious(page) == []
    assert DischargeSummary.objects.get().status == SummaryStatus.SIGNED

    # the letter under a consent covering diagnoses, medications and attendance only
    sign(consent_services.create_consent(
        patient=patient, site=site, kind=ConsentKind.PART2, created_by=therapist, recipient_source=source,
        purpose="Court compliance", expiration_event="End of court supervision",
        categories=["attendance", "diagnoses", "medications"]), therapist)
    pdf, disclosure = lifecycle.referral_source_letter(episode=episode, sent_by=therapist)
    assert disclosure.sections == ["attendance", "diagnoses", "medications"]
    if SHOTS:
        (Path(SHOTS) / "referral-letter.pdf").write_bytes(pdf)
