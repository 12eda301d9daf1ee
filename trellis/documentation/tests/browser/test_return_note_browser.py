"""Browser: a refused signature leaves the note's own URL in the address bar (a reload does not re-post), the
individual note does not call its session part "shared", and the supervisor returns the signed note to its author
with comments instead of co-signing; the author sees them and the note is editable again."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from trellis.documentation.models import Note, NoteStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("TRELLIS_SHOTS", "/tmp/shots-daily-a")  # noqa: S108 - screenshots for review


def test_return_to_author_and_no_post_url_after_a_refused_sign(page, live_server, login_as, site, track, supervised,
                                                               supervisor):
    from django.utils import timezone

    from trellis.core.testing.factories import PatientFactory
    from trellis.documentation.tests.conftest import mark
    from trellis.scheduling.testing import admit, make_session

    page.set_default_timeout(60_000)  # a shared, loaded build machine: no timing is asserted
    page.set_default_navigation_timeout(60_000)
    day = timezone.localdate(timezone.now(), site.zone) - dt.timedelta(days=2)
    ep = admit(PatientFactory(primary_site=site, legal_first_name="Robin", legal_last_name="Okafor"), track,
               admitted_on=day - dt.timedelta(days=3))
    s = make_session(site=site, facilitator=supervised, day=day, episode=ep, service_type="individual_therapy",
                     title="Individual therapy", program=track.program)
    mark(s, ep)
    login_as(page, supervised)
    page.goto(f"{live_server.url}/documentation/sessions/{s.public_id}/")
    page.get_by_role("button", name="Start note").click()
    page.wait_for_url("**/documentation/notes/**")
    note = Note.objects.get(session=s)
    note_url = f"{live_server.url}/documentation/notes/{note.public_id}/"
    assert "appears in every attendee" not in page.content()

    # signing with required fields empty is refused; the address bar holds the note's URL, not the POST URL
    page.get_by_role("button", name="Sign note").click()
    page.locator("#form-errors").wait_for()
    assert page.url == note_url
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.reload()
    page.get_by_role("button", name="Sign note").wait_for()
    assert posts == [], f"reloading re-posted: {posts}"

    p = f"p-{note.participants.get().public_id}-"
    page.check('[name="s-session.interventions"][value="cbt"]')
    page.fill(f'[name="{p}data.subjective"]', "Reports better sleep.")
    page.fill(f'[name="{p}data.observations"]', "Calm, engaged.")
    page.fill(f'[name="{p}assessment.assessment"]', "Improving.")
    page.select_option(f'[name="{p}assessment.progress"]', "progressing")
    for item in ("suicidal_ideation", "homicidal_ideation", "self_harm"):
        page.select_option(f'[name="{p}assessment.risk.{item}"]', "denied")
    page.select_option(f'[name="{p}assessment.risk.risk_level"]', "low")
    page.fill(f'[name="{p}plan.plan"]', "Continue weekly.")
    page.get_by_role("button", name="Sign note").click()
    page.get_by_test_id("note-status").get_by_text("Awaiting co-signature").wait_for()

    # the supervisor returns it with comments instead of co-signing
    page.context.clear_cookies()
    login_as(page, supervisor)
    page.goto(note_url)
    page.get_by_text("Return to the author instead").click()
    page.get_by_label("Comments for").fill("Add the safety plan review to the plan.")
    page.screenshot(path=f"{SHOTS}/note-return-form.png", full_page=True)
    page.get_by_role("button", name="Return to author").click()
    page.get_by_text("Note returned to its author with your comments.").wait_for()
    note.refresh_from_db()
    assert note.status == NoteStatus.DRAFT

    # the author sees the comments on the worklist and on the note, which is editable again
    page.context.clear_cookies()
    login_as(page, supervised)
    page.goto(f"{live_server.url}/documentation/")
    page.get_by_text("Returned to you with comments").wait_for()
    page.screenshot(path=f"{SHOTS}/worklist-returned.png", full_page=True)
    page.goto(note_url)
    page.get_by_test_id("returned").get_by_text("Add the safety plan review to the plan.").wait_for()
    page.get_by_role("button", name="Sign note").wait_for()
    page.screenshot(path=f"{SHOTS}/note-returned-author.png", full_page=True)
