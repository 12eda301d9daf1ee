"""Two-step sign-in recovery: single-use recovery codes and an organization admin's authenticator reset."""

from __future__ import annotations

import base64

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from trellis.accounts.models import RecoveryCode, RecoveryCodeDevice, normalize_recovery_code
from trellis.accounts.services import issue_recovery_codes
from trellis.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    # Wrong codes in these tests would otherwise make the next attempt wait (throttling is tested on its own).
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.TRELLIS_RECOVERY_THROTTLE_FACTOR = 0


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _signed_in(user) -> Client:
    client = Client()
    assert client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD}).status_code == 302
    return client


def _enrol(client: Client) -> tuple[TOTPDevice, list[str]]:
    page = client.get(reverse("accounts:mfa_setup"))
    shown = TOTPDevice(key=base64.b32decode(page.context["secret"]).hex())
    response = client.post(reverse("accounts:mfa_setup"), {"token": _code(shown)})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    return TOTPDevice.objects.get(key=shown.key), response.context["codes"]


def test_enrolment_shows_ten_codes_once_and_stores_only_digests(make_staff, patient):
    user = make_staff("therapist")
    client = _signed_in(user)
    client.get(reverse("accounts:mfa_setup"))
    assert not RecoveryCodeDevice.objects.filter(user=user).exists()  # showing the page wrote nothing
    _, codes = _enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(device__user=user).values_list("digest", flat=True))
    assert len(stored) == 10
    for code in codes:
        assert code not in str(stored) and normalize_recovery_code(code) not in str(stored)
    assert AuditEvent.objects.filter(detail__mfa="recovery_codes_issued", detail__count=10).exists()
    # The codes are not shown again anywhere: the profile page gives only a count.
    profile = client.get(reverse("accounts:profile"))
    assert b"10 of your recovery codes are unused" in profile.content
    assert not any(code.encode() in profile.content for code in codes)


def test_recovery_code_signs_in_once_and_is_refused_the_second_time(make_staff, patient):
    user = make_staff("nurse")
    _, codes = _enrol(_signed_in(user))
    chart = reverse("patients:chart", kwargs={"patient_id": patient.public_id})

    first = _signed_in(user)
    assert first.get(chart)["Location"].startswith(reverse("accounts:mfa_verify"))
    assert b"Use a recovery code" in first.get(reverse("accounts:mfa_verify")).content
    # Case, spaces and the dash do not matter.
    typed = codes[0].lower().replace("-", " ")
    response = first.post(reverse("accounts:mfa_recover") + f"?next={chart}", {"code": typed})
    assert response.status_code == 302 and response["Location"] == chart
    assert first.get(chart).status_code == 200
    assert RecoveryCode.objects.filter(device__user=user, used_at__isnull=False).count() == 1
    assert AuditEvent.objects.filter(actor=user, detail__mfa="recovery_code_used", detail__left=9).exists()

    second = _signed_in(user)
    again = second.post(reverse("accounts:mfa_recover"), {"code": codes[0]})
    assert again.status_code == 400 and b"already used" in again.content
    assert second.get(chart).status_code == 302  # still not verified
    assert AuditEvent.objects.filter(actor=user, action=AuditAction.LOGIN_FAILED,
                                     detail__step="mfa_recovery").count() == 1
    # Another unused code still works.
    assert second.post(reverse("accounts:mfa_recover"), {"code": codes[1]}).status_code == 302


@pytest.mark.parametrize("wrong", ["", "ABCDE-FGHJK", "12345", "x" * 24, "' OR 1=1 --"])
def test_wrong_recovery_codes_are_refused(make_staff, patient, wrong):
    user = make_staff("nurse")
    _enrol(_signed_in(user))
    client = _signed_in(user)
    response = client.post(reverse("accounts:mfa_recover"), {"code": wrong})
    assert response.status_code == 400
    assert client.get(reverse("patients:search")).status_code == 302
    assert not RecoveryCode.objects.filter(device__user=user, used_at__isnull=False).exists()


def test_wrong_recovery_codes_are_throttled(settings, make_staff):
    settings.TRELLIS_RECOVERY_THROTTLE_FACTOR = 1
    user = make_staff("nurse")
    codes = issue_recovery_codes(user=user)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = _signed_in(user)
    client.post(reverse("accounts:mfa_recover"), {"code": "ABCDE-FGHJK"})
    # Right after a wrong code, even a right one waits (exponential back-off), and is not used up.
    paused = client.post(reverse("accounts:mfa_recover"), {"code": codes[0]})
    assert paused.status_code == 400 and b"Too many wrong codes" in paused.content
    assert not RecoveryCode.objects.filter(device__user=user, used_at__isnull=False).exists()


def test_a_code_of_one_user_does_not_work_for_another(make_staff):
    alice, bob = make_staff("nurse"), make_staff("nurse")
    alice_codes = issue_recovery_codes(user=alice)
    issue_recovery_codes(user=bob)
    TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
    client = _signed_in(bob)
    assert client.post(reverse("accounts:mfa_recover"), {"code": alice_codes[0]}).status_code == 400
    assert client.get(reverse("patients:search")).status_code == 302


