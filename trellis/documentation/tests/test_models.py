"""Record rules at the model level: signed content cannot change through save(), queryset update() or delete();
signatures, addenda and template versions are append-only; named constraints hold."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from trellis.core.errors import DomainError
from trellis.documentation import services
from trellis.documentation.models import Addendum, Note, NoteStatus, ParticipantNote, Signature
from trellis.documentation.tests.conftest import SHARED_OK, participant_ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(make_group, facilitator):
    g = make_group(attended=2)
    note = services.start_note(session=g.session, user=facilitator)
    note = services.save_draft(note=note, user=facilitator, expected_version=note.version, shared=SHARED_OK,
                               participants={str(p.public_id): participant_ok() for p in note.participants.all()})
    return services.sign_note(note=note, user=facilitator)


def test_raw_save_of_signed_note_content_is_refused(signed):
    note = Note.objects.get(pk=signed.pk)
    note.shared_content = {"group": {"topic": "rewritten"}}
    with pytest.raises(DomainError, match="signed"):
        note.save()
    note = Note.objects.get(pk=signed.pk)
    note.status = NoteStatus.DRAFT  # "unsigning" is a change too
    with pytest.raises(DomainError):
        note.save()
    assert Note.objects.get(pk=signed.pk).shared_content == SHARED_OK


def test_raw_save_of_participant_section_of_signed_note_is_refused(signed):
    p = ParticipantNote.objects.filter(note=signed).first()
    p.content = {"participant": {"plan": "rewritten"}}
    with pytest.raises(DomainError, match="signed"):
        p.save()
    assert ParticipantNote.objects.get(pk=p.pk).content == participant_ok()


def test_queryset_update_and_delete_are_refused(signed):
    with pytest.raises(DomainError):
        Note.objects.filter(pk=signed.pk).update(shared_content={})
    with pytest.raises(DomainError):
        ParticipantNote.objects.filter(note=signed).update(content={})
    with pytest.raises(DomainError):
        Note.objects.filter(pk=signed.pk).delete()
    with pytest.raises(DomainError):
        signed.delete()
    with pytest.raises(DomainError):
        ParticipantNote.objects.filter(note=signed).first().delete()


def test_signatures_and_addenda_are_append_only(signed, facilitator):
    sig = Signature.objects.get(note=signed)
    sig.content_hash = "sha256:" + "0" * 64
    with pytest.raises(DomainError):
        sig.save()
    with pytest.raises(DomainError):
        sig.delete()
    addendum = services.add_addendum(note=signed, user=facilitator, text="Clarification.")
    addendum = Addendum.objects.get(pk=addendum.pk)
    addendum.text = "Something else"
    with pytest.raises(DomainError):
        addendum.save()


def test_template_versions_are_frozen(signed):
    version = signed.template_version
    version.schema = {**version.schema, "name": "changed"}
    with pytest.raises(DomainError, match="new version"):
        version.save()


def test_one_group_note_per_session_constraint(signed, facilitator):
    with pytest.raises(IntegrityError), transaction.atomic():
        Note.objects.create(session=signed.session, kind="group", template_version=signed.template_version,
                            author=facilitator)


def test_signed_note_needs_hash_constraint(make_group, facilitator):
    g = make_group(attended=1)
    note = services.start_note(session=g.session, user=facilitator)
    with pytest.raises(IntegrityError), transaction.atomic():
        Note.objects.filter(pk=note.pk).update(status=NoteStatus.COMPLETE)


def test_verify_notes_command(signed):
    from io import StringIO

    from django.core.management import CommandError, call_command
    from django.db import connection

    out = StringIO()
    call_command("verify_notes", stdout=out)
    assert "OK: 1 signed notes match" in out.getvalue()
    p = ParticipantNote.objects.filter(note=signed).first()
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {ParticipantNote._meta.db_table} SET content = %s WHERE id = %s",  # noqa: S608
                    ['{"participant": {}}', p.pk])
    with pytest.raises(CommandError, match="1 of 1 signed notes"):
        call_command("verify_notes", stdout=StringIO(), stderr=StringIO())
