"""End to end in headless Chromium: sign in with the real form, find a patient, open the chart."""

from __future__ import annotations

import pytest

from trellis.core.testing.factories import PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def _axe_serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]


def test_sign_in_search_and_open_chart(page, live_server, make_staff, site, org):
    org.relax_mfa_in_dev = True
    org.save()
    user = make_staff("therapist")
    PatientFactory(primary_site=site, legal_first_name="Robin", legal_last_name="Okonkwo")
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    assert _axe_serious(page) == []
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.keyboard.press("/")  # the shortcut focuses the top-bar patient search
    page.keyboard.type("okonkwo")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/patients/")
    assert "okonkwo" not in page.url  # the query is POSTed, never in the URL
    page.get_by_role("link", name="Okonkwo, Robin").click()
    page.wait_for_selector(".chart-header")
    assert "Robin Okonkwo" in page.inner_text(".chart-header")
    assert "Okonkwo" not in page.title()  # no PHI in titles
    assert _axe_serious(page) == []


def test_wrong_password_shows_message(page, live_server, make_staff):
    user = make_staff("therapist")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("do not match").is_visible()
