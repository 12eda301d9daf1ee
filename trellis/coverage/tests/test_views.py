"""Every coverage view: allowed and denied (anonymous, wrong role, other site), bad input, the worklist and
Today's counters, query counts at two data sizes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trellis.audit.models import AuditEvent
from trellis.core.registry import TodayContext
from trellis.core.testing.factories import OrganizationFactory, SiteFactory
from trellis.core.testing.factories import make_staff as staff_at
from trellis.coverage import policies, selectors, services
from trellis.coverage.models import Authorization, ConcurrentReview, Coverage, Payer

pytestmark = pytest.mark.django_db
D = dt.timedelta


def pages(patient, coverage, auth, review, payer):
    return {
        "chart": reverse("coverage:chart", args=[patient.public_id]),
        "coverage_new": reverse("coverage:coverage_new", args=[patient.public_id]),
        "coverage_edit": reverse("coverage:coverage_edit", args=[coverage.public_id]),
        "authorization_new": reverse("coverage:authorization_new", args=[patient.public_id]),
        "authorization_edit": reverse("coverage:authorization_edit", args=[auth.public_id]),
        "review": reverse("coverage:review", args=[review.public_id]),
        "worklist": reverse("coverage:worklist"),
        "payers": reverse("coverage:payers"),
        "payer_new": reverse("coverage:payer_new"),
        "payer_edit": reverse("coverage:payer_edit", args=[payer.public_id]),
    }


# Who may open what (minimum necessary): front desk keeps coverage, not authorizations or reviews; billers and
# case managers manage both; reviews need case management (or the director); payers are billers' and admins'.
ALLOWED = {
    "chart": {"front_desk", "biller", "case_manager", "program_director"},
    "coverage_new": {"front_desk", "biller", "case_manager"},
    "coverage_edit": {"front_desk", "biller", "case_manager"},
    "authorization_new": {"biller", "case_manager", "program_director"},
    "authorization_edit": {"biller", "case_manager", "program_director"},
    "review": {"case_manager", "program_director"},
    "worklist": {"biller", "case_manager", "program_director"},
    "payers": {"biller", "org_admin"},
    "payer_new": {"biller", "org_admin"},
    "payer_edit": {"biller", "org_admin"},
}
ROLES = ["front_desk", "biller", "case_manager", "program_director", "therapist", "prescriber", "nurse",
         "peer_specialist", "group_facilitator", "org_admin"]


@pytest.fixture
def world(episode, coverage, authorization, acme):
    return pages(episode.patient, coverage, authorization, authorization.reviews.get(), acme)


@pytest.mark.parametrize("name", list(ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_who_may_open_each_page(name, role, world, make_staff, client_for):
    response = client_for(make_staff(role)).get(world[name])
    if role in ALLOWED[name]:
        assert response.status_code == 200, (name, role)
    else:
        assert response.status_code == 403, (name, role)


@pytest.mark.parametrize("name", list(ALLOWED))
def test_anonymous_is_sent_to_sign_in(name, world, client):
    response = client.get(world[name])
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", ["chart", "coverage_new", "coverage_edit", "authorization_new", "authorization_edit",
                                  "review"])
def test_other_site_gets_404_and_is_audited(name, world, make_staff, other_site, client_for):
    role = "case_manager"
    response = client_for(make_staff(role, at=other_site)).get(world[name])
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="denied").exists()


def test_payer_of_another_organization_is_404(world, client_for, make_staff):
    stranger = staff_at("biller", SiteFactory(organization=OrganizationFactory(name="Elsewhere")))
    assert client_for(stranger).get(world["payer_edit"]).status_code == 404
    assert client_for(make_staff("biller")).get(world["payer_edit"]).status_code == 200


def test_front_desk_sees_coverage_but_not_review_notes(world, authorization, make_staff, client_for, today):
    services.record_review(review=authorization.reviews.get(), actor=None, outcome="peer_to_peer", reviewed_on=today,
                           notes="CLINICAL RATIONALE SHARED WITH THE PAYER")
    front = client_for(make_staff("front_desk")).get(world["chart"]).content.decode()
    assert "ACM123" in front and "PA100" in front
    assert "CLINICAL RATIONALE" not in front and "Record outcome" not in front and "Add authorization" not in front
    manager = client_for(make_staff("case_manager")).get(world["chart"]).content.decode()
    assert "CLINICAL RATIONALE" in manager and "Record outcome" in manager


def test_chart_says_usage_not_computed_without_a_provider(world, make_staff, client_for):
    from trellis.coverage.usage import register_usage_provider, usage_bound, usage_provider

    registered, bound = usage_provider(), usage_bound()  # compliance registers the real one at start-up
    register_usage_provider(None)
    try:
        html = client_for(make_staff("biller")).get(world["chart"]).content.decode()
    finally:
        register_usage_provider(registered, bound=bound)
    assert "not yet computed" in html and "<meter" not in html


def test_chart_shows_days_used_bar_from_the_provider(world, authorization, usage, make_staff, client_for):
    usage[authorization.pk] = 18
    html = client_for(make_staff("biller")).get(world["chart"]).content.decode()
    assert 'value="18"' in html and "18 of 20 days used" in html and "2 left" in html
    assert "Nearly used" in html


def test_chart_read_is_audited(world, episode, make_staff, client_for):
    client_for(make_staff("biller")).get(world["chart"])
    assert AuditEvent.objects.filter(action="read", patient_id=episode.patient_id,
                                     detail__view="coverage").exists()


# ---------------------------------------------------------------- forms
def test_add_coverage_flow_and_bad_input(episode, acme, make_staff, client_for, today):
    c = client_for(make_staff("front_desk"))
    url = reverse("coverage:coverage_new", args=[episode.patient.public_id])
    bad = c.post(url, {"payer": acme.pk, "order": "P", "member_id": "M9", "effective_from": today,
                       "effective_to": today - D(days=1), "relationship": "18", "eligibility_status": "not_checked"})
    assert bad.status_code == 400 and "ends before it starts" in bad.content.decode()
    assert not Coverage.objects.exists()
    ok = c.post(url, {"payer": acme.pk, "order": "P", "member_id": "M9", "effective_from": today,
                      "relationship": "18", "eligibility_status": "not_checked", "next": "admit"})
    assert ok.status_code == 302 and "/admit/" in ok["Location"]
    assert Coverage.objects.get().member_id == "M9"


def test_edit_coverage_conflict_is_reported(coverage, make_staff, client_for):
    c = client_for(make_staff("biller"))
    url = reverse("coverage:coverage_edit", args=[coverage.public_id])
    data = {"payer": coverage.payer_id, "order": "P", "member_id": "NEW1", "effective_from": coverage.effective_from,
            "relationship": "18", "eligibility_status": "not_checked", "version": coverage.version + 3}
    response = c.post(url, data)
    assert response.status_code == 400 and "Someone else changed" in response.content.decode()
    response = c.post(url, data | {"version": coverage.version})
    assert response.status_code == 302
    coverage.refresh_from_db()
    assert coverage.member_id == "NEW1"


def test_record_eligibility(coverage, make_staff, client_for, today):
    c = client_for(make_staff("front_desk"))
    url = reverse("coverage:eligibility", args=[coverage.public_id])
    assert c.get(url).status_code == 405
    assert c.post(url, {"eligibility_status": "bogus"}).status_code == 302
    coverage.refresh_from_db()
    assert coverage.eligibility_status == "not_checked"
    c.post(url, {"eligibility_status": "inactive"})
    coverage.refresh_from_db()
    assert coverage.eligibility_status == "inactive" and coverage.eligibility_checked_on == today


def test_add_authorization_overlap_message(authorization, coverage, episode, make_staff, client_for):
    c = client_for(make_staff("case_manager"))
    url = reverse("coverage:authorization_new", args=[episode.patient.public_id])
    response = c.post(url, {"coverage": coverage.pk, "episode": episode.pk, "number": "PA2", "level_of_care": "iop",
                            "unit_kind": "days", "units_authorized": 5, "start_on": authorization.start_on,
                            "end_on": authorization.start_on + D(days=6)})
    assert response.status_code == 400 and "PA100 already covers" in response.content.decode()
    assert Authorization.objects.count() == 1


def test_authorization_form_preselects_the_episode_in_care(coverage, episode, make_staff, client_for):
    html = client_for(make_staff("case_manager")).get(
        reverse("coverage:authorization_new", args=[episode.patient.public_id])).content.decode()
    assert f'<option value="{episode.pk}" selected>' in html


def test_edit_authorization_units_below_used(authorization, usage, make_staff, client_for):
    usage[authorization.pk] = 15
    c = client_for(make_staff("biller"))
    url = reverse("coverage:authorization_edit", args=[authorization.public_id])
    data = {"number": "PA100", "level_of_care": "iop", "unit_kind": "days", "units_authorized": 10,
            "start_on": authorization.start_on, "end_on": authorization.end_on, "review_frequency_days": 7,
            "version": authorization.version}
    response = c.post(url, data)
    assert response.status_code == 400 and "15 days are already used" in response.content.decode()
    assert c.post(url, data | {"units_authorized": 16}).status_code == 302


def test_record_review_flow(authorization, make_staff, client_for, today):
    review = authorization.reviews.get()
    c = client_for(make_staff("case_manager"))
    url = reverse("coverage:review", args=[review.public_id])
    bad = c.post(url, {"outcome": "approved", "reviewed_on": today})
    assert bad.status_code == 400 and "how many more days" in bad.content.decode()
    ok = c.post(url, {"outcome": "approved", "approved_days": 7, "reviewed_on": today, "next": "worklist"})
    assert ok.status_code == 302 and ok["Location"] == reverse("coverage:worklist")
    review.refresh_from_db()
    assert review.outcome == "approved"
    # a decided review shows its outcome, no form
    html = c.get(url).content.decode()
    assert "Record the payer" not in html and "7 more days" in html


def test_schedule_review_by_hand(authorization, make_staff, client_for, today):
    c = client_for(make_staff("case_manager"))
    url = reverse("coverage:review_schedule", args=[authorization.public_id])
    c.post(url, {"due_on": today})  # refused: one pending already
    assert authorization.reviews.count() == 1
    services.record_review(review=authorization.reviews.get(), actor=None, outcome="denied", reviewed_on=today)
    c.post(url, {"due_on": today + D(days=2)})
    assert authorization.reviews.filter(outcome="pending").get().due_on == today + D(days=2)
    assert client_for(make_staff("front_desk")).post(url, {"due_on": today}).status_code == 403


def test_payer_setup_flow(org, make_staff, client_for):
    c = client_for(make_staff("org_admin"))
    bad = c.post(reverse("coverage:payer_new"), {"name": "Medicare", "payer_identifier": "MCR", "payer_type": "medicare",
                                                 "claim_form": "837I", "claim_filing_indicator": "CI",
                                                 "timely_filing_days": 365, "active": "on"})
    assert bad.status_code == 400 and "MA or MB" in bad.content.decode()
    ok = c.post(reverse("coverage:payer_new"), {"name": "Medicare", "payer_identifier": "MCR", "payer_type": "medicare",
                                                "claim_form": "837I", "claim_filing_indicator": "MA",
                                                "timely_filing_days": 365, "active": "on"})
    assert ok.status_code == 302 and Payer.objects.get(payer_identifier="MCR").claim_filing_indicator == "MA"


def test_garbage_ids_are_404_not_500(make_staff, client_for):
    c = client_for(make_staff("case_manager"))
    assert c.get("/coverage/reviews/not-a-uuid/").status_code == 404
    assert c.get("/coverage/reviews/00000000-0000-0000-0000-000000000000/").status_code == 404


# ---------------------------------------------------------------- episode and admission pages
def test_admission_page_asks_for_coverage(episode, make_staff, client_for, acme, today):
    url = reverse("episodes:admit", args=[episode.patient.public_id])
    director = client_for(make_staff("program_director")).get(url).content.decode()
    assert "No insurance coverage is on file" in director and "Ask front desk" in director
    services.add_coverage(patient=episode.patient, actor=None, payer=acme, member_id="ACM9", effective_from=today)
    director = client_for(make_staff("program_director")).get(url).content.decode()
    assert "Acme Health Plan" in director and "ACM9" in director
    therapist = client_for(make_staff("therapist")).get(url).content.decode()
    assert "Insurance coverage is on file" in therapist and "ACM9" not in therapist


def test_episode_page_shows_its_authorizations(authorization, episode, make_staff, client_for):
    url = reverse("episodes:episode", args=[episode.public_id])
    assert "PA100" in client_for(make_staff("case_manager")).get(url).content.decode()
    assert "PA100" not in client_for(make_staff("therapist")).get(url).content.decode()


# ---------------------------------------------------------------- worklist and Today
def _populate(n, make_episode, acme, today):
    """n patients in care: a review due, an authorization expiring, and one without any."""
    for i in range(n):
        ep = make_episode(admitted_on=today - D(days=20))
        cov = services.add_coverage(patient=ep.patient, actor=None, payer=acme, member_id=f"W{i}",
                                    effective_from=today - D(days=100))
        if i % 3 == 2:
            continue  # in care without an authorization
        auth = services.add_authorization(coverage=cov, episode=ep, actor=None, number=f"W{i}", level_of_care="iop",
                                          units_authorized=10, start_on=today - D(days=20),
                                          end_on=today + D(days=3 if i % 3 == 0 else 20), review_frequency_days=7)
        ConcurrentReview.objects.filter(authorization=auth).update(due_on=today - D(days=i % 2))


def test_worklist_sections_and_counters_match(episode, make_episode, acme, make_staff, client_for, today, site):
    _populate(6, make_episode, acme, today)
    user = make_staff("case_manager")
    data = selectors.worklist(user, today)
    assert len(data.reviews_due) == 4 and len(data.authorizations) == 2 and len(data.unauthorized) == 2
    counters = selectors.today_counters(user, TodayContext(day=today, sites=[site], active_site=None))
    assert [c.value for c in counters] == [4, 2, 2]
    html = client_for(user).get(counters[0].url.split("#")[0]).content.decode()
    assert html.count("Record outcome") == 4
    other_site_view = selectors.today_counters(user, TodayContext(day=today, sites=[], active_site=None))
    assert [c.value for c in other_site_view] == [4, 2, 2]


def test_worklist_is_site_scoped(make_episode, acme, other_site, make_staff, today):
    elsewhere = make_episode(at=other_site, admitted_on=today - D(days=5))
    services.add_coverage(patient=elsewhere.patient, actor=None, payer=acme, member_id="X",
                          effective_from=today - D(days=10))
    assert selectors.worklist(make_staff("case_manager"), today).unauthorized == []
    assert len(selectors.worklist(make_staff("case_manager", at=other_site), today).unauthorized) == 1


def test_renewed_authorization_leaves_the_list(authorization, coverage, episode, make_staff, today):
    Authorization.objects.filter(pk=authorization.pk).update(end_on=today + D(days=2))
    user = make_staff("case_manager")
    assert len(selectors.worklist(user, today).authorizations) == 1
    services.add_authorization(coverage=coverage, episode=episode, actor=None, number="PA101", level_of_care="iop",
                               units_authorized=5, start_on=today + D(days=3), end_on=today + D(days=12))
    assert selectors.worklist(user, today).authorizations == []


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_worklist_query_count_independent_of_size(make_episode, acme, make_staff, client_for, today, usage):
    user = make_staff("case_manager")
    c = client_for(user)
    url = reverse("coverage:worklist")
    _populate(3, make_episode, acme, today)
    c.get(url)
    small = _queries(lambda: c.get(url))
    _populate(12, make_episode, acme, today)
    large = _queries(lambda: c.get(url))
    assert small == large


def test_chart_query_count_independent_of_size(make_episode, acme, make_staff, client_for, today, usage):
    episode = make_episode(admitted_on=today - D(days=70))
    coverage = services.add_coverage(patient=episode.patient, actor=None, payer=acme, member_id="Q",
                                     effective_from=today - D(days=100))
    c = client_for(make_staff("biller"))
    url = reverse("coverage:chart", args=[episode.patient.public_id])
    services.add_authorization(coverage=coverage, episode=episode, actor=None, number="A0", level_of_care="iop",
                               units_authorized=3, start_on=today - D(days=60), end_on=today - D(days=58),
                               review_frequency_days=1)
    c.get(url)
    small = _queries(lambda: c.get(url))
    for i in range(1, 8):
        start = today - D(days=60 - 4 * i)
        a = services.add_authorization(coverage=coverage, episode=episode, actor=None, number=f"A{i}",
                                       level_of_care="iop", units_authorized=3, start_on=start, end_on=start + D(days=2),
                                       review_frequency_days=1)
        services.record_review(review=a.reviews.get(), actor=None, outcome="denied", reviewed_on=a.end_on)
    services.add_coverage(patient=episode.patient, actor=None, payer=acme, member_id="S", order="S",
                          effective_from=today)
    large = _queries(lambda: c.get(url))
    assert small == large


def test_worklist_for_a_site_the_user_does_not_work_at_is_empty(make_episode, acme, other_site, make_staff,
                                                                client_for, today):
    _populate(3, make_episode, acme, today)
    c = client_for(make_staff("case_manager"))
    html = c.get(reverse("coverage:worklist")).content.decode()
    assert "Record outcome" in html
    html = c.get(reverse("coverage:worklist") + f"?site={other_site.public_id}").content.decode()
    assert "Record outcome" not in html and "No reviews due." in html


def test_policies_answer_with_a_reason(episode, make_staff, site):
    front = make_staff("front_desk")
    assert policies.can_manage_coverage(front, episode.patient)
    denied = policies.can_record_reviews(front, site)
    assert not denied and denied.reason == f"Your role at {site.name} does not allow you to record or read concurrent reviews."
    assert not policies.can_manage_authorizations(front, episode)
    assert policies.can_manage_payers(make_staff("org_admin")) and not policies.can_manage_payers(front)
