from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from trellis.accounts.models import Credential, Site, SiteMembership, User
from trellis.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SITE = {
    "name": "Northside", "code": "NORTH", "display_name": "Northside Clinic", "address_line1": "1 North St",
    "city": "Albany", "state": "NY", "postal_code": "12203", "time_zone": "America/New_York",
    "phone": "518-555-0111", "npi": "1245319599", "tax_id": "14-1234567", "opens_at": "08:00",
    "closes_at": "20:00", "accent_color": "#336699", "welcome_text": "Welcome",
}


def test_admin_adds_a_site(client_for, make_staff, org):
    c = client_for(make_staff("org_admin"))
    response = c.post(reverse("accounts:site_create"), SITE)
    assert response.status_code == 302
    site = Site.objects.get(code="NORTH")
    assert site.organization == org and site.phone == "(518) 555-0111"
    assert AuditEvent.objects.filter(object_type="site", object_id=str(site.public_id)).exists()


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("npi", "1245319598", "check digit"),
        ("npi", "12345", "10 digits"),
        ("tax_id", "1234", "nine digits"),
        ("time_zone", "Mars/Olympus", "IANA time zone"),
        ("accent_color", "blue", "hex colour"),
        ("closes_at", "06:00", "open before it closes"),
        ("code", "MAIN", "already uses this code"),
        ("state", "XX", "two-letter"),
    ],
)
def test_site_bad_input(client_for, make_staff, site, field, value, message):
    c = client_for(make_staff("org_admin"))
    before = Site.objects.count()
    response = c.post(reverse("accounts:site_create"), {**SITE, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Site.objects.count() == before


def test_director_creates_staff_with_roles_only_at_own_sites(
    client_for, make_staff, site, other_site, django_capture_on_commit_callbacks
):
    director = make_staff("program_director")
    c = client_for(director)
    data = {
        "email": "New.Person@Example.org", "full_name": "New Person", "npi": "1234567893", "is_active": "on",
        f"role__{site.pk}__therapist": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("accounts:staff_create"), data)
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.org")
    assert list(SiteMembership.objects.filter(user=user).values_list("site_id", "role")) == [(site.pk, "therapist")]
    # Nobody chose a password for them: they get a single-use link to choose their own.
    assert not user.has_usable_password()
    (invitation,) = mail.outbox
    assert invitation.to == ["new.person@example.org"] and "/accounts/password/set/" in invitation.body
    # A role field for another site is not even offered; a forged one is ignored.
    forged = {**data, "email": "x@example.org", f"role__{other_site.pk}__therapist": "on"}
    c.post(reverse("accounts:staff_create"), forged)
    assert not SiteMembership.objects.filter(site=other_site, user__email="x@example.org").exists()


@pytest.mark.parametrize(
    "override,message",
    [
        ({"npi": "1234567890"}, "check digit"),
        ({"email": "bad"}, "valid email"),
        ({"requires_cosign": "on"}, "supervisor who will co-sign"),
    ],
)
def test_staff_bad_input(client_for, make_staff, site, override, message):
    c = client_for(make_staff("program_director"))
    data = {"email": "p@example.org", "full_name": "P", f"role__{site.pk}__nurse": "on", **override}
    response = c.post(reverse("accounts:staff_create"), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not User.objects.filter(email="p@example.org").exists()


def test_duplicate_email_refused(client_for, make_staff, site):
    existing = make_staff("nurse")
    c = client_for(make_staff("program_director"))
    response = c.post(reverse("accounts:staff_create"), {"email": existing.email.upper(), "full_name": "Dup"})
    assert b"already uses this email" in response.content


def test_add_license_and_expiry_list(client_for, make_staff, site):
    director = make_staff("program_director")
    nurse = make_staff("nurse")
    c = client_for(director)
    url = reverse("accounts:credential_add", kwargs={"user_id": nurse.public_id})
    bad = c.post(url, {"cred-license_type": "RN", "cred-license_number": "1", "cred-state": "QQ",
                       "cred-expires_on": "2027-01-01"})
    assert bad.status_code == 200 and Credential.objects.count() == 0
    ok = c.post(url, {"cred-license_type": "RN", "cred-license_number": "778899", "cred-state": "NY",
                      "cred-expires_on": "2027-01-01"})
    assert ok.status_code == 302 and Credential.objects.get().user == nurse
    page = c.get(reverse("accounts:staff_list"))
    assert nurse.full_name in page.content.decode()


def test_cannot_edit_staff_of_other_site(client_for, make_staff, other_site):
    outsider = make_staff("nurse", at=other_site)
    c = client_for(make_staff("program_director"))
    assert c.get(reverse("accounts:staff_edit", kwargs={"user_id": outsider.public_id})).status_code == 404


def test_org_settings_validation(client_for, make_staff, org):
    c = client_for(make_staff("org_admin"))
    bad = c.post(reverse("accounts:organization"), {"name": "X", "idle_timeout_minutes": 240})
    assert bad.status_code == 200
    ok = c.post(reverse("accounts:organization"), {"name": "Renamed", "idle_timeout_minutes": 10})
    assert ok.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.idle_timeout_minutes) == ("Renamed", 10)


def test_staff_list_query_count_is_bounded(client_for, make_staff, django_assert_max_num_queries):
    c = client_for(make_staff("program_director"))
    for _ in range(15):
        make_staff("therapist")
    with django_assert_max_num_queries(14):
        assert c.get(reverse("accounts:staff_list")).status_code == 200
