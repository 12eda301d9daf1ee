"""Coverage services: every bad input refused with a message saying what to fix; approvals extend; level follows."""

from __future__ import annotations

import datetime as dt

import pytest

from trellis.audit.models import AuditEvent
from trellis.core.errors import ConflictError, DomainError
from trellis.coverage import services
from trellis.coverage.models import (
    Authorization,
    ClaimForm,
    ConcurrentReview,
    Coverage,
    CoverageOrder,
    PayerType,
    Relationship,
    ReviewOutcome,
)
from trellis.episodes.models import EpisodeLevelChange

pytestmark = pytest.mark.django_db
D = dt.timedelta


def refused(match: str, field: str | None = None):
    class _Ctx:
        def __enter__(self):
            self.cm = pytest.raises(DomainError, match=match)
            self.info = self.cm.__enter__()
            return self.info

        def __exit__(self, *exc):
            out = self.cm.__exit__(*exc)
            if field is not None:
                assert self.info.value.field == field
            return out
    return _Ctx()


# ---------------------------------------------------------------- payers
def test_payer_created_and_audited(acme):
    assert acme.payer_identifier == "ACME1"
    assert AuditEvent.objects.filter(object_type="payer", object_id=str(acme.public_id), action="create").exists()


@pytest.mark.parametrize(("changes", "message", "field"), [
    ({"payer_identifier": "!"}, "payer id", "payer_identifier"),
    ({"payer_identifier": "acme1"}, "already uses this payer id", "payer_identifier"),
    ({"payer_type": "medicare", "claim_filing_indicator": "CI"}, "MA or MB", "claim_filing_indicator"),
    ({"payer_type": "medicaid", "claim_filing_indicator": "CI"}, "MC", "claim_filing_indicator"),
    ({"payer_type": "self_pay", "claim_filing_indicator": "CI"}, "09", "claim_filing_indicator"),
    ({"payer_type": "self_pay", "claim_filing_indicator": "09", "requires_authorization": True}, "Self-pay needs no",
     "requires_authorization"),
    ({"payer_type": "medicare", "claim_filing_indicator": "MA", "timely_filing_days": 400}, "42 CFR 424.44",
     "timely_filing_days"),
    ({"timely_filing_days": 0}, "timely-filing", "timely_filing_days"),
    ({"name": " "}, "name", "name"),
])
def test_bad_payers_refused(org, admin_user, acme, changes, message, field):
    data = {"name": "Other", "payer_identifier": "OTHER1", "payer_type": PayerType.COMMERCIAL,
            "claim_form": ClaimForm.PROFESSIONAL, "claim_filing_indicator": "CI", "timely_filing_days": 90,
            "requires_authorization": True} | changes
    with refused(message, field):
        services.create_payer(organization=org, actor=admin_user, **data)


def test_update_payer_keeps_its_own_id(acme, admin_user):
    services.update_payer(payer=acme, actor=admin_user, timely_filing_days=120)
    acme.refresh_from_db()
    assert acme.timely_filing_days == 120


# ---------------------------------------------------------------- coverages
def test_coverage_ends_before_it_starts(episode, acme, admin_user, today):
    with refused("ends before it starts", "effective_to"):
        services.add_coverage(patient=episode.patient, actor=admin_user, payer=acme, member_id="M1",
                              effective_from=today, effective_to=today - D(days=1))


def test_two_primary_coverages_at_once_refused(coverage, medicare, admin_user, today):
    with refused("Acme Health Plan is already the primary coverage", "order"):
        services.add_coverage(patient=coverage.patient, actor=admin_user, payer=medicare, member_id="1EG4TE5MK73",
                              effective_from=today)
    # secondary at the same time is fine; a primary after the first one ends is fine
    services.add_coverage(patient=coverage.patient, actor=admin_user, payer=medicare, member_id="1EG4TE5MK73",
                          order=CoverageOrder.SECONDARY, effective_from=today)
    services.update_coverage(coverage=coverage, actor=admin_user, version=coverage.version,
                             effective_to=today + D(days=30))
    later = services.add_coverage(patient=coverage.patient, actor=admin_user, payer=medicare, member_id="X",
                                  effective_from=today + D(days=31))
    assert later.order == CoverageOrder.PRIMARY


def test_coverage_must_overlap_the_episode_it_is_added_for(episode, acme, admin_user):
    with refused("do not overlap the episode", "effective_from"):
        services.add_coverage(patient=episode.patient, actor=admin_user, payer=acme, member_id="M1",
                              effective_from=episode.admitted_on - D(days=100),
                              effective_to=episode.admitted_on - D(days=1), episode=episode)


