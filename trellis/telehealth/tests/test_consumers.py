"""Consumers through the real ASGI stack (origin check, sessions, auth) with Channels' WebsocketCommunicator."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from trellis.audit.models import AuditEvent
from trellis.config.asgi import application
from trellis.telehealth import consumers, services
from trellis.telehealth.models import JoinLink, LobbyState, PresenceEvent
from trellis.telehealth.tests.conftest import video_session

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://127.0.0.1")


def staff_cookie(user, *, mfa: bool = True) -> bytes:
    client = Client()
    client.force_login(user)
    if mfa:
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="t", defaults={"confirmed": True})
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return f"{settings.SESSION_COOKIE_NAME}={client.session.session_key}".encode()


def staff_comm(session, cookie: bytes) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/telehealth/session/{session.public_id}/",
                                 headers=[ORIGIN, (b"cookie", cookie)])


def patient_comm(link) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/telehealth/patient/{link.public_id}/", headers=[ORIGIN])


def ready_link(scene, index: int = 0) -> JoinLink:
    services.issue_links(session=scene.session, user=scene.clinician, base_url="http://x/", send=False)
    link = JoinLink.objects.filter(session=scene.session).order_by("episode_id")[index]
    services.confirm_identity(link=link, date_of_birth=link.episode.patient.date_of_birth)
    link.refresh_from_db()
    return link


async def room_of(comm: WebsocketCommunicator) -> str:
    """The next room the socket is put in (leaving a room first announces key None)."""
    while True:
        msg = await until(comm, "room")
        if msg["key"] is not None:
            return msg["key"]


async def until(comm: WebsocketCommunicator, kind: str, timeout: float = 3) -> dict:
    """Next message of this type (skipping others)."""
    while True:
        msg = await comm.receive_json_from(timeout=timeout)
        if msg["type"] == kind:
            return msg


def test_lobby_update_admit_and_message(scene):
    link = ready_link(scene)
    cookie = staff_cookie(scene.clinician)
    token = consumers.make_patient_token(link, "dev1")

    async def run():
        staff = staff_comm(scene.session, cookie)
        ok, _ = await staff.connect()
        assert ok
        first = await until(staff, "lobby")
        assert first["can_host"] is True
        assert {r["state"] for r in first["lobby"]} == {LobbyState.NOT_ARRIVED}

        patient = patient_comm(link)
        assert (await patient.connect())[0]
        await patient.send_json_to({"type": "hello", "token": token})
        status = await until(patient, "status")
        assert status["status"]["state"] == "waiting"
        assert "Alex" not in json.dumps(status)  # the patient's own socket carries no name either

        update = await until(staff, "lobby")
        row = next(r for r in update["lobby"] if r["link"] == str(link.public_id))
        assert row["state"] == "waiting" and row["connected"] is True

        await staff.send_json_to({"type": "message", "link": str(link.public_id), "text": "Two minutes, thanks!"})
        assert (await until(patient, "message"))["text"] == "Two minutes, thanks!"

        await staff.send_json_to({"type": "late", "minutes": 10})
        assert (await until(patient, "status"))["status"]["late_minutes"] == 10

        await staff.send_json_to({"type": "admit", "link": str(link.public_id)})
        admitted = await until(patient, "status")
        assert admitted["status"]["state"] == "admitted" and admitted["status"]["in_session"]
        room = await until(patient, "room")
        assert room["key"] == "main"

        # Signaling: the staff joins the room; the patient's announcement reaches staff; offers relay.
        await staff.send_json_to({"type": "join-room"})
        staff_room = await until(staff, "room")
        await patient.send_json_to({"type": "media-ready"})
        peer = await until(staff, "peer")
        assert peer["peer"] == room["peer"] and peer["label"] == "Alex"
        await staff.send_json_to({"type": "signal", "to": room["peer"], "data": {"sdp": {"type": "offer", "sdp": "v=0"}}})
        sig = await until(patient, "signal")
        assert sig["from"] == staff_room["peer"] and sig["data"]["sdp"]["type"] == "offer"
        await staff.send_json_to({"type": "mute_all"})
        await until(patient, "force-mute")

        await patient.send_json_to({"type": "leave"})
        await until(patient, "closed")
        await patient.disconnect()
        await staff.disconnect()

    async_to_sync(run)()
    kinds = list(PresenceEvent.objects.filter(link=link).values_list("kind", flat=True))
    assert kinds[:2] == ["join", "admit"] and "leave" in kinds
    details = list(AuditEvent.objects.filter(object_id=str(link.public_id)).values_list("detail", flat=True))
    assert {"event": "connect", "superseded": False} in details
    assert {"event": "admit"} in details and {"event": "message"} in details


def test_sessions_are_isolated(scene):
    link = ready_link(scene)
    other = video_session(scene.site, scene.clinician, scene.track, title="Skills")
    cookie = staff_cookie(scene.clinician)
    token = consumers.make_patient_token(link, "dev1")

    async def run():
        watcher = staff_comm(other, cookie)
        assert (await watcher.connect())[0]
        await until(watcher, "lobby")
        patient = patient_comm(link)
        await patient.connect()
        await patient.send_json_to({"type": "hello", "token": token})
        await until(patient, "status")
        # The other session's lobby hears nothing, and cannot act on this session's patient.
        assert await watcher.receive_nothing(timeout=0.5)
        await watcher.send_json_to({"type": "admit", "link": str(link.public_id)})
        err = await until(watcher, "error")
        assert err["reason"] == "unknown_patient"
        await patient.disconnect()
        await watcher.disconnect()

    async_to_sync(run)()
    link.refresh_from_db()
    assert link.state == LobbyState.WAITING


def test_token_for_another_link_is_refused(scene):
    a = ready_link(scene, 0)
    b = ready_link(scene, 1)
    token_for_b = consumers.make_patient_token(b, "dev1")

    async def run():
        comm = patient_comm(a)
        await comm.connect()
        await comm.send_json_to({"type": "hello", "token": token_for_b})
        closed = await until(comm, "closed")
        assert closed["reason"] == "bad_token"
        assert (await comm.receive_output(timeout=1))["type"] == "websocket.close"

    async_to_sync(run)()


def test_unverified_or_revoked_link_is_refused(scene):
    issued = services.issue_links(session=scene.session, user=scene.clinician, base_url="http://x/", send=False)
    link = issued[0].link  # date of birth never confirmed

    async def run():
        comm = patient_comm(link)
        await comm.connect()
        await comm.send_json_to({"type": "hello", "token": consumers.make_patient_token(link, "d")})
        assert (await until(comm, "closed"))["reason"] == "unverified"

    async_to_sync(run)()


def test_bad_input_is_rejected_without_a_server_error(scene):
    link = ready_link(scene)
    token = consumers.make_patient_token(link, "dev1")

    async def run():
        comm = patient_comm(link)
        await comm.connect()
        await comm.send_to(text_data='{"type": "hello"')  # malformed before auth
        assert (await until(comm, "error"))["reason"] == "malformed"
        await comm.send_json_to({"type": "hello", "token": token})
        await until(comm, "status")
        await comm.send_json_to({"type": "launch-missiles"})
        assert (await until(comm, "error"))["reason"] == "unknown_type"
        await comm.send_to(text_data="[1, 2, 3]")
        assert (await until(comm, "error"))["reason"] == "malformed"
        await comm.send_json_to({"type": "signal", "to": "x" * 16, "data": {}})
        assert (await until(comm, "error"))["reason"] == "not_in_room"
        await comm.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 20000}))
        closed = await until(comm, "closed")
        assert closed["reason"] == "oversized"
        out = await comm.receive_output(timeout=1)
        assert out == {"type": "websocket.close", "code": consumers.CLOSE_TOO_BIG}

    async_to_sync(run)()


def test_flood_closes_the_connection(scene):
    link = ready_link(scene)
    token = consumers.make_patient_token(link, "dev1")

    async def run():
        comm = patient_comm(link)
        await comm.connect()
        await comm.send_json_to({"type": "hello", "token": token})
        await until(comm, "status")
        for _ in range(consumers.BUCKET_CAPACITY + 20):
            await comm.send_json_to({"type": "ping"})
        closed = await until(comm, "closed", timeout=5)
        assert closed["reason"] == "flood"

    async_to_sync(run)()


def test_second_device_supersedes_the_first(scene):
    link = ready_link(scene)

    async def run():
        first = patient_comm(link)
        await first.connect()
        await first.send_json_to({"type": "hello", "token": consumers.make_patient_token(link, "old")})
        await until(first, "status")
        second = patient_comm(link)
        await second.connect()
        await second.send_json_to({"type": "hello", "token": consumers.make_patient_token(link, "new")})
        await until(second, "status")
        closed = await until(first, "closed")
        assert closed["reason"] == "superseded"
        await first.disconnect()
        assert await second.receive_nothing(timeout=0.3)  # the newer device stays
        await second.disconnect()

    async_to_sync(run)()
    link.refresh_from_db()
    assert link.current_device == "new"


def test_staff_without_mfa_wrong_role_or_other_site_is_refused(scene, make_staff, other_site):
    biller = make_staff("biller")
    elsewhere = make_staff("therapist", at=other_site)
    cases = [staff_cookie(scene.clinician, mfa=False), staff_cookie(biller), staff_cookie(elsewhere), b""]

    async def run():
        for cookie in cases:
            comm = staff_comm(scene.session, cookie)
            await comm.connect()
            closed = await until(comm, "closed")
            assert closed["reason"] == "forbidden"
            assert (await comm.receive_output(timeout=1))["code"] == consumers.CLOSE_FORBIDDEN

    async_to_sync(run)()
    assert AuditEvent.objects.filter(action="denied", object_id=str(scene.session.public_id)).count() >= 2


def test_front_desk_sees_the_lobby_but_cannot_admit(scene, make_staff):
    link = ready_link(scene)
    desk = make_staff("front_desk")
    services.patient_connected(link=link, device="d")

    async def run():
        comm = staff_comm(scene.session, staff_cookie(desk))
        await comm.connect()
        first = await until(comm, "lobby")
        row = next(r for r in first["lobby"] if r["link"] == str(link.public_id))
        assert first["can_host"] is False and row["state"] == "waiting"
        await comm.send_json_to({"type": "admit", "link": str(link.public_id)})
        assert (await until(comm, "error"))["reason"] == "forbidden"
        await comm.disconnect()

    async_to_sync(run)()
    link.refresh_from_db()
    assert link.state == LobbyState.WAITING


def test_bad_origin_is_refused(scene):
    async def run():
        comm = WebsocketCommunicator(application, f"/ws/telehealth/session/{scene.session.public_id}/",
                                     headers=[(b"origin", b"http://evil.example")])
        connected, _ = await comm.connect()
        assert not connected

    async_to_sync(run)()


def test_breakout_moves_patient_and_clinician_to_a_private_room(scene):
    link = ready_link(scene)
    cookie = staff_cookie(scene.clinician)

    async def run():
        staff = staff_comm(scene.session, cookie)
        await staff.connect()
        await until(staff, "lobby")
        patient = patient_comm(link)
        await patient.connect()
        await patient.send_json_to({"type": "hello", "token": consumers.make_patient_token(link, "d1")})
        await until(patient, "status")
        await staff.send_json_to({"type": "join-room"})
        assert (await until(staff, "room"))["key"] == "main"
        await staff.send_json_to({"type": "breakout", "link": str(link.public_id)})
        private = f"bo{link.public_id.hex}"
        assert await room_of(staff) == private
        assert await room_of(patient) == private
        await staff.send_json_to({"type": "return", "link": str(link.public_id)})
        assert await room_of(staff) == "main"
        assert await room_of(patient) == "main"
        await patient.disconnect()
        await staff.disconnect()

    async_to_sync(run)()
    kinds = list(PresenceEvent.objects.filter(link=link).values_list("kind", flat=True))
    assert "breakout" in kinds and kinds.count("admit") == 1
