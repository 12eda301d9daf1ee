"""Video providers. The browser mesh is the default; an organization running its own LiveKit server (an SFU)
can choose it for larger groups. Either way media never passes through Trellis: the mesh connects browsers
to each other, LiveKit connects them to the organization's LiveKit server, and Trellis only hands out
configuration (ICE servers, or a short-lived LiveKit access token).

Scale limits (see README): a mesh sends each participant's video to every other participant, so upload
grows with the group; about 6 people is the practical ceiling on ordinary home connections.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from django.conf import settings
from livekit import api as livekit_api

from trellis.core.errors import DomainError
from trellis.telehealth.models import VideoProvider, VideoSettings

MESH_PRACTICAL_LIMIT = 6


@dataclass(frozen=True)
class Participant:
    identity: str  # opaque: "staff-<public id>" or "patient-<link public id>", never a name or MRN
    display_name: str
    is_host: bool


class Provider(Protocol):
    name: str

    def join_config(self, *, session: Any, participant: Participant) -> dict[str, Any]: ...


class MeshProvider:
    name = VideoProvider.MESH

    def join_config(self, *, session: Any, participant: Participant) -> dict[str, Any]:
        return {"provider": self.name, "ice_servers": settings.TRELLIS_ICE_SERVERS,
                "limit": MESH_PRACTICAL_LIMIT}


class LiveKitProvider:
    """Rooms on the organization's LiveKit server; tokens minted here with the `livekit-api` package."""

    name = VideoProvider.LIVEKIT

    def __init__(self, url: str, api_key: str, api_secret: str) -> None:
        if not (url and api_key and api_secret):
            raise DomainError("LiveKit is chosen but its URL, API key or secret is missing; ask an administrator.")
        self.url, self.api_key, self.api_secret = url, api_key, api_secret

    @staticmethod
    def room_name(session: Any) -> str:
        return f"trellis-{session.public_id.hex}"

    def join_config(self, *, session: Any, participant: Participant) -> dict[str, Any]:
        # The token lives until the session ends (plus a margin), so a reconnect works without a new page.
        ttl = max(session.ends_at - session.starts_at, timedelta(minutes=30)) + timedelta(minutes=30)
        grants = livekit_api.VideoGrants(
            room_join=True, room=self.room_name(session), can_publish=True, can_subscribe=True,
            can_publish_data=True, room_admin=participant.is_host,
        )
        token = (
            livekit_api.AccessToken(self.api_key, self.api_secret)
            .with_identity(participant.identity)
            .with_name(participant.display_name)
            .with_grants(grants)
            .with_ttl(ttl)
            .to_jwt()
        )
        return {"provider": self.name, "url": self.url, "token": token, "room": self.room_name(session)}


def provider_from(video_settings: VideoSettings) -> Provider:
    if video_settings.provider == VideoProvider.LIVEKIT:
        return LiveKitProvider(video_settings.livekit_url, settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET)
    return MeshProvider()
