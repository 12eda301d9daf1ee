"""Opening a note while it is signed (and while attendance is marked): no 500, and a signed note's content and
participants never change afterwards. Each thread has its own database connection; a barrier starts them together.
SQLite has one writer per database file and no row locks, so these run on PostgreSQL only."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.urls import reverse

from trellis.attendance import services as attendance
from trellis.core.errors import DomainError
from trellis.core.testing.factories import PatientFactory
from trellis.documentation import services
from trellis.documentation.models import Note, NoteStatus
from trellis.documentation.tests.conftest import DAY, SHARED_OK, mark, participant_ok
from trellis.documentation.tests.test_views import whole_note
from trellis.scheduling.testing import admit

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL row locks (SELECT ... FOR UPDATE); run with DATABASE_URL=postgres://..."),
]

READERS = 4
READS_EACH = 3


def race(*calls: Callable[[], Any]) -> tuple[list[Any], list[BaseException]]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(fn: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            value = fn()
            with lock:
                results.append(value)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertions
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


def _state(note: Note) -> tuple:
    """What a signature covers, as stored: the note's hash, shared section and every section's content."""
    note = Note.objects.get(pk=note.pk)
    return (note.status, note.content_hash, note.shared_content,
            sorted((p.episode_id, repr(p.content)) for p in note.participants.all()))


def _reader(c: Any, note: Note) -> Callable[[], list[int]]:
    url = reverse("documentation:note", kwargs={"note_id": note.public_id})
    return lambda: [c.get(url).status_code for _ in range(READS_EACH)]


def _filled_draft(make_group: Any, facilitator: Any) -> Note:
    g = make_group(attended=3, absent=1)
    note = services.start_note(session=g.session, user=facilitator)
    return services.save_draft(note=note, user=facilitator, expected_version=note.version, shared=SHARED_OK,
                               participants={str(p.public_id): participant_ok() for p in note.participants.all()})


@pytest.mark.parametrize("attempt", range(2))
def test_opening_a_note_while_it_is_signed(make_group, facilitator, make_staff, client_for, attempt):
    note = _filled_draft(make_group, facilitator)
    director = make_staff("program_director")
    readers = [client_for(facilitator if i % 2 == 0 else director) for i in range(READERS)]
    signer = client_for(facilitator)
    for c in (*readers, signer):
        c.raise_request_exception = False
    save = reverse("documentation:note_save", kwargs={"note_id": note.public_id})

    results, errors = race(lambda: signer.post(save, whole_note(note, action="sign")).status_code,
                           *[_reader(c, note) for c in readers])
    assert errors == []
    statuses = [s for r in results for s in (r if isinstance(r, list) else [r])]
    assert len(statuses) == READERS * READS_EACH + 1 and all(s < 500 for s in statuses), statuses
    signed = _state(note)
    assert signed[0] == NoteStatus.COMPLETE
    # Opening it again afterwards, by everyone, changes nothing it covers; the hash still verifies.
    for c in readers:
        assert c.get(reverse("documentation:note", kwargs={"note_id": note.public_id})).status_code == 200
    assert _state(note) == signed
    assert services.verify_note(note=Note.objects.get(pk=note.pk)).ok


@pytest.mark.parametrize("attempt", range(2))
def test_marking_attendance_while_a_note_is_signed_and_opened(make_group, facilitator, track, client_for, attempt):
    note = _filled_draft(make_group, facilitator)
    session = note.session
    latecomer = admit(PatientFactory(primary_site=session.site), track, admitted_on=DAY - dt.timedelta(days=3))
    readers = [client_for(facilitator) for _ in range(READERS - 1)]
    signer = client_for(facilitator)
    for c in (*readers, signer):
        c.raise_request_exception = False
    save = reverse("documentation:note_save", kwargs={"note_id": note.public_id})

    def mark_latecomer() -> str:
        attendance.mark_attendance(session=session, user=facilitator,
                                   entries=[attendance.MarkEntry(episode_id=latecomer.pk, status="present")])
        return "marked"

    results, errors = race(lambda: signer.post(save, whole_note(note, action="sign")).status_code, mark_latecomer,
                           *[_reader(c, note) for c in readers])
    assert errors == [] or all(isinstance(e, DomainError) for e in errors), errors
    statuses = [s for r in results if r != "marked" for s in (r if isinstance(r, list) else [r])]
    assert all(s < 500 for s in statuses), statuses
    status, content_hash, _, sections = _state(note)
    on_note = {episode_id for episode_id, _ in sections}
    if status == NoteStatus.COMPLETE:
        # Signed first: marking did not add the latecomer to the signed note, and its hash still verifies.
        assert latecomer.pk not in on_note
        assert services.verify_note(note=Note.objects.get(pk=note.pk)).ok
    else:
        # Marked first: the latecomer's (empty) section is on the draft, so signing was refused, not half-done.
        assert status == NoteStatus.DRAFT and latecomer.pk in on_note and content_hash == ""


@pytest.mark.parametrize("attempt", range(2))
def test_opening_a_note_with_an_attendee_missing_while_it_is_signed(make_group, facilitator, track, client_for,
                                                                   attempt):
    """Attendance written below the services (no hook ran) leaves a patient without a section. Opening the note
    many times at once writes nothing (no duplicate sections, no unique-constraint 500) and signing is refused
    with a message until a save adds the section."""
    note = _filled_draft(make_group, facilitator)
    mark(note.session, admit(PatientFactory(primary_site=note.session.site), track,
                             admitted_on=DAY - dt.timedelta(days=3)))
    before = _state(note)
    readers = [client_for(facilitator) for _ in range(READERS)]
    signer = client_for(facilitator)
    for c in (*readers, signer):
        c.raise_request_exception = False
    save = reverse("documentation:note_save", kwargs={"note_id": note.public_id})

    results, errors = race(lambda: signer.post(save, whole_note(note, action="sign")).status_code,
                           *[_reader(c, note) for c in readers])
    assert errors == []
    statuses = [s for r in results for s in (r if isinstance(r, list) else [r])]
    assert sorted(set(statuses)) == [200, 400], statuses  # every read rendered; the signature was refused
    assert _state(note) == before
