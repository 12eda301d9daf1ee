"""The web shell in headless Chromium: accessibility, keyboard, tables, htmx errors, idle sign-out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("trellis.web.tests.browser.urls"),
]


def _axe_blocking(page) -> list[str]:
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:  # optional dependency: the rest of the test still runs
        return []
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]


@pytest.fixture
def staff_page(page, live_server, login_as, make_staff, site, other_site):
    from trellis.accounts.models import SiteMembership

    user = make_staff("org_admin", full_name="Dana Whitfield")
    SiteMembership.objects.create(user=user, site=other_site, role="therapist")
    login_as(page, user)
    return page


def test_home_shell_has_no_serious_axe_violations_and_keyboard_works(staff_page, live_server):
    page = staff_page
    page.goto(f"{live_server.url}/")
    assert page.title().endswith(" · Trellis")
    assert _axe_blocking(page) == []
    # Skip link is the first tab stop and moves focus to <main>.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    # "/" focuses the patient search from anywhere outside a field.
    page.locator("h1").click()
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "patient-search"
    # The site switcher has a visible fallback button only without JS.
    assert page.locator("[data-autosubmit-fallback]").is_hidden()


def test_site_switcher_autosubmits(staff_page, live_server, other_site):
    page = staff_page
    page.goto(f"{live_server.url}/")
    with page.expect_navigation():
        page.select_option("#site-switcher", str(other_site.public_id))
    assert page.locator("#site-switcher").input_value() == str(other_site.public_id)
    assert page.locator(".alert[role=status]").first.is_visible()


def test_styleguide_sort_filter_and_axe(staff_page, live_server):
    page = staff_page
    page.goto(f"{live_server.url}/__styleguide__/")
    assert _axe_blocking(page) == []
    minutes = "#sg-sessions tbody tr:not([hidden]) td:nth-child(3)"
    header = page.locator("#sg-sessions th").nth(2)
    header.get_by_role("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert page.locator(minutes).all_inner_texts() == ["50 min", "1 h 00 min", "1 h 30 min", "3 h 00 min"]
    header.get_by_role("button").press("Enter")
    assert header.get_attribute("aria-sort") == "descending"
    assert page.locator(minutes).first.inner_text() == "3 h 00 min"
    page.fill("#sg-filter", "group")
    expect(page.locator("#sg-count")).to_have_text(re.compile(r"^2 of 4 rows"))
    page.fill("#sg-filter", "zzz")
    page.wait_for_selector("tr.filter-empty")


def test_htmx_failure_shows_toast_and_keeps_input(staff_page, live_server):
    page = staff_page
    page.goto(f"{live_server.url}/__styleguide__/")
    page.evaluate(
        """() => {
          const f = document.createElement('form');
          f.id = 'autosave';
          f.setAttribute('hx-post', '/__boom__/');
          f.setAttribute('hx-trigger', 'submit');
          f.innerHTML = '<label for=draft>Draft</label><textarea id=draft name=draft></textarea>'
            + '<button type=submit>Save</button><span class=save-status data-save-status></span>';
          document.querySelector('main').appendChild(f);
          htmx.process(f);
        }"""
    )
    page.fill("#draft", "Patient engaged well in group.")
    page.click("#autosave button")
    toast = page.locator(".toast[role=alert]")
    toast.wait_for()
    assert "nothing was saved" in toast.inner_text()
    assert page.input_value("#draft") == "Patient engaged well in group."
    assert page.locator("#autosave [data-save-status]").get_attribute("data-state") == "error"


def test_htmx_422_swaps_form_errors_without_error_toast(staff_page, live_server):
    page = staff_page
    page.goto(f"{live_server.url}/__styleguide__/")
    page.evaluate(
        """() => {
          const b = document.createElement('button');
          b.id = 'validate'; b.textContent = 'Validate';
          b.setAttribute('hx-post', '/__invalid__/');
          b.setAttribute('hx-target', '#validate-out');
          const out = document.createElement('div'); out.id = 'validate-out';
          document.querySelector('main').append(b, out);
          htmx.process(b);
        }"""
    )
    page.click("#validate")
    page.locator("#swapped").wait_for()
    assert page.locator(".toast").count() == 0


def test_narrow_screen_drawer(staff_page, live_server):
    page = staff_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/")
    nav = page.locator("#sidenav")
    toggle = page.locator("[data-nav-toggle]")
    assert nav.is_hidden()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    nav.locator("a").first.wait_for(state="visible")
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.documentElement.scrollWidth <= 390")


def test_idle_warning_then_sign_out(page, live_server, login_as, make_staff, org):
    org.idle_timeout_minutes = 2
    org.save()
    login_as(page, make_staff("therapist"))
    page.clock.install()
    page.goto(f"{live_server.url}/")
    assert page.locator("body").get_attribute("data-idle-timeout") == "120"
    page.clock.run_for(61_000)  # warning 60 s before the limit
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    dialog.get_by_role("button", name="Stay signed in").click()
    assert dialog.is_hidden()
    page.clock.run_for(61_000)
    dialog.wait_for()
    with page.expect_navigation():
        page.clock.run_for(61_000)
    page.wait_for_url("**/accounts/login/**")
