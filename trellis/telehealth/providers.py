"""Video providers. The browser mesh is the default; an organization running its own LiveKit server (an SFU)
can choose it for larger groups. Either way media never passes through Trellis: the mesh connects browsers
to each other, LiveKit connects them to the organization's LiveKit server, and Trellis only hands out
configuration (ICE servers, or a short-lived LiveKit access token) and, for LiveKit, asks the server to mute
or remove participants (its RoomService API) when the facilitator does.

Presence (join, admit, leave) is recorded by Trellis's own WebSocket whichever provider carries the media, so
attendance minutes come from presence in both cases.

Scale limits (see README): a mesh sends each participant's video to every other participant, so upload
grows with the group; about 6 people is the practical ceiling on ordinary home connections.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp
from django.conf import settings
from livekit import api as livekit_api

from trellis.core.errors import DomainError
from trellis.telehealth.models import VideoProvider, VideoSettings

logger = logging.getLogger(__name__)

MESH_PRACTICAL_LIMIT = 6
# The browser SDK served from static/telehealth/vendor/livekit-client/ (SOURCE.txt says where it came from).
LIVEKIT_CLIENT_VERSION = "2.23.0"
# A LiveKit token is checked when a browser connects; once connected the server refreshes it. A short life means a
# removed patient cannot rejoin with an old token for long; Trellis mints a fresh one every time it puts someone in
# a room (including after a reconnect of the Trellis socket).
LIVEKIT_TOKEN_TTL = timedelta(minutes=10)
LIVEKIT_API_TIMEOUT_SECONDS = 5
PATIENT_PREFIX = "patient-"
STAFF_PREFIX = "staff-"


class VideoServerError(DomainError):
    """The organization's video server could not be reached or refused a request."""


@dataclass(frozen=True)
class Participant:
    identity: str  # opaque: "staff-<public id>" or "patient-<link public id>", never a name or MRN
    display_name: str
    is_host: bool


def patient_identity(link_public_id: Any) -> str:
    return f"{PATIENT_PREFIX}{_hex(link_public_id)}"


def staff_identity(user_public_id: Any) -> str:
    return f"{STAFF_PREFIX}{_hex(user_public_id)}"


def _hex(value: Any) -> str:
    return value.hex if hasattr(value, "hex") and not isinstance(value, str) else str(value).replace("-", "")


class Provider(Protocol):
    name: str

    def join_config(self, *, session: Any, participant: Participant, room_key: str = "main") -> dict[str, Any]: ...

    async def mute_patients(self, *, session: Any, room_key: str) -> int: ...

    async def remove_patient(self, *, session: Any, identity: str, room_keys: list[str]) -> None: ...

    async def close_rooms(self, *, session: Any, room_keys: list[str]) -> None: ...


class MeshProvider:
    """Browser to browser. Mute-all and removal are carried out over Trellis's own socket (the consumer tells
    each browser; a removed patient's socket leaves the room and its peers drop the connections)."""

    name = VideoProvider.MESH

    def join_config(self, *, session: Any, participant: Participant, room_key: str = "main") -> dict[str, Any]:
        return {"provider": self.name, "ice_servers": settings.TRELLIS_ICE_SERVERS,
                "limit": MESH_PRACTICAL_LIMIT}

    async def mute_patients(self, *, session: Any, room_key: str) -> int:
        return 0

    async def remove_patient(self, *, session: Any, identity: str, room_keys: list[str]) -> None:
        return None

    async def close_rooms(self, *, session: Any, room_keys: list[str]) -> None:
        return None


