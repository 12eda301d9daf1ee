"""Browser: the referral board on "All my sites" shows every site's referrals; the audit trail's patient filter
takes an MRN without putting it in the address, and shows role names as words."""

from __future__ import annotations

import os

import pytest

from trellis.accounts.models import SiteMembership
from trellis.audit.models import AuditAction
from trellis.audit.services import record
from trellis.core.clock import today_in
from trellis.referrals.services import create_referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("TRELLIS_SHOTS", "/tmp/shots-daily-a")  # noqa: S108 - screenshots for review


def test_board_on_all_sites(page, live_server, login_as, site, other_site, make_staff):
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    director = make_staff("program_director", full_name="Dana Director")
    SiteMembership.objects.create(user=director, site=other_site, role="program_director")
    for s, name in ((site, "Avery"), (other_site, "Blake")):
        create_referral(site=s, created_by=director, first_name=name, last_name="Stone", owner=director,
                        next_step="Call back", next_step_due=today_in(s.zone))
    login_as(page, director)
    page.goto(f"{live_server.url}/referrals/?mine=1&due=1")
    page.get_by_role("link", name="Avery S.", exact=True).wait_for()
    page.get_by_role("link", name="Blake S.", exact=True).wait_for()
    assert page.locator("#board [data-row]").count() == 2
    page.screenshot(path=f"{SHOTS}/board-all-sites.png", full_page=True)


def test_audit_patient_filter_by_mrn(page, live_server, login_as, make_staff, patient):
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    admin = make_staff("org_admin", full_name="Olive Admin")
    director = make_staff("program_director", full_name="Dana Director")
    record(action=AuditAction.READ, obj=patient, actor=director)
    login_as(page, admin)
    page.goto(f"{live_server.url}/audit/")
    page.get_by_label("Patient MRN").fill(patient.mrn)
    page.get_by_role("button", name="Show this patient's events").click()
    page.get_by_test_id("patient-filter").wait_for()
    assert patient.mrn not in page.url and str(patient.public_id) in page.url
    assert page.get_by_role("cell", name="Program director").count() >= 1
    page.screenshot(path=f"{SHOTS}/audit-patient-filter.png", full_page=True)
