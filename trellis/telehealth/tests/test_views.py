import re

import pytest
from django.test import Client
from django.urls import reverse

from trellis.attendance.models import Attendance
from trellis.audit.models import AuditEvent
from trellis.consents.models import Consent, ConsentKind, ConsentStatus
from trellis.telehealth import services
from trellis.telehealth.models import JoinLink, PresenceEvent, WaitingRoom
from trellis.telehealth.tests.conftest import sign_telehealth

pytestmark = pytest.mark.django_db


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)


def issue(scene):
    issued = services.issue_links(session=scene.session, user=scene.clinician, base_url="http://testserver/",
                                  send=False)
    return sorted(issued, key=lambda i: i.link.episode_id)[0]


def test_patient_flow_identity_consent_device_wait(scene):
    item = issue(scene)
    patient = item.link.episode.patient
    c = Client()
    url = reverse("telehealth:join", args=[item.token])
    page = c.get(url)
    assert page.status_code == 200
    for phi in (patient.legal_first_name, patient.legal_last_name, "Process group"):
        assert phi not in title(page)
    assert patient.legal_last_name not in page.content.decode()
    assert page["Referrer-Policy"] == "strict-origin"
    assert JoinLink.objects.get(pk=item.link.pk).verified_at is None  # GET wrote nothing

    wrong = c.post(url, {"date_of_birth": "1900-01-01"})
    assert wrong.status_code == 422 and "does not match" in wrong.content.decode()
    bad = c.post(url, {"date_of_birth": "not a date"})
    assert bad.status_code == 422 and "Enter your date of birth" in bad.content.decode()
    ok = c.post(url, {"date_of_birth": patient.date_of_birth.isoformat()})
    assert ok.status_code == 302 and ok["Location"] == reverse("telehealth:join_next")
    assert item.token not in ok["Location"]

    assert c.get(reverse("telehealth:join_next"))["Location"] == reverse("telehealth:join_consent")
    consent_page = c.get(reverse("telehealth:join_consent"))
    assert consent_page.status_code == 200 and "Telehealth" in consent_page.content.decode()
    assert c.post(reverse("telehealth:join_consent"), {"signer_name": "Alex Rivera"}).status_code == 422
    c.post(reverse("telehealth:join_consent"), {"signer_name": "Alex Rivera", "agree": "on"})
    consent = Consent.objects.get(patient=patient, kind=ConsentKind.TELEHEALTH)
    assert consent.status == ConsentStatus.ACTIVE and consent.signer_name == "Alex Rivera"

    assert c.get(reverse("telehealth:join_next"))["Location"] == reverse("telehealth:join_device")
    c.post(reverse("telehealth:join_device"), {"camera": "1", "microphone": "1", "network": "good", "speaker": "1"})
    link = JoinLink.objects.get(pk=item.link.pk)
    assert link.device_check["camera"] is True and link.device_check["network"] == "good"
    wait = c.get(reverse("telehealth:join_wait"))
    body = wait.content.decode()
    assert wait.status_code == 200 and "Your group started at" in body
    assert f"/ws/telehealth/patient/{link.public_id}/" in body
    assert patient.legal_last_name not in body and patient.legal_last_name not in title(wait)


def test_consent_already_on_file_skips_the_step(scene):
    item = issue(scene)
    sign_telehealth(item.link.episode.patient, scene.site)
    c = Client()
    c.post(reverse("telehealth:join", args=[item.token]),
           {"date_of_birth": item.link.episode.patient.date_of_birth.isoformat()})
    assert c.get(reverse("telehealth:join_next"))["Location"] == reverse("telehealth:join_device")


@pytest.mark.parametrize("problem,expected", [
    ("unknown", "We could not find this link"),
    ("revoked", "no longer active"),
])
def test_calm_messages_for_bad_links(scene, problem, expected):
    item = issue(scene)
    token = item.token
    if problem == "unknown":
        token = "nope"
    else:
        services.revoke_link(link=item.link, user=scene.clinician, reason="Resent")
    page = Client().get(reverse("telehealth:join", args=[token]))
    assert page.status_code in (404, 410) and expected in page.content.decode()


def test_visit_pages_without_a_verified_link_refuse_calmly():
    for name in ("telehealth:join_next", "telehealth:join_consent", "telehealth:join_device", "telehealth:join_wait"):
        page = Client().get(reverse(name))
        assert page.status_code == 404 and "We could not find this link" in page.content.decode()


