"""Browser: a supervised therapist writes and signs an individual DAP note; the supervisor co-signs it."""

from __future__ import annotations

import datetime as dt

import pytest

from trellis.documentation.models import Note, NoteStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_individual_note_signed_then_cosigned(page, live_server, login_as, site, track, supervised, supervisor):
    from django.utils import timezone

    from trellis.core.testing.factories import PatientFactory
    from trellis.documentation.tests.conftest import mark
    from trellis.scheduling.testing import admit, make_session

    # Browser tests run on the real clock: a session two days ago is always inside the worklist window.
    DAY = timezone.localdate(timezone.now(), site.zone) - dt.timedelta(days=2)  # noqa: N806

    ep = admit(PatientFactory(primary_site=site, legal_first_name="Robin", legal_last_name="Okafor"), track,
               admitted_on=DAY - dt.timedelta(days=3))
    s = make_session(site=site, facilitator=supervised, day=DAY, episode=ep, service_type="individual_therapy",
                     title="Individual therapy", program=track.program)
    mark(s, ep)
    login_as(page, supervised)
    page.goto(f"{live_server.url}/documentation/sessions/{s.public_id}/")
    page.get_by_role("button", name="Start note").click()
    page.wait_for_url("**/documentation/notes/**")
    note = Note.objects.get(session=s)
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
    page.goto("about:blank")

    page.context.clear_cookies()
    login_as(page, supervisor)
    page.goto(f"{live_server.url}/documentation/")
    page.get_by_role("link", name="Review and co-sign").click()
    page.get_by_role("button", name="Co-sign").click()
    page.get_by_test_id("note-status").get_by_text("Signed").wait_for()
    note.refresh_from_db()
    assert note.status == NoteStatus.COMPLETE
    assert list(note.signatures.order_by("signed_at", "pk").values_list("kind", flat=True)) == ["sign", "cosign"]
    page.goto("about:blank")
