"""The shell context processor: content, scoping of navigation, and bounded cost."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import SiteMembership
from trellis.accounts.policies import has_capability
from trellis.core.testing.factories import SiteFactory
from trellis.web.context_processors import DEFAULT_ACCENT, accent_pair, contrast_ratio, shell

pytestmark = pytest.mark.django_db


def _request(user, path="/"):
    from trellis.accounts.models import User

    request = RequestFactory().get(path)
    request.user = User.objects.get(pk=user.pk) if user is not None else AnonymousUser()  # fresh: no caches
    return request


def test_anonymous_shell_is_minimal_and_free(django_assert_num_queries):
    request = _request(None)
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        data = shell(request)["shell"]
    assert data["authenticated"] is False
    assert data["nav_items"] == []
    assert data["user_sites"] == []
    assert data["brand"]["name"] == "Trellis"


def test_signed_in_shell_content(make_staff, site):
    user = make_staff("therapist", full_name="Sam Rivera")
    data = shell(_request(user))["shell"]
    assert data["authenticated"] is True
    assert [s.pk for s in data["user_sites"]] == [site.pk]
    assert data["user"] == {"name": "Sam Rivera", "initials": "SR", "email": user.email}
    assert data["roles"] == [f"Therapist · {site.display_name or site.name}"]
    assert data["idle_timeout_seconds"] == site.organization.idle_timeout_minutes * 60
    assert data["can_search_patients"] is True
    # A single-site user always sees that site's branding.
    assert data["brand"]["name"] == (site.display_name or site.name)
    assert data["brand"]["accent"] == accent_pair(site.accent_color)[0]


def test_nav_items_follow_capabilities(make_staff):
    therapist = make_staff("therapist")
    admin = make_staff("org_admin")
    keys_for = {u: {i["key"] for i in shell(_request(u))["shell"]["nav_items"]} for u in (therapist, admin)}
    assert "home" in keys_for[therapist]
    assert has_capability(admin, Cap.AUDIT_VIEW) and not has_capability(therapist, Cap.AUDIT_VIEW)
    assert "audit" in keys_for[admin]
    assert "audit" not in keys_for[therapist]


def test_active_nav_item_marked(make_staff):
    user = make_staff("therapist")
    items = shell(_request(user, "/patients/census/"))["shell"]["nav_items"]
    active = [i["key"] for i in items if i["active"]]
    assert active == ["patients"]


def test_front_desk_without_patient_view_gets_no_search_box_flag(make_staff):
    user = make_staff("biller")
    expected = has_capability(user, Cap.PATIENT_VIEW)
    assert shell(_request(user))["shell"]["can_search_patients"] is expected


def test_query_count_is_bounded_and_independent_of_site_count(
    make_staff, site, org, django_assert_max_num_queries
):
    one_site_user = make_staff("therapist")
    many_site_user = make_staff("therapist")
    for i in range(6):
        extra = SiteFactory(organization=org, name=f"Extra {i}", code=f"EX{i}")
        SiteMembership.objects.create(user=many_site_user, site=extra, role="therapist")
        SiteMembership.objects.create(user=many_site_user, site=extra, role="group_facilitator")

    counts = []
    for user in (one_site_user, many_site_user):
        request = _request(user)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            data = shell(request)["shell"]
        counts.append(len(ctx.captured_queries))
        # Second call in the same request is free (cached on the request).
        with django_assert_max_num_queries(0):
            assert shell(request)["shell"] is data
    assert counts[0] == counts[1], counts
    assert counts[1] <= 3, counts
    assert len(shell(_request(many_site_user))["shell"]["roles"]) == 1 + 12


def test_all_sites_brand_and_active_site_brand(make_staff, org, site, other_site):
    user = make_staff("therapist")
    SiteMembership.objects.create(user=user, site=other_site, role="therapist")
    request = _request(user)
    data = shell(request)["shell"]
    assert data["brand"]["name"] == org.name  # no single site to brand with
    assert data["brand"]["accent"] == DEFAULT_ACCENT

    request = _request(user)
    request.active_site = other_site
    request.user_sites = [site, other_site]
    data = shell(request)["shell"]
    assert data["active_site"] == other_site
    assert data["brand"]["name"] == (other_site.display_name or other_site.name)


def test_page_shows_site_switcher_and_shell(client_for, make_staff, site, other_site):
    user = make_staff("therapist")
    SiteMembership.objects.create(user=user, site=other_site, role="nurse")
    html = client_for(user).get("/").content.decode()
    assert 'name="site"' in html and "All my sites" in html
    assert f'value="{other_site.public_id}"' in html
    assert "Nurse · " in html


@pytest.mark.parametrize(
    ("color", "expected_fg"),
    [("#0f5e54", "#ffffff"), ("#ffd33d", "#1b1f24"), ("#1f6f5c", "#ffffff"), ("#f0f0f0", "#1b1f24")],
)
def test_accent_text_colour_is_readable(color, expected_fg):
    accent, fg = accent_pair(color)
    assert (accent, fg) == (color, expected_fg)
    assert contrast_ratio(accent, fg) >= 4.5


@pytest.mark.parametrize(
    "bad", ["", None, "red", "#12345", "#1234567", "#fff; background:url(x)", "expression("]
)
def test_invalid_accent_falls_back_to_default(bad):
    assert accent_pair(bad)[0] == DEFAULT_ACCENT


def test_nav_marks_only_most_specific_item_and_groups_sections(make_staff, monkeypatch):
    from trellis.core import registry
    from trellis.web import navigation

    monkeypatch.setattr(registry, "_NAV", {})
    registry.register_nav("admin", "Audit trail", "audit:report", None, order=900)
    registry.register_nav("patients", "Patients", "patients:search", None, order=10)
    registry.register_nav("new_patient", "Register patient", "patients:create", None, order=11)
    registry.register_nav("gone", "Missing page", "nowhere:at_all", None, order=5)
    user = make_staff("therapist")
    items = navigation.nav_items_for(user, "/patients/new/")
    assert [i["key"] for i in items] == ["patients", "new_patient", "admin"]  # unresolvable URL skipped
    assert [i["key"] for i in items if i["active"]] == ["new_patient"]
    assert [i["section"] for i in items] == ["", "", navigation.ADMIN_SECTION]
    assert [i["key"] for i in navigation.nav_items_for(user, "/patients/") if i["active"]] == ["patients"]
