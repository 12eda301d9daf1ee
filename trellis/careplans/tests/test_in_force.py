"""Which plan version is in force (issue 11 item 7): in a certified program only once the physician co-signed it
(42 CFR 424.24(e)(2)(i)); the plan pages, the billable-service selector and the audit report agree."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from trellis.careplans import billable, in_force, selectors, services
from trellis.careplans.billable import ServiceFacts, decide
from trellis.careplans.in_force import VersionFacts
from trellis.careplans.models import TreatmentPlan
from trellis.core.clock import today_in
from trellis.documentation.tests.conftest import (  # noqa: F401 - fixtures
    _fixed_clock,
    facilitator,
    make_group,
    program,
    track,
)
from trellis.referrals.tests.builders import admitted_episode, make_program, simple_plan

D = dt.date(2026, 3, 10)


def v(version, effective, cosigned=None, signed=True):
    return VersionFacts(version=version, effective_on=effective, clinician_signed=signed, physician_signed_on=cosigned)


def test_uncertified_program_plan_is_in_force_from_its_effective_date():
    """42 CFR 424.24(e)(1)(ii), 410.43(a)(3): a signed plan governs from its effective date; unsigned never."""
    versions = [v(1, D - dt.timedelta(days=10)), v(2, D + dt.timedelta(days=1)), v(3, D - dt.timedelta(days=1),
                                                                               signed=False)]
    assert in_force.version_on(versions, D, cosign_required=False) == 1
    assert in_force.version_on(versions, D + dt.timedelta(days=1), cosign_required=False) == 2
    assert in_force.version_on(versions, D - dt.timedelta(days=11), cosign_required=False) is None


def test_certified_program_plan_needs_the_physician_cosignature():
    """42 CFR 424.24(e)(2)(i): in a certified program a version is in force only once a physician co-signed it,
    from the later of its effective date and the co-signature; the previous co-signed version governs until then."""
    first = v(1, D - dt.timedelta(days=20), cosigned=D - dt.timedelta(days=18))
    review = v(2, D - dt.timedelta(days=3))  # signed by the clinician, not yet by the physician
    assert in_force.version_on([first, review], D, cosign_required=True) == 1
    assert in_force.version_on([first, review], D, cosign_required=False) == 2
    assert in_force.version_on([first], D - dt.timedelta(days=19), cosign_required=True) is None  # before co-sign
    assert in_force.awaiting_cosign([first, review], D, cosign_required=True) == [2]
    cosigned = v(2, D - dt.timedelta(days=3), cosigned=D)
    assert in_force.version_on([first, cosigned], D - dt.timedelta(days=1), cosign_required=True) == 1
    assert in_force.version_on([first, cosigned], D, cosign_required=True) == 2


def test_billable_reason_names_the_missing_cosignature():
    """42 CFR 424.24(e)(2)(i): the billable-service selector says the plan awaits the physician, with the source."""
    failures = decide(ServiceFacts(service_date=D, note_status="complete", plans=[], plans_awaiting_cosign=[1],
                                   licences_expire=[D]))
    assert [f.rule for f in failures] == ["plan_physician_cosign"]
    assert "awaits the physician's co-signature" in str(failures[0]) and "424.24(e)(2)(i)" in str(failures[0])


@pytest.mark.django_db
def test_plan_pages_and_selector_agree(client_for, site, make_staff, patient):
    """The plan page, the plans tab and the billable selector's facts use the same rule: a certified PHP plan
    signed by the clinician is "awaiting physician co-signature", then "in force" once co-signed."""
    therapist = make_staff("therapist")
    physician = make_staff("prescriber")
    physician.profile.is_physician = True
    physician.profile.save()
    episode = admitted_episode(patient, make_program(site), therapist)
    plan = simple_plan(episode, therapist)
    today = today_in(site.zone)
    force = selectors.plan_force(episode, selectors.plan_versions(episode), today)
    assert force["cosign_required"] and force["version"] is None and force["awaiting"] == [plan.version]
    c = client_for(therapist)
    page = c.get(reverse("careplans:plan", kwargs={"plan_id": plan.public_id})).content.decode()
    assert "Awaiting physician co-signature" in page and "not in force until a physician co-signs" in page
    tab = c.get(reverse("careplans:tab", kwargs={"patient_id": patient.public_id})).content.decode()
    assert "Awaiting physician co-signature" in tab
    services.physician_sign_plan(plan=plan, physician=physician)
    force = selectors.plan_force(episode, selectors.plan_versions(episode), today)
    assert force["version"] == plan.version and force["awaiting"] == []
    page = c.get(reverse("careplans:plan", kwargs={"plan_id": plan.public_id})).content.decode()
    assert "In force" in page and "not in force until" not in page
    # an uncertified program: the clinician's signature alone puts the plan in force
    other = admitted_episode(patient, make_program(site, name="IOP", level="iop", certification=False), therapist)
    other_plan = simple_plan(other, therapist)
    assert selectors.plan_force(other, [TreatmentPlan.objects.get(pk=other_plan.pk)], today)["version"] == 1


@pytest.mark.django_db
def test_selector_refuses_a_service_under_an_uncosigned_plan(make_group, facilitator, site, make_staff):  # noqa: F811
    """The billable-service selector over real records: a certified program's service under a plan the physician
    has not co-signed fails plan_physician_cosign; the co-signature clears it (42 CFR 424.24(e)(2)(i))."""
    from trellis.careplans.models import PhysicianCertification, PlanStatus

    g = make_group(attended=1)
    att = g.attended[0]
    prog = att.episode.program
    prog.requires_certification = True
    prog.save()
    plan = TreatmentPlan.objects.create(
        episode=att.episode, patient=att.episode.patient, version=1, status=PlanStatus.ACTIVE,
        effective_on=att.session.local_date - dt.timedelta(days=3),
        clinician_signed_at=att.session.starts_at - dt.timedelta(days=3))
    PhysicianCertification.objects.create(
        episode=att.episode, kind="initial", physician=make_staff("prescriber"), signed_on=att.episode.admitted_on,
        signed_at=att.session.starts_at, statement="x", rule_key="medicare_iop", citation="42 CFR 424.24(e)")
    assert "plan_physician_cosign" in {f.rule for f in billable.billable_service(att).failures}
    TreatmentPlan.objects.filter(pk=plan.pk).update(physician_signed_at=att.session.starts_at - dt.timedelta(days=1))
    assert not {"plan_physician_cosign", "plan_in_force"} & {f.rule for f in billable.billable_service(att).failures}
