"""Charge capture as a background task: enqueued on commit when attendance is marked or a note becomes
complete, run immediately in tests (ImmediateBackend, conftest.py), idempotent."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from trellis.attendance.models import Attendance
from trellis.attendance.signals import attendance_marked
from trellis.billing.boundary import CoverageSource, register_coverage_source
from trellis.billing.models import Charge
from trellis.billing.tasks import capture_session_charges
from trellis.billing.tests.conftest import MONDAY
from trellis.documentation.models import Note, NoteKind, NoteStatus, ParticipantNote

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(world):
    register_coverage_source(CoverageSource(world.coverage_for, world.authorization_for))
    yield world
    register_coverage_source(None)


def _marked(session, capture) -> None:
    with capture(execute=True):
        attendance_marked.send(sender=Attendance, session=session, user=None)


def test_marking_attendance_captures_signed_services_once(connected, django_capture_on_commit_callbacks) -> None:
    ep = connected.patient()
    att = connected.attend(ep, MONDAY)
    _marked(att.session, django_capture_on_commit_callbacks)
    (charge,) = Charge.objects.all()
    assert (charge.attendance_id, charge.code) == (att.pk, "90853")
    _marked(att.session, django_capture_on_commit_callbacks)  # marked again (a correction): nothing new
    assert Charge.objects.count() == 1
    result = capture_session_charges.enqueue(att.session.pk)
    assert result.return_value == {"created": 0, "skipped": []}


def test_signing_the_note_captures_the_waiting_service(connected, django_capture_on_commit_callbacks) -> None:
    ep = connected.patient()
    att = connected.attend(ep, MONDAY, note=NoteStatus.DRAFT)
    _marked(att.session, django_capture_on_commit_callbacks)
    assert not Charge.objects.exists()  # charges come from signed notes
    note = Note.objects.get(session=att.session)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        note.content_hash = "edited"
        note.save()  # a draft saved while writing queues nothing
    assert callbacks == [] and not Charge.objects.exists()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        note.status, note.signed_at, note.content_hash = NoteStatus.COMPLETE, timezone.now(), "x"
        note.save()
    assert len(callbacks) == 1
    assert Charge.objects.get().attendance_id == att.pk


def test_a_rolled_back_marking_queues_nothing(connected, django_capture_on_commit_callbacks) -> None:
    ep = connected.patient()
    att = connected.attend(ep, MONDAY)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                attendance_marked.send(sender=Attendance, session=att.session, user=None)
                raise RuntimeError("marking failed")
        except RuntimeError:
            pass
    assert callbacks == [] and not Charge.objects.exists()


def test_without_a_coverage_source_the_task_captures_nothing_and_says_why(world) -> None:
    ep = world.patient()
    att = world.attend(ep, MONDAY)
    result = capture_session_charges.enqueue(att.session.pk)
    assert result.return_value == {"created": 0, "skipped": ["no coverage source registered"]}
    assert not Charge.objects.exists()


def test_real_marking_then_signing_captures_the_charge(connected, django_capture_on_commit_callbacks) -> None:
    """Through attendance's own service (its attendance_marked hook), then the note becoming complete."""
    from trellis.attendance.services import MarkEntry, mark_attendance
    from trellis.scheduling.testing import make_session

    ep = connected.patient()
    session = make_session(site=connected.site, facilitator=connected.therapist, day=MONDAY,
                           tracks=[connected.track], service_type="group_psychotherapy")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        mark_attendance(session=session, user=connected.therapist,
                        entries=[MarkEntry(episode_id=ep.pk, status="present")])
    assert callbacks and not Charge.objects.exists()  # enqueued and run; the note is not signed yet
    note = Note.objects.create(session=session, kind=NoteKind.GROUP, author=connected.therapist,
                               template_version=connected.template_version)
    ParticipantNote.objects.create(note=note, episode=ep, attendance=Attendance.objects.get(session=session))
    with django_capture_on_commit_callbacks(execute=True):
        note.status, note.signed_at, note.content_hash = NoteStatus.COMPLETE, timezone.now(), "x"
        note.save()
    (charge,) = Charge.objects.all()
    assert (charge.episode_id, charge.code, charge.minutes) == (ep.pk, "90853", session.minutes)
