"""A group note's roster follows attendance: marking (or correcting) attendance gives patients now attending a
section on the session's draft note, under the note's row lock; a signed note's participants never change; a
note with attending patients who have no section cannot be signed."""

from __future__ import annotations

import datetime as dt

import pytest

from trellis.attendance import services as attendance
from trellis.audit.models import AuditAction, AuditEvent
from trellis.core.errors import DomainError
from trellis.core.testing.factories import PatientFactory
from trellis.documentation import services
from trellis.documentation.models import Note, NoteStatus
from trellis.documentation.tests.conftest import DAY, SHARED_OK, mark, participant_ok
from trellis.scheduling.testing import admit

pytestmark = pytest.mark.django_db


def _fill_and_sign(note, user):  # noqa: ANN001, ANN202
    parts = {str(p.public_id): participant_ok() for p in note.participants.all()}
    note = services.save_draft(note=note, user=user, expected_version=note.version, shared=SHARED_OK,
                               participants=parts)
    return services.sign_note(note=note, user=user)


@pytest.fixture
def latecomer(make_group, track):  # noqa: ANN001, ANN201
    g = make_group(attended=2)
    episode = admit(PatientFactory(primary_site=g.session.site), track, admitted_on=DAY - dt.timedelta(days=3))
    return g, episode


def test_marking_attendance_adds_a_section_to_the_draft(latecomer, facilitator):
    g, episode = latecomer
    note = services.start_note(session=g.session, user=facilitator)
    attendance.mark_attendance(session=g.session, user=facilitator,
                               entries=[attendance.MarkEntry(episode_id=episode.pk, status="present")])
    assert sorted(note.participants.values_list("episode_id", flat=True)) == sorted(
        [*[e.pk for e in g.episodes], episode.pk])
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=str(note.public_id),
                                     detail__added_participants=1).exists()


def test_an_absence_adds_no_section_and_a_correction_to_present_does(latecomer, facilitator):
    g, episode = latecomer
    note = services.start_note(session=g.session, user=facilitator)
    [att] = attendance.mark_attendance(session=g.session, user=facilitator, entries=[
        attendance.MarkEntry(episode_id=episode.pk, status="absent_excused", absence_reason="Sick")])
    assert note.participants.count() == 2
    attendance.correct_attendance(attendance=att, user=facilitator, reason="Arrived after all", status="present")
    assert note.participants.filter(episode=episode).exists()


def test_marking_attendance_never_touches_a_signed_note(latecomer, facilitator):
    g, episode = latecomer
    note = _fill_and_sign(services.start_note(session=g.session, user=facilitator), facilitator)
    before = (note.content_hash, sorted(note.participants.values_list("pk", flat=True)))
    attendance.mark_attendance(session=g.session, user=facilitator,
                               entries=[attendance.MarkEntry(episode_id=episode.pk, status="present")])
    note = Note.objects.get(pk=note.pk)
    assert (note.content_hash, sorted(note.participants.values_list("pk", flat=True))) == before
    assert services.verify_note(note=note).ok


def test_signing_is_refused_while_an_attending_patient_has_no_section(latecomer, facilitator):
    g, episode = latecomer
    note = services.start_note(session=g.session, user=facilitator)
    parts = {str(p.public_id): participant_ok() for p in note.participants.all()}
    mark(g.session, episode)  # written below the services: no hook ran
    with pytest.raises(DomainError, match="1 patient\\(s\\) marked as attending have no section"):
        services.save_and_sign(note=note, user=facilitator, expected_version=note.version, shared=SHARED_OK,
                               participants=parts)
    note = Note.objects.get(pk=note.pk)
    assert note.status == NoteStatus.DRAFT and note.version == 1 and note.participants.count() == 2
    # Saving the draft adds the section (under the note's lock); completed, the note signs.
    services.save_draft(note=note, user=facilitator, expected_version=note.version, shared=SHARED_OK)
    assert note.participants.count() == 3
    assert _fill_and_sign(Note.objects.get(pk=note.pk), facilitator).status == NoteStatus.COMPLETE


def test_individual_notes_are_not_changed_by_marking(make_staff, site, track, facilitator):
    from trellis.documentation.tests.test_views import _appointment

    clinician = make_staff("therapist")
    s, att = _appointment(site, track, clinician, "individual_therapy", "Individual")
    note = services.start_note(session=s, user=clinician, attendance=att)
    assert services.add_new_attendees(session=s, user=clinician) == []
    assert note.participants.count() == 1
