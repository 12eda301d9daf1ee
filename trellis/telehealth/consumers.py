"""WebSocket consumers: the patient's waiting room and the staff lobby of one session, with WebRTC
signaling for the video mesh over the same connection, and the site-wide lobby overview.

Rules every consumer keeps:
* Authenticate first: staff by their Django session with two-step sign-in done (and a capability at the
  session's site); patients by the signed join token the waiting-room page hands them (first message).
* Events go only to groups named after this session (`groups.py`); a client can only name patients by
  link id within its own session, and the server checks that.
* Bad input never raises: unknown types and malformed JSON get an error reply; oversized frames and
  floods (token bucket) close the connection. Logs name the reason and the connection kind only (no PHI).
* Media never passes through here: only SDP offers/answers and ICE candidates (signaling) for the mesh, or a
  short-lived room token for the organization's LiveKit server (`providers.py`). Presence is recorded here
  whichever provider carries the media.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Any
from uuid import UUID

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core import signing
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from trellis.accounts.capabilities import Cap
from trellis.accounts.middleware import mfa_required_for
from trellis.accounts.policies import has_capability, sites_with
from trellis.audit.services import AuditAction, record
from trellis.core.errors import DomainError
from trellis.scheduling.models import Session
from trellis.telehealth import groups, selectors, services
from trellis.telehealth.models import JoinLink, LobbyState
from trellis.telehealth.providers import Participant, Provider, patient_identity, staff_identity

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 16 * 1024  # an SDP offer with many codecs is ~6-10 KB
MAX_MESSAGE_CHARS = 280
BUCKET_CAPACITY = 60  # a burst of ICE candidates at call set-up fits
BUCKET_REFILL_PER_SECOND = 15.0
TOKEN_SALT = "trellis.telehealth.ws"  # noqa: S105 - a signing namespace, not a secret
TOKEN_MAX_AGE = 12 * 60 * 60

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_SUPERSEDED = 4409
CLOSE_TOO_BIG = 4413
CLOSE_FLOOD = 4429


def make_patient_token(link: JoinLink, device: str) -> str:
    return signing.dumps({"l": str(link.public_id), "d": device}, salt=TOKEN_SALT)


def read_patient_token(token: Any) -> tuple[str, str] | None:
    if not isinstance(token, str) or len(token) > 400:
        return None
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("l"), str) or not isinstance(data.get("d"), str):
        return None
    return data["l"], data["d"]


def room_key(link: JoinLink | None, state: str, link_public_id: Any = None) -> str | None:
    if state == LobbyState.ADMITTED:
        return "main"
    if state == LobbyState.BREAKOUT:
        return f"bo{UUID(str(link_public_id or link.public_id)).hex}"
    return None


class TokenBucket:
    def __init__(self, capacity: float = BUCKET_CAPACITY, rate: float = BUCKET_REFILL_PER_SECOND) -> None:
        self.capacity, self.rate = capacity, rate
        self.tokens, self.stamp = capacity, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class _Base(AsyncWebsocketConsumer):
    kind = "ws"
    room: str | None = None
    session_public_id: UUID | None = None

    async def connect(self) -> None:
        self.bucket = TokenBucket()
        self.peer = secrets.token_hex(8)
        self.closed = False
        await self.accept()

    async def send_json(self, content: dict[str, Any], close: bool = False) -> None:
        await self.send(text_data=json.dumps(content), close=close)

    async def reject(self, reason: str, code: int, message: str) -> None:
        logger.warning("telehealth %s: closing connection (%s)", self.kind, reason)
        self.closed = True
        await self.send_json({"type": "closed", "reason": reason, "message": message})
        await self.close(code=code)

    async def error(self, reason: str, message: str) -> None:
        logger.info("telehealth %s: rejected message (%s)", self.kind, reason)
        await self.send_json({"type": "error", "reason": reason, "message": message})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closed:
            return
        if not self.bucket.take():
            await self.reject("flood", CLOSE_FLOOD, "Too many messages were sent too quickly. Reload the page to reconnect.")
            return
        if bytes_data is not None:
            await self.error("binary", "Only text messages are accepted.")
            return
        if text_data is None or len(text_data.encode()) > MAX_FRAME_BYTES:
            await self.reject("oversized", CLOSE_TOO_BIG, "A message was too large. Reload the page to reconnect.")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.error("malformed", "That message could not be read.")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.error("malformed", "That message could not be read.")
            return
        try:
            await self.handle(content["type"], content)
        except DomainError as exc:
            await self.error("refused", exc.message if hasattr(exc, "message") else str(exc))

    async def handle(self, kind: str, content: dict[str, Any]) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    # ---- rooms and signaling ---------------------------------------------------------------------

    def label(self) -> str:
        return ""

    # Subclasses say who is in the room and which session/organization it belongs to.
    def participant(self) -> Participant:  # pragma: no cover - overridden
        raise NotImplementedError

    def _session(self) -> Session | None:  # pragma: no cover - overridden
        raise NotImplementedError

    unavailable_message = "Video is not available right now. Please call the clinic."

    def provider(self) -> Provider:
        """The organization's provider, read when it is needed (an administrator may switch it)."""
        return selectors.video_provider(self._session().site.organization_id)

    def _video_config(self, key: str) -> dict[str, Any]:
        try:
            return self.provider().join_config(session=self._session(), participant=self.participant(), room_key=key)
        except DomainError as exc:
            logger.warning("telehealth %s: video provider not usable (%s)", self.kind, type(exc).__name__)
            return {"provider": "unavailable",
                    "message": exc.message if self.kind == "staff" else self.unavailable_message}

    async def enter_room(self, key: str | None) -> None:
        if key == self.room:
            return
        await self.leave_room()
        if key is None or self.session_public_id is None:
            return
        self.room = key
        await self.channel_layer.group_add(groups.room(self.session_public_id, key), self.channel_name)
        config = await database_sync_to_async(self._video_config)(key)
        await self.send_json({**config, "type": "room", "key": key, "peer": self.peer})

    async def leave_room(self) -> None:
        if self.room is None or self.session_public_id is None:
            return
        group = groups.room(self.session_public_id, self.room)
        self.room = None
        await self.channel_layer.group_discard(group, self.channel_name)
        await self.channel_layer.group_send(group, {"type": "rtc.bye", "from": self.peer})
        await self.send_json({"type": "room", "key": None, "peer": self.peer})

    async def relay_signal(self, content: dict[str, Any]) -> None:
        to, data = content.get("to"), content.get("data")
        if self.room is None:
            await self.error("not_in_room", "You are not in the session yet.")
            return
        if not isinstance(to, str) or len(to) != 16 or not isinstance(data, dict):
            await self.error("malformed", "That message could not be read.")
            return
        await self.channel_layer.group_send(
            groups.room(self.session_public_id, self.room),
            {"type": "rtc.signal", "from": self.peer, "to": to, "data": data},
        )

    async def announce(self, content: dict[str, Any]) -> None:
        if self.room is None:
            await self.error("not_in_room", "You are not in the session yet.")
            return
        await self.channel_layer.group_send(
            groups.room(self.session_public_id, self.room),
            {"type": "rtc.peer", "from": self.peer, "label": self.label(), "role": self.kind},
        )

    async def rtc_signal(self, event: dict[str, Any]) -> None:
        if event["to"] == self.peer and event["from"] != self.peer:
            await self.send_json({"type": "signal", "from": event["from"], "data": event["data"]})

    async def rtc_peer(self, event: dict[str, Any]) -> None:
        if event["from"] != self.peer:
            await self.send_json({"type": "peer", "peer": event["from"], "label": event["label"], "role": event["role"]})

    async def rtc_bye(self, event: dict[str, Any]) -> None:
        if event["from"] != self.peer:
            await self.send_json({"type": "bye", "peer": event["from"]})

    async def room_mute(self, event: dict[str, Any]) -> None:
        if self.kind == "patient":
            await self.send_json({"type": "force-mute"})


