"""Provider interface: mesh hands out ICE servers; LiveKit mints room tokens offline (no server needed)."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from uuid import uuid4

import pytest
from livekit import api as livekit_api

from trellis.core.errors import DomainError
from trellis.telehealth.models import VideoSettings
from trellis.telehealth.providers import LiveKitProvider, MeshProvider, Participant, provider_from

SESSION = SimpleNamespace(public_id=uuid4(), starts_at=datetime(2026, 3, 2, 15, tzinfo=UTC),
                          ends_at=datetime(2026, 3, 2, 16, 30, tzinfo=UTC))


def test_livekit_token_grants_one_room_with_host_rights_only_for_staff():
    provider = LiveKitProvider("wss://lk.example.org", "APIkey123", "s" * 40)
    host = provider.join_config(session=SESSION, participant=Participant("staff-abc", "Dana", True))
    guest = provider.join_config(session=SESSION, participant=Participant("patient-def", "Alex", False))
    verifier = livekit_api.TokenVerifier("APIkey123", "s" * 40)
    h, g = verifier.verify(host["token"]), verifier.verify(guest["token"])
    assert host["url"] == "wss://lk.example.org" and host["room"] == f"trellis-{SESSION.public_id.hex}"
    assert h.identity == "staff-abc" and h.video.room == host["room"] and h.video.room_join
    assert h.video.room_admin is True and not g.video.room_admin
    assert g.identity == "patient-def" and g.name == "Alex"
    with pytest.raises(Exception):  # noqa: B017 - a token signed with another secret is refused
        livekit_api.TokenVerifier("APIkey123", "x" * 40).verify(host["token"])


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
