"""An organization that chose LiveKit: the same Trellis sockets put people in rooms (and record presence), but the
room message carries a LiveKit token for that person and room instead of ICE servers, and the facilitator's
mute-all / remove / end also go to the LiveKit server's API (a local Twirp stand-in; no LiveKit server here)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from livekit import api as livekit_api

from trellis.telehealth import consumers
from trellis.telehealth.models import JoinLink, PresenceEvent, VideoSettings
from trellis.telehealth.providers import patient_identity, staff_identity
from trellis.telehealth.tests.test_consumers import patient_comm, ready_link, staff_comm, staff_cookie, until
from trellis.telehealth.tests.test_providers import KEY, SECRET, FakeRoomService

pytestmark = pytest.mark.django_db(transaction=True)


async def start(fake: FakeRoomService) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"ws://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"


async def next_room(comm: Any) -> dict[str, Any]:
    """The next room message that puts the socket in a room (leaving one first announces key None)."""
    while True:
        msg = await until(comm, "room")
        if msg["key"] is not None:
            return msg


def claims(msg: dict[str, Any]) -> Any:
    return livekit_api.TokenVerifier(KEY, SECRET).verify(msg["token"])


def test_livekit_rooms_tokens_and_server_side_controls(scene, settings):
    settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET = KEY, SECRET
    link = ready_link(scene)
    cookie = staff_cookie(scene.clinician)
    token = consumers.make_patient_token(link, "dev1")
    me = patient_identity(link.public_id)
    main = f"trellis-{scene.session.public_id.hex}-main"
    fake = FakeRoomService(participants=[livekit_api.ParticipantInfo(
        identity=me, tracks=[livekit_api.TrackInfo(sid="TR_mic", type=livekit_api.TrackType.AUDIO)])], rooms=[main])

    async def run():
        runner, url = await start(fake)
        await database_sync_to_async(VideoSettings.objects.create)(
            organization=scene.site.organization, provider="livekit", livekit_url=url)
        staff = staff_comm(scene.session, cookie)
        assert (await staff.connect())[0]
        await until(staff, "lobby")
        patient = patient_comm(link)
        await patient.connect()
        await patient.send_json_to({"type": "hello", "token": token})
        await until(patient, "status")

        await staff.send_json_to({"type": "admit", "link": str(link.public_id)})
        room = await until(patient, "room")
        assert room["key"] == "main" and room["provider"] == "livekit" and room["url"] == url
        assert "ice_servers" not in room and room["room"] == main
        c = claims(room)
        assert c.identity == me and c.name == "Alex" and c.video.room == main and not c.video.room_admin

        await staff.send_json_to({"type": "join-room"})
        host = await until(staff, "room")
        h = claims(host)
        assert h.identity == staff_identity(scene.clinician.public_id) and h.video.room == main and h.video.room_admin

        # Mute everyone: each patient's page is told, and the LiveKit server mutes the patient's microphone.
        await staff.send_json_to({"type": "mute_all"})
        await until(patient, "force-mute")
        await staff.send_json_to({"type": "ping"})
        await until(staff, "pong")
        assert [(m, getattr(x, "identity", "")) for m, x in fake.calls] == [
            ("ListParticipants", ""), ("MutePublishedTrack", me)]

        # Breakout: the patient gets a token for their private room only.
        await staff.send_json_to({"type": "breakout", "link": str(link.public_id)})
        breakout = await next_room(patient)
        assert breakout["key"] == f"bo{link.public_id.hex}" and claims(breakout).identity == me
        assert claims(breakout).video.room == f"trellis-{scene.session.public_id.hex}-bo{link.public_id.hex}"
        await staff.send_json_to({"type": "return", "link": str(link.public_id)})
        assert (await next_room(patient))["key"] == "main"

        # Remove: out of the lobby in Trellis, and disconnected at the LiveKit server from group and breakout.
        fake.calls.clear()
        await staff.send_json_to({"type": "remove", "link": str(link.public_id)})
        await until(patient, "status")
        await staff.send_json_to({"type": "ping"})
        await until(staff, "pong")
        assert [(m, x.room, x.identity) for m, x in fake.calls] == [
            ("RemoveParticipant", main, me),
            ("RemoveParticipant", f"trellis-{scene.session.public_id.hex}-bo{link.public_id.hex}", me)]

        fake.calls.clear()
        await staff.send_json_to({"type": "end"})
        await staff.send_json_to({"type": "ping"})
        await until(staff, "pong")
        assert [m for m, _ in fake.calls] == ["ListRooms", "DeleteRoom"]
        await patient.disconnect()
        await staff.disconnect()
        await runner.cleanup()

    async_to_sync(run)()
    # Presence is Trellis's own, whatever carried the media: attendance minutes still come from it.
    kinds = list(PresenceEvent.objects.filter(link=link).values_list("kind", flat=True))
    assert kinds[:2] == ["join", "admit"] and "breakout" in kinds


def test_livekit_not_configured_tells_patient_and_staff_calmly(scene, settings):
    settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET = KEY, ""
    VideoSettings.objects.create(organization=scene.site.organization, provider="livekit",
                                 livekit_url="wss://video.example.org")
    link = ready_link(scene)
    cookie = staff_cookie(scene.clinician)

    async def run():
        staff = staff_comm(scene.session, cookie)
        assert (await staff.connect())[0]
        await until(staff, "lobby")
        patient = patient_comm(link)
        await patient.connect()
        await patient.send_json_to({"type": "hello", "token": consumers.make_patient_token(link, "d")})
        await until(patient, "status")
        await staff.send_json_to({"type": "admit", "link": str(link.public_id)})
        room = await until(patient, "room")
        assert room["provider"] == "unavailable" and "token" not in room
        assert room["message"] == "Video is not available right now. Please call the clinic."
        await staff.send_json_to({"type": "join-room"})
        host = await until(staff, "room")
        assert host["provider"] == "unavailable" and "API key or secret is missing" in host["message"]
        await patient.disconnect()
        await staff.disconnect()

    async_to_sync(run)()
    assert JoinLink.objects.get(pk=link.pk).state == "admitted"