class PatientConsumer(_Base):
    """ws/telehealth/patient/<link_id>/ — the waiting room and, once admitted, the video room."""

    kind = "patient"

    async def connect(self) -> None:
        self.link: JoinLink | None = None
        self.device = ""
        await super().connect()

    def label(self) -> str:
        return selectors.display_name(self.link.episode.patient) if self.link else ""

    def participant(self) -> Participant:
        return Participant(patient_identity(self.link.public_id), self.label(), is_host=False)

    def _session(self) -> Session | None:
        return self.link.session if self.link else None

    async def handle(self, kind: str, content: dict[str, Any]) -> None:
        if self.link is None:
            if kind != "hello":
                await self.reject("unauthenticated", CLOSE_UNAUTHORIZED, "Please reload the page to reconnect.")
                return
            await self.authenticate(content.get("token"))
            return
        if kind == "signal":
            await self.relay_signal(content)
        elif kind == "media-ready":
            await self.announce(content)
        elif kind == "video":
            await database_sync_to_async(services.video_track_seen)(link=self.link)
        elif kind == "leave":
            await self.leave_room()
            await database_sync_to_async(services.patient_disconnected)(link=self.link, device=self.device, explicit=True)
            self.closed = True
            await self.send_json({"type": "closed", "reason": "left", "message": "You have left. You can close this page."})
            await self.close()
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.error("unknown_type", "That message type is not understood.")

    async def authenticate(self, token: Any) -> None:
        url_link = self.scope["url_route"]["kwargs"]["link_id"]
        parsed = read_patient_token(token)
        if parsed is None or parsed[0] != str(url_link):
            await self.reject("bad_token", CLOSE_UNAUTHORIZED, "This page has expired. Open your link again.")
            return
        link = await database_sync_to_async(selectors.link_by_id)(url_link)
        problem = await database_sync_to_async(services.check_link)(link)
        if problem is not None or link.verified_at is None:
            await self.reject(problem or "unverified", CLOSE_FORBIDDEN,
                              "This link cannot be used now. Open your link again or call the clinic.")
            return
        self.device = parsed[1][:32]
        result = await database_sync_to_async(services.patient_connected)(link=link, device=self.device)
        self.link = result.link
        self.session_public_id = link.session.public_id
        await self.channel_layer.group_add(groups.link(link.public_id), self.channel_name)
        if result.superseded_device:
            await self.channel_layer.group_send(groups.link(link.public_id),
                                                {"type": "link.superseded", "device": result.superseded_device})
        status = await database_sync_to_async(selectors.patient_status)(self.link)
        await self.send_json({"type": "status", "status": status, "reconnect": result.reconnect})
        if status["in_session"]:
            await self.enter_room(room_key(self.link, self.link.state))

    async def disconnect(self, code: int) -> None:
        if self.link is None:
            return
        await self.leave_room()
        await self.channel_layer.group_discard(groups.link(self.link.public_id), self.channel_name)
        if not self.closed or code != CLOSE_SUPERSEDED:
            await database_sync_to_async(services.patient_disconnected)(link=self.link, device=self.device)

    # ---- events from the server -------------------------------------------------------------------

    async def link_status(self, event: dict[str, Any]) -> None:
        if self.link is None:
            return
        status = event["status"]
        self.link.state = status["state"]
        await self.send_json({"type": "status", "status": status})
        await self.enter_room(room_key(self.link, status["state"]) if status["in_session"] else None)

    async def link_superseded(self, event: dict[str, Any]) -> None:
        if event["device"] == self.device:
            await self.leave_room()
            await self.reject("superseded", CLOSE_SUPERSEDED,
                              "You joined from another device or tab, so this one was disconnected.")

    async def link_closed(self, event: dict[str, Any]) -> None:
        await self.leave_room()
        await self.reject(event.get("reason", "closed"), CLOSE_FORBIDDEN,
                          "This link is no longer active. Please call the clinic for a new one.")

    async def link_message(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "message", "text": event["text"]})


