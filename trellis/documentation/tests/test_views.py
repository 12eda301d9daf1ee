"""Views: the group note screen (prefill, one-request save, autosave, conflicts, signing), refusals through the
UI and by direct POST, co-sign and addendum screens, the chart tab and PDFs (patient isolation), worklists,
private notes, and allowed/denied pairs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trellis.audit.models import AuditAction, AuditEvent
from trellis.documentation import services
from trellis.documentation.models import Note, NoteStatus, ParticipantNote, Signature
from trellis.documentation.pdf import extract_text
from trellis.documentation.tests.conftest import DAY, SHARED_OK, participant_ok
from trellis.documentation.views import chart as chart_views

pytestmark = pytest.mark.django_db


def form_data(prefix: str, content: dict[str, Any]) -> dict[str, Any]:
    """Inverse of note_schema.content_from_form: content -> POST fields."""
    data: dict[str, Any] = {}
    for section, fields in content.items():
        for key, value in fields.items():
            name = f"{prefix}{section}.{key}"
            if isinstance(value, dict):
                for item, v in value.items():
                    data[f"{name}.{item}"] = v
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for i, row in enumerate(value):
                    for k, v in row.items():
                        data[f"{name}.{i}.{k}"] = v
            elif isinstance(value, list):
                data[name] = value
            else:
                data[name] = "" if value is None else value
    return data


def whole_note(note: Note, *, plan: str = "Continue module 4.", shared: dict | None = None,
               version: int | None = None, action: str = "save") -> dict[str, Any]:
    data = {"version": note.version if version is None else version, "action": action}
    data.update(form_data("s-", shared if shared is not None else SHARED_OK))
    for p in note.participants.all():
        data.update(form_data(f"p-{p.public_id}-", participant_ok(plan=f"{plan} [{p.episode.patient.mrn}]")))
    return data


@pytest.fixture
def group(make_group):  # noqa: ANN001, ANN201
    return make_group(attended=3, absent=1)


@pytest.fixture
def draft(group, facilitator):  # noqa: ANN001, ANN201
    return services.start_note(session=group.session, user=facilitator)


def url(name: str, **kw: Any) -> str:
    return reverse(f"documentation:{name}", kwargs=kw)


# --------------------------------------------------------------------------- the note screen
def test_note_screen_prefills_roster_from_attendance(client_for, facilitator, group, draft):
    response = client_for(facilitator).get(url("note", note_id=draft.public_id))
    assert response.status_code == 200
    html = response.content.decode()
    for a in group.attended:
        assert a.episode.patient.display_name in html
        assert f'id="p-{ParticipantNote.objects.get(note=draft, episode=a.episode).public_id}"' in html
    absent = group.absent[0].episode.patient.display_name
    assert absent in html and "Absent (no clinical section)" in html
    assert 'value="09:00"' in html and 'value="10:30"' in html  # start/end times from the schedule
    assert "Alt</kbd>+<kbd>↓" in html
    assert AuditEvent.objects.filter(action=AuditAction.READ, object_id=str(draft.public_id)).exists()


def _count_queries(client, path) -> int:  # noqa: ANN001
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_group_note_screen_query_count_does_not_grow_with_attendees(client_for, facilitator, make_group):
    from trellis.documentation.tests.conftest import add_plan

    c = client_for(facilitator)
    small = make_group(attended=3, absent=1)
    big = make_group(attended=12, absent=2, day=DAY + dt.timedelta(days=1))
    for g in (small, big):
        for ep in g.episodes:
            add_plan(ep, ["Objective one", "Objective two"])
    n_small = services.start_note(session=small.session, user=facilitator)
    n_big = services.start_note(session=big.session, user=facilitator)
    _count_queries(c, url("note", note_id=n_small.public_id))  # warm caches (content types, sessions)
    assert _count_queries(c, url("note", note_id=n_small.public_id)) == _count_queries(
        c, url("note", note_id=n_big.public_id))


def test_whole_group_saved_in_one_request(client_for, facilitator, make_group):
    g = make_group(attended=12)
    note = services.start_note(session=g.session, user=facilitator)
    c = client_for(facilitator)
    response = c.post(url("note_save", note_id=note.public_id), whole_note(note))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.version == 2 and note.shared_content["group"]["topic"] == "Coping with cravings"
    plans = [p.content["participant"]["plan"] for p in note.participants.select_related("episode__patient")]
    assert len(plans) == 12 and all(p.startswith("Continue module 4.") for p in plans)


def test_htmx_autosave_returns_status_and_new_version(client_for, facilitator, draft):
    c = client_for(facilitator)
    data = whole_note(draft, action="autosave")
    response = c.post(url("note_save", note_id=draft.public_id), data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Draft saved at" in html and 'id="note-version" value="2" hx-swap-oob="true"' in html
    # a failed autosave (stale version) says so and saves nothing
    data["s-group.topic"] = "Changed in a stale tab"
    response = c.post(url("note_save", note_id=draft.public_id), data, headers={"HX-Request": "true"})
    assert response.status_code == 409 and "Not saved" in response.content.decode()
    assert Note.objects.get(pk=draft.pk).shared_content["group"]["topic"] == "Coping with cravings"


def test_concurrent_edit_conflict_is_shown_and_text_kept(client_for, facilitator, make_staff, group, draft):
    cofac = make_staff("group_facilitator", full_name="Cody Cofacilitator")
    group.session.co_facilitator = cofac
    group.session.save()
    stale_version = draft.version
    assert client_for(cofac).post(url("note_save", note_id=draft.public_id),
                                  whole_note(draft, plan="Cody wrote this")).status_code == 302
    response = client_for(facilitator).post(url("note_save", note_id=draft.public_id),
                                            whole_note(draft, plan="Fran wrote this", version=stale_version))
    assert response.status_code == 409
    html = response.content.decode()
    assert "Cody Cofacilitator saved this note" in html
    assert "Fran wrote this" in html  # the user's unsaved text is still in the form
    assert "Cody wrote this" in html  # and the other person's saved text is shown
    assert 'name="version" id="note-version" value="2"' in html  # saving again now is a deliberate choice
    plans = {p.content["participant"]["plan"][:15] for p in ParticipantNote.objects.filter(note=draft)}
    assert plans == {"Cody wrote this"}


def test_signing_with_required_fields_empty_via_ui(client_for, facilitator, draft):
    data = whole_note(draft, action="sign")
    first = draft.participants.first()
    data[f"p-{first.public_id}-participant.plan"] = ""
    response = client_for(facilitator).post(url("note_save", note_id=draft.public_id), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "cannot be signed yet" in html and "is required before signing" in html
    draft.refresh_from_db()
    assert draft.status == NoteStatus.DRAFT and draft.version == 1 and draft.shared_content == {}


def test_sign_via_ui_then_editing_is_refused_on_screen_and_by_direct_post(client_for, facilitator, draft):
    c = client_for(facilitator)
    response = c.post(url("note_save", note_id=draft.public_id), whole_note(draft, action="sign"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == NoteStatus.COMPLETE
    page = c.get(url("note", note_id=draft.public_id)).content.decode()
    assert 'id="note-form"' not in page and "Sign and add addendum" in page
    assert "PDF for this patient" in page
    response = c.post(url("note_save", note_id=draft.public_id),
                      whole_note(draft, plan="Rewritten after signing", version=draft.version))
    assert response.status_code == 302
    assert not ParticipantNote.objects.filter(content__participant__plan__startswith="Rewritten").exists()
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, object_id=str(draft.public_id)).exists()
    messages = [m.message for m in c.get(url("note", note_id=draft.public_id)).context["messages"]]
    assert any("signed and can no longer be changed" in m for m in messages)


def test_signing_someone_elses_draft_is_refused(client_for, facilitator, make_staff, group, draft):
    cofac = make_staff("group_facilitator", full_name="Cody Cofacilitator")
    group.session.co_facilitator = cofac
    group.session.save()
    response = client_for(cofac).post(url("note_save", note_id=draft.public_id), whole_note(draft, action="sign"))
    assert response.status_code == 400
    assert "Only the author of a draft can sign it." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == NoteStatus.DRAFT and draft.version == 1 and not Signature.objects.exists()


def test_cosign_and_addendum_screens(client_for, supervised, supervisor, make_group):
    g = make_group(attended=1, by=supervised)
    note = services.start_note(session=g.session, user=supervised)
    c_author = client_for(supervised)
    # addendum to a draft: refused
    response = c_author.post(url("addendum", note_id=note.public_id), {"text": "Too early"})
    assert response.status_code == 400 and "only be added to signed notes" in response.content.decode()
    c_author.post(url("note_save", note_id=note.public_id), whole_note(note, action="sign"))
    note.refresh_from_db()
    assert note.status == NoteStatus.AWAITING_COSIGN
    # co-signing one's own note: refused
    c_author.post(url("cosign", note_id=note.public_id))
    assert Note.objects.get(pk=note.pk).status == NoteStatus.AWAITING_COSIGN
    c_sup = client_for(supervisor)
    assert "Co-sign" in c_sup.get(url("note", note_id=note.public_id)).content.decode()
    assert c_sup.post(url("cosign", note_id=note.public_id)).status_code == 302
    assert Note.objects.get(pk=note.pk).status == NoteStatus.COMPLETE
    response = c_author.post(url("addendum", note_id=note.public_id), {"text": "Patient phoned at 14:00."})
    assert response.status_code == 302
    page = c_author.get(url("note", note_id=note.public_id)).content.decode()
    assert "Patient phoned at 14:00." in page and "Addendum 1" in page


def test_copy_previous_sessions_shared_section(client_for, facilitator, make_group):
    first = make_group(attended=1)
    n1 = services.start_note(session=first.session, user=facilitator)
    services.save_draft(note=n1, user=facilitator, expected_version=1,
                        shared={"group": {**SHARED_OK["group"], "topic": "Urge surfing"}})
    second = make_group(attended=1, day=DAY + dt.timedelta(days=2))
    n2 = services.start_note(session=second.session, user=facilitator)
    c = client_for(facilitator)
    assert "Copy previous session" in c.get(url("note", note_id=n2.public_id)).content.decode()
    fragment = c.get(url("previous_shared", note_id=n2.public_id)).content.decode()
    assert 'value="Urge surfing"' in fragment and "Copied from the previous session" in fragment
    assert Note.objects.get(pk=n2.pk).shared_content == {}  # nothing saved until the user saves


def test_session_notes_page_starts_a_group_note(client_for, facilitator, group):
    c = client_for(facilitator)
    page = c.get(url("session_notes", session_id=group.session.public_id)).content.decode()
    assert "Start group note" in page
    response = c.post(url("start", session_id=group.session.public_id), {"template": "group_psychotherapy"})
    note = Note.objects.get(session=group.session)
    assert response.status_code == 302 and response["Location"] == url("note", note_id=note.public_id)
    assert note.participants.count() == 3


# --------------------------------------------------------------------------- chart and prints: isolation
@pytest.fixture
def signed_pair(client_for, facilitator, make_group):  # noqa: ANN001, ANN201
    g = make_group(attended=2)
    note = services.start_note(session=g.session, user=facilitator)
    pa, pb = note.participants.select_related("episode__patient").order_by("pk")
    services.save_draft(note=note, user=facilitator, expected_version=1, shared=SHARED_OK, participants={
        str(pa.public_id): participant_ok(plan="ALPHA-ONLY plan text"),
        str(pb.public_id): participant_ok(plan="BRAVO-ONLY plan text"),
    })
    note = services.sign_note(note=note, user=facilitator)
    services.add_addendum(note=note, user=facilitator, text="ADDENDUM-ABOUT-BRAVO", episode=pb.episode)
    services.add_addendum(note=note, user=facilitator, text="ADDENDUM-FOR-ALL")
    return note, pa, pb


def test_patient_a_chart_contains_nothing_of_patient_b(client_for, facilitator, signed_pair):
    note, pa, pb = signed_pair
    a, b = pa.episode.patient, pb.episode.patient
    html = client_for(facilitator).get(url("chart_notes", patient_id=a.public_id)).content.decode()
    assert "ALPHA-ONLY plan text" in html and "Coping with cravings" in html and "ADDENDUM-FOR-ALL" in html
    for leak in ("BRAVO-ONLY", "ADDENDUM-ABOUT-BRAVO", b.display_name, b.legal_last_name, b.mrn):
        assert leak not in html


def test_patient_a_pdfs_contain_nothing_of_patient_b(client_for, facilitator, signed_pair, monkeypatch):
    monkeypatch.setattr(chart_views, "PDF_COMPRESS", False)
    note, pa, pb = signed_pair
    a, b = pa.episode.patient, pb.episode.patient
    c = client_for(facilitator)
    single = c.get(url("chart_note_pdf", patient_id=a.public_id, participant_id=pa.public_id))
    assert single.status_code == 200 and single["Content-Type"] == "application/pdf"
    rng = c.get(url("chart_notes_pdf", patient_id=a.public_id) + "?start=2026-11-01&end=2026-11-30")
    assert rng.status_code == 200
    for response in (single, rng):
        text = extract_text(response.content)
        assert "ALPHA-ONLY plan text" in text and "Coping with cravings" in text and a.display_name in text
        for leak in ("BRAVO-ONLY", "ADDENDUM-ABOUT-BRAVO", b.display_name, b.legal_last_name):
            assert leak not in text
        assert "42 CFR part 2" not in text
    prints = AuditEvent.objects.filter(action=AuditAction.PRINT, patient=a)
    assert prints.count() == 2
    # another patient's section id under patient A's URL is simply not found
    assert c.get(url("chart_note_pdf", patient_id=a.public_id, participant_id=pb.public_id)).status_code == 404


def test_part2_program_prints_the_redisclosure_notice(client_for, facilitator, signed_pair, program, monkeypatch):
    monkeypatch.setattr(chart_views, "PDF_COMPRESS", False)
    program.is_part2 = True
    program.save()
    _, pa, _ = signed_pair
    response = client_for(facilitator).get(url("chart_note_pdf", patient_id=pa.episode.patient.public_id,
                                                participant_id=pa.public_id))
    text = extract_text(response.content)
    assert "42 CFR part 2 prohibits unauthorized use or disclosure of these records." in text
    assert "redisclosure" in text


def test_bad_date_range_on_print_is_refused_without_error(client_for, facilitator, signed_pair):
    _, pa, _ = signed_pair
    response = client_for(facilitator).get(url("chart_notes_pdf", patient_id=pa.episode.patient.public_id)
                                           + "?start=2026-12-01&end=2026-11-01")
    assert response.status_code == 302


# --------------------------------------------------------------------------- worklists
def test_worklist_pages(client_for, facilitator, make_staff, group, program):
    director = make_staff("program_director", full_name="Dana Director")
    mine = client_for(facilitator).get(url("worklist"))
    assert mine.status_code == 200 and "Attended sessions without a signed note" in mine.content.decode()
    response = client_for(director).get(url("program_worklist", program_id=program.public_id))
    assert response.status_code == 200 and "Process group" in response.content.decode()
    assert client_for(director).get(url("worklist") + f"?program={program.public_id}").status_code == 302
    assert client_for(director).get(url("worklist") + "?program=not-a-uuid").status_code == 200


# --------------------------------------------------------------------------- private notes
def test_private_notes_never_in_chart_and_author_only(client_for, facilitator, make_staff, group):
    patient = group.episodes[0].patient
    c = client_for(facilitator)
    response = c.post(url("private_new", patient_id=patient.public_id),
                      {"kind": "psychotherapy", "text": "PRIVATE-PROCESS-CONTENT"})
    assert response.status_code == 302
    assert "PRIVATE-PROCESS-CONTENT" not in c.get(url("chart_notes", patient_id=patient.public_id)).content.decode()
    from trellis.documentation.models import PrivateNote

    pn = PrivateNote.objects.get()
    assert c.get(url("private_edit", private_id=pn.public_id)).status_code == 200
    colleague = make_staff("therapist")
    assert client_for(colleague).get(url("private_edit", private_id=pn.public_id)).status_code == 404
    assert "PRIVATE-PROCESS-CONTENT" not in client_for(colleague).get(url("private_list")).content.decode()


# --------------------------------------------------------------------------- allowed / denied
def test_denied_pairs(client, client_for, make_staff, other_site, draft):
    path = url("note", note_id=draft.public_id)
    assert client.get(path).status_code == 302  # anonymous -> sign in
    front_desk = make_staff("front_desk")
    assert client_for(front_desk).get(path).status_code == 403  # wrong role
    outsider = make_staff("group_facilitator", at=other_site)
    assert client_for(outsider).get(path).status_code == 404  # other site
    assert AuditEvent.objects.filter(actor=outsider, action=AuditAction.DENIED).exists()
    biller = make_staff("biller")
    assert client_for(biller).post(url("cosign", note_id=draft.public_id)).status_code == 403


def test_facilitator_of_another_session_cannot_edit(client_for, make_staff, draft):
    peer = make_staff("group_facilitator", full_name="Pat Peer")
    response = client_for(peer).post(url("note_save", note_id=draft.public_id), whole_note(draft))
    assert response.status_code == 302
    assert Note.objects.get(pk=draft.pk).version == 1


# --------------------------------------------------------------------------- templates
def test_template_admin(client_for, make_staff, facilitator, org):
    director = make_staff("program_director", full_name="Dana Director")
    c = client_for(director)
    page = c.get(url("template_list"))
    assert page.status_code == 200 and "Group psychotherapy note" in page.content.decode()
    assert client_for(facilitator).get(url("template_list")).status_code == 403
    from trellis.documentation.models import NoteTemplate

    source = NoteTemplate.objects.get(organization=org, key="group_psychotherapy")
    response = c.post(url("template_list"), {"name": "Trauma group note", "key": "trauma_group",
                                             "service_type": "group_psychotherapy",
                                             "copy_from": str(source.public_id)})
    created = NoteTemplate.objects.get(key="trauma_group")
    assert response.status_code == 302 and not created.is_default
    detail = url("template_detail", template_id=created.public_id)
    assert "Preview" in c.get(detail).content.decode()
    bad = c.post(detail, {"schema": "{not json"})
    assert bad.status_code == 400 and created.versions.count() == 1
    bad = c.post(detail, {"schema": '{"key": "trauma_group", "name": "X", "sections": []}'})
    assert bad.status_code == 400 and "at least one section" in bad.content.decode()
    import json

    schema = created.versions.get().schema
    schema["sections"][0]["fields"][0]["label"] = "Theme"
    assert c.post(detail, {"schema": json.dumps(schema)}).status_code == 302
    assert created.versions.count() == 2
    dup = c.post(url("template_list"), {"name": "Again", "key": "trauma_group", "service_type": "skills_group",
                                        "copy_from": str(source.public_id)})
    assert dup.status_code == 400 and "already exists" in dup.content.decode()


def test_signed_note_screen_shows_hash_verification(client_for, facilitator, draft):
    c = client_for(facilitator)
    c.post(url("note_save", note_id=draft.public_id), whole_note(draft, action="sign"))
    page = c.get(url("note", note_id=draft.public_id)).content.decode()
    assert 'data-testid="hash-ok"' in page


# --------------------------------------------------------------------------- individual and medication notes
def _appointment(site, track, clinician, service_type, title):  # noqa: ANN001, ANN202
    from trellis.core.testing.factories import PatientFactory
    from trellis.documentation.tests.conftest import mark
    from trellis.scheduling.testing import admit, make_session

    ep = admit(PatientFactory(primary_site=site), track, admitted_on=DAY - dt.timedelta(days=3))
    s = make_session(site=site, facilitator=clinician, day=DAY, episode=ep, service_type=service_type,
                     title=title, program=track.program)
    return s, mark(s, ep)


def test_medication_management_note_with_vitals_and_medication_changes(client_for, make_staff, site, track):
    prescriber = make_staff("prescriber", full_name="Dr. Pia Prescriber")
    s, att = _appointment(site, track, prescriber, "medication_management", "Medication management")
    c = client_for(prescriber)
    page = c.get(url("session_notes", session_id=s.public_id)).content.decode()
    assert "Individual notes" in page and "Start note" in page
    response = c.post(url("start", session_id=s.public_id),
                      {"attendance": str(att.public_id), "template": "medication_management"})
    note = Note.objects.get(session=s)
    assert response.status_code == 302 and note.kind == "individual" and note.episode == att.episode
    key = str(note.participants.get().public_id)
    p = f"p-{key}-"
    data = {"version": note.version, "action": "sign", "s-visit.start_time": "09:00", "s-visit.end_time": "09:30",
            p + "subjective.history": "Sleeping better.", p + "subjective.adherence": "full",
            p + "vitals.bp_systolic": "300", p + "vitals.pulse": "72",
            p + "assessment.mental_status": "Calm, linear.", p + "assessment.assessment": "Improving.",
            p + "assessment.risk.suicidal_ideation": "denied", p + "assessment.risk.homicidal_ideation": "denied",
            p + "assessment.risk.self_harm": "denied", p + "assessment.risk.risk_level": "low",
            p + "plan.medication_changes.0.medication": "Sertraline",
            p + "plan.medication_changes.0.change": "increase",
            p + "plan.medication_changes.0.dose": "150 mg daily",
            p + "plan.plan": "Return in 4 weeks."}
    response = c.post(url("note_save", note_id=note.public_id), data)
    assert response.status_code == 400 and "must be between 50 and 260 mmHg" in response.content.decode()
    data[p + "vitals.bp_systolic"] = "128"
    assert c.post(url("note_save", note_id=note.public_id), data).status_code == 302
    note.refresh_from_db()
    content = note.participants.get().content
    assert note.status == NoteStatus.COMPLETE
    assert content["vitals"]["bp_systolic"] == 128
    assert content["plan"]["medication_changes"] == [
        {"medication": "Sertraline", "change": "increase", "dose": "150 mg daily", "instructions": ""}]


def test_objective_of_another_patient_posted_directly_is_refused(client_for, facilitator, group, draft):
    from trellis.documentation.tests.conftest import add_plan

    a, b = group.episodes[0], group.episodes[1]
    add_plan(a, ["Own objective"])
    foreign = add_plan(b, ["Someone else's objective"])[0]
    pa = draft.participants.get(episode=a)
    data = whole_note(draft)
    data[f"p-{pa.public_id}-participant.objectives"] = [foreign]
    response = client_for(facilitator).post(url("note_save", note_id=draft.public_id), data)
    assert response.status_code == 400
    assert "may only link objectives from this patient&#x27;s current treatment plan" in response.content.decode()
    assert Note.objects.get(pk=draft.pk).version == 1


def test_viewing_a_draft_never_adds_sections(client_for, facilitator, group, draft, track):
    """Attendance written below the services (no hook ran): the screen lists the patient without writing; saving
    the draft adds the section."""
    from trellis.core.testing.factories import PatientFactory
    from trellis.documentation.tests.conftest import mark
    from trellis.scheduling.testing import admit

    late_arrival = admit(PatientFactory(primary_site=group.session.site), track, admitted_on=DAY)
    mark(group.session, late_arrival, "late", minutes=60)
    c = client_for(facilitator)
    page = c.get(url("note", note_id=draft.public_id)).content.decode()
    assert "1 patient(s) marked present have no section yet" in page
    assert draft.participants.count() == 3 and Note.objects.get(pk=draft.pk).version == 1
    assert c.post(url("note_save", note_id=draft.public_id), whole_note(draft)).status_code == 302
    assert draft.participants.count() == 4


def test_chart_and_worklist_query_counts_do_not_grow_with_data(client_for, facilitator, make_group):
    c = client_for(facilitator)
    g = make_group(attended=2)
    patient = g.episodes[0].patient

    def sign(session_group):  # noqa: ANN001, ANN202
        note = services.start_note(session=session_group.session, user=facilitator)
        note = services.save_draft(note=note, user=facilitator, expected_version=1, shared=SHARED_OK,
                                   participants={str(p.public_id): participant_ok()
                                                 for p in note.participants.all()})
        return services.sign_note(note=note, user=facilitator)

    sign(g)
    make_group(attended=1, day=DAY - dt.timedelta(days=1))  # one unsigned session already at the small size
    chart = url("chart_notes", patient_id=patient.public_id)
    _count_queries(c, chart)
    small_chart, small_wl = _count_queries(c, chart), _count_queries(c, url("worklist"))
    from trellis.documentation.tests.conftest import mark

    for i in range(1, 6):  # five more signed group notes for the same patient, and more unsigned sessions
        more = make_group(attended=2, day=DAY + dt.timedelta(days=i))
        mark(more.session, g.episodes[0])
        sign(more)
        make_group(attended=2, day=DAY + dt.timedelta(days=i))
    assert _count_queries(c, chart) == small_chart
    assert _count_queries(c, url("worklist")) == small_wl


def test_no_other_app_reads_private_notes():
    """Private notes stay out of search, prints, exports and disclosures: nothing outside this app touches them."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = [str(p) for p in root.rglob("*.py")
                 if "documentation" not in p.parts and "PrivateNote" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_issue_acceptance_ten_attendees_two_absences(client_for, facilitator, make_group, monkeypatch):
    """A group note for 10 attendees and 2 absences produces 10 patient notes; patient A's chart and PDF contain
    nothing of any other patient (written, signed and printed through the screens)."""
    monkeypatch.setattr(chart_views, "PDF_COMPRESS", False)
    g = make_group(attended=10, absent=2)
    c = client_for(facilitator)
    c.post(url("start", session_id=g.session.public_id), {"template": "group_psychotherapy"})
    note = Note.objects.get(session=g.session)
    response = c.post(url("note_save", note_id=note.public_id), whole_note(note, plan="UNIQUE", action="sign"))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.status == NoteStatus.COMPLETE and note.participants.count() == 10
    a_part = note.participants.select_related("episode__patient").first()
    a = a_part.episode.patient
    others = [x.episode.patient for x in [*g.attended, *g.absent] if x.episode.patient != a]
    assert len(others) == 11
    chart = c.get(url("chart_notes", patient_id=a.public_id)).content.decode()
    pdf = extract_text(c.get(url("chart_note_pdf", patient_id=a.public_id, participant_id=a_part.public_id)).content)
    assert f"UNIQUE [{a.mrn}]" in chart and f"UNIQUE [{a.mrn}]" in pdf
    for other in others:
        for text in (chart, pdf):
            assert other.display_name not in text and other.mrn not in text
            assert f"[{other.mrn}]" not in text


