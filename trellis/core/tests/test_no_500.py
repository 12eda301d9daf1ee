"""Bad input never produces a 500: every URL, requested by a user who holds every role, with junk query
strings and junk form posts, answers with a page, a redirect, a 4xx — never a server error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from trellis.accounts.models import Role, SiteMembership
from trellis.core.tests.test_url_walk import PROTECTED, _kwargs_for

pytestmark = pytest.mark.django_db

JUNK = {
    "q": "' OR 1=1 --",
    "date": "2026-02-30",
    "start": "not-a-date",
    "end": "31/31/2031",
    "week": "2026-W99",
    "day": "yesterday",
    "site": "00000000-0000-0000-0000-000000000000",
    "program": "-1",
    "track": "abc",
    "page": "9999999",
    "version": "x",
    "status": "<script>alert(1)</script>",
    "minutes": "-30",
    "format": "exe",
}


@pytest.fixture
def everything_user(make_staff, site):
    user = make_staff("org_admin")
    SiteMembership.objects.bulk_create(
        [SiteMembership(user=user, site=site, role=r) for r in Role.values if r != "org_admin"]
    )
    return user


@pytest.mark.parametrize("name,pattern", PROTECTED, ids=[n for n, _ in PROTECTED])
def test_junk_input_is_never_a_server_error(client_for, everything_user, patient, name, pattern):
    c = client_for(everything_user)
    c.raise_request_exception = False
    url = reverse(name, kwargs=_kwargs_for(pattern, patient.public_id))
    for response in (c.get(url, JUNK), c.post(url, JUNK), c.post(url, {}), c.get(url, HTTP_HX_REQUEST="true")):
        assert response.status_code < 500, f"{name}: {response.status_code}"