def test_member_id_required_except_self_pay(episode, acme, org, admin_user, today):
    with refused("member id", "member_id"):
        services.add_coverage(patient=episode.patient, actor=admin_user, payer=acme, member_id=" ",
                              effective_from=today)
    self_pay = services.create_payer(organization=org, actor=admin_user, name="Self-pay", payer_identifier="SELFPAY",
                                     payer_type=PayerType.SELF_PAY, claim_form=ClaimForm.PROFESSIONAL,
                                     claim_filing_indicator="09", timely_filing_days=365, requires_authorization=False)
    assert services.add_coverage(patient=episode.patient, actor=admin_user, payer=self_pay, member_id="",
                                 effective_from=today).pk


@pytest.mark.parametrize("missing", ["subscriber_first_name", "subscriber_last_name", "subscriber_birth_date",
                                     "subscriber_sex"])
def test_dependent_needs_the_subscriber(episode, acme, admin_user, today, missing):
    sub = {"subscriber_first_name": "Dana", "subscriber_last_name": "Rivera",
           "subscriber_birth_date": dt.date(1980, 3, 4), "subscriber_sex": "F"}
    sub[missing] = None if missing == "subscriber_birth_date" else ""
    with refused("not the subscriber", missing):
        services.add_coverage(patient=episode.patient, actor=admin_user, payer=acme, member_id="M1",
                              effective_from=today, relationship=Relationship.CHILD, **sub)


def test_self_coverage_keeps_no_stale_subscriber(episode, acme, admin_user, today):
    cov = services.add_coverage(patient=episode.patient, actor=admin_user, payer=acme, member_id="m1",
                                effective_from=today, subscriber_last_name="Someone")
    assert cov.subscriber_last_name == "" and cov.member_id == "M1"


def test_eligibility_needs_a_date_and_not_in_future(coverage, admin_user, today):
    with refused("checked", "eligibility_checked_on"):
        services.update_coverage(coverage=coverage, actor=admin_user, version=coverage.version,
                                 eligibility_status="active", eligibility_checked_on=None)
    with refused("in the future"):
        services.record_eligibility(coverage=coverage, actor=admin_user, status="active", checked_on=today + D(days=1))
    services.record_eligibility(coverage=coverage, actor=admin_user, status="active", checked_on=today)
    coverage.refresh_from_db()
    assert coverage.eligibility_status == "active" and coverage.eligibility_checked_on == today


def test_stale_coverage_edit_is_a_conflict(coverage, admin_user):
    with pytest.raises(ConflictError):
        services.update_coverage(coverage=coverage, actor=admin_user, version=coverage.version + 5, member_id="Z")


def test_coverage_cannot_shrink_under_its_authorizations(authorization, coverage, admin_user):
    with refused("outside these dates"):
        services.update_coverage(coverage=coverage, actor=admin_user, version=coverage.version,
                                 effective_to=authorization.end_on - D(days=1))


# ---------------------------------------------------------------- authorizations
def _auth(coverage, episode, actor, **over):
    data = {"number": "PA1", "level_of_care": "iop", "units_authorized": 10, "start_on": episode.admitted_on,
            "end_on": episode.admitted_on + D(days=13)} | over
    return services.add_authorization(coverage=coverage, episode=episode, actor=actor, **data)


def test_authorization_ending_before_it_starts(coverage, episode, admin_user):
    with refused("ends before it starts", "end_on"):
        _auth(coverage, episode, admin_user, end_on=episode.admitted_on - D(days=1))


def test_overlapping_authorizations_same_coverage_and_level(authorization, coverage, episode, admin_user):
    with refused("PA100 already covers", "start_on"):
        _auth(coverage, episode, admin_user, number="PA2", start_on=authorization.end_on, end_on=authorization.end_on
              + D(days=10))
    # a different level of care may overlap (a PHP authorization during an IOP one is a separate request)
    assert _auth(coverage, episode, admin_user, number="PA3", level_of_care="php", units_authorized=5).pk
    # the next one, after the end, is fine
    assert _auth(coverage, episode, admin_user, number="PA4", start_on=authorization.end_on + D(days=1),
                 end_on=authorization.end_on + D(days=8), units_authorized=5).pk


def test_more_days_than_the_range_has(coverage, episode, admin_user):
    with refused("has only 14 days", "units_authorized"):
        _auth(coverage, episode, admin_user, units_authorized=15)


def test_coverage_dates_must_overlap_the_episode(episode, acme, admin_user):
    old = services.add_coverage(patient=episode.patient, actor=admin_user, payer=acme, member_id="OLD",
                                effective_from=episode.admitted_on - D(days=400),
                                effective_to=episode.admitted_on - D(days=30))
    with refused("does not overlap the episode", "coverage"):
        _auth(old, episode, admin_user)


def test_authorization_must_fall_inside_the_coverage(coverage, episode, admin_user):
    services.update_coverage(coverage=coverage, actor=admin_user, version=coverage.version,
                             effective_to=episode.admitted_on + D(days=5))
    coverage.refresh_from_db()
    with refused("must fall inside it", "end_on"):
        _auth(coverage, episode, admin_user)