class LiveKitProvider:
    """Rooms on the organization's LiveKit server; tokens minted here with the `livekit-api` package, and the
    facilitator's mute-all / remove / end carried out with LiveKit's RoomService API (the API key and secret
    stay on the server; browsers only ever get a room token)."""

    name = VideoProvider.LIVEKIT

    def __init__(self, url: str, api_key: str, api_secret: str) -> None:
        if not (url and api_key and api_secret):
            raise DomainError("LiveKit is chosen but its URL, API key or secret is missing; ask an administrator.")
        self.url, self.api_key, self.api_secret = url, api_key, api_secret

    @staticmethod
    def room_name(session: Any, room_key: str = "main") -> str:
        """One LiveKit room per Trellis room: the group ("main") and each private breakout ("bo<link hex>")."""
        return f"trellis-{session.public_id.hex}-{room_key}"

    def join_config(self, *, session: Any, participant: Participant, room_key: str = "main") -> dict[str, Any]:
        room = self.room_name(session, room_key)
        grants = livekit_api.VideoGrants(
            room_join=True, room=room, can_publish=True, can_subscribe=True, can_publish_data=True,
            room_admin=participant.is_host,
        )
        token = (
            livekit_api.AccessToken(self.api_key, self.api_secret)
            .with_identity(participant.identity)
            .with_name(participant.display_name)
            .with_grants(grants)
            .with_ttl(LIVEKIT_TOKEN_TTL)
            .to_jwt()
        )
        return {"provider": self.name, "url": self.url, "token": token, "room": room}

    def _api(self) -> livekit_api.LiveKitAPI:
        return livekit_api.LiveKitAPI(self.url, self.api_key, self.api_secret, failover=False,
                                      timeout=aiohttp.ClientTimeout(total=LIVEKIT_API_TIMEOUT_SECONDS))

    async def mute_patients(self, *, session: Any, room_key: str) -> int:
        """Mute every patient's microphone in one room (MutePublishedTrack); staff stay unmuted, as in the mesh.
        Returns how many tracks were muted."""
        room = self.room_name(session, room_key)
        muted = 0
        try:
            async with self._api() as lk:
                listing = await lk.room.list_participants(livekit_api.ListParticipantsRequest(room=room))
                for person in listing.participants:
                    if not person.identity.startswith(PATIENT_PREFIX):
                        continue
                    for track in person.tracks:
                        if track.type == livekit_api.TrackType.AUDIO and not track.muted:
                            await lk.room.mute_published_track(livekit_api.MuteRoomTrackRequest(
                                room=room, identity=person.identity, track_sid=track.sid, muted=True))
                            muted += 1
        except livekit_api.TwirpError as exc:
            if exc.code != livekit_api.TwirpErrorCode.NOT_FOUND:  # no such room yet: nobody to mute
                raise self._failed("mute", exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self._failed("mute", exc) from exc
        return muted

    async def remove_patient(self, *, session: Any, identity: str, room_keys: list[str]) -> None:
        """Disconnect one participant from the group and their breakout (RemoveParticipant). Not being in a
        room (not_found) is the usual case for one of them and is fine."""
        try:
            async with self._api() as lk:
                for key in room_keys:
                    try:
                        await lk.room.remove_participant(livekit_api.RoomParticipantIdentity(
                            room=self.room_name(session, key), identity=identity))
                    except livekit_api.TwirpError as exc:
                        if exc.code != livekit_api.TwirpErrorCode.NOT_FOUND:
                            raise
        except livekit_api.TwirpError as exc:
            raise self._failed("remove", exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise self._failed("remove", exc) from exc

    async def close_rooms(self, *, session: Any, room_keys: list[str]) -> None:
        """End of session: delete the session's rooms that exist (DeleteRoom disconnects everyone in them)."""
        names = [self.room_name(session, key) for key in room_keys]
        try:
            async with self._api() as lk:
                existing = await lk.room.list_rooms(livekit_api.ListRoomsRequest(names=names))
                for room in existing.rooms:
                    await lk.room.delete_room(livekit_api.DeleteRoomRequest(room=room.name))
        except (livekit_api.TwirpError, aiohttp.ClientError, TimeoutError) as exc:
            raise self._failed("close", exc) from exc

    def _failed(self, action: str, exc: BaseException) -> VideoServerError:
        # The host name and the error class only: never a room name, identity or token.
        code = getattr(exc, "code", type(exc).__name__)
        logger.warning("telehealth livekit: %s failed at %s (%s)", action, urlsplit(self.url).hostname, code)
        return VideoServerError("The video server could not be reached to do that; patients' own screens were "
                                "still told. Try again, or check the LiveKit server.")


def provider_from(video_settings: VideoSettings) -> Provider:
    if video_settings.provider == VideoProvider.LIVEKIT:
        return LiveKitProvider(video_settings.livekit_url, settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET)
    return MeshProvider()
