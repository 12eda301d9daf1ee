"""Staff administration cannot escalate privilege: each crafted request that worked before is refused, changes
nothing and is answered without another person's data."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from trellis.accounts.models import SiteMembership, User
from trellis.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _roles(user: User) -> set[tuple[int, str]]:
    return set(SiteMembership.objects.filter(user=user).values_list("site_id", "role"))


def _edit(user: User, **overrides: str) -> dict[str, str]:
    data = {"email": user.email, "full_name": user.full_name, "is_active": "on"}
    data.update(overrides)
    return data


def test_the_staff_form_has_no_password_field_and_a_posted_password_is_ignored(client_for, make_staff):
    director, nurse = make_staff("program_director"), make_staff("nurse")
    before = User.objects.get(pk=nurse.pk).password
    c = client_for(director)
    url = reverse("accounts:staff_edit", kwargs={"user_id": nurse.public_id})
    assert 'name="password"' not in c.get(url).content.decode()
    c.post(url, _edit(nurse, password="i-now-know-your-password-1"))
    assert User.objects.get(pk=nurse.pk).password == before


def test_a_director_cannot_grant_herself_organization_admin(client_for, make_staff, site):
    director = make_staff("program_director")
    c = client_for(director)
    response = c.post(reverse("accounts:staff_edit", kwargs={"user_id": director.public_id}),
                      _edit(director, **{f"role__{site.pk}__org_admin": "on",
                                         f"role__{site.pk}__program_director": "on"}))
    assert response.status_code == 200 and "cannot change your own roles" in response.content.decode()
    assert _roles(director) == {(site.pk, "program_director")}


def test_a_director_cannot_grant_organization_admin_to_someone_else(client_for, make_staff, site):
    director, nurse = make_staff("program_director"), make_staff("nurse")
    c = client_for(director)
    url = reverse("accounts:staff_edit", kwargs={"user_id": nurse.public_id})
    assert f"role__{site.pk}__org_admin" not in c.get(url).content.decode()  # not offered
    c.post(url, _edit(nurse, **{f"role__{site.pk}__nurse": "on", f"role__{site.pk}__org_admin": "on"}))  # forged
    assert _roles(nurse) == {(site.pk, "nurse")}


def test_an_org_admin_can_grant_organization_admin(client_for, make_staff, site):
    admin, nurse = make_staff("org_admin"), make_staff("nurse")
    response = client_for(admin).post(
        reverse("accounts:staff_edit", kwargs={"user_id": nurse.public_id}),
        _edit(nurse, **{f"role__{site.pk}__nurse": "on", f"role__{site.pk}__org_admin": "on"}),
    )
    assert response.status_code == 302
    assert _roles(nurse) == {(site.pk, "nurse"), (site.pk, "org_admin")}


def test_a_director_cannot_take_over_an_account_with_more_access(client_for, make_staff, site):
    director, admin = make_staff("program_director"), make_staff("org_admin")
    c = client_for(director)
    # Changing the admin's e-mail to her own, then sending a reset link, would hand her the admin account.
    response = c.post(reverse("accounts:staff_edit", kwargs={"user_id": admin.public_id}),
                      _edit(admin, email="director.alias@example.org"))
    assert response.status_code == 200 and "roles you cannot grant" in response.content.decode()
    assert User.objects.get(pk=admin.pk).email == admin.email
    assert c.post(reverse("accounts:staff_send_reset", kwargs={"user_id": admin.public_id})).status_code == 403
    assert c.post(reverse("accounts:staff_force_reset", kwargs={"user_id": admin.public_id})).status_code == 403
    assert not User.objects.get(pk=admin.pk).must_change_password and mail.outbox == []


def test_a_director_cannot_manage_someone_who_also_works_at_a_site_she_does_not_direct(
    client_for, make_staff, site, other_site
):
    director = make_staff("program_director")
    nurse = make_staff("nurse")
    SiteMembership.objects.create(user=nurse, site=other_site, role="therapist")
    response = client_for(director).post(reverse("accounts:staff_send_reset", kwargs={"user_id": nurse.public_id}))
    assert response.status_code == 403 and mail.outbox == []


def test_a_director_grants_roles_only_where_she_is_director(client_for, make_staff, site, other_site):
    director = make_staff("program_director")
    SiteMembership.objects.create(user=director, site=other_site, role="therapist")  # works there, not director
    nurse = make_staff("nurse")
    client_for(director).post(
        reverse("accounts:staff_edit", kwargs={"user_id": nurse.public_id}),
        _edit(nurse, **{f"role__{site.pk}__nurse": "on", f"role__{other_site.pk}__nurse": "on"}),
    )
    assert _roles(nurse) == {(site.pk, "nurse")}


def test_role_changes_are_audited_with_before_and_after_and_the_person_is_told(
    client_for, make_staff, site, django_capture_on_commit_callbacks
):
    director, nurse = make_staff("program_director"), make_staff("nurse")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(director).post(
            reverse("accounts:staff_edit", kwargs={"user_id": nurse.public_id}),
            _edit(nurse, **{f"role__{site.pk}__nurse": "on", f"role__{site.pk}__case_manager": "on"}),
        )
    assert response.status_code == 302
    event = AuditEvent.objects.filter(object_type="user", object_id=str(nurse.public_id)).latest("id")
    assert event.actor == director
    assert event.detail["target"] == str(nurse.public_id)
    assert event.detail["roles_before"] == [f"{site.code}:nurse"]
    assert event.detail["roles_after"] == sorted([f"{site.code}:nurse", f"{site.code}:case_manager"])
    (notice,) = mail.outbox
    assert notice.to == [nurse.email] and "roles" in notice.body


def test_send_reset_link_is_single_use_and_forced_reset_blocks_until_changed(
    client_for, make_staff, django_capture_on_commit_callbacks
):
    director, nurse = make_staff("program_director"), make_staff("nurse")
    c = client_for(director)
    with django_capture_on_commit_callbacks(execute=True):
        assert c.post(reverse("accounts:staff_send_reset", kwargs={"user_id": nurse.public_id})).status_code == 302
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password/set/" in line).strip()
    path = link[link.index("/accounts/"):]
    from django.test import Client

    browser = Client()
    assert browser.get(path).status_code == 200
    ok = browser.post(path, {"new_password1": "a-fresh-long-passphrase-9", "new_password2": "a-fresh-long-passphrase-9"})
    assert ok.status_code == 302 and User.objects.get(pk=nurse.pk).check_password("a-fresh-long-passphrase-9")
    reused = browser.post(path, {"new_password1": "another-long-passphrase-7", "new_password2": "another-long-passphrase-7"})
    assert reused.status_code == 400 and "no longer works" in reused.content.decode()
    assert User.objects.get(pk=nurse.pk).check_password("a-fresh-long-passphrase-9")

    assert c.post(reverse("accounts:staff_force_reset", kwargs={"user_id": nurse.public_id})).status_code == 302
    nurse_client = client_for(User.objects.get(pk=nurse.pk))
    blocked = nurse_client.get(reverse("web:home"))
    assert blocked.status_code == 302 and blocked["Location"] == reverse("accounts:password_change")
    changed = nurse_client.post(reverse("accounts:password_change"), {
        "old_password": "a-fresh-long-passphrase-9", "new_password1": "yet-another-passphrase-31",
        "new_password2": "yet-another-passphrase-31"})
    assert changed.status_code == 302
    assert nurse_client.get(reverse("web:home")).status_code == 200
