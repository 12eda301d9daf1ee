"""Browser: a case manager opens the worklist, records an approval of 7 more days for a due review, and the chart's
Coverage tab shows the extended authorization; axe-core finds no serious violations on the worklist or the tab."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from trellis.coverage.models import Authorization, ConcurrentReview

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("TRELLIS_SCREENSHOTS")


def _axe_serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]
            if v.get("impact") in {"serious", "critical"}]


def test_case_manager_records_an_approval_from_the_worklist(page, live_server, login_as, make_staff, authorization,
                                                            today):
    ConcurrentReview.objects.filter(authorization=authorization).update(due_on=today)
    end = authorization.end_on
    login_as(page, make_staff("case_manager", full_name="Casey Manager"))
    page.goto(f"{live_server.url}/coverage/worklist/")
    assert _axe_serious(page) == []
    page.get_by_role("link", name="Record outcome").click()
    page.get_by_label("Outcome").select_option("approved")
    page.get_by_label("More days approved").fill("7")
    page.get_by_label("Payer reviewer").fill("R. Alvarez, RN")
    page.get_by_role("button", name="Record outcome").click()
    page.wait_for_url(f"{live_server.url}/coverage/worklist/")
    assert "Review outcome recorded" in page.content()
    authorization = Authorization.objects.get(pk=authorization.pk)
    assert authorization.end_on == end + dt.timedelta(days=7)
    page.goto(f"{live_server.url}/coverage/patients/{authorization.episode.patient.public_id}/")
    assert page.get_by_text("7 more days").is_visible()
    assert _axe_serious(page) == []
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "coverage-chart.png"), full_page=True)
