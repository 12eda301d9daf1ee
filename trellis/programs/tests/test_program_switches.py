"""Program switches set on the setup screens (issue 11 item 1): the Part 2 question, physician certification,
the weekly-hours floor per level of care, the plan/review/note intervals, ASAM levels, and the before/after
audit of a change. A program created through the screens (not demo data) gets the behaviour it declares."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from trellis.audit.models import AuditEvent
from trellis.careplans.services import program_certification_rule, schedule_admission_deadlines
from trellis.consents.models import ConsentKind
from trellis.consents.services import required_kinds
from trellis.core.errors import DomainError
from trellis.programs import rules, services
from trellis.programs.models import Program
from trellis.referrals.tests.builders import admitted_episode

pytestmark = pytest.mark.django_db


def form_data(site, **over):
    data = {"site": site.pk, "name": "Recovery IOP", "level_of_care": "iop", "population": "adult",
            "clinical_model": "CBT", "days_per_week": 3, "weekly_hours_min": "9", "weekly_hours_max": "15",
            "asam_level": "", "is_part2": "yes", "requires_certification": "", "plan_due_days": 5,
            "plan_review_days": 21, "note_deadline_hours": 48, "risk_screen_days": 7,
            "rescreen_every_days": "", "active": "on"}
    return data | over


def test_program_created_through_screens_gets_part2_and_certification_it_declares(site, make_staff, client_for):
    """42 CFR 2.22 (Part 2 notice required at admission) and 42 CFR 424.24(e) (PHP/IOP physician certification):
    a program created on the setup screen, answering yes to the Part 2 question and leaving certification at the
    level default, requires the Part 2 notice and has a certification cadence."""
    c = client_for(make_staff("program_director"))
    assert c.post(reverse("programs:program_create"), form_data(site)).status_code == 302
    program = Program.objects.get(name="Recovery IOP")
    assert program.is_part2 and program.requires_certification
    assert (program.plan_due_days, program.plan_review_days, program.note_deadline_hours) == (5, 21, 48)
    assert ConsentKind.PART2_NOTICE in required_kinds(program)
    assert program_certification_rule(program) is not None
    c.post(reverse("programs:program_create"), form_data(site, name="Plain OP", level_of_care="op", is_part2="no"))
    plain = Program.objects.get(name="Plain OP")
    assert not plain.is_part2 and not plain.requires_certification
    assert ConsentKind.PART2_NOTICE not in required_kinds(plain)
    assert program_certification_rule(plain) is None


def test_certified_program_from_screens_opens_certification_deadline(site, make_staff, client_for, patient):
    """42 CFR 424.24(e)(2): an episode in a certified program created on the screens gets a certification
    deadline at admission."""
    c = client_for(make_staff("program_director"))
    c.post(reverse("programs:program_create"), form_data(site, name="Day PHP", level_of_care="php",
                                                         weekly_hours_min="20", weekly_hours_max="30"))
    program = Program.objects.get(name="Day PHP")
    episode = admitted_episode(patient, program, make_staff("therapist"))
    kinds = {d.kind for d in schedule_admission_deadlines(episode=episode)}
    assert "certification" in kinds


def test_creating_a_program_requires_answering_the_part2_question(site, make_staff, client_for):
    """42 CFR 2.11-2.12: whether a program is a federally assisted SUD program decides whether Part 2 applies,
    so it cannot be left to a default."""
    c = client_for(make_staff("program_director"))
    response = c.post(reverse("programs:program_create"), form_data(site, is_part2=""))
    assert response.status_code == 200
    assert not Program.objects.filter(name="Recovery IOP").exists()
    with pytest.raises(DomainError, match="42 CFR Part 2"):
        services.save_program(user=make_staff("program_director"), site=site, name="X", level_of_care="iop",
                              population="adult", weekly_hours_min=Decimal("9"), weekly_hours_max=Decimal("12"))


@pytest.mark.parametrize(("level", "asam", "population", "minimum", "source"), [
    ("php", "", "adult", "19.5", "42 CFR 410.43"),
    ("iop", "", "adult", "8", "42 CFR 424.24"),
    ("iop", "2.1", "adult", "8", "ASAM"),
    ("php", "2.5", "adult", "19", "42 CFR 410.43"),
])
def test_weekly_floor_below_the_level_minimum_is_refused(site, make_staff, client_for, level, asam, population,
                                                         minimum, source):
    """42 CFR 410.43(c)(1) (PHP 20 h), 42 CFR 424.24(e)(1)(i) (IOP 9 h), The ASAM Criteria 3rd ed. (2.1: 9 h
    adults / 6 h adolescents; 2.5: 20 h): a program may raise its floor but not lower it."""
    c = client_for(make_staff("program_director"))
    response = c.post(reverse("programs:program_create"), form_data(
        site, level_of_care=level, asam_level=asam, population=population, weekly_hours_min=minimum))
    assert response.status_code == 200
    body = response.content.decode()
    assert "below the" in body and source in body
    assert not Program.objects.filter(name="Recovery IOP").exists()


def test_asam_floors_by_population():
    """The ASAM Criteria, 3rd ed. (2013): Level 2.1 is 9+ hours/week for adults and 6+ for adolescents; 2.5 is
    20+."""
    assert rules.weekly_floor(level_of_care="iop", population="adolescent", asam_level="2.1",
                              certified=False).hours == Decimal("6")
    assert rules.weekly_floor(level_of_care="iop", population="adult", asam_level="2.1",
                              certified=False).hours == Decimal("9")
    assert rules.weekly_floor(level_of_care="op", population="adult", asam_level="2.5").hours == Decimal("20")
    # a raised floor is allowed
    assert rules.floor_problem(level_of_care="php", population="adult", asam_level="", weekly_hours_min=Decimal("25")
                               ) is None


def test_php_and_iop_default_to_certification_and_can_opt_out(site, make_staff):
    """42 CFR 424.24(e): Medicare PHP and IOP need physician certification, so both default to requiring it."""
    user = make_staff("program_director")
    base = {"population": "adult", "weekly_hours_max": Decimal("30"), "is_part2": False}
    php = services.save_program(user=user, site=site, name="A", level_of_care="php",
                                weekly_hours_min=Decimal("20"), **base)
    op = services.save_program(user=user, site=site, name="B", level_of_care="op", weekly_hours_min=Decimal("3"),
                               **base)
    opted_out = services.save_program(user=user, site=site, name="C", level_of_care="iop",
                                      weekly_hours_min=Decimal("9"), requires_certification=False, **base)
    assert php.requires_certification and not op.requires_certification and not opted_out.requires_certification


def test_interval_out_of_bounds_is_refused_with_the_rule(site, make_staff):
    """Program policy bounds for plan, review and note intervals (trellis.programs.services.INTERVAL_BOUNDS)."""
    with pytest.raises(DomainError, match="program policy") as caught:
        services.save_program(user=make_staff("program_director"), site=site, name="A", level_of_care="iop",
                              population="adult", weekly_hours_min=Decimal("9"), weekly_hours_max=Decimal("12"),
                              is_part2=False, plan_review_days=365)
    assert caught.value.field == "plan_review_days"


def test_switch_changes_are_audited_with_before_and_after(site, make_staff, client_for):
    """Program switches decide which rules apply; a change is audited with each value before and after."""
    c = client_for(make_staff("program_director"))
    c.post(reverse("programs:program_create"), form_data(site, is_part2="no"))
    program = Program.objects.get(name="Recovery IOP")
    url = reverse("programs:program_edit", kwargs={"program_id": program.public_id})
    assert c.get(url).status_code == 200
    assert c.post(url, form_data(site, is_part2="yes", requires_certification="no")).status_code == 302
    event = AuditEvent.objects.filter(action="update", object_id=str(program.public_id)).latest("id")
    changes = event.detail["changes"]
    assert changes["is_part2"] == [False, True]
    assert changes["requires_certification"] == [True, False]
    assert "name" not in changes
