"""Browser: a biller corrects a paid claim's charge (the page says a replacement claim follows, then the
replacement claim opens) and matches a suspense payment by hand, at 1280 px, with axe-core finding no serious
or critical violation. Screenshots go to $TRELLIS_SCREENSHOTS when set."""

from __future__ import annotations

import os

import pytest

from trellis.billing.models import Claim
from trellis.billing.tests.test_corrections import _claim, _paid, _send
from trellis.billing.tests.test_suspense import _remit, _sent

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


def test_correct_a_paid_charge_in_the_browser(page, live_server, login_as, world, biller, tmp_path) -> None:
    claim = _paid(world, _send(world, _claim(world, days=2), tmp_path))
    charge = claim.lines.order_by("number").first().charge
    page.set_default_timeout(60_000)
    login_as(page, biller)
    page.goto(f"{live_server.url}/billing/charges/{charge.public_id}/correct/")
    assert "replacement claim (frequency 7, REF*F8 PAY77)" in page.content()
    assert _axe_serious(page) == []
    page.fill("#id_code", "90837")
    page.fill("#id_amount", "210.00")
    page.fill("#id_reason", "Session lasted 55 minutes: 90837")
    _shot(page, "billing-correct-charge.png")
    page.get_by_role("button", name="Correct and draft the replacement claim").click()
    replacement = Claim.objects.get(replaces=claim)
    page.wait_for_url(f"**/billing/claims/{replacement.public_id}/")
    assert "Replacement of" in page.content() and "PAY77" in page.content()
    assert _axe_serious(page) == []
    _shot(page, "billing-replacement-claim.png")


def test_match_a_suspense_payment_in_the_browser(page, live_server, login_as, world, biller, tmp_path) -> None:
    a, b = _sent(world, tmp_path)
    item = _remit(world, a, b)
    page.set_default_timeout(60_000)
    login_as(page, biller)
    page.goto(f"{live_server.url}/billing/")
    page.get_by_role("link", name="Match TRLOST0000001 by hand").click()
    page.fill("#id_q", b.patient_control_number)
    page.get_by_role("search", name="Claims").get_by_role("button", name="Search").click()
    assert page.locator("#candidates [data-row]").count() == 1
    assert _axe_serious(page) == []
    _shot(page, "billing-suspense-match.png")
    page.get_by_role("button", name=f"Post this payment to claim {b.patient_control_number}").click()
    page.wait_for_url(f"**/billing/claims/{b.public_id}/")
    assert "as the import would have posted it" in page.content()
    item.refresh_from_db()
    assert item.resolved_at is not None
    _shot(page, "billing-suspense-posted.png")
