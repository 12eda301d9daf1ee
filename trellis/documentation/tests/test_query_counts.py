"""Saving and signing a group note costs the same number of queries whatever the group's size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.audit.models import AuditAction, AuditEvent
from trellis.documentation import services
from trellis.documentation.models import NoteStatus, ParticipantNote
from trellis.documentation.tests.conftest import SHARED_OK, add_plan, participant_ok

pytestmark = pytest.mark.django_db


def _counts(make_group, facilitator, size):
    g = make_group(attended=size)
    objectives = {a.episode_id: add_plan(a.episode, ["Use one coping skill daily"]) for a in g.attended}
    with CaptureQueriesContext(connection) as started:
        note = services.start_note(session=g.session, user=facilitator)
    parts = {str(p.public_id): participant_ok(objectives[p.episode_id]) for p in note.participants.all()}
    with CaptureQueriesContext(connection) as saved:
        note = services.save_draft(note=note, user=facilitator, expected_version=note.version, shared=SHARED_OK,
                                   participants=parts, bases=services.section_hashes(note))
    parts = {k: participant_ok(v["participant"]["objectives"], plan="Continue module 5.") for k, v in parts.items()}
    with CaptureQueriesContext(connection) as signed:
        note = services.save_and_sign(note=note, user=facilitator, expected_version=note.version,
                                      participants=parts)
    assert note.status == NoteStatus.COMPLETE
    sections = ParticipantNote.objects.filter(note=note)
    assert sections.count() == size
    assert all(p.content["participant"]["plan"] == "Continue module 5." for p in sections)
    ids = [str(p.public_id) for p in sections]
    # every section written is audited against its own patient, twice (draft, then the signed save)
    events = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id__in=ids)
    assert events.count() == 2 * size
    assert {e.patient_id for e in events} == {p.episode.patient_id for p in sections}
    assert all(e.actor_id == facilitator.pk and e.site_id == g.session.site_id for e in events)
    # the signature is audited once per patient on the note, each event carrying its patient
    signs = AuditEvent.objects.filter(action=AuditAction.SIGN, object_id=str(note.public_id))
    assert signs.count() == size
    assert {e.patient_id for e in signs} == {p.episode.patient_id for p in sections}
    return len(started), len(saved), len(signed)


def test_group_note_save_and_sign_cost_the_same_queries_at_6_and_18(make_group, facilitator):
    _counts(make_group, facilitator, 1)  # per-user caches warm up
    small = _counts(make_group, facilitator, 6)
    large = _counts(make_group, facilitator, 18)
    assert small == large, f"start/save/sign, 6 attendees: {small} queries; 18 attendees: {large}"
