"""Certification cadence as program data: stricter than 42 CFR 424.24(e) is allowed, looser is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from trellis.careplans import services
from trellis.careplans.models import CareDeadline
from trellis.core.clock import today_in
from trellis.core.errors import DomainError
from trellis.referrals.tests.builders import admitted_episode, make_program

pytestmark = pytest.mark.django_db


def test_default_rule_when_no_policy(site):
    php = make_program(site)
    rule = services.program_certification_rule(php)
    assert rule.first_recert_day == 18 and rule.recert_interval.days == 30
    assert services.program_certification_rule(make_program(site, name="No cert", certification=False)) is None


def test_stricter_policy_applies_and_looser_is_refused(site, make_staff, patient):
    director = make_staff("program_director")
    php = make_program(site)
    with pytest.raises(DomainError, match="by day 18"):
        services.set_certification_policy(program=php, initial_due_day=1, first_recert_day=20,
                                          recert_interval_days=30, changed_by=director)
    with pytest.raises(DomainError, match="at least every 30 days"):
        services.set_certification_policy(program=php, initial_due_day=1, first_recert_day=14,
                                          recert_interval_days=45, changed_by=director)
    services.set_certification_policy(program=php, initial_due_day=1, first_recert_day=14, recert_interval_days=21,
                                      changed_by=director)
    therapist = make_staff("therapist")
    prescriber = make_staff("prescriber")
    episode = admitted_episode(patient, php, therapist)
    services.record_certification(episode=episode, physician=prescriber)
    recert = CareDeadline.objects.get(episode=episode, kind="recertification", met_on=None)
    assert recert.due_on == today_in(site.zone) + dt.timedelta(days=13)
    assert recert.citation.startswith("Program policy")


def test_iop_policy_limits(site, make_staff):
    director = make_staff("program_director")
    iop = make_program(site, level="iop", name="IOP")
    with pytest.raises(DomainError, match="at least every 60 days"):
        services.set_certification_policy(program=iop, initial_due_day=1, first_recert_day=None,
                                          recert_interval_days=90, changed_by=director)
    policy = services.set_certification_policy(program=iop, initial_due_day=1, first_recert_day=None,
                                               recert_interval_days=30, changed_by=director)
    assert policy.recert_interval_days == 30


def test_nurse_practitioner_prescriber_cannot_certify(site, make_staff, patient):
    """42 CFR 424.24(e)(1): PHP/IOP certification is a physician's; an NP prescriber is refused."""
    from trellis.careplans.models import PhysicianCertification

    php = make_program(site)
    np_prescriber = make_staff("prescriber")
    np_prescriber.profile.is_physician = False
    np_prescriber.profile.credentials = "PMHNP-BC"
    np_prescriber.profile.save()
    episode = admitted_episode(patient, php, make_staff("therapist"))
    with pytest.raises(DomainError, match="physician"):
        services.record_certification(episode=episode, physician=np_prescriber)
    assert not PhysicianCertification.objects.filter(episode=episode).exists()
