"""web/base.html: the shell every page extends."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_base_layout_landmarks_and_hooks(client_for, make_staff, site):
    user = make_staff("therapist", full_name="Sam Rivera")
    response = client_for(user).get(reverse("web:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert re.search(r"<title>[^<]* · Trellis</title>", html)
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert f'data-idle-timeout="{site.organization.idle_timeout_minutes * 60}"' in html
    assert (
        '<form class="topbar-form topbar-search search" role="search" method="post" action="/patients/">'
        in html
    )
    assert 'name="q"' in html and "Find patient" in html and 'data-shortcut="/"' in html
    assert 'action="/accounts/logout/" data-logout-form' in html
    assert 'aria-label="Main"' in html and 'aria-current="page"' in html
    assert "Sam Rivera" in html and "Therapist" in html
    assert "django_htmx/htmx" in html and "web/js/trellis.js" in html
    # CSP: no inline scripts or handlers.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=\"", html)


def test_chart_title_never_contains_patient_name(client_for, make_staff, patient):
    html = (
        client_for(make_staff("therapist"))
        .get(reverse("patients:chart", kwargs={"patient_id": patient.public_id}))
        .content.decode()
    )
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert patient.legal_last_name not in title and patient.legal_first_name not in title


def test_flash_messages_roles(client_for, make_staff, site, other_site):
    from trellis.accounts.models import SiteMembership

    user = make_staff("therapist")
    SiteMembership.objects.create(user=user, site=other_site, role="therapist")
    c = client_for(user)
    response = c.post(
        reverse("accounts:switch_site"), {"site": str(other_site.public_id), "next": "/"}, follow=True
    )
    html = response.content.decode()
    assert 'class="alert alert-info" role="status"' in html
    assert f'<option value="{other_site.public_id}" selected>' in html


def test_login_page_uses_minimal_layout(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert 'class="minimal"' in html
    assert 'class="sidenav"' not in html
    assert "Sign in" in html


def test_static_assets_exist():
    from django.contrib.staticfiles import finders

    for path in (
        "web/css/trellis.css",
        "web/js/trellis.js",
        "web/img/favicon.svg",
        "django_htmx/htmx-2.min.js",
    ):
        assert finders.find(path), path
