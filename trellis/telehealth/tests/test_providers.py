"""Provider interface: mesh hands out ICE servers; LiveKit mints room tokens offline (no server needed) and carries
the facilitator's mute-all / remove / end out through LiveKit's RoomService API (checked against a small local
Twirp server that speaks the same protobuf-over-HTTP protocol; a real LiveKit server is not available here)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest
from aiohttp import web
from livekit import api as livekit_api

from trellis.core.errors import DomainError
from trellis.telehealth import selectors, services
from trellis.telehealth.models import VideoSettings
from trellis.telehealth.providers import (
    LIVEKIT_CLIENT_VERSION,
    LiveKitProvider,
    MeshProvider,
    Participant,
    VideoServerError,
    patient_identity,
    provider_from,
    staff_identity,
)

SESSION = SimpleNamespace(public_id=uuid4(), starts_at=datetime(2026, 3, 2, 15, tzinfo=UTC),
                          ends_at=datetime(2026, 3, 2, 16, 30, tzinfo=UTC))
KEY, SECRET = "APIkey123", "s" * 40
VENDOR = Path(__file__).resolve().parents[1] / "static" / "telehealth" / "vendor" / "livekit-client"


def test_livekit_token_grants_one_room_with_host_rights_only_for_staff():
    provider = LiveKitProvider("wss://lk.example.org", KEY, SECRET)
    host = provider.join_config(session=SESSION, participant=Participant("staff-abc", "Dana", True))
    guest = provider.join_config(session=SESSION, participant=Participant("patient-def", "Alex", False))
    verifier = livekit_api.TokenVerifier(KEY, SECRET)
    h, g = verifier.verify(host["token"]), verifier.verify(guest["token"])
    assert host["url"] == "wss://lk.example.org" and host["room"] == f"trellis-{SESSION.public_id.hex}-main"
    assert h.identity == "staff-abc" and h.video.room == host["room"] and h.video.room_join
    assert h.video.room_admin is True and not g.video.room_admin
    assert g.identity == "patient-def" and g.name == "Alex" and g.video.can_publish and g.video.can_subscribe
    with pytest.raises(Exception):  # noqa: B017 - a token signed with another secret is refused
        livekit_api.TokenVerifier(KEY, "x" * 40).verify(host["token"])


def test_each_room_key_gets_its_own_livekit_room_and_a_short_lived_token():
    provider = LiveKitProvider("wss://lk.example.org", KEY, SECRET)
    link_id = uuid4()
    breakout = provider.join_config(session=SESSION, participant=Participant(patient_identity(link_id), "Alex", False),
                                    room_key=f"bo{link_id.hex}")
    claims = livekit_api.TokenVerifier(KEY, SECRET).verify(breakout["token"])
    assert claims.video.room == f"trellis-{SESSION.public_id.hex}-bo{link_id.hex}" != provider.room_name(SESSION)
    raw = json.loads(base64.urlsafe_b64decode(breakout["token"].split(".")[1] + "=="))  # signature checked above
    # Checked by LiveKit at connect only (the server refreshes it for a connected participant); Trellis mints a new
    # one whenever it puts someone in a room, so a removed patient's old token soon stops working.
    assert timedelta(minutes=9) <= timedelta(seconds=raw["exp"] - raw["nbf"]) <= timedelta(minutes=10)
    assert patient_identity(link_id) == f"patient-{link_id.hex}" and staff_identity(str(link_id)) == f"staff-{link_id.hex}"


def test_livekit_without_keys_is_refused(settings):
    settings.LIVEKIT_API_KEY = ""
    with pytest.raises(DomainError, match="LiveKit"):
        provider_from(VideoSettings(provider="livekit", livekit_url="wss://lk.example.org"))


def test_mesh_is_the_default(settings):
    settings.TRELLIS_ICE_SERVERS = [{"urls": "stun:stun.example.org:3478"}]
    config = provider_from(VideoSettings()).join_config(session=SESSION, participant=Participant("x", "y", False))
    assert config == {"provider": "mesh", "ice_servers": [{"urls": "stun:stun.example.org:3478"}], "limit": 6}
    assert isinstance(provider_from(VideoSettings(provider="mesh")), MeshProvider)
    assert timedelta(0) < SESSION.ends_at - SESSION.starts_at


@pytest.mark.django_db
def test_provider_is_chosen_per_organization(settings, site, make_staff):
    settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET = KEY, SECRET
    admin = make_staff("org_admin")
    assert isinstance(selectors.video_provider(site.organization_id), MeshProvider)  # nothing saved: the mesh
    services.save_video_settings(user=admin, organization=site.organization, provider="livekit",
                                 livekit_url="wss://video.example.org")
    chosen = selectors.video_provider(site.organization_id)
    assert isinstance(chosen, LiveKitProvider) and chosen.url == "wss://video.example.org"
    settings.LIVEKIT_API_SECRET = ""
    with pytest.raises(DomainError, match="missing"):
        selectors.video_provider(site.organization_id)
    with pytest.raises(DomainError, match="wss://"):
        services.save_video_settings(user=admin, organization=site.organization, provider="livekit",
                                     livekit_url="https://video.example.org")
    services.save_video_settings(user=admin, organization=site.organization, provider="mesh")
    assert isinstance(selectors.video_provider(site.organization_id), MeshProvider)


def test_vendored_browser_sdk_is_the_pinned_release_unmodified():
    source = (VENDOR / "SOURCE.txt").read_text()
    bundle = (VENDOR / "livekit-client.umd.js").read_bytes()
    assert f"livekit-client {LIVEKIT_CLIENT_VERSION} " in source
    assert f"sha256 livekit-client.umd.js: {hashlib.sha256(bundle).hexdigest()}" in source
    assert f'"{LIVEKIT_CLIENT_VERSION}"'.encode() in bundle  # the SDK's own version string
    assert bundle.startswith(b"!function(e,t){") and b".LivekitClient={}" in bundle[:400]  # UMD, global LivekitClient
    assert "Apache License" in (VENDOR / "LICENSE").read_text()
    # The bundle names its source map; it is vendored too, or collectstatic's manifest step would fail.
    assert re.search(rb"sourceMappingURL=livekit-client\.umd\.js\.map", bundle) and (VENDOR / "livekit-client.umd.js.map").exists()


# --- LiveKit's server API, against a local Twirp endpoint ------------------------------------------------------


class FakeRoomService:
    """Answers livekit.RoomService Twirp calls like a LiveKit server would, and records them."""

    def __init__(self, participants: list[Any], rooms: list[str], missing: set[tuple[str, str]] = frozenset()) -> None:
        self.participants, self.rooms, self.missing = participants, rooms, missing
        self.calls: list[tuple[str, Any]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/twirp/livekit.RoomService/{method}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        method, body = request.match_info["method"], await request.read()
        assert request.headers["Authorization"].startswith("Bearer ")
        assert request.headers["Content-Type"] == "application/protobuf"
        handlers: dict[str, tuple[type, Callable[[Any], Any]]] = {
            "ListParticipants": (livekit_api.ListParticipantsRequest,
                                 lambda m: livekit_api.ListParticipantsResponse(participants=self.participants)),
            "MutePublishedTrack": (livekit_api.MuteRoomTrackRequest, lambda m: livekit_api.MuteRoomTrackResponse()),
            "RemoveParticipant": (livekit_api.RoomParticipantIdentity,
                                  lambda m: livekit_api.RemoveParticipantResponse()),
            "ListRooms": (livekit_api.ListRoomsRequest, lambda m: livekit_api.ListRoomsResponse(
                rooms=[livekit_api.Room(name=n) for n in m.names if n in self.rooms])),
            "DeleteRoom": (livekit_api.DeleteRoomRequest, lambda m: livekit_api.DeleteRoomResponse()),
        }
        kind, answer = handlers[method]
        message = kind.FromString(body)
        self.calls.append((method, message))
        if method == "RemoveParticipant" and (message.room, message.identity) in self.missing:
            return web.json_response({"code": "not_found", "msg": "participant not found"}, status=404)
        return web.Response(body=answer(message).SerializeToString(), content_type="application/protobuf")


def run_against(fake: FakeRoomService, scenario: Callable[[str], Any]) -> Any:
    async def main() -> Any:
        runner = web.AppRunner(fake.app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        try:
            return await scenario(f"ws://127.0.0.1:{port}")
        finally:
            await runner.cleanup()
    return asyncio.run(main())


def track(sid: str, kind: int, muted: bool = False) -> Any:
    return livekit_api.TrackInfo(sid=sid, type=kind, muted=muted)


def test_mute_all_mutes_patients_microphones_at_the_livekit_server():
    audio, video = livekit_api.TrackType.AUDIO, livekit_api.TrackType.VIDEO
    fake = FakeRoomService(participants=[
        livekit_api.ParticipantInfo(identity="staff-1", tracks=[track("TR_s", audio)]),
        livekit_api.ParticipantInfo(identity="patient-a", tracks=[track("TR_a1", audio), track("TR_a2", video)]),
        livekit_api.ParticipantInfo(identity="patient-b", tracks=[track("TR_b1", audio, muted=True)]),
    ], rooms=[])

    async def scenario(url: str) -> int:
        return await LiveKitProvider(url, KEY, SECRET).mute_patients(session=SESSION, room_key="main")

    assert run_against(fake, scenario) == 1
    room = f"trellis-{SESSION.public_id.hex}-main"
    assert [(m, msg.room) for m, msg in fake.calls] == [("ListParticipants", room), ("MutePublishedTrack", room)]
    mute = fake.calls[1][1]
    assert (mute.identity, mute.track_sid, mute.muted) == ("patient-a", "TR_a1", True)


def test_remove_takes_the_patient_out_of_group_and_breakout_and_end_deletes_existing_rooms():
    main, breakout = f"trellis-{SESSION.public_id.hex}-main", f"trellis-{SESSION.public_id.hex}-boabc"
    fake = FakeRoomService(participants=[], rooms=[main], missing={(breakout, "patient-a")})

    async def scenario(url: str) -> None:
        provider = LiveKitProvider(url, KEY, SECRET)
        await provider.remove_patient(session=SESSION, identity="patient-a", room_keys=["main", "boabc"])
        await provider.close_rooms(session=SESSION, room_keys=["main", "boabc"])

    run_against(fake, scenario)
    assert [(m, getattr(msg, "room", None), getattr(msg, "identity", None)) for m, msg in fake.calls] == [
        ("RemoveParticipant", main, "patient-a"),
        ("RemoveParticipant", breakout, "patient-a"),  # not there: fine
        ("ListRooms", None, None),
        ("DeleteRoom", main, None),  # the breakout room never existed
    ]


def test_unreachable_livekit_server_is_a_calm_domain_error(caplog):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    provider = LiveKitProvider(f"ws://127.0.0.1:{port}", KEY, SECRET)
    with pytest.raises(VideoServerError, match="could not be reached"):
        asyncio.run(provider.remove_patient(session=SESSION, identity="patient-a", room_keys=["main"]))
    assert "patient-a" not in caplog.text and SESSION.public_id.hex not in caplog.text
