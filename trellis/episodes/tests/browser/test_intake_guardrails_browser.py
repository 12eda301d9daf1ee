"""Browser: the intake flow's guardrails. The first diagnosis is saved as primary without touching its rank, a rank
changes without "entered in error", "entered in error" asks first, the C-SSRS result links back to the intake, the
referral's program is preselected for the level-of-care determination, the duplicate-patient checkbox appears only
for a possible duplicate, and a next step due in the past is refused."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest

from trellis.core.clock import today_in
from trellis.episodes.models import Diagnosis
from trellis.referrals import services as referral_services
from trellis.referrals.models import Referral
from trellis.referrals.tests.builders import make_program, make_track

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("TRELLIS_SHOTS", "/tmp/shots-daily-a")  # noqa: S108 - screenshots for review


def _add_dx(page, code: str, text: str) -> None:
    page.locator("#id_code").press_sequentially(code, delay=30)
    page.locator(".js-icd-pick", has_text=code).first.click()
    page.get_by_role("button", name="Add diagnosis").click()
    page.locator("#diagnoses").get_by_text(text).wait_for()


def test_intake_flow_first_diagnosis_saved_as_primary(page, live_server, login_as, site, make_staff):
    director = make_staff("program_director", full_name="Dana Director")
    php = make_program(site, name="Adult PHP", certification=False)
    make_program(site, level="iop", name="Adult IOP", certification=False)
    make_track(php, "Mood")
    base = live_server.url
    today = today_in(site.zone)
    page.set_default_timeout(60_000)  # a shared, loaded build machine: no timing is asserted
    page.set_default_navigation_timeout(60_000)
    login_as(page, director)

    # a next step due yesterday is refused on the form, with a message on the field
    page.goto(f"{base}/referrals/new/?site={site.public_id}")
    page.get_by_label("First name").fill("Jordan")
    page.get_by_label("Last name").fill("Lee")
    page.get_by_label("Date of birth").fill("1990-05-01")
    page.get_by_label("Program").select_option(label="Adult PHP")
    page.get_by_label("Next step", exact=True).fill("Call back")
    page.get_by_label("Next step due").fill((today - dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Add referral").click()
    page.get_by_text("That date has passed").wait_for()
    assert not Referral.objects.exists()
    page.get_by_label("Next step due").fill(today.isoformat())
    page.get_by_role("button", name="Add referral").click()
    page.wait_for_url(re.compile(r"/referrals/[0-9a-f-]{36}/$"))
    referral = Referral.objects.get()

    # no possible duplicate: no "different person" checkbox
    page.goto(f"{base}/referrals/{referral.public_id}/convert/")
    assert page.get_by_label(re.compile("different person")).count() == 0
    page.get_by_label("Sex at birth").select_option("F")
    page.get_by_role("button", name="Create chart").click()
    page.wait_for_url(re.compile(r"/patients/[0-9a-f-]{36}/$"))
    referral.refresh_from_db()
    patient = referral.patient

    # intake: the first diagnosis is primary without choosing it; the second defaults to secondary
    page.goto(f"{base}/programs/patients/{patient.public_id}/episodes/")
    page.get_by_role("button", name="Start intake assessment").click()
    page.wait_for_url(re.compile(r"/referrals/intakes/"))
    intake_url = page.url
    assert page.get_by_label("Rank").input_value() == "primary"
    _add_dx(page, "F33.1", "Major depressive disorder, recurrent, moderate")
    first = Diagnosis.objects.get(code="F33.1")
    assert first.rank == "primary"
    assert page.get_by_label("Rank").input_value() == "secondary"
    _add_dx(page, "F41.1", "Generalized anxiety disorder")
    assert Diagnosis.objects.get(code="F41.1").rank == "secondary"
    page.screenshot(path=f"{SHOTS}/intake-diagnoses.png", full_page=True)

    # the rank changes without entering anything in error: F41.1 becomes primary, F33.1 secondary
    page.get_by_role("button", name="Make F41.1 primary").click()
    page.get_by_text("F41.1 is now the primary diagnosis.").wait_for()
    assert dict(Diagnosis.objects.values_list("code", "rank")) == {"F41.1": "primary", "F33.1": "secondary"}
    assert not Diagnosis.objects.filter(entered_in_error=True).exists()

    # "entered in error" asks first: dismissing keeps the diagnosis
    dialogs: list[str] = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.get_by_role("button", name="Mark F33.1 as entered in error").click()
    page.wait_for_timeout(300)
    assert dialogs and "entered in error" in dialogs[0]
    assert not Diagnosis.objects.filter(entered_in_error=True).exists()

    # the C-SSRS result links back to the intake
    page.get_by_role("link", name="C-SSRS risk screen").click()
    page.wait_for_url(re.compile(r"/cssrs/"))
    for key in ("q1", "q2", "q6"):
        page.locator(f"input[name='{key}'][value='no']").check()
    page.get_by_role("button", name="Score").click()
    page.get_by_role("heading", name=re.compile("C-SSRS result: No risk")).wait_for()
    page.screenshot(path=f"{SHOTS}/cssrs-result-back-to-intake.png", full_page=True)
    page.get_by_role("link", name="Back to the intake").click()
    page.wait_for_url(intake_url)

    # the referral's program is preselected for the level-of-care determination (its criteria shown)
    page.get_by_role("link", name="Level-of-care determination").click()
    page.wait_for_url(re.compile(r"/level-of-care/"))
    assert page.locator("#det-program").input_value() == str(php.public_id)
    page.get_by_role("button", name="Record determination").wait_for()
    page.screenshot(path=f"{SHOTS}/determination-preselected.png", full_page=True)


def test_duplicate_checkbox_appears_only_for_a_possible_duplicate(page, live_server, login_as, site, make_staff):
    from trellis.core.testing.factories import PatientFactory

    director = make_staff("program_director", full_name="Dana Director")
    PatientFactory(primary_site=site, legal_first_name="Sam", legal_last_name="Park",
                   date_of_birth=dt.date(1985, 3, 2))
    referral = referral_services.create_referral(site=site, created_by=director, first_name="Sam",
                                                 last_name="Park", date_of_birth=dt.date(1985, 3, 2))
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    login_as(page, director)
    page.goto(f"{live_server.url}/referrals/{referral.public_id}/convert/")
    assert page.get_by_label(re.compile("different person")).count() == 0
    page.get_by_label("Sex at birth").select_option("M")
    page.get_by_role("button", name="Create chart").click()
    page.get_by_role("heading", name="Possible duplicate").wait_for()
    assert page.get_by_label(re.compile("different person")).count() == 1
    page.screenshot(path=f"{SHOTS}/convert-possible-duplicate.png", full_page=True)