def _bases(html: str) -> dict[str, str]:
    import re

    return {m.group(1): m.group(2) for m in re.finditer(r'name="(base-[^"]+)" id="[^"]+" value="([^"]*)"', html)}


def test_screen_merges_concurrent_edits_of_different_patients(client_for, facilitator, make_staff, group, draft):
    cofac = make_staff("group_facilitator", full_name="Cody Cofacilitator")
    group.session.co_facilitator = cofac
    group.session.save()
    c_fran, c_cody = client_for(facilitator), client_for(cofac)
    bases = _bases(c_fran.get(url("note", note_id=draft.public_id)).content.decode())
    assert len(bases) == 1 + 3
    p1, p2, _ = (str(p.public_id) for p in draft.participants.order_by("pk"))
    from trellis.documentation.note_schema import empty_content

    # the form as both loaded it: every section empty
    stale: dict[str, Any] = {"version": 1, **bases}
    for p in draft.participants.all():
        stale.update(form_data(f"p-{p.public_id}-", empty_content(draft.template_version.parsed, "participant")))
    # Cody (autosave) writes patient 1's plan
    cody = dict(stale)
    cody.update(form_data(f"p-{p1}-", participant_ok(plan="Cody's plan")))
    response = c_cody.post(url("note_save", note_id=draft.public_id), cody, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'id="base-{p1}"' in response.content.decode()  # only the saved section gets a new base
    assert 'id="base-shared"' not in response.content.decode()  # shared section not touched
    # Fran's screen is stale: she writes patient 2's plan and autosaves; Cody's text is kept
    fran = dict(stale)
    fran.update(form_data(f"p-{p2}-", participant_ok(plan="Fran's plan")))
    response = c_fran.post(url("note_save", note_id=draft.public_id), fran, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "changed by someone else was kept" in response.content.decode()
    plans = {str(p.public_id): p.content.get("participant", {}).get("plan")
             for p in ParticipantNote.objects.filter(note=draft)}
    assert plans[p1] == "Cody's plan" and plans[p2] == "Fran's plan"
    # Fran now edits patient 1 from her stale copy: a real conflict, shown; her stale copies of other sections
    # are replaced by the saved text on the conflict screen
    fran.update(form_data(f"p-{p1}-", participant_ok(plan="Fran's plan for patient 1")))
    fran["version"] = 3
    response = c_fran.post(url("note_save", note_id=draft.public_id), fran)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else also changed this patient's section" in html
    assert "Fran&#x27;s plan for patient 1" in html and "Cody&#x27;s plan" in html
    assert ParticipantNote.objects.get(public_id=p1).content["participant"]["plan"] == "Cody's plan"


def test_other_patients_name_is_shown_as_the_reason_signing_failed(client_for, facilitator, group, draft):
    data = whole_note(draft, action="sign")
    pa, pb = draft.participants.select_related("episode__patient").order_by("pk")[:2]
    data[f"p-{pa.public_id}-participant.plan"] = f"Paired with {pb.episode.patient.legal_last_name}."
    response = client_for(facilitator).post(url("note_save", note_id=draft.public_id), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "names another patient" in html and "Refer to them as “a peer”" in html
    assert Note.objects.get(pk=draft.pk).status == NoteStatus.DRAFT


def test_starting_with_an_unknown_template_is_refused(client_for, facilitator, group):
    response = client_for(facilitator).post(url("start", session_id=group.session.public_id), {"template": "bogus"})
    assert response.status_code == 302 and not Note.objects.filter(session=group.session).exists()
    bad_attendance = client_for(facilitator).post(url("start", session_id=group.session.public_id),
                                                  {"attendance": "not-a-uuid"})
    assert bad_attendance.status_code == 302


def test_nul_characters_are_dropped_not_a_server_error(client_for, facilitator, draft):
    data = whole_note(draft)
    data["s-group.topic"] = "Coping\x00 skills"
    response = client_for(facilitator).post(url("note_save", note_id=draft.public_id), data)
    assert response.status_code == 302
    assert Note.objects.get(pk=draft.pk).shared_content["group"]["topic"] == "Coping skills"


def test_notes_tab_opens_on_the_last_two_weeks(client_for, facilitator, make_group):
    """A long stay stays readable: by default the tab shows 14 days; a chosen range shows older notes."""
    old_day = DAY - dt.timedelta(days=30)
    old = make_group(attended=1, day=old_day)
    note = services.start_note(session=old.session, user=facilitator)
    patient = note.participants.get().episode.patient
    c = client_for(facilitator)
    default = c.get(url("chart_notes", patient_id=patient.public_id))
    assert default.context["items"] == [] and b"last 14 days" in default.content
    ranged = c.get(url("chart_notes", patient_id=patient.public_id), {"start": old_day.isoformat()})
    assert len(ranged.context["items"]) == 1