def test_bad_service_codes(coverage, episode, admin_user):
    with refused("Not a HCPCS or CPT code: 123", "service_codes"):
        _auth(coverage, episode, admin_user, service_codes="S9480, 123")
    auth = _auth(coverage, episode, admin_user, service_codes="s9480 h0015,S9480")
    assert auth.service_codes == "S9480,H0015" and auth.codes == frozenset({"S9480", "H0015"})


def test_other_patients_episode_refused(coverage, make_episode, admin_user):
    other = make_episode()
    with refused("different patients", "episode"):
        _auth(coverage, other, admin_user, start_on=other.admitted_on, end_on=other.admitted_on + D(days=3))


def test_units_used_beyond_authorized_refused(authorization, admin_user, usage):
    usage[authorization.pk] = 12
    with refused("12 days are already used", "units_authorized"):
        services.update_authorization(authorization=authorization, actor=admin_user, version=authorization.version,
                                      units_authorized=11)
    services.update_authorization(authorization=authorization, actor=admin_user, version=authorization.version,
                                  units_authorized=12)
    authorization.refresh_from_db()
    assert authorization.units_authorized == 12


def test_first_review_is_scheduled_from_the_frequency(authorization):
    (review,) = authorization.reviews.all()
    assert review.due_on == authorization.start_on + D(days=7) and review.outcome == ReviewOutcome.PENDING


def test_authorized_level_follows_the_authorization(coverage, episode, admin_user):
    assert episode.authorized_level is None
    _auth(coverage, episode, admin_user)
    episode.refresh_from_db()
    assert episode.authorized_level == "iop"
    change = EpisodeLevelChange.objects.get(episode=episode)
    assert change.field == "authorized" and "Authorized by the payer" in change.reason and "PA1" not in change.reason


# ---------------------------------------------------------------- reviews
def test_approved_without_days_refused(authorization, admin_user, today):
    review = authorization.reviews.get()
    with refused("how many more days", "approved_days"):
        services.record_review(review=review, actor=admin_user, outcome="approved", reviewed_on=today)
    with refused("only with an approval", "approved_days"):
        services.record_review(review=review, actor=admin_user, outcome="denied", reviewed_on=today, approved_days=3)
    with refused("in the future", "reviewed_on"):
        services.record_review(review=review, actor=admin_user, outcome="denied", reviewed_on=today + D(days=1))


def test_approving_extends_the_authorization_and_schedules_the_next(authorization, admin_user, today):
    review = authorization.reviews.get()
    end, units = authorization.end_on, authorization.units_authorized
    services.record_review(review=review, actor=admin_user, outcome="approved", reviewed_on=today, approved_days=5,
                           reviewer="R. Alvarez", notes="Approved 5 days")
    authorization.refresh_from_db()
    assert authorization.end_on == end + D(days=5) and authorization.units_authorized == units + 5
    nxt = authorization.reviews.filter(outcome="pending").get()
    assert nxt.due_on == today + D(days=7)
    with pytest.raises(ConflictError):
        services.record_review(review=review, actor=admin_user, outcome="denied", reviewed_on=today)


def test_approval_may_not_run_into_the_next_authorization(authorization, coverage, episode, admin_user, today):
    _auth(coverage, episode, admin_user, number="NEXT", start_on=authorization.end_on + D(days=3),
          end_on=authorization.end_on + D(days=10), units_authorized=5)
    with refused("would overlap authorization NEXT", "approved_days"):
        services.record_review(review=authorization.reviews.get(), actor=admin_user, outcome="approved",
                               reviewed_on=today, approved_days=7)


def test_peer_to_peer_schedules_a_follow_up_and_denial_ends_the_cycle(authorization, admin_user, today):
    services.record_review(review=authorization.reviews.get(), actor=admin_user, outcome="peer_to_peer",
                           reviewed_on=today)
    follow = authorization.reviews.get(outcome="pending")
    assert follow.due_on == today + D(days=1)
    services.record_review(review=follow, actor=admin_user, outcome="denied", reviewed_on=today)
    assert not authorization.reviews.filter(outcome="pending").exists()


def test_pending_keeps_the_review_open(authorization, admin_user, today):
    review = authorization.reviews.get()
    services.record_review(review=review, actor=admin_user, outcome="pending", reviewed_on=today,
                           notes="Clinicals faxed")
    review.refresh_from_db()
    assert review.outcome == "pending" and review.reviewed_on is None and review.notes == "Clinicals faxed"


def test_schedule_review_one_pending_at_a_time(authorization, admin_user, today):
    with refused("already pending"):
        services.schedule_review(authorization=authorization, actor=admin_user, due_on=today)


def test_database_constraints_back_the_rules(authorization, coverage):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Authorization.objects.filter(pk=authorization.pk).update(end_on=authorization.start_on - D(days=1))
    with pytest.raises(IntegrityError), transaction.atomic():
        ConcurrentReview.objects.filter(authorization=authorization).update(outcome="approved",
                                                                           reviewed_on=authorization.start_on)
    with pytest.raises(IntegrityError), transaction.atomic():
        Coverage.objects.filter(pk=coverage.pk).update(relationship="19")
