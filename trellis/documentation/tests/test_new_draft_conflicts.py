"""Two authors on a brand-new draft: the times the form pre-fills from the schedule are not an edit, and no
conflict resolution replaces text the user did not see."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import reverse

from trellis.documentation import services
from trellis.documentation.models import Note, ParticipantNote

pytestmark = pytest.mark.django_db


class _FormFields(HTMLParser):
    """What a browser submits for the form with id ``form_id`` (inputs, checked boxes, selects, textareas)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, []
        self._select: str | None = None
        self._select_first: tuple[str, str] | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
            return
        if not self.inside or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = (self._select, value)
            if "selected" in a:
                self.fields.append((self._select, value))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select:
            if not self._select_chosen and self._select_first:
                self.fields.append(self._select_first)
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text += data


def form_of(html: str) -> dict[str, Any]:
    parser = _FormFields("note-form")
    parser.feed(html)
    out: dict[str, Any] = {}
    for name, value in parser.fields:
        out.setdefault(name, []).append(value)
    return out


def url(name: str, **kw: Any) -> str:
    return reverse(f"documentation:{name}", kwargs=kw)


@pytest.fixture
def pair(make_group, facilitator, make_staff):
    g = make_group(attended=2)
    cofac = make_staff("group_facilitator", full_name="Cody Cofacilitator")
    g.session.co_facilitator = cofac
    g.session.save()
    return g, services.start_note(session=g.session, user=facilitator), cofac


def _topic(note: Note) -> str | None:
    return (Note.objects.get(pk=note.pk).shared_content.get("group") or {}).get("topic")


@pytest.mark.parametrize("autosave", [True, False])
def test_second_author_on_a_new_draft_never_empties_the_first_authors_shared_section(
        client_for, facilitator, pair, autosave):
    g, note, cofac = pair
    c_fran, c_cody = client_for(facilitator), client_for(cofac)
    fran_form = form_of(c_fran.get(url("note", note_id=note.public_id)).content.decode())
    cody_form = form_of(c_cody.get(url("note", note_id=note.public_id)).content.decode())
    assert fran_form["s-group.start_time"] == ["09:00"]  # pre-filled from the schedule

    # Cody writes the shared section and saves.
    cody_form["s-group.topic"] = ["Coping with cravings"]
    cody_form["s-group.curriculum"] = ["Relapse prevention, module 3"]
    response = c_cody.post(url("note_save", note_id=note.public_id), cody_form)
    assert response.status_code == 302, response.content.decode()[:500]
    assert _topic(note) == "Coping with cravings"

    # Fran, on the page she opened before, touches only a patient's section.
    p1 = str(ParticipantNote.objects.filter(note=note).order_by("pk").first().public_id)
    fran_form[f"p-{p1}-participant.plan"] = ["Fran's plan"]
    headers = {"HX-Request": "true"} if autosave else {}
    response = c_fran.post(url("note_save", note_id=note.public_id), fran_form, headers=headers)
    assert response.status_code in (200, 302), response.content.decode()[:800]
    assert _topic(note) == "Coping with cravings"
    assert ParticipantNote.objects.get(public_id=p1).content["participant"]["plan"] == "Fran's plan"

    # Whatever Fran's screen now shows, saving it as it is keeps Cody's text.
    page = c_fran.get(url("note", note_id=note.public_id)).content.decode()
    response = c_fran.post(url("note_save", note_id=note.public_id), form_of(page))
    assert response.status_code in (200, 302)
    assert _topic(note) == "Coping with cravings"


def test_a_conflict_page_never_writes_back_a_shared_section_the_user_did_not_see(client_for, facilitator, pair):
    """Both edit the shared section: nothing of Fran's is saved and the conflict page shows her Cody's text,
    so that what she saves next is a choice made with his text in front of her."""
    g, note, cofac = pair
    c_fran, c_cody = client_for(facilitator), client_for(cofac)
    fran_form = form_of(c_fran.get(url("note", note_id=note.public_id)).content.decode())
    cody_form = form_of(c_cody.get(url("note", note_id=note.public_id)).content.decode())
    cody_form["s-group.topic"] = ["Cody's topic"]
    assert c_cody.post(url("note_save", note_id=note.public_id), cody_form).status_code == 302
    fran_form["s-group.summary"] = ["Fran's summary"]
    response = c_fran.post(url("note_save", note_id=note.public_id), fran_form)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Cody&#x27;s topic" in html  # the other person's text is on the page she reviews
    assert _topic(note) == "Cody's topic"
