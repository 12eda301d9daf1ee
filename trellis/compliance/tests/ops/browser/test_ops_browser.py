"""Browser: the compliance dashboard, the worklist, the audit-readiness report and the UR packet form at 1280 px,
with axe-core finding no serious violations. Screenshots go to $TRELLIS_SCREENSHOTS when set."""

from __future__ import annotations

import os
from datetime import time, timedelta

import pytest
from django.urls import reverse

from trellis.compliance import alerts
from trellis.compliance.tests.ops.ops_helpers import admit_patient, mark
from trellis.scheduling.testing import make_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("TRELLIS_SCREENSHOTS")


def _axe_serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]
            if v.get("impact") in {"serious", "critical"}]


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def test_dashboard_worklist_report_and_packet_pages(page, live_server, login_as, make_staff, episode, groups,
                                                   track, monday, therapist, case_manager):
    mark(groups[0], episode, "present", therapist)
    others = [admit_patient(track, monday=monday, therapist=therapist, case_manager=case_manager) for _ in range(3)]
    mark(groups[0], others[0], "absent_unexcused", therapist)
    for s in groups:
        mark(s, others[1], "present", therapist)
    alerts.evaluate_hours_alerts(episodes=alerts.alertable_episodes(), monday=monday)
    director = make_staff("program_director", full_name="Dana Director")
    page.set_default_timeout(60_000)  # a loaded CI machine; nothing here measures speed
    page.set_default_navigation_timeout(60_000)
    login_as(page, director)
    y, w, _ = monday.isocalendar()
    page.goto(f"{live_server.url}/compliance/dashboard/?week={y}-W{w:02d}")
    assert page.get_by_role("heading", name="Compliance dashboard").is_visible()
    assert page.locator("svg.status-chart").is_visible()
    assert "Cannot be met: 1" in page.content()
    assert _axe_serious(page) == []
    _shot(page, "compliance-dashboard.png")
    page.goto(f"{live_server.url}/compliance/alerts/?all=1")
    assert page.locator("#compliance-alerts tbody tr").count() >= 1
    assert _axe_serious(page) == []
    _shot(page, "compliance-worklist.png")
    end = monday + timedelta(days=6)
    page.goto(f"{live_server.url}/compliance/audit-readiness/?start={monday}&end={end}")
    assert "with attended services" in page.content()
    assert _axe_serious(page) == []
    _shot(page, "compliance-audit-report.png")
    page.goto(f"{live_server.url}/compliance/ur-packet/{episode.patient.public_id}/")
    page.fill("#id_recipient_name", "Acme Health")
    page.get_by_role("button", name="Generate and disclose").click()
    assert "No disclosure without a release of information" in page.content()
    assert _axe_serious(page) == []
    _shot(page, "compliance-ur-packet-refused.png")


def test_chart_header_hours_bar_on_every_tab_and_the_ur_packet_form(page, live_server, login_as, episode, track,
                                                                     monday, therapist, case_manager, site):
    this_monday = monday + timedelta(days=7)
    sessions = [make_session(site=site, facilitator=therapist, day=this_monday + timedelta(days=d), start=time(9),
                             end=time(12), tracks=[track]) for d in (0, 2, 4)]
    mark(sessions[0], episode, "present", therapist)
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    login_as(page, case_manager)
    chart = f"{live_server.url}/patients/{episode.patient.public_id}/"
    page.goto(chart)
    header = page.locator("section.chart-header")
    assert header.locator(".chart-header-hours .hours-bar").count() == 1
    assert header.get_by_role("link", name="Hours", exact=False).first.is_visible()
    assert header.get_by_role("img").first.get_attribute("aria-label").startswith("3 of 9 counted hours")
    card = page.locator("section[aria-labelledby='ur-panel-h']")
    assert card.get_by_label("Start").is_visible() and card.get_by_label("End").is_visible()
    assert _axe_serious(page) == []
    _shot(page, "chart-header-hours-and-ur-packet.png")
    if SHOTS:
        header.screenshot(path=os.path.join(SHOTS, "chart-header-hours.png"))
        card.screenshot(path=os.path.join(SHOTS, "chart-ur-packet-form.png"))
    page.goto(live_server.url + reverse("episodes:episodes_tab", kwargs={"patient_id": episode.patient.public_id}))
    assert page.locator("section.chart-header .chart-header-hours .hours-bar").count() == 1
    _shot(page, "chart-episodes-tab-header-hours.png")
    card_less = page.locator("section[aria-labelledby='ur-panel-h']").count()
    assert card_less == 0  # the packet form lives on the overview; the bar is on every tab
