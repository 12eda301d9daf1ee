"""Browser: a facilitator starts, writes (autosave, keyboard navigation between patients) and signs a group note."""

from __future__ import annotations

import re

import pytest

from trellis.core.testing.a11y import reflow_overflow
from trellis.documentation.models import Note, NoteStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _axe_serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]
            if v.get("impact") in {"serious", "critical"}]


def test_write_and_sign_a_group_note(page, live_server, login_as, make_group, facilitator):
    g = make_group(attended=3, absent=1)
    page.set_default_timeout(60_000)  # a loaded shared machine; not a timing assertion
    login_as(page, facilitator)
    page.goto(f"{live_server.url}/documentation/sessions/{g.session.public_id}/")
    page.get_by_role("button", name="Start group note").click()
    page.wait_for_url(re.compile(r"/documentation/notes/"))
    note = Note.objects.get(session=g.session)
    keys = [str(k) for k in note.participants.order_by(
        "episode__patient__legal_last_name", "episode__patient__legal_first_name", "pk").values_list(
        "public_id", flat=True)]
    assert page.locator("[data-participant]").count() == 3
    assert _axe_serious(page) == []
    assert reflow_overflow(page) == []  # WCAG 1.4.10 at 320 CSS px
    assert page.get_by_text("Absent (no clinical section)").is_visible()

    page.fill('[name="s-group.topic"]', "Coping with cravings")
    page.locator("#autosave-status").get_by_text("Draft saved at").wait_for(timeout=20_000)
    page.check('[name="s-group.interventions"][value="cbt"]')
    assert page.input_value('[name="s-group.start_time"]') == "09:00"

    for i, key in enumerate(keys):
        p = f"p-{key}-participant"
        page.select_option(f'[name="{p}.participation"]', "active")
        page.check(f'[name="{p}.mood_affect"][value="anxious"]')
        page.select_option(f'[name="{p}.response"]', "receptive")
        page.select_option(f'[name="{p}.progress"]', "progressing")
        for item in ("suicidal_ideation", "homicidal_ideation", "self_harm"):
            page.select_option(f'[name="{p}.risk.{item}"]', "denied")
        page.select_option(f'[name="{p}.risk.risk_level"]', "low")
        page.fill(f'[name="{p}.plan"]', f"Plan for patient {i + 1}")
        if i + 1 < len(keys):
            # Alt+Down belongs to the text box (and opens a select): it must not move to the next patient there.
            page.keyboard.press("Alt+ArrowDown")
            assert page.evaluate("document.activeElement.closest('[data-participant]').id") == f"p-{key}"
            page.focus(f"#p-{key} [data-next-participant]")
            page.keyboard.press("Alt+ArrowDown")  # keyboard navigation to the next patient's section
            focused_section = page.evaluate("document.activeElement.closest('[data-participant]').id")
            assert focused_section == f"p-{keys[i + 1]}"

    page.get_by_role("button", name="Sign note").click()
    page.wait_for_load_state()
    page.get_by_test_id("note-status").get_by_text("Signed").wait_for()
    note.refresh_from_db()
    assert note.status == NoteStatus.COMPLETE
    assert {p.content["participant"]["plan"] for p in note.participants.all()} == {
        "Plan for patient 1", "Plan for patient 2", "Plan for patient 3"}
    assert page.get_by_test_id("signature").count() == 1
    assert _axe_serious(page) == []
    page.goto("about:blank")  # no request in flight while the live server's database is flushed


def test_group_note_for_18_patients_reaches_sign_by_keyboard(page, live_server, login_as, make_group, facilitator):
    """Issue 16: Tab alone from the first field to "Sign" took 519 presses for 18 patients. With the sheet's keyboard
    model (skip links, Alt+arrows between patients) the path from the first field to Sign is the shared section's own
    controls, then "Skip to Sign": it does not grow with the roster. Alt+Down in a text box or list stays there."""
    g = make_group(attended=18, absent=0)
    page.set_default_timeout(60_000)  # a loaded shared machine; not a timing assertion
    login_as(page, facilitator)
    page.goto(f"{live_server.url}/documentation/sessions/{g.session.public_id}/")
    page.get_by_role("button", name="Start group note").click()
    page.wait_for_url(re.compile(r"/documentation/notes/"))
    sections = page.eval_on_selector_all("[data-participant]", "ss => ss.map(s => s.id)")
    assert len(sections) == 18
    active = "document.activeElement"
    presses = 0

    def press(key: str) -> None:
        nonlocal presses
        presses += 1
        page.keyboard.press(key)

    # From the first field of the form (the shared section's topic) to the Sign button.
    first_field = page.evaluate(
        "() => document.querySelector('#note-form').querySelector('input:not([type=hidden]), select, textarea').name")
    assert first_field == "s-group.topic"
    page.focus('[name="s-group.topic"]')
    while page.evaluate(f"{active}.textContent.trim()") != "Skip to Sign, from the shared section":
        press("Tab")
        assert presses < 60, page.evaluate(f"{active}.outerHTML.slice(0, 120)")
    press("Enter")
    assert page.evaluate(f"{active}.id") == "sign-note"
    # The shared section's own stops (curriculum, 12 intervention check boxes, two times of three segments each,
    # the summary), two links and Enter: 25 in Chromium, whatever the roster size (Tab alone: 519 for 18 patients).
    # 60 leaves room for a longer shared section in another template.
    assert presses <= 60, presses

    # Every patient is reachable without tabbing through the others: the top skip link, then Alt+Down.
    page.focus("nav.skip-links a:first-child")
    page.keyboard.press("Enter")
    assert page.evaluate(f"{active}.id") == sections[0]
    for expected in sections[1:]:
        page.keyboard.press("Alt+ArrowDown")
        assert page.evaluate(f"{active}.id") == expected
    page.keyboard.press("Alt+ArrowUp")
    assert page.evaluate(f"{active}.id") == sections[-2]
    page.keyboard.press("Tab")  # from a patient's heading into that patient's first field
    assert page.evaluate(f"{active}.closest('[data-participant]').id") == sections[-2]
    assert page.evaluate(f"{active}.tagName") == "SELECT"

    # Alt+Down belongs to text boxes and lists there: it never moves to another patient.
    textarea = f"#{sections[3]} textarea"
    page.focus(textarea)
    page.keyboard.press("Alt+ArrowDown")
    assert page.evaluate(f"{active}.closest('[data-participant]').id") == sections[3]
    assert page.evaluate(f"{active}.tagName") == "TEXTAREA"
    page.focus(f"#{sections[3]} select")
    page.keyboard.press("Alt+ArrowDown")  # opens the list natively
    page.keyboard.press("Escape")
    assert page.evaluate(f"{active}.closest('[data-participant]').id") == sections[3]
    assert page.evaluate(f"{active}.tagName") == "SELECT"
    page.focus('[name="s-group.topic"]')  # a one-line text box outside any patient's section
    page.keyboard.press("Alt+ArrowDown")
    assert page.evaluate(f"{active}.name") == "s-group.topic"

    # Each section ends with "Next patient" and "Skip to Sign" (one Tab from the section's last field).
    page.focus(f"#{sections[3]} [data-next-participant]")
    page.keyboard.press("Enter")
    assert page.evaluate(f"{active}.id") == sections[4]
    page.focus(f"#{sections[4]} .section-end a:last-child")
    page.keyboard.press("Enter")
    assert page.evaluate(f"{active}.id") == "sign-note"
    assert _axe_serious(page) == []
    page.goto("about:blank")  # no request in flight while the live server's database is flushed
