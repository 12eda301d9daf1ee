"""A supervisor returns a note to its author with comments instead of co-signing; individual notes do not call
their session part "shared"; a refused signature does not leave a POST URL in the address bar."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from trellis.audit.models import AuditAction, AuditEvent
from trellis.core.errors import DomainError
from trellis.documentation import services
from trellis.documentation.models import Note, NoteReturn, NoteStatus, SignatureKind
from trellis.documentation.tests.test_services import fill
from trellis.documentation.tests.test_views import whole_note

pytestmark = pytest.mark.django_db


def _awaiting(make_group, supervised):
    g = make_group(attended=2, by=supervised)
    note = fill(services.start_note(session=g.session, user=supervised), supervised)
    note = services.sign_note(note=note, user=supervised)
    assert note.status == NoteStatus.AWAITING_COSIGN
    return note


def test_return_makes_the_note_an_editable_draft_again(make_group, supervised, supervisor, make_staff,
                                                       django_capture_on_commit_callbacks):
    note = _awaiting(make_group, supervised)
    with pytest.raises(DomainError, match="Write what the author should change"):
        services.return_note(note=note, user=supervisor, comments="   ")
    with pytest.raises(DomainError, match="cannot co-sign your own note"):
        services.return_note(note=note, user=supervised, comments="Looks fine to me")
    stranger = make_staff("therapist", full_name="Other Therapist")
    with pytest.raises(DomainError, match="supervisor"):
        services.return_note(note=note, user=stranger, comments="Not mine to return")
    with django_capture_on_commit_callbacks(execute=True):
        returned = services.return_note(note=note, user=supervisor, comments="Add the risk assessment.")
    note = Note.objects.get(pk=note.pk)
    assert note.status == NoteStatus.DRAFT and not note.content_hash and note.signed_at is None
    assert returned.signature.kind == SignatureKind.SIGN and returned.comments == "Add the risk assessment."
    # audited once per patient, each event carrying its patient
    events = AuditEvent.objects.filter(action=AuditAction.UNLOCK, object_id=str(note.public_id))
    assert sorted(e.patient_id for e in events) == sorted(p.episode.patient_id for p in note.participants.all())
    # the author is told, without patient data
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [supervised.email]
    assert str(note.public_id) in mail.outbox[0].body
    for p in note.participants.select_related("episode__patient"):
        assert p.episode.patient.legal_last_name not in mail.outbox[0].body + mail.outbox[0].subject
    # the author edits and signs again; it waits for the supervisor once more and can then be co-signed
    note = fill(note, supervised)
    note = services.sign_note(note=note, user=supervised)
    assert note.status == NoteStatus.AWAITING_COSIGN
    note = services.cosign_note(note=note, user=supervisor)
    assert note.status == NoteStatus.COMPLETE and services.verify_note(note=note).ok
    with pytest.raises(DomainError):
        services.return_note(note=note, user=supervisor, comments="Too late: it is complete")
    assert NoteReturn.objects.count() == 1


def test_return_screen_comments_shown_and_author_sees_them(client_for, make_group, supervised, supervisor):
    note = _awaiting(make_group, supervised)
    note_url = reverse("documentation:note", kwargs={"note_id": note.public_id})
    return_url = reverse("documentation:return", kwargs={"note_id": note.public_id})
    c_sup = client_for(supervisor)
    page = c_sup.get(note_url).content.decode()
    assert "Return to author" in page
    # the author cannot return their own note (and a GET is not allowed)
    c_author = client_for(supervised)
    assert "Return to author" not in c_author.get(note_url).content.decode()
    c_author.post(return_url, {"comments": "x"})
    assert Note.objects.get(pk=note.pk).status == NoteStatus.AWAITING_COSIGN
    assert c_sup.get(return_url).status_code == 405
    response = c_sup.post(return_url, {"comments": ""}, follow=True)
    assert "Write what the author should change" in response.content.decode()
    assert c_sup.post(return_url, {"comments": "Please add the safety plan review."}).status_code == 302
    page = c_author.get(note_url).content.decode()
    assert 'data-testid="returned"' in page and "Please add the safety plan review." in page
    assert 'id="note-form"' in page  # editable by the author again
    worklist = c_author.get(reverse("documentation:worklist")).content.decode()
    assert "Returned to you with comments" in worklist


def test_individual_note_has_no_shared_section_label(client_for, site, track, make_staff):
    from trellis.core.testing.factories import PatientFactory
    from trellis.documentation.tests.conftest import DAY, mark
    from trellis.scheduling.testing import admit, make_session

    therapist = make_staff("therapist", full_name="Theo Therapist")
    ep = admit(PatientFactory(primary_site=site), track, admitted_on=DAY - dt.timedelta(days=3))
    s = make_session(site=site, facilitator=therapist, day=DAY, episode=ep, service_type="individual_therapy",
                     title="Individual therapy", program=track.program)
    mark(s, ep)
    note = services.start_note(session=s, user=therapist)
    page = client_for(therapist).get(reverse("documentation:note", kwargs={"note_id": note.public_id}))
    html = page.content.decode()
    assert "appears in every attendee" not in html and "Shared section" not in html
    assert "every attendee" not in html


def test_group_note_keeps_the_shared_section_label(client_for, make_group, facilitator):
    g = make_group(attended=2)
    note = services.start_note(session=g.session, user=facilitator)
    html = client_for(facilitator).get(reverse("documentation:note", kwargs={"note_id": note.public_id})
                                       ).content.decode()
    assert "appears in every attendee" in html


def test_refused_signature_replaces_the_post_url(client_for, make_group, facilitator):
    g = make_group(attended=2)
    note = services.start_note(session=g.session, user=facilitator)
    data = whole_note(note, action="sign")
    data[f"p-{note.participants.first().public_id}-participant.plan"] = ""
    response = client_for(facilitator).post(reverse("documentation:note_save", kwargs={"note_id": note.public_id}),
                                            data)
    assert response.status_code == 400
    note_url = reverse("documentation:note", kwargs={"note_id": note.public_id})
    assert f'data-replace-url="{note_url}"' in response.content.decode()