class StaffConsumer(_Base):
    """ws/telehealth/session/<session_id>/ — the lobby of one session and the clinician's video."""

    kind = "staff"

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.session: Session | None = None
        await super().connect()
        allowed = await database_sync_to_async(self._authorize)()
        if not allowed:
            await self.reject("forbidden", CLOSE_FORBIDDEN, "Sign in again to open the lobby.")
            return
        self.session_public_id = self.session.public_id
        await self.channel_layer.group_add(groups.staff(self.session.public_id), self.channel_name)
        lobby = await database_sync_to_async(selectors.lobby_payload)(self.session)
        await self.send_json({"type": "lobby", "lobby": lobby, "can_host": self.can_host, "peer": self.peer})
        if self.can_host:
            await database_sync_to_async(services.staff_presence)(session=self.session, user=self.user, joined=True,
                                                                  device=self.peer)

    def _authorize(self) -> bool:
        user = self.user
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        if mfa_required_for(user):
            device_id = self.scope.get("session", {}).get(DEVICE_ID_SESSION_KEY)
            device = Device.from_persistent_id(device_id) if device_id else None
            if device is None or device.user_id != user.pk:
                return False
        session_id = self.scope["url_route"]["kwargs"]["session_id"]
        session = (
            Session.objects.restrict(user, Cap.TELEHEALTH_LOBBY).select_related("site", "program")
            .filter(public_id=session_id).first()
        )
        if session is None:
            outside = Session.objects.filter(public_id=session_id).first()
            if outside is not None:
                record(action=AuditAction.DENIED, obj=outside, site=outside.site, actor=user, outcome="denied",
                       detail={"capability": Cap.TELEHEALTH_LOBBY, "channel": "websocket"})
            return False
        self.session = session
        self.can_host = has_capability(user, Cap.TELEHEALTH_HOST, session.site)
        record(action=AuditAction.READ, obj=session, site=session.site, actor=user,
               detail={"event": "lobby_connect"})
        return True

    def label(self) -> str:
        return getattr(self.user, "full_name", "") or "Clinician"

    def participant(self) -> Participant:
        return Participant(staff_identity(self.user.public_id), self.label(), is_host=self.can_host)

    def _session(self) -> Session | None:
        return self.session

    async def _on_video_server(self, action: str, **kwargs: Any) -> None:
        """Carry a facilitator's action out on the video server too (LiveKit's API; nothing for the mesh).
        The Trellis side has already happened; a failure is reported to the facilitator, never raised."""
        try:
            provider = await database_sync_to_async(self.provider)()
            await getattr(provider, action)(session=self.session, **kwargs)
        except DomainError as exc:
            await self.error("video_server", exc.message)

    async def disconnect(self, code: int) -> None:
        if self.session is None:
            return
        await self.leave_room()
        await self.channel_layer.group_discard(groups.staff(self.session.public_id), self.channel_name)
        if self.can_host:
            # A facilitator's dropped connection never ends the session: patients stay where they are.
            await database_sync_to_async(services.staff_presence)(session=self.session, user=self.user,
                                                                  joined=False, device=self.peer)

    async def _link(self, content: dict[str, Any]) -> JoinLink | None:
        try:
            public_id = UUID(str(content.get("link")))
        except ValueError:
            public_id = None
        link = None
        if public_id is not None:
            link = await database_sync_to_async(
                lambda: JoinLink.objects.select_related("session__site", "episode__patient")
                .filter(session=self.session, public_id=public_id, revoked_at__isnull=True).first()
            )()
        if link is None:
            await self.error("unknown_patient", "That patient is not in this session's lobby.")
        return link

    async def handle(self, kind: str, content: dict[str, Any]) -> None:
        host_only = {"admit", "admit_all", "breakout", "return", "not_seen", "remove", "mute_all", "end",
                     "signal", "media-ready", "join-room", "leave-room"}
        if kind in host_only and not self.can_host:
            await self.error("forbidden", "Your role can see the lobby but not run the session.")
            return
        if kind == "signal":
            await self.relay_signal(content)
        elif kind == "media-ready":
            await self.announce(content)
        elif kind == "join-room":
            await self.enter_room("main")
        elif kind == "leave-room":
            await self.leave_room()
        elif kind in ("admit", "breakout", "return", "not_seen", "remove"):
            link = await self._link(content)
            if link is None:
                return
            to = {"admit": LobbyState.ADMITTED, "breakout": LobbyState.BREAKOUT, "return": LobbyState.ADMITTED,
                  "not_seen": LobbyState.NOT_SEEN, "remove": LobbyState.REMOVED}[kind]
            reason = content.get("reason") if isinstance(content.get("reason"), str) else ""
            moved = await database_sync_to_async(services.move_patient)(link=link, user=self.user, to=to, reason=reason)
            if kind == "remove":
                await self._on_video_server("remove_patient", identity=patient_identity(link.public_id),
                                            room_keys=["main", room_key(None, LobbyState.BREAKOUT, link.public_id)])
            if kind == "breakout":
                await self.enter_room(room_key(moved, LobbyState.BREAKOUT))
            elif kind == "return" and self.room and self.room.startswith("bo"):
                await self.enter_room("main")
        elif kind == "admit_all":
            await database_sync_to_async(services.admit_all)(session=self.session, user=self.user)
        elif kind == "message":
            link = await self._link(content)
            text = content.get("text")
            if link is None:
                return
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE_CHARS:
                await self.error("bad_message", f"Write a message of 1 to {MAX_MESSAGE_CHARS} characters.")
                return
            await database_sync_to_async(services.audit_message)(link=link, user=self.user)
            await self.channel_layer.group_send(groups.link(link.public_id), {"type": "link.message", "text": text.strip()})
            await self.send_json({"type": "sent", "link": str(link.public_id)})
        elif kind == "late":
            minutes = content.get("minutes")
            await database_sync_to_async(services.post_late_notice)(session=self.session, user=self.user,
                                                                    minutes=minutes if isinstance(minutes, int) else -1)
        elif kind == "mute_all":
            if self.room:
                # Each patient's browser is told (the mesh relies on this); LiveKit also mutes at the server.
                await self.channel_layer.group_send(groups.room(self.session.public_id, self.room), {"type": "room.mute"})
                await self._on_video_server("mute_patients", room_key=self.room)
        elif kind == "end":
            await database_sync_to_async(services.end_session)(session=self.session, user=self.user)
            keys = await database_sync_to_async(self._room_keys)()
            await self._on_video_server("close_rooms", room_keys=keys)
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.error("unknown_type", "That message type is not understood.")

    def _room_keys(self) -> list[str]:
        links = JoinLink.objects.filter(session=self.session).values_list("public_id", flat=True)
        return ["main", *(room_key(None, LobbyState.BREAKOUT, public_id) for public_id in links)]

    async def lobby_update(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "lobby", "lobby": event["lobby"]})


class SiteLobbyConsumer(_Base):
    """ws/telehealth/lobby/ — tells the site-wide lobby page (front desk) to refresh its list."""

    kind = "overview"

    async def connect(self) -> None:
        await super().connect()
        self.user = self.scope.get("user")
        sites = await database_sync_to_async(self._sites)()
        if not sites:
            await self.reject("forbidden", CLOSE_FORBIDDEN, "Sign in again to open the lobby.")
            return
        self.groups_joined = [groups.site(s.public_id) for s in sites]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "ready"})

    def _sites(self) -> list[Any]:
        user = self.user
        if user is None or not user.is_authenticated:
            return []
        if mfa_required_for(user):
            device_id = self.scope.get("session", {}).get(DEVICE_ID_SESSION_KEY)
            device = Device.from_persistent_id(device_id) if device_id else None
            if device is None or device.user_id != user.pk:
                return []
        return sites_with(user, Cap.TELEHEALTH_LOBBY)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def handle(self, kind: str, content: dict[str, Any]) -> None:
        if kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.error("unknown_type", "That message type is not understood.")

    async def site_update(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "refresh", "session": event["session"]})


