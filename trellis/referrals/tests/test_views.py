"""Referral, intake, C-SSRS and level-of-care views: allowed and denied pairs, bad input, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trellis.core.clock import today_in
from trellis.episodes.models import Diagnosis
from trellis.referrals import services
from trellis.referrals.models import IntakeAssessment, Referral, ReferralStatus, SuicideRiskScreen
from trellis.referrals.tests.builders import HIGH_RISK, make_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def director(make_staff):
    return make_staff("program_director")


@pytest.fixture
def source(site, director):
    return services.create_referral_source(organization=site.organization, created_by=director, name="County ED",
                                           kind="hospital")


def _referrals(site, user, source, n):
    for i in range(n):
        services.create_referral(site=site, created_by=user, first_name=f"P{i}", last_name="Test", source=source,
                                 owner=user, next_step="Call", next_step_due=today_in(site.zone))


def test_board_allowed_denied_and_other_site(client, client_for, site, other_site, make_staff, director, source):
    _referrals(site, director, source, 2)
    url = reverse("referrals:board")
    assert client.get(url).status_code == 302  # anonymous -> sign in
    assert client_for(make_staff("biller")).get(url).status_code == 403  # wrong role
    response = client_for(director).get(url)
    assert response.status_code == 200 and b"P0 T." in response.content
    outsider = make_staff("program_director", at=other_site)
    assert b"P0 T." not in client_for(outsider).get(url).content  # other site's board is empty for them
    referral = Referral.objects.first()
    assert client_for(outsider).get(reverse("referrals:detail", kwargs={"referral_id": referral.public_id})
                                    ).status_code == 404


def test_board_query_count_is_bounded(client_for, site, director, source):
    c = client_for(director)
    url = reverse("referrals:board")
    _referrals(site, director, source, 3)
    c.get(url)
    with CaptureQueriesContext(connection) as small:
        assert c.get(url).status_code == 200
    _referrals(site, director, source, 30)
    with CaptureQueriesContext(connection) as large:
        assert c.get(url).status_code == 200
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


def test_sources_query_count_is_bounded(client_for, site, director):
    c = client_for(director)
    url = reverse("referrals:sources")
    for i in range(3):
        src = services.create_referral_source(organization=site.organization, created_by=director, name=f"S{i}")
        services.add_contact(source=src, created_by=director, name="Contact")
    c.get(url)
    with CaptureQueriesContext(connection) as small:
        c.get(url)
    for i in range(3, 25):
        src = services.create_referral_source(organization=site.organization, created_by=director, name=f"S{i}")
        services.add_contact(source=src, created_by=director, name="Contact")
    with CaptureQueriesContext(connection) as large:
        c.get(url)
    assert len(large) == len(small)


def test_move_via_htmx_and_loss_reason_required(client_for, site, director, source, make_staff):
    _referrals(site, director, source, 1)
    referral = Referral.objects.get()
    c = client_for(director)
    url = reverse("referrals:move", kwargs={"referral_id": referral.public_id})
    response = c.post(url, {"status": "screening", "version": referral.version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b"board-column" in response.content
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SCREENING and referral.screening_at
    response = c.post(url, {"status": "declined", "version": referral.version}, HTTP_HX_REQUEST="true")
    assert b"Choose a reason" in response.content
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SCREENING
    reason = services.create_loss_reason(organization=site.organization, label="Needs higher level of care")
    c.post(url, {"status": "declined", "loss_reason": reason.pk, "version": referral.version},
           HTTP_HX_REQUEST="true")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED and referral.closed_at
    # a front-desk user may view but a group facilitator may not move
    assert client_for(make_staff("group_facilitator")).post(url, {"status": "received"}).status_code == 403


def test_create_referral_form_and_bad_input(client_for, site, director, source):
    c = client_for(director)
    url = reverse("referrals:new")
    assert c.get(url).status_code == 200
    response = c.post(url, {"first_name": "", "last_name": "Doe", "site": site.public_id})
    assert response.status_code == 200 and b"required" in response.content
    future = (today_in(site.zone) + dt.timedelta(days=3)).isoformat()
    response = c.post(url, {"first_name": "J", "last_name": "Doe", "date_of_birth": future, "site": site.public_id})
    assert b"in the future" in response.content
    assert not Referral.objects.exists()
    response = c.post(url, {"first_name": "Jo", "last_name": "Doe", "date_of_birth": "1990-01-02",
                            "source": source.pk, "site": site.public_id})
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert c.get(reverse("referrals:detail", kwargs={"referral_id": referral.public_id})).status_code == 200


def test_convert_referral_with_duplicate_detection(client_for, site, director, source):
    from trellis.core.testing.factories import PatientFactory

    referral = services.create_referral(site=site, created_by=director, first_name="Sam", last_name="Stone",
                                        date_of_birth=dt.date(1985, 3, 3), source=source)
    existing = PatientFactory(primary_site=site, legal_first_name="Sam", legal_last_name="Stone",
                              date_of_birth=dt.date(1985, 3, 3))
    c = client_for(director)
    url = reverse("referrals:convert", kwargs={"referral_id": referral.public_id})
    response = c.post(url, {"sex_at_birth": "M"})
    assert response.status_code == 200 and b"Possible duplicate" in response.content
    response = c.post(url, {"sex_at_birth": "M", "link_patient": existing.public_id})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.patient == existing


def test_intake_diagnosis_autocomplete_and_validation(client_for, site, make_staff, patient):
    therapist = make_staff("therapist")
    c = client_for(therapist)
    response = c.post(reverse("referrals:intake_start", kwargs={"patient_id": patient.public_id}))
    intake = IntakeAssessment.objects.get()
    assert response.status_code == 302
    page = c.get(reverse("referrals:intake", kwargs={"intake_id": intake.public_id}))
    assert page.status_code == 200 and b"What is your living situation today?" in page.content
    results = c.get(reverse("referrals:icd10_search"), {"code": "panic"})
    assert b"F41.0" in results.content
    add = reverse("episodes:intake_diagnosis_add", kwargs={"intake_id": intake.public_id})
    today = today_in(site.zone).isoformat()
    bad = c.post(add, {"code": "F99.99", "rank": "primary", "diagnosed_on": today}, HTTP_HX_REQUEST="true")
    assert b"not a valid ICD-10-CM code" in bad.content
    bad = c.post(add, {"code": "F33", "rank": "primary", "diagnosed_on": today}, HTTP_HX_REQUEST="true")
    assert b"not a billable code" in bad.content
    assert not Diagnosis.objects.exists()
    ok = c.post(add, {"code": "F41.0", "rank": "primary", "diagnosed_on": today}, HTTP_HX_REQUEST="true")
    assert b"Panic disorder" in ok.content
    assert Diagnosis.objects.get().code == "F41.0"
    # completing without a risk screen says what is missing
    response = c.post(reverse("referrals:intake", kwargs={"intake_id": intake.public_id}),
                      {"assessed_on": today, "presenting_problem": "Panic attacks", "complete": "1"})
    assert b"C-SSRS risk screen" in response.content
    intake.refresh_from_db()
    assert intake.status == "draft"
    # a biller may not write intakes
    assert client_for(make_staff("biller")).post(reverse("referrals:intake", kwargs={"intake_id": intake.public_id}),
                                                 {"assessed_on": today, "presenting_problem": "x"}).status_code == 403


def test_cssrs_views_high_risk_and_safety_plan(client_for, site, make_staff, patient):
    therapist = make_staff("therapist")
    c = client_for(therapist)
    url = reverse("referrals:screen_new", kwargs={"patient_id": patient.public_id})
    assert c.get(url).status_code == 200
    bad = c.post(url, {"q1": "no", "q2": "no", "q3": "yes", "q6": "no"})
    assert bad.status_code == 400 and b"only when question 2 is yes" in bad.content
    assert not SuicideRiskScreen.objects.exists()
    data = {k: ("yes" if v else "no") for k, v in HIGH_RISK.items()}
    response = c.post(url, data)
    screen = SuicideRiskScreen.objects.get()
    assert response.status_code == 302 and screen.risk == "high"
    page = c.get(reverse("referrals:screen", kwargs={"screen_id": screen.public_id}))
    assert b"safety plan is required before the patient leaves" in page.content
    response = c.post(reverse("referrals:screen", kwargs={"screen_id": screen.public_id}),
                      {"warning_signs": "x", "complete": "on"})
    assert response.status_code == 400 and b"Complete every section" in response.content


def test_determination_and_override_views(client_for, site, make_staff, patient):
    therapist = make_staff("therapist")
    director = make_staff("program_director")
    program = make_program(site)
    c = client_for(therapist)
    url = reverse("referrals:determination_new", kwargs={"patient_id": patient.public_id})
    page = c.get(url, {"program": program.public_id})
    assert page.status_code == 200 and b"inpatient psychiatric care" in page.content
    response = c.post(f"{url}?program={program.public_id}", {
        "program": program.pk, "recommended_level": "php", "rationale": "x",
        "dim_inpatient_alternative": "no", "dim_active_treatment": "yes", "dim_needs_24h": "no", "dim_support": "yes",
    })
    assert response.status_code == 302
    det = patient.loc_determinations.get()
    assert not det.criteria_met
    det_url = reverse("referrals:determination", kwargs={"determination_id": det.public_id})
    assert c.post(det_url, {"reason": "x"}).status_code == 403  # therapist cannot override
    response = client_for(director).post(det_url, {"reason": "Step-up denied by payer; PHP is safest"})
    assert response.status_code == 302
    det.refresh_from_db()
    assert det.admissible and det.overridden_by == director


def test_old_admission_requirements_address_redirects(client_for, site, director):
    program = make_program(site)
    response = client_for(director).get(f"/referrals/programs/{program.public_id}/")
    assert response.status_code == 302
    assert response["Location"] == reverse("careplans:admission_requirements",
                                           kwargs={"program_id": program.public_id})
    assert client_for(director).get("/referrals/programs/")["Location"] == reverse("careplans:admission_programs")


def test_board_filters_owner_and_source(client_for, site, director, source, make_staff):
    other = make_staff("case_manager")
    services.create_referral(site=site, created_by=director, first_name="Mine", last_name="X", owner=director,
                             source=source)
    services.create_referral(site=site, created_by=director, first_name="Theirs", last_name="Y", owner=other)
    c = client_for(director)
    url = reverse("referrals:board")
    both = c.get(url).content
    assert b"Mine X." in both and b"Theirs Y." in both
    mine = c.get(url, {"mine": "1"}).content
    assert b"Mine X." in mine and b"Theirs Y." not in mine
    by_source = c.get(url, {"source": source.public_id}).content
    assert b"Mine X." in by_source and b"Theirs Y." not in by_source
    assert c.get(url, {"source": "junk"}).status_code == 200


def test_board_columns_page_with_show_more_and_totals(client_for, site, director, source, monkeypatch, other_site,
                                                      make_staff):
    """A column longer than one page shows its total and a "Show more" that loads the next page in place."""
    from trellis.referrals import selectors

    monkeypatch.setattr(selectors, "BOARD_CARD_LIMIT", 4)
    monkeypatch.setattr(selectors.board_column, "__kwdefaults__", {**selectors.board_column.__kwdefaults__,
                                                                   "limit": 4})
    monkeypatch.setattr(selectors.board, "__kwdefaults__", {**selectors.board.__kwdefaults__, "limit": 4})
    _referrals(site, director, source, 6)
    c = client_for(director)
    page = c.get(reverse("referrals:board")).content.decode()
    assert page.count('class="card board-card"') == 4 and "Show more" in page
    assert "P5 T." in page and "P0 T." not in page  # same due date: the newest referral first
    more = c.get(reverse("referrals:board_column"), {"site": site.public_id, "status": "received", "offset": 4})
    assert more.status_code == 200
    body = more.content.decode()
    assert body.count('class="card board-card"') == 2 and "P0 T." in body and "Show more" not in body
    # bad input answers 400 with a reason, never a 500 or a silent default
    assert c.get(reverse("referrals:board_column"), {"site": site.public_id, "status": "nope"}).status_code == 400
    assert c.get(reverse("referrals:board_column"), {"site": site.public_id, "status": "received",
                                                     "offset": "x"}).status_code == 400
    # another site's member cannot page this site's column
    outsider = client_for(make_staff("program_director", at=other_site))
    response = outsider.get(reverse("referrals:board_column"), {"site": site.public_id, "status": "received"})
    assert b"P0 T." not in response.content


def test_board_column_queries_do_not_grow_with_pages(client_for, site, director, source):
    c = client_for(director)
    url = reverse("referrals:board_column")
    _referrals(site, director, source, 3)
    c.get(url, {"site": site.public_id, "status": "received"})
    with CaptureQueriesContext(connection) as small:
        c.get(url, {"site": site.public_id, "status": "received"})
    _referrals(site, director, source, 60)
    with CaptureQueriesContext(connection) as large:
        c.get(url, {"site": site.public_id, "status": "received", "offset": 50})
    assert len(large) == len(small)


def test_move_on_the_board_rerenders_only_the_two_columns(client_for, site, director, source):
    _referrals(site, director, source, 2)
    referral = Referral.objects.order_by("pk").first()
    c = client_for(director)
    form = c.get(reverse("referrals:move_form", kwargs={"referral_id": referral.public_id}))
    assert form.status_code == 200 and b'name="version"' in form.content
    response = c.post(reverse("referrals:move", kwargs={"referral_id": referral.public_id}),
                      {"status": "screening", "version": referral.version}, HTTP_HX_REQUEST="true",
                      HTTP_HX_CURRENT_URL="http://testserver/referrals/?mine=1")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('hx-swap-oob="outerHTML"') == 2
    assert 'id="column-received"' in body and 'id="column-screening"' in body and 'id="column-assessed"' not in body
    assert "Referral moved to Screening." in body
    # a refusal answers on the card, with the reason, and moves nothing
    stale = c.post(reverse("referrals:move", kwargs={"referral_id": referral.public_id}),
                   {"status": "assessed", "version": referral.version}, HTTP_HX_REQUEST="true")
    assert stale.status_code == 200 and b"alert-error" in stale.content and b"hx-swap-oob" not in stale.content
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SCREENING


def test_move_form_needs_the_manage_capability(client_for, site, other_site, director, source, make_staff):
    _referrals(site, director, source, 1)
    referral = Referral.objects.get()
    url = reverse("referrals:move_form", kwargs={"referral_id": referral.public_id})
    assert client_for(make_staff("group_facilitator", at=site)).get(url).status_code == 403
    assert client_for(make_staff("program_director", at=other_site)).get(url).status_code == 404
