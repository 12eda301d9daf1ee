"""Browser: referral -> patient -> intake -> admission -> plan -> review -> step-down -> discharge, in headless
Chromium through the real pages (htmx board move and ICD-10-CM autocomplete included)."""

from __future__ import annotations

import re

import pytest

from trellis.careplans.models import PlanStatus, TreatmentPlan
from trellis.core.clock import today_in
from trellis.episodes.models import DischargeRecord, Episode, EpisodeStatus, HandoffTask
from trellis.referrals import services as referral_services
from trellis.referrals.models import Referral, ReferralStatus
from trellis.referrals.tests.builders import make_program, make_track, ready_for_discharge, screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _form(page, action_part: str):
    return page.locator(f"form[action*='{action_part}']").first


def _axe_serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]
            if v.get("impact") in {"serious", "critical"}]


def test_full_episode_path_in_the_browser(page, live_server, login_as, site, make_staff):
    director = make_staff("program_director", full_name="Dana Director")
    php = make_program(site, name="Adult PHP", certification=False)
    iop = make_program(site, level="iop", name="Adult IOP", certification=False)
    make_track(php, "Mood")
    make_track(iop, "Daytime")
    referral_services.create_referral_source(organization=site.organization, created_by=director,
                                             name="County Hospital", kind="hospital")
    today = today_in(site.zone).isoformat()
    base = live_server.url
    page.set_default_timeout(60_000)  # a shared, loaded build machine: no timing is asserted here
    page.set_default_navigation_timeout(60_000)
    login_as(page, director)

    # 1. referral, moved on the board with htmx
    page.goto(f"{base}/referrals/new/?site={site.public_id}")
    page.get_by_label("First name").fill("Jordan")
    page.get_by_label("Last name").fill("Lee")
    page.get_by_label("Date of birth").fill("1990-05-01")
    page.get_by_label("Source", exact=True).select_option(label="County Hospital")
    page.get_by_role("button", name="Add referral").click()
    page.wait_for_url(re.compile(r"/referrals/[0-9a-f-]{36}/$"))
    referral = Referral.objects.get()
    page.goto(f"{base}/referrals/?site={site.public_id}")
    card = page.locator("article.board-card", has_text="Jordan")
    card.locator("a.board-move-open").click()  # the move form loads on demand (referrals board)
    card.locator("select[name='status']").select_option("screening")
    card.get_by_role("button", name="Move").click()
    page.locator("#col-screening").locator("xpath=..").get_by_role("link", name="Jordan L.", exact=True).wait_for()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SCREENING
    assert _axe_serious(page) == []

    # 2. patient chart from the referral, no re-typing
    page.goto(f"{base}/referrals/{referral.public_id}/convert/")
    page.get_by_label("Sex at birth").select_option("F")
    page.get_by_role("button", name="Create chart").click()
    page.wait_for_url(re.compile(r"/patients/[0-9a-f-]{36}/$"))
    referral.refresh_from_db()
    patient = referral.patient
    assert patient.legal_first_name == "Jordan"

    # 3. intake with ICD-10-CM autocomplete, C-SSRS, completion
    page.goto(f"{base}/programs/patients/{patient.public_id}/episodes/")
    page.get_by_role("button", name="Start intake assessment").click()
    page.wait_for_url(re.compile(r"/referrals/intakes/"))
    intake_url = page.url
    page.locator("#id_code").press_sequentially("F33.1", delay=30)
    page.locator(".js-icd-pick", has_text="F33.1").first.click()
    page.get_by_label("Rank").select_option("primary")
    page.get_by_role("button", name="Add diagnosis").click()
    page.locator("#diagnoses").get_by_text("Major depressive disorder, recurrent, moderate").wait_for()
    assert _axe_serious(page) == []
    page.get_by_role("link", name="C-SSRS risk screen").click()
    page.wait_for_url(re.compile(r"/cssrs/"))
    assert _axe_serious(page) == []
    for key in ("q1", "q2", "q6"):
        page.locator(f"input[name='{key}'][value='no']").check()
    page.get_by_role("button", name="Score").click()
    page.get_by_role("heading", name=re.compile("C-SSRS result: No risk")).wait_for()
    page.goto(intake_url)
    page.get_by_label("Presenting problem").fill("Depression after job loss")
    page.get_by_role("button", name="Save and complete intake").click()
    page.get_by_text("Intake completed.").wait_for()

    # 4. level-of-care determination for PHP
    page.goto(f"{base}/referrals/patients/{patient.public_id}/level-of-care/?program={php.public_id}")
    for name in ("inpatient_alternative", "active_treatment", "support"):
        page.locator(f"select[name='dim_{name}']").select_option("yes")
    page.locator("select[name='dim_needs_24h']").select_option("no")
    page.get_by_label("Rationale").fill("Would need inpatient care otherwise")
    page.get_by_role("button", name="Record determination").click()
    page.get_by_text("All admission criteria met.").wait_for()

    # 5. admission refused without consents, then consents signed and admitted
    page.goto(f"{base}/programs/patients/{patient.public_id}/admit/?program={php.public_id}")
    page.get_by_text("Required consents are missing").wait_for()
    for kind in ("treatment", "financial"):
        page.goto(f"{base}/consents/patients/{patient.public_id}/new/?kind={kind}")
        page.get_by_role("button", name="Prepare for signature").click()
        page.get_by_label("Type your full name to sign").fill("Jordan Lee")
        page.get_by_label("I have read the text above").check()
        page.get_by_role("button", name="Sign", exact=True).click()
        page.get_by_text("Signed.").wait_for()
    page.goto(f"{base}/programs/patients/{patient.public_id}/admit/?program={php.public_id}")
    page.get_by_text("Ready to admit").wait_for()
    page.locator("#id_program").select_option(label="Adult PHP")
    page.get_by_label("Primary therapist").select_option(label="Dana Director")
    page.get_by_role("button", name="Admit", exact=True).click()
    page.wait_for_url(re.compile(r"/programs/episodes/"))
    episode = Episode.objects.get(patient=patient, program=php)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ADMITTED

    # 6. treatment plan: problem -> goal -> objective -> intervention, signed
    page.goto(f"{base}/careplans/patients/{patient.public_id}/")
    page.get_by_role("button", name="Start the treatment plan").click()
    page.wait_for_url(re.compile(r"/careplans/plans/"))
    _form(page, "/add/problem/").get_by_label("Problem").fill("Depressed mood")
    _form(page, "/add/problem/").get_by_role("button", name="Add problem").click()
    page.get_by_text("Add goal").click()
    _form(page, "/add/goal/").get_by_label("Goal").fill("I want to enjoy things again")
    _form(page, "/add/goal/").get_by_role("button", name="Add").click()
    page.get_by_text("Add objective").click()
    objective_form = _form(page, "/add/objective/")
    objective_form.get_by_label("Measurable objective").fill("PHQ-9 below 10")
    objective_form.get_by_label("Target date").fill(today)
    objective_form.get_by_role("button", name="Add").click()
    page.get_by_text("Add intervention").click()
    intervention_form = _form(page, "/add/intervention/")
    intervention_form.get_by_label("Description").fill("Behavioral activation group")
    intervention_form.get_by_label("Frequency").fill("daily")
    intervention_form.get_by_role("button", name="Add").click()
    page.get_by_label("Patient types their full name").fill("Jordan Lee")
    page.get_by_role("button", name="Sign plan").click()
    page.get_by_text("Version 1 signed").wait_for()

    # 7. review with progress per objective -> version 2, signed
    page.get_by_role("link", name="Review plan").click()
    page.get_by_label("Summary").fill("Improving with activation")
    page.locator("select[name^='rating_']").first.select_option("progressing")
    page.get_by_role("button", name="Record review").click()
    page.get_by_text("Review recorded.").wait_for()
    page.get_by_label("Patient types their full name").fill("Jordan Lee")
    page.get_by_role("button", name="Sign plan").click()
    page.get_by_text("Version 2 signed").wait_for()
    assert _axe_serious(page) == []
    assert TreatmentPlan.objects.get(episode=episode, version=2).status == PlanStatus.ACTIVE

    # 8. step-down to IOP with a hand-off task (after a fresh C-SSRS and the discharge medication list)
    ready_for_discharge(episode, director)
    page.goto(f"{base}/programs/episodes/{episode.public_id}/step-down/")
    page.get_by_label("Receiving program").select_option(label="Adult IOP")
    page.get_by_label("Receiving clinician").select_option(label="Dana Director")
    page.get_by_label("Reason").fill("Stable; step down")
    page.get_by_role("button", name="Step down").click()
    page.get_by_text("A hand-off task went to the receiving clinician").wait_for()
    new_episode = Episode.objects.get(patient=patient, program=iop)
    assert HandoffTask.objects.filter(to_episode=new_episode).exists()

    # 9. discharge with the generated summary: a fresh C-SSRS screen, the medication list reconciled on its page
    screen(patient, site, director)
    page.goto(f"{base}/programs/episodes/{new_episode.public_id}/medications/")
    page.get_by_text("Reconcile the discharge list").click()
    page.locator("#id_discharge-name_0").fill("Sertraline")
    page.locator("#id_discharge-dose_0").fill("100 mg")
    page.locator("#id_discharge-route_0").fill("oral")
    page.locator("#id_discharge-frequency_0").fill("daily")
    page.get_by_role("button", name="Save discharge list").click()
    page.get_by_text("Medication list reconciled.").wait_for()
    # the clinician's discharge summary, drafted and signed on its page (42 CFR 485.914(e)(2))
    page.goto(f"{base}/programs/episodes/{new_episode.public_id}/discharge-summary/")
    page.get_by_role("button", name="Start the discharge summary").click()
    page.get_by_label("Services provided and course of treatment").fill("Groups and weekly individual therapy.")
    page.get_by_label("Clinical status at discharge").fill("Euthymic; no suicidal ideation.")
    page.get_by_label("Recommendations and aftercare").fill("Weekly outpatient therapy.")
    page.get_by_role("button", name="Sign summary").click()
    page.get_by_text("Discharge summary signed.").wait_for()
    page.goto(f"{base}/programs/episodes/{new_episode.public_id}/discharge/")
    page.get_by_label("Discharge type").select_option("completed")
    page.get_by_label("Reason").fill("Goals met")
    page.get_by_label("Primary discharge diagnosis").fill("F33.41")
    page.get_by_role("button", name="Discharge").click()
    page.get_by_text("Attended hours by week").wait_for()
    assert page.get_by_text("No aftercare appointment recorded").is_visible()
    assert _axe_serious(page) == []
    new_episode.refresh_from_db()
    assert new_episode.status == EpisodeStatus.DISCHARGED
    assert DischargeRecord.objects.get(episode=new_episode).summary["discharge_diagnoses"]