def test_session_lobby_allowed_and_denied(scene, client_for, make_staff, other_site, client):
    page = client_for(scene.clinician).get(reverse("telehealth:session", args=[scene.session.public_id]))
    assert page.status_code == 200 and "Admit everyone waiting" in page.content.decode()
    desk = client_for(make_staff("front_desk")).get(reverse("telehealth:session", args=[scene.session.public_id]))
    assert desk.status_code == 200 and "Admit everyone waiting" not in desk.content.decode()
    assert client_for(make_staff("biller")).get(reverse("telehealth:session", args=[scene.session.public_id])).status_code == 403
    elsewhere = client_for(make_staff("therapist", at=other_site))
    assert elsewhere.get(reverse("telehealth:session", args=[scene.session.public_id])).status_code == 404
    anon = client.get(reverse("telehealth:session", args=[scene.session.public_id]))
    assert anon.status_code == 302 and "/accounts/login/" in anon["Location"]


def test_site_lobby_lists_who_is_waiting(scene, client_for, make_staff, django_assert_max_num_queries):
    item = issue(scene)
    services.patient_connected(link=item.link, device="d")
    desk = client_for(make_staff("front_desk"))
    page = desk.get(reverse("telehealth:lobby"))
    assert page.status_code == 200
    assert item.link.episode.patient.legal_last_name in page.content.decode()
    assert AuditEvent.objects.filter(object_type="telehealth_lobby", action="read").exists()
    assert client_for(make_staff("biller")).get(reverse("telehealth:lobby")).status_code == 403


def test_send_links_and_revoke(scene, client_for, make_staff):
    desk = client_for(make_staff("front_desk"))
    resp = desk.post(reverse("telehealth:send_links", args=[scene.session.public_id]), follow=True)
    assert "2 links created, 1 sent" in resp.content.decode()
    link = JoinLink.objects.filter(session=scene.session).first()
    desk.post(reverse("telehealth:revoke", args=[link.public_id]), {"reason": "Wrong email"})
    link.refresh_from_db()
    assert link.revoked_at is not None
    biller = client_for(make_staff("biller"))
    assert biller.post(reverse("telehealth:send_links", args=[scene.session.public_id])).status_code == 403


def test_presence_attendance_confirm(scene, client_for, make_staff):
    item = issue(scene)
    s = scene.session
    for kind in ("join", "admit"):
        PresenceEvent.objects.create(session=s, link=item.link, kind=kind, occurred_at=s.starts_at)
    c = client_for(scene.clinician)
    page = c.get(reverse("telehealth:attendance", args=[s.public_id]))
    assert page.status_code == 200 and "Confirm into attendance" in page.content.decode()
    c.post(reverse("telehealth:attendance", args=[s.public_id]))
    att = Attendance.objects.get(session=s, episode=item.link.episode)
    assert att.modality == "audio_only" and att.arrived_at == s.starts_at
    desk = client_for(make_staff("front_desk"))
    assert desk.get(reverse("telehealth:attendance", args=[s.public_id])).status_code == 403


def test_waiting_room_branding_admin(scene, client_for, make_staff):
    admin = client_for(make_staff("org_admin"))
    assert admin.get(reverse("telehealth:rooms")).status_code == 200
    url = reverse("telehealth:room_edit", args=[scene.site.public_id])
    bad = admin.post(url, {"title": "Main", "accent_color": "red", "background_color": "#ffffff", "lead_minutes": 10})
    assert bad.status_code == 422
    admin.post(url, {"title": "Cedar Ridge Main", "accent_color": "#225588", "background_color": "#ffffff",
                     "lead_minutes": 10, "welcome_text": "Welcome", "support_phone": ""})
    room = WaitingRoom.objects.get(site=scene.site)
    assert room.accent_color == "#225588" and room.lead_minutes == 10
    assert client_for(scene.clinician).get(reverse("telehealth:rooms")).status_code == 403


def test_consent_refuses_another_name(scene):
    item = issue(scene)
    c = Client()
    c.post(reverse("telehealth:join", args=[item.token]),
           {"date_of_birth": item.link.episode.patient.date_of_birth.isoformat()})
    page = c.post(reverse("telehealth:join_consent"), {"signer_name": "Somebody Else", "agree": "on"})
    assert page.status_code == 422
    assert not Consent.objects.filter(patient=item.link.episode.patient, kind=ConsentKind.TELEHEALTH,
                                      status=ConsentStatus.ACTIVE).exists()


def test_today_shows_who_is_waiting(scene, client_for, make_staff):
    item = issue(scene)
    services.patient_connected(link=item.link, device="d")
    page = client_for(make_staff("front_desk")).get(reverse("web:home"))
    body = page.content.decode()
    assert "Video lobbies" in body and "1 waiting" in body
    assert item.link.episode.patient.legal_last_name in body


def test_attendance_screen_shows_who_is_waiting(scene, client_for):
    item = issue(scene)
    services.patient_connected(link=item.link, device="d")
    page = client_for(scene.clinician).get(reverse("attendance:mark", args=[scene.session.public_id]))
    body = page.content.decode()
    assert page.status_code == 200 and "Video lobby" in body
    assert f"Waiting now: {item.link.episode.patient.legal_first_name}" in body
