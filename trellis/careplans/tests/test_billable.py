"""The billable-service selector (issue 11 item 10): one selector, a reason and source for each failed rule."""

from __future__ import annotations

import datetime as dt

import pytest

from trellis.accounts.models import Credential
from trellis.careplans import billable, schedule
from trellis.careplans.billable import ServiceFacts, decide
from trellis.careplans.models import PhysicianCertification, PlanStatus, TreatmentPlan
from trellis.documentation import services as notes
from trellis.documentation.tests.conftest import (  # noqa: F401 - fixtures
    DAY,
    _fixed_clock,
    facilitator,
    make_group,
    participant_ok,
    program,
    track,
)
from trellis.documentation.tests.conftest import SHARED_OK as SHARED

D = dt.date(2026, 3, 10)
OK = {"note_status": "complete", "plans": [(D - dt.timedelta(days=5), None)],
      "licences_expire": [D + dt.timedelta(days=300)]}


def rules_failed(**over) -> set[str]:
    return {f.rule for f in decide(ServiceFacts(service_date=D, **(OK | over)))}


def test_all_rules_met_is_billable():
    """Baseline: with a signed note, a plan in force and a licence, nothing fails."""
    assert rules_failed() == set()


def test_unsigned_or_missing_note_is_not_billable():
    """Medicare Program Integrity Manual ch. 3 §3.3.2.4: a service is supported only by a signed note."""
    assert rules_failed(note_status=None) == {"signed_note"}
    assert rules_failed(note_status="draft") == {"signed_note"}
    failure = decide(ServiceFacts(service_date=D, **(OK | {"note_status": "draft"})))[0]
    assert "Program Integrity Manual" in str(failure)


def test_note_awaiting_required_cosignature_is_not_billable():
    """State licensure supervision rules / payer policy: a pre-licensure author's note needs co-signature."""
    assert rules_failed(note_status="awaiting_cosign", cosign_required=True) == {"cosigned_note"}
    assert rules_failed(note_status="complete", cosign_required=True) == set()


def test_no_signed_plan_in_force_on_the_date_is_not_billable():
    """42 CFR 424.24(e)(1)(ii), 410.43(a)(3): services are furnished under an individualized written plan."""
    assert rules_failed(plans=[]) == {"plan_in_force"}
    assert rules_failed(plans=[(D + dt.timedelta(days=1), None)]) == {"plan_in_force"}  # signed after
    assert rules_failed(plans=[(D - dt.timedelta(days=40), D - dt.timedelta(days=1)),
                               (D + dt.timedelta(days=2), None)]) == {"plan_in_force"}


def test_certified_program_needs_a_current_certification():
    """42 CFR 424.24(e)(2)-(3): PHP first recertification as of the 18th day; without it, day 18 is not billable."""
    admitted = D - dt.timedelta(days=17)  # D is day 18
    php = {"certification_rule": schedule.PHP_RULE, "admitted_on": admitted}
    assert rules_failed(**php) == {"certification"}
    assert rules_failed(**php, certifications=[admitted]) == {"certification"}  # recert due on day 18
    assert rules_failed(**php, certifications=[admitted, D]) == set()
    assert rules_failed(**php, certifications=[D + dt.timedelta(days=1)]) == {"certification"}  # signed later
    assert rules_failed(certification_rule=None, admitted_on=admitted) == set()  # uncertified program


def test_author_licence_must_be_unexpired_on_the_date():
    """42 CFR 424.516(a)(2): services are billed only by practitioners meeting state licensure requirements."""
    assert rules_failed(licences_expire=[]) == {"licence"}
    assert rules_failed(licences_expire=[D - dt.timedelta(days=1)]) == {"licence"}
    assert rules_failed(licences_expire=[D]) == set()  # valid through its expiry date


@pytest.mark.django_db
def test_selector_reads_the_records_and_reports_each_failure(make_group, facilitator, site, make_staff,  # noqa: F811
                                                             django_assert_max_num_queries):
    """The selector over real records: each rule is reported until its record exists, with bounded queries."""
    g = make_group(attended=1)
    att = g.attended[0]
    first = billable.billable_service(att)
    assert {f.rule for f in first.failures} == {"signed_note", "plan_in_force", "licence"}
    note = notes.start_note(session=g.session, user=facilitator)
    parts = {str(p.public_id): participant_ok() for p in note.participants.all()}
    note = notes.save_draft(note=note, user=facilitator, expected_version=note.version, shared=SHARED,
                            participants=parts)
    notes.sign_note(note=note, user=facilitator)
    TreatmentPlan.objects.create(episode=att.episode, patient=att.episode.patient, version=1,
                                 status=PlanStatus.ACTIVE, effective_on=DAY - dt.timedelta(days=3),
                                 clinician_signed_at=g.session.starts_at - dt.timedelta(days=3))
    Credential.objects.create(user=facilitator, license_type="LCSW", license_number="1", state="NY",
                              expires_on=DAY + dt.timedelta(days=90))
    assert billable.billable_service(att).billable
    # certified program: now the missing certification is the only reason
    prog = att.episode.program
    prog.requires_certification = True
    prog.save()
    result = billable.billable_service(att)
    # a certified program's plan is in force only once a physician co-signed it (42 CFR 424.24(e)(2)(i))
    assert [f.rule for f in result.failures] == ["plan_physician_cosign", "certification"]
    assert "42 CFR 424.24" in result.reasons[1]
    TreatmentPlan.objects.filter(episode=att.episode).update(physician_signed_at=g.session.starts_at
                                                             - dt.timedelta(days=3))
    assert [f.rule for f in billable.billable_service(att).failures] == ["certification"]
    PhysicianCertification.objects.create(
        episode=att.episode, kind="initial", physician=make_staff("prescriber"), signed_on=att.episode.admitted_on,
        signed_at=g.session.starts_at, statement="x", rule_key="medicare_iop", citation="42 CFR 424.24(e)")
    assert billable.billable_service(att).billable
    more = make_group(attended=5).attended
    with django_assert_max_num_queries(10):
        result = billable.billability([att, *more])
    assert len(result) == 6
