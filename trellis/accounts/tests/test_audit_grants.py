"""`manage.py audit_grants`: who holds which role at which site, now and as of a past date (from the audited
role changes, so a grant revoked since still shows for the day it was held)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from trellis.accounts import services

pytestmark = pytest.mark.django_db

PROFILE = {"title": "", "credentials": "", "npi": "", "supervisor": None, "requires_cosign": False,
           "is_physician": False}


def _grants(*args: str) -> str:
    out = StringIO()
    call_command("audit_grants", *args, stdout=out)
    return out.getvalue()


def test_grants_now_and_as_of_a_past_date(org, site, make_staff):
    director = make_staff("program_director")
    with time_machine.travel(dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC), tick=False):
        nurse = services.save_staff(organization=org, user=None, changed_by=director, email="nina@example.org",
                                    full_name="Nina Nurse", profile=PROFILE, memberships={(site, "nurse")})
    with time_machine.travel(dt.datetime(2026, 3, 9, 15, tzinfo=dt.UTC), tick=False):
        services.save_staff(organization=org, user=nurse, changed_by=director, email="nina@example.org",
                            full_name="Nina Nurse", profile=PROFILE, memberships={(site, "case_manager")})
    now = _grants()
    assert f"{site.code}\tcase_manager\tnina@example.org" in now and "\tnurse\tnina" not in now
    assert f"{site.code}\tprogram_director\t{director.email}" in now
    march_5 = _grants("--as-of", "2026-03-05")
    assert f"{site.code}\tnurse\tnina@example.org\taudited change" in march_5
    assert "case_manager\tnina" not in march_5
    assert "nina@example.org" not in _grants("--as-of", "2026-03-01")  # before she was granted anything


def test_bad_date_is_refused_with_the_format():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        _grants("--as-of", "March 5")
