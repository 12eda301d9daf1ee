"""Issue 16 item 10: the main pages of every role pass axe-core (no serious or critical violation) and reflow at
320 CSS px without whole-page horizontal scrolling (WCAG 1.4.10). Main pages: the role's navigation, a chart
(overview and consents tab), the attendance sheet and the time-grid calendar where the role may open them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from trellis.accounts.models import Role
from trellis.core.testing.a11y import axe_serious, reflow_overflow, shots_dir
from trellis.scheduling.models import Session
from trellis.scheduling.testing import admit, make_program, make_room, make_track

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = shots_dir()
MAX_NAV_PAGES = 12


@pytest.fixture
def clinic(site, make_staff):
    from trellis.core.testing.factories import PatientFactory

    lead = make_staff("program_director", full_name="Dana Director")
    track = make_track(make_program(site), name="Day")
    starts_at = (timezone.now() - timedelta(minutes=30)).replace(second=0, microsecond=0)
    session = Session.objects.create(
        site=site, program=track.program, title="Process group", service_type="group_psychotherapy",
        starts_at=starts_at, ends_at=starts_at + timedelta(minutes=90),
        local_date=starts_at.astimezone(site.zone).date(), facilitator=lead, room=make_room(site),
    )
    session.tracks.set([track])
    patients = []
    for first, last in [("Grace", "Roberts"), ("Ian", "Moss"), ("Lena", "Ortiz")]:
        patient = PatientFactory(primary_site=site, legal_first_name=first, legal_last_name=last)
        admit(patient, track, admitted_on=session.local_date - timedelta(days=9))
        patients.append(patient)
    return {"session": session, "patient": patients[0]}


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_main_pages_of_each_role_pass_axe_and_reflow(role, page, live_server, login_as, make_staff, clinic):
    page.set_default_timeout(60_000)  # a loaded 2-core machine; not a timing assertion
    user = make_staff(role, full_name=f"Test {role}")
    login_as(page, user)
    base = live_server.url
    page.goto(f"{base}/")
    nav = page.eval_on_selector_all("#sidenav a[href]", "links => links.map(a => a.getAttribute('href'))")
    urls = [href for href in nav if href.startswith("/")][:MAX_NAV_PAGES]
    patient, session = clinic["patient"], clinic["session"]
    urls += [f"/patients/{patient.public_id}/", f"/consents/patients/{patient.public_id}/",
             f"/attendance/sessions/{session.public_id}/", f"/scheduling/?date={session.local_date.isoformat()}",
             f"/scheduling/day/?date={session.local_date.isoformat()}"]
    failures: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for url in dict.fromkeys(urls):
        response = page.goto(base + url)
        if response is None or response.status != 200:
            continue  # pages this role may not open are not its main pages
        slug = url.strip("/").replace("/", "_").replace("?", "_")[:60] or "today"
        problems = axe_serious(page)
        if role == "program_director":
            page.screenshot(path=f"{SHOTS}/{slug}-1280.png", full_page=True)
        titles[url] = page.title()
        overflow = reflow_overflow(page, shot=f"{SHOTS}/{slug}-320.png" if role == "program_director" else None)
        problems += [f"reflow at 320 px: {o}" for o in overflow]
        if problems:
            failures[url] = problems
    assert failures == {}
    assert titles, "the role opened no page"
    assert not any("Roberts" in t for t in titles.values())  # no PHI in titles
