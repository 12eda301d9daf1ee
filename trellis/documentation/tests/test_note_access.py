"""Note access by role: a note awaiting co-signature is not editable; peer specialists and group facilitators
read the notes of sessions they ran or of patients on their caseload, not every note at the site, and add
addenda only to notes they wrote or co-signed."""

from __future__ import annotations

import pytest
import time_machine

from trellis.documentation import policies, services
from trellis.documentation.models import NoteStatus
from trellis.documentation.tests.test_services import fill

pytestmark = pytest.mark.django_db


def _signed(make_group, by):
    g = make_group(attended=2, by=by)
    note = fill(services.start_note(session=g.session, user=by), by)
    with time_machine.travel(g.session.ends_at, tick=False):
        return services.sign_note(note=note, user=by), g


def test_a_note_awaiting_cosignature_is_not_editable(make_group, supervised, supervisor):
    g = make_group(attended=1, by=supervised)
    note = fill(services.start_note(session=g.session, user=supervised), supervised)
    assert policies.can_edit(supervised, note)  # the draft is editable by its author...
    note = services.sign_note(note=note, user=supervised)
    assert note.status == NoteStatus.AWAITING_COSIGN
    for who in (supervised, supervisor):  # ...once signed and waiting, by nobody, supervisor included
        decision = policies.can_edit(who, note)
        assert not decision and "signed" in decision.reason


@pytest.mark.parametrize("role", ["peer_specialist", "group_facilitator"])
def test_limited_roles_read_only_their_sessions_and_caseload(make_group, make_staff, role):
    therapist = make_staff("therapist")
    note, g = _signed(make_group, therapist)
    other = make_staff(role)
    assert policies.can_view_note(therapist, note)
    assert not policies.can_view_note(other, note)  # same site, not their session nor caseload
    assert not policies.can_add_addendum(other, note)
    episode = g.attended[0].episode
    episode.case_manager = other
    episode.save(update_fields=["case_manager"])
    assert policies.can_view_note(other, note)  # a patient on their caseload
    assert not policies.can_add_addendum(other, note)  # reading is not writing: not their note


@pytest.mark.parametrize("role", ["peer_specialist", "group_facilitator"])
def test_limited_roles_keep_their_own_notes(make_group, make_staff, role):
    me = make_staff(role)
    note, _ = _signed(make_group, me)
    assert policies.can_view_note(me, note)
    assert policies.can_add_addendum(me, note)


def test_full_clinicians_read_every_note_at_their_site(make_group, make_staff):
    note, _ = _signed(make_group, make_staff("therapist"))
    for role in ("therapist", "program_director", "nurse"):
        assert policies.can_view_note(make_staff(role), note), role
