"""Services: starting group notes from attendance, drafts with optimistic concurrency, signing, co-signing,
addenda, late flag, private notes, and every refusal the issue lists (nothing saved)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from trellis.audit.models import AuditAction, AuditEvent
from trellis.core.errors import DomainError
from trellis.documentation import services
from trellis.documentation.models import (
    Note,
    NoteStatus,
    ParticipantNote,
    PrivateNote,
    Signature,
    SignatureKind,
)
from trellis.documentation.tests.conftest import NOW, SHARED_OK, add_plan, participant_ok

pytestmark = pytest.mark.django_db


def fill(note, user, *, objectives=None):
    parts = {str(p.public_id): participant_ok((objectives or {}).get(p.episode_id))
             for p in note.participants.all()}
    return services.save_draft(note=note, user=user, expected_version=note.version, shared=SHARED_OK,
                               participants=parts)


def test_group_note_has_one_section_per_attendee_and_none_for_absences(make_group, facilitator):
    g = make_group(attended=10, absent=2)
    note = services.start_note(session=g.session, user=facilitator)
    assert note.kind == "group" and note.episode is None
    sections = list(note.participants.all())
    assert len(sections) == 10
    assert {p.episode_id for p in sections} == {a.episode_id for a in g.attended}
    assert not ParticipantNote.objects.filter(episode__in=[a.episode for a in g.absent]).exists()
    # starting again returns the same draft
    assert services.start_note(session=g.session, user=facilitator) == note
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(note.public_id)).exists()


def test_whole_group_saved_in_one_call_and_version_increments(make_group, facilitator):
    g = make_group(attended=12)
    note = services.start_note(session=g.session, user=facilitator)
    note = fill(note, facilitator)
    assert note.version == 2
    assert note.shared_content == SHARED_OK
    assert all(p.content["participant"]["plan"] == "Continue module 4." for p in note.participants.all())


def test_concurrent_edit_is_detected_and_nothing_is_lost(make_group, facilitator, make_staff):
    g = make_group(attended=2)
    cofac = make_staff("group_facilitator", full_name="Cody Cofacilitator")
    g.session.co_facilitator = cofac
    g.session.save()
    note = services.start_note(session=g.session, user=facilitator)
    loaded_version = note.version
    key = str(note.participants.first().public_id)
    services.save_draft(note=note, user=cofac, expected_version=loaded_version,
                        participants={key: participant_ok(plan="Co-facilitator's text")})
    with pytest.raises(services.NoteConflict) as exc:
        services.save_draft(note=note, user=facilitator, expected_version=loaded_version,
                            participants={key: participant_ok(plan="Facilitator's text")})
    assert "Cody Cofacilitator saved this note" in str(exc.value)
    assert exc.value.current_version == loaded_version + 1
    stored = ParticipantNote.objects.get(public_id=key).content
    assert stored["participant"]["plan"] == "Co-facilitator's text"  # the first save is not overwritten


def test_invalid_draft_content_saves_nothing(make_group, facilitator):
    g = make_group(attended=2)
    note = services.start_note(session=g.session, user=facilitator)
    p1, p2 = note.participants.all()
    bad = participant_ok()
    bad["participant"]["participation"] = "asleep"
    with pytest.raises(services.NoteValidationError) as exc:
        services.save_draft(note=note, user=facilitator, expected_version=note.version, shared=SHARED_OK,
                            participants={str(p1.public_id): participant_ok(), str(p2.public_id): bad})
    assert [e.path for e in exc.value.errors[str(p2.public_id)]] == ["participant.participation"]
    note.refresh_from_db()
    assert note.version == 1 and note.shared_content == {}
    assert ParticipantNote.objects.get(pk=p1.pk).content == {}


def test_objective_from_another_patients_plan_is_refused(make_group, facilitator):
    g = make_group(attended=2)
    a, b = g.episodes
    mine = add_plan(a, ["Use one coping skill daily"])
    theirs = add_plan(b, ["Attend 3 AA meetings weekly"])
    note = services.start_note(session=g.session, user=facilitator)
    pa = note.participants.get(episode=a)
    with pytest.raises(services.NoteValidationError) as exc:
        services.save_draft(note=note, user=facilitator, expected_version=note.version,
                            participants={str(pa.public_id): participant_ok(theirs)})
    assert "this patient's current treatment plan" in str(exc.value.errors[str(pa.public_id)][0])
    assert ParticipantNote.objects.get(pk=pa.pk).content == {}
    services.save_draft(note=note, user=facilitator, expected_version=note.version,
                        participants={str(pa.public_id): participant_ok(mine)})


def test_signing_with_required_fields_empty_is_refused(make_group, facilitator):
    g = make_group(attended=2)
    note = services.start_note(session=g.session, user=facilitator)
    note = services.save_draft(note=note, user=facilitator, expected_version=note.version, shared=SHARED_OK)
    with pytest.raises(services.NoteValidationError) as exc:
        services.sign_note(note=note, user=facilitator)
    assert "cannot be signed yet" in str(exc.value)
    assert len(exc.value.errors) == 2  # both patients' sections are incomplete
    note.refresh_from_db()
    assert note.status == NoteStatus.DRAFT and not Signature.objects.exists()


def test_save_and_sign_is_all_or_nothing(make_group, facilitator):
    g = make_group(attended=1)
    note = services.start_note(session=g.session, user=facilitator)
    key = str(note.participants.get().public_id)
    incomplete = participant_ok()
    incomplete["participant"]["plan"] = ""
    with pytest.raises(services.NoteValidationError):
        services.save_and_sign(note=note, user=facilitator, expected_version=note.version, shared=SHARED_OK,
                               participants={key: incomplete})
    note.refresh_from_db()
    assert note.version == 1 and note.shared_content == {} and note.status == NoteStatus.DRAFT


def test_only_the_author_can_sign(make_group, facilitator, make_staff):
    g = make_group(attended=1)
    other = make_staff("program_director", full_name="Dana Director")
    note = fill(services.start_note(session=g.session, user=facilitator), facilitator)
    with pytest.raises(DomainError, match="Only the author"):
        services.sign_note(note=note, user=other)
    assert Note.objects.get(pk=note.pk).status == NoteStatus.DRAFT


@time_machine.travel(NOW, tick=False)
def test_sign_locks_note_and_hash_verifies(make_group, facilitator):
    g = make_group(attended=3)
    note = fill(services.start_note(session=g.session, user=facilitator), facilitator)
    note = services.sign_note(note=note, user=facilitator)
    assert note.status == NoteStatus.COMPLETE
    assert note.content_hash.startswith("sha256:") and not note.is_late
    sig = note.signatures.get()
    assert (sig.kind, sig.signer, sig.signer_name, sig.content_hash) == (
        SignatureKind.SIGN, facilitator, "Fran Facilitator", note.content_hash)
    assert services.verify_note(note=note).ok
    # Editing through the service is refused with a clear message
    with pytest.raises(DomainError, match="signed and can no longer be changed"):
        services.save_draft(note=note, user=facilitator, expected_version=note.version, shared=SHARED_OK)
    signs = AuditEvent.objects.filter(action=AuditAction.SIGN, object_id=str(note.public_id))
    # every sign event carries its patient (one per attendee), so the audit report's patient filter finds it
    assert sorted(e.patient_id for e in signs) == sorted(p.episode.patient_id for p in note.participants.all())
    assert signs.count() == 3


def test_tampering_below_the_model_is_detected_by_the_hash(make_group, facilitator):
    from django.db import connection

    g = make_group(attended=2)
    note = services.sign_note(note=fill(services.start_note(session=g.session, user=facilitator), facilitator),
                              user=facilitator)
    p = note.participants.first()
    with connection.cursor() as cur:  # bypasses every Django guard, as a rogue DB user would
        cur.execute(f"UPDATE {ParticipantNote._meta.db_table} SET content = %s WHERE id = %s",  # noqa: S608
                    ['{"participant": {"plan": "changed"}}', p.pk])
    result = services.verify_note(note=note)
    assert not result.ok and not result.note_ok


def test_late_flag_after_the_programs_deadline(make_group, facilitator, program):
    program.note_deadline_hours = 48
    program.save()
    g = make_group(attended=1)
    note = fill(services.start_note(session=g.session, user=facilitator), facilitator)
    with time_machine.travel(g.session.ends_at + dt.timedelta(hours=48, minutes=1), tick=False):
        note = services.sign_note(note=note, user=facilitator)
    assert note.is_late and note.signatures.get().is_late
    assert note.deadline_at == g.session.ends_at + dt.timedelta(hours=48)


def test_signed_on_time_is_not_late(make_group, facilitator):
    g = make_group(attended=1)
    note = fill(services.start_note(session=g.session, user=facilitator), facilitator)
    with time_machine.travel(g.session.ends_at + dt.timedelta(hours=23), tick=False):
        note = services.sign_note(note=note, user=facilitator)
    assert not note.is_late


def test_cosign_workflow(make_group, supervised, supervisor, make_staff, site):
    g = make_group(attended=2, by=supervised)
    note = fill(services.start_note(session=g.session, user=supervised), supervised)
    note = services.sign_note(note=note, user=supervised)
    assert note.status == NoteStatus.AWAITING_COSIGN
    assert note.cosign_required and note.cosigner == supervisor
    # the author cannot co-sign their own note
    with pytest.raises(DomainError, match="cannot co-sign your own note"):
        services.cosign_note(note=note, user=supervised)
    # another therapist with co-sign rights is not the named supervisor
    stranger = make_staff("therapist", full_name="Other Therapist")
    with pytest.raises(DomainError, match="supervisor"):
        services.cosign_note(note=note, user=stranger)
    note = services.cosign_note(note=note, user=supervisor)
    assert note.status == NoteStatus.COMPLETE and note.cosigned_at is not None
    kinds = list(note.signatures.order_by("signed_at", "pk").values_list("kind", "signer_name"))
    assert kinds == [("sign", "Tess Trainee"), ("cosign", "Sam Supervisor")]
    assert services.verify_note(note=note).ok
    with pytest.raises(DomainError, match="not waiting for a co-signature"):
        services.cosign_note(note=note, user=supervisor)


def test_addendum_only_after_signing_and_appended_in_order(make_group, facilitator):
    g = make_group(attended=2)
    note = fill(services.start_note(session=g.session, user=facilitator), facilitator)
    with pytest.raises(DomainError, match="only be added to signed notes"):
        services.add_addendum(note=note, user=facilitator, text="Too early")
    note = services.sign_note(note=note, user=facilitator)
    original_hash = note.content_hash
    a1 = services.add_addendum(note=note, user=facilitator, text="Group ran until 10:40.")
    a2 = services.add_addendum(note=note, user=facilitator, text="Patient called after group.",
                               episode=g.episodes[0])
    assert list(note.addenda.order_by("created_at", "pk")) == [a1, a2]
    assert a1.signature.kind == SignatureKind.ADDENDUM and a1.signature.content_hash.startswith("sha256:")
    note.refresh_from_db()
    assert note.content_hash == original_hash
    assert services.verify_note(note=note).ok
    with pytest.raises(DomainError, match="Write the addendum"):
        services.add_addendum(note=note, user=facilitator, text="   ")
    with pytest.raises(DomainError, match="not on this note"):
        services.add_addendum(note=note, user=facilitator, text="x", episode=make_group(attended=1).episodes[0])


def test_individual_note_for_an_appointment(site, track, make_staff):
    from trellis.core.testing.factories import PatientFactory
    from trellis.documentation.tests.conftest import DAY, mark
    from trellis.scheduling.testing import admit, make_session

    therapist = make_staff("therapist", full_name="Theo Therapist")
    ep = admit(PatientFactory(primary_site=site), track, admitted_on=DAY - dt.timedelta(days=3))
    s = make_session(site=site, facilitator=therapist, day=DAY, episode=ep, service_type="individual_therapy",
                     title="Individual therapy", program=track.program)
    mark(s, ep)
    version = services.current_template_version(organization=site.organization,
                                                service_type="individual_therapy", key="individual_soap")
    note = services.start_note(session=s, user=therapist, template_version=version)
    assert note.kind == "individual" and note.episode == ep and note.participants.count() == 1
    assert note.template_version.template.key == "individual_soap"


def test_private_notes_are_author_only(make_group, facilitator, make_staff):
    g = make_group(attended=1)
    pn = services.create_private_note(author=facilitator, episode=g.episodes[0], text="Process notes")
    other = make_staff("therapist")
    with pytest.raises(DomainError, match="only to their author"):
        services.update_private_note(private_note=pn, user=other, text="x", expected_version=pn.version)
    services.update_private_note(private_note=pn, user=facilitator, text="Revised", expected_version=1)
    assert PrivateNote.objects.get(pk=pn.pk).text == "Revised"
    with pytest.raises(DomainError, match="another window"):
        services.update_private_note(private_note=pn, user=facilitator, text="stale", expected_version=1)


def test_default_templates_installed_once(org):
    first = services.ensure_default_templates(organization=org)
    again = services.ensure_default_templates(organization=org)
    assert len(first) == len(again) == 10
    assert {t.key for t in first if t.is_default} >= {"group_psychotherapy", "individual_dap",
                                                      "medication_management"}


def test_publishing_a_template_version_keeps_old_notes_on_theirs(make_group, facilitator, org):
    g = make_group(attended=1)
    note = services.start_note(session=g.session, user=facilitator)
    template = note.template_version.template
    schema = dict(note.template_version.schema)
    schema["name"] = "Group psychotherapy note (2027)"
    v2 = services.publish_template_version(template=template, schema=schema, user=facilitator)
    assert v2.version == 2
    note.refresh_from_db()
    assert note.template_version.version == 1
    with pytest.raises(DomainError, match="template definition has problems"):
        services.publish_template_version(template=template, schema={"key": "x"}, user=facilitator)


def test_concurrent_edits_of_different_patients_are_merged(make_group, facilitator, make_staff):
    g = make_group(attended=3)
    cofac = make_staff("group_facilitator", full_name="Cody Cofacilitator")
    g.session.co_facilitator = cofac
    g.session.save()
    note = services.start_note(session=g.session, user=facilitator)
    p1, p2, p3 = (str(p.public_id) for p in note.participants.order_by("pk"))
    loaded_version, bases = note.version, services.section_hashes(note)
    # Both loaded the same (empty) draft. Cody writes patient 1; Fran, from her stale screen, writes patient 2
    # and still has the old (empty) copies of patients 1 and 3 in her form.
    empty = {}
    services.save_draft(note=note, user=cofac, expected_version=loaded_version, bases=bases,
                        participants={p1: participant_ok(plan="Cody's text"), p2: empty, p3: empty})
    merged = services.save_draft(note=note, user=facilitator, expected_version=loaded_version, bases=bases,
                                 participants={p1: empty, p2: participant_ok(plan="Fran's text"), p3: empty})
    assert merged.saved_sections == [p2]
    plans = {str(p.public_id): p.content.get("participant", {}).get("plan")
             for p in ParticipantNote.objects.filter(note=note)}
    assert plans == {p1: "Cody's text", p2: "Fran's text", p3: None}


def test_concurrent_edits_of_the_same_patient_conflict(make_group, facilitator, make_staff):
    g = make_group(attended=2)
    cofac = make_staff("group_facilitator", full_name="Cody Cofacilitator")
    g.session.co_facilitator = cofac
    g.session.save()
    note = services.start_note(session=g.session, user=facilitator)
    p1 = str(note.participants.order_by("pk").first().public_id)
    version, bases = note.version, services.section_hashes(note)
    services.save_draft(note=note, user=cofac, expected_version=version, bases=bases,
                        participants={p1: participant_ok(plan="Cody's text")})
    with pytest.raises(services.NoteConflict) as exc:
        services.save_draft(note=note, user=facilitator, expected_version=version, bases=bases,
                            participants={p1: participant_ok(plan="Fran's text")})
    assert exc.value.sections == [p1]
    assert ParticipantNote.objects.get(public_id=p1).content["participant"]["plan"] == "Cody's text"
    # signing from a stale screen is always refused, even when the sections would merge
    with pytest.raises(services.NoteConflict):
        services.save_and_sign(note=note, user=facilitator, expected_version=version, shared=SHARED_OK)


def test_signing_refuses_other_patients_names(make_group, facilitator):
    g = make_group(attended=2, absent=1)
    a, b = g.episodes
    absent = g.absent[0].episode.patient
    note = services.start_note(session=g.session, user=facilitator)
    pa, pb = note.participants.get(episode=a), note.participants.get(episode=b)
    note = services.save_draft(note=note, user=facilitator, expected_version=note.version, shared=SHARED_OK,
                               participants={
                                   str(pa.public_id): participant_ok(
                                       plan=f"{a.patient.legal_first_name} will practise with "
                                            f"{b.patient.legal_first_name}."),
                                   str(pb.public_id): participant_ok(plan=f"Asked where {absent.legal_last_name} was."),
                               })
    with pytest.raises(services.NoteValidationError) as exc:
        services.sign_note(note=note, user=facilitator)
    assert set(exc.value.errors) == {str(pa.public_id), str(pb.public_id)}
    assert b.patient.legal_first_name in exc.value.errors[str(pa.public_id)][0].message
    assert a.patient.legal_first_name not in exc.value.errors[str(pa.public_id)][0].message  # own name is fine
    shared = {"group": {**SHARED_OK["group"], "summary": f"{a.patient.legal_last_name} led the check-in."}}
    note = services.save_draft(note=note, user=facilitator, expected_version=note.version, shared=shared,
                               participants={str(pa.public_id): participant_ok(), str(pb.public_id): participant_ok()})
    with pytest.raises(services.NoteValidationError) as exc:
        services.sign_note(note=note, user=facilitator)
    assert list(exc.value.errors) == ["shared"]
    assert Note.objects.get(pk=note.pk).status == NoteStatus.DRAFT


def test_template_definition_with_nul_is_refused(make_group, facilitator):
    g = make_group(attended=1)
    note = services.start_note(session=g.session, user=facilitator)
    schema = dict(note.template_version.schema)
    schema["name"] = "Bad\x00name"
    with pytest.raises(DomainError, match="NUL"):
        services.publish_template_version(template=note.template_version.template, schema=schema, user=facilitator)


def test_addendum_naming_another_patient_is_refused(make_group, facilitator):
    g = make_group(attended=2)
    a, b = g.episodes
    note = fill(services.start_note(session=g.session, user=facilitator), facilitator)
    note = services.sign_note(note=note, user=facilitator)
    with pytest.raises(DomainError, match="names a patient"):
        services.add_addendum(note=note, user=facilitator, text=f"{b.patient.legal_last_name} arrived late.")
    with pytest.raises(DomainError, match="names a patient"):
        services.add_addendum(note=note, user=facilitator, episode=a,
                              text=f"Spoke with {b.patient.legal_first_name} after group.")
    services.add_addendum(note=note, user=facilitator, episode=a,
                          text=f"{a.patient.legal_first_name} phoned after group.")
    assert note.addenda.count() == 1


def test_a_new_organization_has_the_default_templates():
    from trellis.accounts.services import create_organization
    from trellis.documentation.default_templates import DEFAULT_TEMPLATE_FOR_SERVICE, DEFAULT_TEMPLATES
    from trellis.documentation.models import NoteTemplate

    org = create_organization(name="Fresh Start IOP")
    templates = NoteTemplate.objects.filter(organization=org)
    assert sorted(templates.values_list("key", flat=True)) == sorted(d["key"] for d in DEFAULT_TEMPLATES)
    first_type = {d["key"]: d["service_types"][0] for d in DEFAULT_TEMPLATES}
    assert set(templates.filter(is_default=True).values_list("service_type", "key")) == {
        (st, key) for st, key in DEFAULT_TEMPLATE_FOR_SERVICE.items() if first_type[key] == st}
    assert all(t.versions.count() == 1 for t in templates)


def test_data_migration_installs_templates_for_existing_organizations_and_keeps_their_choices(make_staff):
    import importlib

    from django.apps import apps

    from trellis.accounts.models import Organization
    from trellis.documentation.default_templates import DEFAULT_TEMPLATES
    from trellis.documentation.models import NoteTemplate

    migration = importlib.import_module(
        "trellis.documentation.migrations.0002_default_templates_for_existing_organizations")
    bare = Organization.objects.create(name="Created before templates were installed")  # no hook ran
    seeded = Organization.objects.create(name="Chose its own default")
    own = NoteTemplate.objects.create(organization=seeded, key="our_group", name="Our group note",
                                      service_type="group_psychotherapy", is_default=True)
    migration.install(apps, None)
    migration.install(apps, None)  # idempotent
    for org in (bare, seeded):
        keys = set(NoteTemplate.objects.filter(organization=org).values_list("key", flat=True))
        assert {d["key"] for d in DEFAULT_TEMPLATES} <= keys
        assert all(t.versions.count() == 1 for t in NoteTemplate.objects.filter(organization=org)
                   if t.key != "our_group")
    assert NoteTemplate.objects.get(organization=bare, key="group_psychotherapy").is_default
    defaults = NoteTemplate.objects.filter(organization=seeded, service_type="group_psychotherapy", is_default=True)
    assert list(defaults) == [own]
