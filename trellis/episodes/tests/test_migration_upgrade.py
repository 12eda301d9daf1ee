"""Upgrading a populated database across the move of the episode models into the episodes app.

The database is migrated back to the layout before the move (Episode & co. in programs, Diagnosis in
referrals), filled through the historical models of that layout (an admitted episode with diagnoses, a level
change, a discharge with its record, a step-down hand-off, and audit events), and migrated forward. Every
row must still be there, reachable through the new models and through the foreign keys of the apps above,
and the audit chain must still verify."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from trellis.audit.models import AuditEvent
from trellis.audit.services import AuditAction, record
from trellis.core.testing.factories import OrganizationFactory, PatientFactory, SiteFactory, make_staff
from trellis.episodes.models import Diagnosis, DischargeRecord, Episode, EpisodeLevelChange, HandoffTask
from trellis.programs.models import Program

pytestmark = pytest.mark.django_db(transaction=True)

MOVE = "moved_to_episodes"  # the name ending of every migration that takes part in the move


def _before_move() -> list[tuple[str, str | None]]:
    """Each app's migration just before its part of the move (episodes: not migrated at all)."""
    graph = MigrationExecutor(connection).loader.graph
    targets: list[tuple[str, str | None]] = [("episodes", None)]
    for app, name in graph.nodes:
        if app != "episodes" and name.endswith(MOVE):
            parents = [p for p in graph.node_map[(app, name)].parents if p.key[0] == app]
            targets.append(parents[0].key)
    return targets


def _migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


def test_populated_database_upgrades_without_losing_rows() -> None:
    org = OrganizationFactory()
    site = SiteFactory(organization=org)
    clinician = make_staff("therapist", site)
    patient = PatientFactory(primary_site=site)
    php = Program.objects.create(organization=org, site=site, name="PHP", level_of_care="php")
    iop = Program.objects.create(organization=org, site=site, name="IOP", level_of_care="iop")

    before = _before_move()
    assert ("programs", "0002_dischargerecord_episodelevelchange_handofftask") in before
    assert ("referrals", "0001_initial") in before
    executor = _migrate(before)
    old = executor.loader.project_state([t for t in before if t[1] is not None]).apps
    with pytest.raises(LookupError):
        old.get_model("episodes", "Episode")
    OldEpisode = old.get_model("programs", "Episode")  # noqa: N806
    OldDiagnosis = old.get_model("referrals", "Diagnosis")  # noqa: N806

    admitted = dt.date(2026, 3, 2)
    first = OldEpisode.objects.create(
        patient_id=patient.pk, program_id=php.pk, status="discharged", admitted_on=admitted,
        discharged_on=admitted + dt.timedelta(days=20), recommended_level="php", authorized_level="php",
        discharge_type="step_down", primary_clinician_id=clinician.pk,
    )
    second = OldEpisode.objects.create(
        patient_id=patient.pk, program_id=iop.pk, status="active", admitted_on=admitted + dt.timedelta(days=20),
        recommended_level="iop", previous_episode_id=first.pk, primary_clinician_id=clinician.pk,
    )
    for code, rank, stage in (("F33.1", "primary", "admission"), ("F41.1", "secondary", "admission"),
                              ("F33.1", "primary", "discharge")):
        OldDiagnosis.objects.create(
            patient_id=patient.pk, episode_id=first.pk, code=code, description=code, code_set_version="FY2026",
            rank=rank, stage=stage, diagnosed_on=admitted, diagnosed_by_id=clinician.pk,
        )
    old.get_model("programs", "EpisodeLevelChange").objects.create(
        episode_id=first.pk, field="authorized", from_level="", to_level="php", changed_on=admitted, reason="Auth",
    )
    old.get_model("programs", "DischargeRecord").objects.create(
        episode_id=first.pk, discharge_type="step_down", reason="Improved", summary={"program": "PHP"},
        next_episode_id=second.pk,
    )
    old.get_model("programs", "HandoffTask").objects.create(
        from_episode_id=first.pk, to_episode_id=second.pk, assigned_to_id=clinician.pk, note="Meet at group",
        due_on=second.admitted_on,
    )
    for episode in (first, second):
        record(action=AuditAction.CREATE, obj=episode, patient=patient, site=site, actor=clinician,
               detail={"admission": True})
    events_before = AuditEvent.objects.count()

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    moved_first = Episode.objects.get(public_id=first.public_id)
    moved_second = Episode.objects.get(public_id=second.public_id)
    assert moved_second.previous_episode == moved_first
    assert sorted(moved_first.diagnoses.values_list("stage", "code")) == [
        ("admission", "F33.1"), ("admission", "F41.1"), ("discharge", "F33.1")]
    assert Diagnosis.objects.filter(patient=patient).count() == 3
    assert EpisodeLevelChange.objects.get(episode=moved_first).to_level == "php"
    discharge = DischargeRecord.objects.get(episode=moved_first)
    assert discharge.next_episode == moved_second and discharge.summary == {"program": "PHP"}
    assert HandoffTask.objects.get(to_episode=moved_second).note == "Meet at group"
    assert AuditEvent.objects.count() == events_before
    assert set(AuditEvent.objects.filter(object_type="episode").values_list("object_id", flat=True)) == {
        str(first.public_id), str(second.public_id)}
    call_command("verify_audit")
    call_command("verify_notes")
