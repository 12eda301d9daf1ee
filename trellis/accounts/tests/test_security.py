"""Account security: MFA enforcement and TOTP flow, lockout, inactivity logout, headers."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from trellis.accounts.middleware import LAST_SEEN_KEY
from trellis.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def _login(client: Client, email: str, password: str = PASSWORD, **extra: str):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, **extra)


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_password_login_then_mfa_enrolment_is_required(client, settings, make_staff, patient):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the wrong-code attempt below would otherwise throttle the next one
    user = make_staff("therapist")
    assert _login(client, user.email).status_code == 302
    chart = reverse("patients:chart", kwargs={"patient_id": patient.public_id})
    response = client.get(chart)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:mfa_setup"))
    # Enrol: the setup page creates an unconfirmed device; a correct code confirms and verifies the session.
    page = client.get(reverse("accounts:mfa_setup"))
    assert page.status_code == 200 and b"data:image/svg+xml;base64," in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    bad = client.post(reverse("accounts:mfa_setup"), {"token": "000000" if _code(device) != "000000" else "111111"})
    assert b"did not match" in bad.content
    ok = client.post(reverse("accounts:mfa_setup") + f"?next={chart}", {"token": _code(device)})
    assert ok.status_code == 302 and ok["Location"] == chart
    assert client.get(chart).status_code == 200


def test_enrolled_user_must_enter_code_at_each_sign_in(client, make_staff, patient):
    user = make_staff("nurse")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    _login(client, user.email)
    response = client.get(reverse("patients:search"))
    assert response["Location"].startswith(reverse("accounts:mfa_verify"))
    wrong = client.post(reverse("accounts:mfa_verify"), {"token": "12345a"})
    assert b"six digits" in wrong.content
    client.post(reverse("accounts:mfa_verify"), {"token": _code(device)})
    assert client.get(reverse("patients:search")).status_code == 200


def test_dev_relaxation_only_in_dev_and_not_for_forced_accounts(client, settings, make_staff, org):
    org.relax_mfa_in_dev = True
    org.save()
    user = make_staff("therapist")
    _login(client, user.email)
    assert client.get(reverse("patients:search")).status_code == 200  # relaxed in dev
    settings.TRELLIS_ENV = "production"
    assert client.get(reverse("patients:search")).status_code == 302  # never relaxed in production
    settings.TRELLIS_ENV = "dev"
    forced = make_staff("therapist", force_mfa=True)
    c2 = Client()
    _login(c2, forced.email)
    assert c2.get(reverse("patients:search"))["Location"].startswith(reverse("accounts:mfa_setup"))


def test_roles_without_patient_data_do_not_need_mfa(client, make_staff):
    assert "patient.view" in __import__("trellis.accounts.capabilities", fromlist=["x"]).ROLE_CAPABILITIES["biller"]
    # Every role currently reads patient data, so every role is challenged:
    from trellis.accounts.capabilities import ROLE_CAPABILITIES, ROLES_READING_PATIENT_DATA

    assert set(ROLES_READING_PATIENT_DATA) == set(ROLE_CAPABILITIES)


def test_lockout_after_five_failures(client, make_staff):
    user = make_staff("therapist")
    for _ in range(5):
        response = _login(client, user.email, "wrong password")
    assert response.status_code in (403, 429)
    # Even the right password is refused while locked.
    locked = _login(client, user.email)
    assert locked.status_code in (403, 429)
    assert b"locked" in locked.content.lower()
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, actor__isnull=True).count() >= 5


def test_failed_and_successful_sign_ins_are_audited(client, make_staff):
    user = make_staff("therapist")
    _login(client, user.email, "nope")
    _login(client, user.email)
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == [AuditAction.LOGIN_FAILED, AuditAction.LOGIN]


def test_inactivity_logout(client_for, make_staff, patient, org):
    org.idle_timeout_minutes = 15
    org.save()
    user = make_staff("therapist")
    c = client_for(user)
    url = reverse("patients:chart", kwargs={"patient_id": patient.public_id})
    assert c.get(url).status_code == 200
    session = c.session
    session[LAST_SEEN_KEY] = int(time.time()) - 16 * 60
    session.save()
    response = c.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert c.get(url)["Location"].startswith(reverse("accounts:login"))  # really signed out
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, detail__reason="inactivity").exists()


def test_activity_within_timeout_keeps_session(client_for, make_staff, patient):
    c = client_for(make_staff("therapist"))
    url = reverse("patients:chart", kwargs={"patient_id": patient.public_id})
    c.get(url)
    session = c.session
    session[LAST_SEEN_KEY] = int(time.time()) - 14 * 60
    session.save()
    assert c.get(url).status_code == 200


def test_patient_pages_are_not_cached_and_logout_clears_site_data(client_for, make_staff, patient):
    c = client_for(make_staff("therapist"))
    response = c.get(reverse("patients:chart", kwargs={"patient_id": patient.public_id}))
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    out = c.post(reverse("accounts:logout"))
    assert out["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert c.get(reverse("patients:search")).status_code == 302


def test_logout_requires_post(client_for, make_staff):
    c = client_for(make_staff("therapist"))
    assert c.get(reverse("accounts:logout")).status_code == 405


def test_switch_site_only_to_own_sites(client_for, make_staff, site, other_site):
    user = make_staff("therapist")
    c = client_for(user)
    c.post(reverse("accounts:switch_site"), {"site": str(other_site.public_id)})
    assert "trellis_active_site" not in c.session
    c.post(reverse("accounts:switch_site"), {"site": str(site.public_id)})
    assert c.session["trellis_active_site"] == str(site.public_id)
    c.post(reverse("accounts:switch_site"), {"site": ""})
    assert "trellis_active_site" not in c.session


def test_keepalive_refreshes_the_idle_clock(client_for, make_staff):
    c = client_for(make_staff("therapist"))
    session = c.session
    session[LAST_SEEN_KEY] = int(time.time()) - 14 * 60
    session.save()
    assert c.get(reverse("accounts:keepalive")).status_code == 204
    assert int(time.time()) - c.session[LAST_SEEN_KEY] < 5


def test_one_address_cannot_lock_out_every_account_in_turn(client, make_staff, settings):
    settings.TRELLIS_LOCKOUT_IP_FAILURES = 6
    victims = [make_staff("therapist") for _ in range(4)]
    # Two wrong passwords per account from one address: no account reaches its own limit of five...
    for user in victims[:3]:
        for _ in range(2):
            _login(client, user.email, "wrong password")
    # ...but the address has failed six times, so it is paused before any more passwords are tried.
    throttled = _login(client, victims[3].email)
    assert throttled.status_code == 429 and b"paused" in throttled.content
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, outcome="denied",
                                     detail__reason="address throttled").exists()
    # The accounts themselves are not locked: from another address the right password works.
    other = _login(client, victims[3].email, REMOTE_ADDR="198.51.100.77")
    assert other.status_code == 302


def test_an_administrator_unlocks_a_locked_account(client, client_for, make_staff):
    director, nurse = make_staff("program_director"), make_staff("nurse")
    for _ in range(5):
        _login(client, nurse.email, "wrong password")
    assert _login(client, nurse.email).status_code in (403, 429)
    admin_client = client_for(director)
    page = admin_client.get(reverse("accounts:staff_edit", kwargs={"user_id": nurse.public_id}))
    assert b"Unlock sign-in" in page.content
    assert admin_client.post(reverse("accounts:staff_unlock", kwargs={"user_id": nurse.public_id})).status_code == 302
    assert _login(client, nurse.email).status_code == 302
    event = AuditEvent.objects.filter(actor=director, detail__credential="lockout_cleared").get()
    assert event.detail["target"] == str(nurse.public_id)
