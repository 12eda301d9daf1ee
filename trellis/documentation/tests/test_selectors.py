"""Selectors: completeness worklists (per clinician, per program), the billing rule, and chart isolation."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from trellis.documentation import selectors, services
from trellis.documentation.tests.conftest import DAY, SHARED_OK, participant_ok

pytestmark = pytest.mark.django_db

LATER = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def complete(note, user):
    note = services.save_draft(note=note, user=user, expected_version=note.version, shared=SHARED_OK,
                               participants={str(p.public_id): participant_ok() for p in note.participants.all()})
    return services.sign_note(note=note, user=user)


@time_machine.travel(LATER, tick=False)
def test_completeness_worklist_per_clinician_and_program(make_group, facilitator, supervised, supervisor, program):
    missing = make_group(attended=2, absent=1, day=DAY)  # no note at all
    drafted = make_group(attended=1, day=DAY + dt.timedelta(days=1))
    services.start_note(session=drafted.session, user=facilitator)
    absent_only = make_group(attended=0, absent=2, day=DAY + dt.timedelta(days=2))  # nothing to document
    done = make_group(attended=1, day=DAY + dt.timedelta(days=2))
    with time_machine.travel(done.session.ends_at + dt.timedelta(hours=1), tick=False):
        complete(services.start_note(session=done.session, user=facilitator), facilitator)
    late = make_group(attended=1, day=DAY)
    complete(services.start_note(session=late.session, user=facilitator), facilitator)  # signed days later
    supervised_group = make_group(attended=1, by=supervised, day=DAY + dt.timedelta(days=1))
    pending = complete(services.start_note(session=supervised_group.session, user=supervised), supervised)

    mine = selectors.worklist(user=facilitator)
    unsigned = {i.session.pk: i for i in mine.unsigned}
    assert set(unsigned) == {missing.session.pk, drafted.session.pk}
    assert unsigned[missing.session.pk].state == "missing" and unsigned[missing.session.pk].patients == 2
    assert unsigned[missing.session.pk].overdue
    assert unsigned[drafted.session.pk].state == "draft"
    assert absent_only.session.pk not in unsigned
    assert [i.note.session_id for i in mine.late] == [late.session.pk]
    assert mine.awaiting_cosign == [] and mine.to_cosign == []

    trainee = selectors.worklist(user=supervised)
    assert [i.note for i in trainee.awaiting_cosign] == [pending]
    boss = selectors.worklist(user=supervisor)
    assert [i.note for i in boss.to_cosign] == [pending]

    by_program = selectors.worklist(program=program)
    assert {i.session.pk for i in by_program.unsigned} == {missing.session.pk, drafted.session.pk}
    assert [i.note for i in by_program.awaiting_cosign] == [pending]
    assert {i.note.session_id for i in by_program.late} == {late.session.pk, supervised_group.session.pk}

    services.cosign_note(note=pending, user=supervisor)
    assert selectors.worklist(program=program).awaiting_cosign == []


def test_billing_rule(make_group, facilitator, supervised, supervisor):
    g = make_group(attended=2, absent=1)
    present, absent = g.attended[0], g.absent[0]
    assert not selectors.is_billable(present)  # attended, no note
    note = services.start_note(session=g.session, user=facilitator)
    assert not selectors.is_billable(present)  # draft
    unbillable = selectors.unbillable_services()
    assert set(unbillable) == set(g.attended)  # absences are never billable services to begin with
    complete(note, facilitator)
    assert selectors.is_billable(present)
    assert not selectors.is_billable(absent)
    assert list(selectors.unbillable_services()) == []

    s = make_group(attended=1, by=supervised, day=DAY + dt.timedelta(days=1))
    pending = complete(services.start_note(session=s.session, user=supervised), supervised)
    assert not selectors.is_billable(s.attended[0])  # signed, but the co-signature is missing
    assert list(selectors.unbillable_services(program=s.session.program)) == [s.attended[0]]
    services.cosign_note(note=pending, user=supervisor)
    assert selectors.is_billable(s.attended[0])


def test_unbillable_services_filters(make_group, site, other_site):
    g1 = make_group(attended=1, day=DAY)
    g2 = make_group(attended=1, day=DAY + dt.timedelta(days=3))
    start = dt.datetime(2026, 11, 18, tzinfo=dt.UTC)
    assert list(selectors.unbillable_services(start=start)) == g2.attended
    assert list(selectors.unbillable_services(end=start)) == g1.attended
    assert list(selectors.unbillable_services(sites=[other_site])) == []
    assert len(selectors.unbillable_services(sites=[site])) == 2


def test_patient_notes_only_load_that_patients_sections(make_group, facilitator):
    g = make_group(attended=3)
    note = complete(services.start_note(session=g.session, user=facilitator), facilitator)
    a = g.episodes[0].patient
    rows = selectors.patient_notes(patient=a)
    assert len(rows) == 1
    assert rows[0].participant.episode.patient == a and rows[0].note == note
    assert selectors.patient_notes(patient=a, start=DAY + dt.timedelta(days=1)) == []
    assert len(selectors.patient_notes(patient=a, start=DAY, end=DAY)) == 1


def test_objectives_adapter_uses_a_careplans_bulk_selector_when_present(make_group, monkeypatch):
    import trellis.careplans.selectors as careplan_selectors
    from trellis.documentation.plan_objectives import current_objectives
    from trellis.documentation.tests.conftest import add_plan

    g = make_group(attended=2)
    a, b = g.episodes
    ids = add_plan(a, ["Walk daily"])
    direct = current_objectives([a, b])
    assert direct == {a.pk: {ids[0]: "Walk daily"}, b.pk: {}}
    from trellis.careplans.models import PlanObjective

    monkeypatch.setattr(careplan_selectors, "current_objectives_for_episodes",
                        lambda eps: {a.pk: list(PlanObjective.objects.filter(goal__problem__plan__episode=a))},
                        raising=False)
    assert current_objectives([a, b]) == direct
    monkeypatch.setattr(careplan_selectors, "current_objectives_for_episodes", lambda eps: {a.pk: ["no lineage"]},
                        raising=False)
    assert current_objectives([a, b]) == direct  # unexpected shape: falls back to reading the plan