def test_regenerate_needs_a_current_authenticator_code(make_staff, patient, django_capture_on_commit_callbacks):
    user = make_staff("therapist")
    client = _signed_in(user)
    device, old = _enrol(client)
    url = reverse("accounts:recovery_codes")
    assert client.get(url).status_code == 405
    wrong = client.post(url, {"token": "000000" if _code(device) != "000000" else "111111"})
    assert wrong.status_code == 400 and b"did not match" in wrong.content
    assert client.post(url, {"token": old[0]}).status_code == 400  # a recovery code is not an authenticator code
    assert RecoveryCode.objects.filter(device__user=user).count() == 10
    mail.outbox.clear()
    device.refresh_from_db()
    device.last_t = -1  # the enrolment code's time step was consumed; allow the current one again in this test
    device.save()
    with django_capture_on_commit_callbacks(execute=True):
        fresh = client.post(url, {"token": _code(device)})
    assert fresh.status_code == 200
    new = fresh.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert [m.subject for m in mail.outbox] == ["New Trellis recovery codes"]
    # Old codes no longer work; new ones do.
    other = _signed_in(user)
    assert other.post(reverse("accounts:mfa_recover"), {"code": old[2]}).status_code == 400
    assert other.post(reverse("accounts:mfa_recover"), {"code": new[0]}).status_code == 302


def test_regenerate_requires_a_verified_session(make_staff):
    user = make_staff("therapist")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    anonymous = Client().post(reverse("accounts:recovery_codes"), {"token": "123456"})
    assert anonymous.status_code == 302 and reverse("accounts:login") in anonymous["Location"]
    unverified = _signed_in(user).post(reverse("accounts:recovery_codes"), {"token": "123456"})
    assert unverified.status_code == 302 and unverified["Location"].startswith(reverse("accounts:mfa_verify"))
    assert not RecoveryCodeDevice.objects.filter(user=user).exists()


def test_organization_admin_resets_an_authenticator(client_for, make_staff, patient,
                                                   django_capture_on_commit_callbacks):
    admin, nurse = make_staff("org_admin"), make_staff("nurse")
    nurse_session = client_for(nurse)  # a session verified with the old device
    issue_recovery_codes(user=nurse)
    admin_client = client_for(admin)
    edit = reverse("accounts:staff_edit", kwargs={"user_id": nurse.public_id})
    assert b"Reset two-step sign-in" in admin_client.get(edit).content
    mail.outbox.clear()
    url = reverse("accounts:staff_reset_mfa", kwargs={"user_id": nurse.public_id})
    assert admin_client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url).status_code == 302
    assert not TOTPDevice.objects.filter(user=nurse).exists()
    assert not RecoveryCodeDevice.objects.filter(user=nurse).exists()
    assert not RecoveryCode.objects.filter(device__user=nurse).exists()
    event = AuditEvent.objects.get(actor=admin, detail__mfa="authenticator_reset")
    assert event.detail["target"] == str(nurse.public_id) and event.detail["devices_removed"] == 2
    assert [(m.to, m.subject) for m in mail.outbox] == [([nurse.email], "Your Trellis two-step sign-in was reset")]
    # The open session must verify again, and at the next sign-in the nurse enrols again.
    response = nurse_session.get(reverse("patients:search"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:mfa_setup"))
    fresh = _signed_in(nurse).get(reverse("patients:search"))
    assert fresh["Location"].startswith(reverse("accounts:mfa_setup"))


@pytest.mark.parametrize("role", ["program_director", "nurse", "front_desk"])
def test_non_admin_cannot_reset_someone_elses_authenticator(client_for, make_staff, role):
    actor, target = make_staff(role), make_staff("therapist")
    issue_recovery_codes(user=target)
    client = client_for(actor)
    edit = reverse("accounts:staff_edit", kwargs={"user_id": target.public_id})
    page = client.get(edit)
    assert b"Reset two-step sign-in" not in page.content
    response = client.post(reverse("accounts:staff_reset_mfa", kwargs={"user_id": target.public_id}))
    assert response.status_code in (403, 404)
    assert RecoveryCodeDevice.objects.filter(user=target).exists()
    assert not AuditEvent.objects.filter(detail__mfa="authenticator_reset").exists()


def test_admin_cannot_reset_own_or_other_site_or_anonymous(client_for, make_staff, other_site):
    admin = make_staff("org_admin")
    issue_recovery_codes(user=admin)
    client = client_for(admin)
    own = client.post(reverse("accounts:staff_reset_mfa", kwargs={"user_id": admin.public_id}))
    assert own.status_code == 403
    assert TOTPDevice.objects.filter(user=admin).exists() and RecoveryCodeDevice.objects.filter(user=admin).exists()
    stranger = make_staff("therapist", at=other_site)
    issue_recovery_codes(user=stranger)
    other = client.post(reverse("accounts:staff_reset_mfa", kwargs={"user_id": stranger.public_id}))
    assert other.status_code == 404
    assert RecoveryCodeDevice.objects.filter(user=stranger).exists()
    anonymous = Client().post(reverse("accounts:staff_reset_mfa", kwargs={"user_id": stranger.public_id}))
    assert anonymous.status_code == 302 and RecoveryCodeDevice.objects.filter(user=stranger).exists()
