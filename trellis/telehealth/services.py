"""Telehealth writes: waiting rooms, join links, identity and consent, presence and lobby changes,
running-late notices, and confirming presence into attendance.

Every write is one transaction with its audit event; channel-layer notifications go out after commit.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from trellis.attendance.services import MarkEntry, mark_attendance
from trellis.audit.services import AuditAction, record
from trellis.consents.models import ConsentKind
from trellis.consents.services import create_consent, sign_consent
from trellis.core.errors import DomainError
from trellis.programs.models import AttendedModality, Modality
from trellis.scheduling.models import Session, SessionStatus
from trellis.scheduling.selectors import roster_for_session
from trellis.telehealth import groups, selectors
from trellis.telehealth.models import (
    IN_SESSION_STATES,
    JoinLink,
    LobbyState,
    PresenceEvent,
    PresenceKind,
    SessionRoom,
    VideoProvider,
    VideoSettings,
    WaitingRoom,
)
from trellis.telehealth.senders import PatientMessage, get_sender

if TYPE_CHECKING:
    from trellis.accounts.models import User

logger = logging.getLogger(__name__)

MAX_IDENTITY_ATTEMPTS = 5
TELEHEALTH_MODALITIES = frozenset({Modality.TELEHEALTH, Modality.HYBRID})


# --------------------------------------------------------------------------------------------------
# Notifications (after commit; never inside a transaction)
# --------------------------------------------------------------------------------------------------


def _send(group: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:  # pragma: no cover - CHANNEL_LAYERS is always configured
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        # Services run in sync threads (views, database_sync_to_async); a caller on an event loop's thread
        # cannot block on the layer. Nothing is lost for correctness: pages load the current state.
        logger.info("telehealth: notification skipped (called on an event loop thread)")
        return
    try:
        async_to_sync(layer.group_send)(group, payload)
    except Exception:  # a down channel layer must not undo a committed write
        logger.exception("telehealth: channel layer send failed (group kind %s)", group.split(".")[1])


def notify_lobby(session: Session) -> None:
    """Push the session's lobby to its staff group and the site's overview group."""
    snapshot = selectors.lobby_payload(session)
    _send(groups.staff(session.public_id), {"type": "lobby.update", "lobby": snapshot})
    _send(groups.site(session.site.public_id), {"type": "site.update", "session": str(session.public_id)})


def notify_link(link: JoinLink) -> None:
    _send(groups.link(link.public_id), {"type": "link.status", "status": selectors.patient_status(link)})


def _after_commit(session: Session, *links: JoinLink) -> None:
    def run() -> None:
        for item in links:
            notify_link(item)
        notify_lobby(session)

    transaction.on_commit(run)


# --------------------------------------------------------------------------------------------------
# Setup
# --------------------------------------------------------------------------------------------------

BRANDING_FIELDS = ("title", "accent_color", "background_color", "welcome_text", "what_to_expect", "support_phone",
                   "lead_minutes", "logo")


def save_waiting_room(*, user: User, site: Any, program: Any = None, room: WaitingRoom | None = None,
                      **fields: Any) -> WaitingRoom:
    unknown = set(fields) - set(BRANDING_FIELDS)
    if unknown:
        raise TypeError(f"Unknown fields: {sorted(unknown)}")
    if program is not None and program.site_id != site.pk:
        raise DomainError("That program belongs to another site.", field="program")
    with transaction.atomic():
        room = room or WaitingRoom(site=site, program=program, created_by=user)
        for name, value in fields.items():
            setattr(room, name, value)
        try:
            room.full_clean()
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise DomainError(messages[0], field=None if field == "__all__" else field) from exc
        room.save()
        record(action=AuditAction.UPDATE, obj=room, site=site, actor=user, detail={"fields": sorted(fields)})
    return room


def save_video_settings(*, user: User, organization: Any, provider: str, livekit_url: str = "") -> VideoSettings:
    with transaction.atomic():
        current, _ = VideoSettings.objects.get_or_create(organization=organization, defaults={"created_by": user})
        current.provider, current.livekit_url = provider, (livekit_url or "").strip()
        if provider == VideoProvider.LIVEKIT and current.livekit_url and not current.livekit_url.startswith(
            ("wss://", "ws://")
        ):
            # The browser SDK opens a WebSocket to this address (wss:// in production; ws:// only for a server
            # on the same machine or network during testing, since https pages may not open ws://).
            raise DomainError("The LiveKit server URL starts with wss://, for example wss://video.example.org.")
        try:
            current.full_clean(exclude=["organization"])
        except ValidationError as exc:
            raise DomainError(next(iter(exc.messages))) from exc
        current.save()
        record(action=AuditAction.UPDATE, obj=current, actor=user, detail={"provider": provider})
    return current


# --------------------------------------------------------------------------------------------------
# Join links
# --------------------------------------------------------------------------------------------------


@dataclass
class IssuedLink:
    link: JoinLink
    token: str
    sent: bool


def is_telehealth(session: Session) -> bool:
    return session.modality in TELEHEALTH_MODALITIES


def issue_links(*, session: Session, user: User, base_url: str, send: bool = True) -> list[IssuedLink]:
    """A live link for every rostered patient who has none; each is sent through the patient sender.

    The message names the program only (no patient, clinician or service), so it carries no PHI beyond the
    fact of a relationship with the program; the subject line is generic.
    """
    if session.status == SessionStatus.CANCELLED:
        raise DomainError("This session was cancelled; there is nothing to join.")
    if not is_telehealth(session):
        raise DomainError("This session is in person. Change its modality to telehealth or hybrid first.")
    if session.ends_at <= timezone.now():
        raise DomainError("This session has ended; links can no longer be sent.")
    room = selectors.waiting_room_for(session)
    lead = timedelta(minutes=room.lead_minutes)
    issued: list[IssuedLink] = []
    with transaction.atomic():
        locked = Session.objects.select_for_update(of=("self",)).get(pk=session.pk)
        have = set(JoinLink.objects.filter(session=locked, revoked_at__isnull=True).values_list("episode_id", flat=True))
        for member in roster_for_session(locked):
            if member.episode.pk in have:
                continue
            raw = secrets.token_urlsafe(32)
            link = JoinLink.objects.create(
                session=locked, episode=member.episode, token_hash=JoinLink.hash_token(raw),
                valid_from=locked.starts_at - lead, valid_until=locked.ends_at, created_by=user,
            )
            record(action=AuditAction.CREATE, obj=link, patient=member.patient, site=locked.site, actor=user,
                   detail={"session": str(locked.public_id)})
            issued.append(IssuedLink(link, raw, False))
    if send:
        sender = get_sender()
        program = session.program.name if session.program_id else (room.title or "your program")
        for item in issued:
            patient = item.link.episode.patient
            url = base_url.rstrip("/") + reverse("telehealth:join", args=[item.token])
            body = (
                f"Hello,\n\nHere is your private link to join your {program} video session:\n{url}\n\n"
                "The link opens shortly before the session starts. You will be asked for your date of birth.\n"
                f"If you need help, call {room.support_phone or 'the clinic'}.\n"
            )
            try:
                item.sent = sender.send(PatientMessage(patient.email, "Your video session link", body))
            except Exception:
                logger.exception("telehealth: sending link %s failed", item.link.public_id)
                item.sent = False
            if item.sent:
                JoinLink.objects.filter(pk=item.link.pk).update(sent_at=timezone.now(), sent_to=sender.channel)
    if issued:
        transaction.on_commit(lambda: notify_lobby(session))
    return issued


def revoke_link(*, link: JoinLink, user: User, reason: str) -> JoinLink:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the link is revoked.", field="reason")
    with transaction.atomic():
        current = JoinLink.objects.select_for_update(of=("self",)).select_related("session__site", "episode__patient").get(
            pk=link.pk
        )
        if current.revoked_at is not None:
            raise DomainError("This link was already revoked.")
        current.revoked_at, current.revoked_by, current.revoke_reason = timezone.now(), user, reason[:200]
        current.connected = False
        current.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "connected", "updated_at"])
        record(action=AuditAction.UPDATE, obj=current, patient=current.episode.patient, site=current.session.site,
               actor=user, detail={"event": "revoke"})
    _send_revoked = current

    def run() -> None:
        _send(groups.link(_send_revoked.public_id), {"type": "link.closed", "reason": "revoked"})
        notify_lobby(_send_revoked.session)

    transaction.on_commit(run)
    return current


class LinkProblem:
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"
    TOO_EARLY = "too_early"
    CANCELLED = "cancelled"
    NOT_ON_ROSTER = "not_on_roster"
    LOCKED = "locked"


def check_link(link: JoinLink | None, *, now: datetime | None = None) -> str | None:
    """Why this link cannot be used now (a LinkProblem), or None when it can."""
    now = now or timezone.now()
    if link is None:
        return LinkProblem.UNKNOWN
    if link.revoked_at is not None:
        return LinkProblem.REVOKED
    if link.session.status == SessionStatus.CANCELLED:
        return LinkProblem.CANCELLED
    if now >= link.valid_until:
        return LinkProblem.EXPIRED
    if link.failed_checks >= MAX_IDENTITY_ATTEMPTS:
        return LinkProblem.LOCKED
    if now < link.valid_from:
        return LinkProblem.TOO_EARLY
    if link.episode_id not in {m.episode.pk for m in roster_for_session(link.session)}:
        return LinkProblem.NOT_ON_ROSTER
    return None


def confirm_identity(*, link: JoinLink, date_of_birth: date | None) -> bool:
    """Date of birth must match the chart. After 5 misses the link locks (staff send a new one)."""
    with transaction.atomic():
        current = JoinLink.objects.select_for_update(of=("self",)).select_related("episode__patient", "session__site").get(
            pk=link.pk
        )
        if current.failed_checks >= MAX_IDENTITY_ATTEMPTS:
            return False
        ok = date_of_birth is not None and current.episode.patient.date_of_birth == date_of_birth
        if ok:
            current.verified_at = timezone.now()
            current.failed_checks = 0
        else:
            current.failed_checks += 1
        current.save(update_fields=["verified_at", "failed_checks", "updated_at"])
        record(action=AuditAction.READ if ok else AuditAction.LOGIN_FAILED, obj=current,
               patient=current.episode.patient, site=current.session.site,
               outcome="success" if ok else "failure", detail={"event": "identity_check"})
    return ok


def sign_telehealth_consent(*, link: JoinLink, signer_name: str, ip_address: str | None) -> Any:
    """The patient signs the organization's telehealth consent from the join flow (consents' services)."""
    patient, site = link.episode.patient, link.session.site
    with transaction.atomic():
        consent = create_consent(patient=patient, site=site, kind=ConsentKind.TELEHEALTH, created_by=None)
        return sign_consent(consent=consent, signer_name=signer_name, collected_by=None, ip_address=ip_address)


DEVICE_KEYS = {"camera": bool, "microphone": bool, "speaker": bool, "network": str}


def record_device_check(*, link: JoinLink, result: dict[str, Any]) -> JoinLink:
    clean: dict[str, Any] = {}
    for key, kind in DEVICE_KEYS.items():
        value = result.get(key)
        if kind is bool:
            clean[key] = value in (True, "1", "true", "on", "yes")
        else:
            clean[key] = str(value or "")[:20] if str(value or "") in {"good", "fair", "poor", "unknown"} else "unknown"
    clean["checked_at"] = timezone.now().isoformat()
    with transaction.atomic():
        JoinLink.objects.filter(pk=link.pk).update(device_check=clean, updated_at=timezone.now())
        link.device_check = clean
        record(action=AuditAction.UPDATE, obj=link, patient=link.episode.patient, site=link.session.site,
               detail={"event": "device_check"})
    _after_commit(link.session)
    return link


# --------------------------------------------------------------------------------------------------
# Presence (called by the consumers)
# --------------------------------------------------------------------------------------------------


@dataclass
class Connected:
    link: JoinLink
    superseded_device: str
    reconnect: bool


def _locked_link(link: JoinLink) -> JoinLink:
    return JoinLink.objects.select_for_update(of=("self",)).select_related(
        "session__site", "session__program", "episode__patient"
    ).get(pk=link.pk)


def _event(link: JoinLink | None, session: Session, kind: str, *, user: User | None = None, device: str = "",
           at: datetime | None = None) -> PresenceEvent:
    return PresenceEvent.objects.create(session=session, link=link, user=user, kind=kind,
                                        occurred_at=at or timezone.now(), device=device)


def patient_connected(*, link: JoinLink, device: str) -> Connected:
    """A patient's browser connected. A patient already admitted goes straight back into the session;
    anyone else waits. A newer device replaces an older one (the older one is told and closed)."""
    with transaction.atomic():
        current = _locked_link(link)
        now = timezone.now()
        reconnect = PresenceEvent.objects.filter(link=current).exists()
        superseded = current.current_device if current.connected and current.current_device != device else ""
        if superseded:
            _event(current, current.session, PresenceKind.SUPERSEDED, device=superseded, at=now)
        _event(current, current.session, PresenceKind.RECONNECT if reconnect else PresenceKind.JOIN, device=device, at=now)
        if current.state in (LobbyState.NOT_ARRIVED, LobbyState.REMOVED):
            current.state, current.state_reason, current.state_changed_at = LobbyState.WAITING, "", now
            current.waiting_since = now
        current.connected, current.current_device = True, device
        current.save()
        record(action=AuditAction.UPDATE, obj=current, patient=current.episode.patient, site=current.session.site,
               detail={"event": "reconnect" if reconnect else "connect", "superseded": bool(superseded)})
    _after_commit(current.session)
    return Connected(current, superseded, reconnect)


def patient_disconnected(*, link: JoinLink, device: str, explicit: bool = False) -> JoinLink | None:
    """The browser went away (or the patient pressed Leave). A replaced device's goodbye changes nothing."""
    with transaction.atomic():
        current = _locked_link(link)
        if current.current_device != device or not current.connected:
            return None
        _event(current, current.session, PresenceKind.LEAVE, device=device)
        current.connected = False
        if explicit and current.state in IN_SESSION_STATES:
            # Pressing Leave ends the patient's part; a dropped network keeps their place to come back to.
            current.state, current.state_reason, current.state_changed_at = LobbyState.WAITING, "left", timezone.now()
            _event(current, current.session, PresenceKind.RETURN, device=device)
        current.save()
        record(action=AuditAction.UPDATE, obj=current, patient=current.episode.patient, site=current.session.site,
               detail={"event": "leave", "explicit": explicit})
    _after_commit(current.session)
    return current


def video_track_seen(*, link: JoinLink) -> None:
    with transaction.atomic():
        current = _locked_link(link)
        if current.had_video:
            return
        current.had_video = True
        current.save(update_fields=["had_video", "updated_at"])
        _event(current, current.session, PresenceKind.VIDEO, device=current.current_device)


def staff_presence(*, session: Session, user: User, joined: bool, device: str = "") -> None:
    """Staff join/leave is recorded; a facilitator's disconnect never ends the session."""
    with transaction.atomic():
        _event(None, session, PresenceKind.JOIN if joined else PresenceKind.LEAVE, user=user, device=device)
        if joined:
            room, _ = SessionRoom.objects.get_or_create(session=session)
            if room.started_at is None:
                SessionRoom.objects.filter(pk=room.pk).update(started_at=timezone.now())
        record(action=AuditAction.UPDATE, obj=session, site=session.site, actor=user,
               detail={"event": "staff_connect" if joined else "staff_leave"})


# --------------------------------------------------------------------------------------------------
# Lobby actions (staff)
# --------------------------------------------------------------------------------------------------

_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    # action: (states it may start from, presence kind)
    LobbyState.ADMITTED: (frozenset({LobbyState.WAITING, LobbyState.BREAKOUT}), PresenceKind.ADMIT),
    LobbyState.BREAKOUT: (frozenset({LobbyState.WAITING, LobbyState.ADMITTED}), PresenceKind.BREAKOUT),
    LobbyState.WAITING: (frozenset({LobbyState.ADMITTED, LobbyState.BREAKOUT}), PresenceKind.RETURN),
    LobbyState.NOT_SEEN: (frozenset({LobbyState.WAITING, LobbyState.NOT_ARRIVED, LobbyState.BREAKOUT}),
                          PresenceKind.NOT_SEEN),
    LobbyState.REMOVED: (frozenset({LobbyState.ADMITTED, LobbyState.BREAKOUT, LobbyState.WAITING}), PresenceKind.REMOVE),
}


def move_patient(*, link: JoinLink, user: User, to: str, reason: str = "") -> JoinLink:
    """Admit, move to a private breakout, return to the waiting room, mark will-not-be-seen, or remove."""
    if to not in _TRANSITIONS:
        raise DomainError("Unknown lobby action.")
    reason = (reason or "").strip()[:200]
    if to == LobbyState.NOT_SEEN and not reason:
        raise DomainError("Give a reason the patient will not be seen (the patient is told to expect a call).",
                          field="reason")
    allowed, kind = _TRANSITIONS[to]
    with transaction.atomic():
        current = _locked_link(link)
        if current.revoked_at is not None:
            raise DomainError("This link was revoked.")
        if current.state not in allowed:
            raise DomainError(f"The patient is {current.get_state_display().lower()}; that action does not apply.")
        if to in IN_SESSION_STATES and to == LobbyState.ADMITTED and current.episode_id not in {
            m.episode.pk for m in roster_for_session(current.session)
        }:
            raise DomainError("This patient is not on the session's roster.")
        now = timezone.now()
        current.state, current.state_reason, current.state_changed_at = to, reason, now
        if to == LobbyState.WAITING:
            current.waiting_since = now
        current.save()
        _event(current, current.session, kind, user=user, device=current.current_device, at=now)
        record(action=AuditAction.UPDATE, obj=current, patient=current.episode.patient, site=current.session.site,
               actor=user, detail={"event": kind})
    _after_commit(current.session, current)
    return current


def admit_all(*, session: Session, user: User) -> list[JoinLink]:
    """Admit every rostered patient who is waiting and connected."""
    roster = {m.episode.pk for m in roster_for_session(session)}
    admitted = []
    waiting = JoinLink.objects.filter(session=session, revoked_at__isnull=True, state=LobbyState.WAITING,
                                      connected=True, episode_id__in=roster)
    for link in waiting:
        admitted.append(move_patient(link=link, user=user, to=LobbyState.ADMITTED))
    return admitted


def post_late_notice(*, session: Session, user: User, minutes: int) -> SessionRoom:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= 120:
        raise DomainError("Give the delay in minutes, from 0 (on time) to 120.", field="minutes")
    with transaction.atomic():
        room, _ = SessionRoom.objects.select_for_update().get_or_create(session=session)
        room.late_minutes, room.late_posted_at = minutes, timezone.now()
        room.save()
        record(action=AuditAction.UPDATE, obj=session, site=session.site, actor=user,
               detail={"event": "running_late", "minutes": minutes})
    links = list(JoinLink.objects.filter(session=session, revoked_at__isnull=True).select_related(
        "session__site", "session__telehealth_room"))
    _after_commit(session, *links)
    return room


def end_session(*, session: Session, user: User) -> SessionRoom:
    with transaction.atomic():
        room, _ = SessionRoom.objects.select_for_update().get_or_create(session=session)
        room.ended_at = timezone.now()
        room.save()
        record(action=AuditAction.UPDATE, obj=session, site=session.site, actor=user, detail={"event": "end"})
    links = list(JoinLink.objects.filter(session=session, revoked_at__isnull=True).select_related(
        "session__site", "session__telehealth_room"))
    _after_commit(session, *links)
    return room


def audit_message(*, link: JoinLink, user: User) -> None:
    """A short message to a waiting patient: audited (that one was sent), its text is not stored."""
    record(action=AuditAction.UPDATE, obj=link, patient=link.episode.patient, site=link.session.site, actor=user,
           detail={"event": "message"})


# --------------------------------------------------------------------------------------------------
# Presence → attendance
# --------------------------------------------------------------------------------------------------


def confirm_attendance(*, session: Session, user: User, episode_ids: list[int] | None = None,
                       correction_reason: str = "") -> list[Any]:
    """Write the suggested arrival/departure/minutes into attendance in one action (attendance's service:
    one transaction, audited; an already-marked record changes through its correction path)."""
    rows = selectors.suggestions(session)
    entries = []
    for row in rows:
        if episode_ids is not None and row.episode_id not in episode_ids:
            continue
        s = row.suggestion
        if not s.attended:
            if row.link.state == LobbyState.NOT_SEEN:
                # The program chose not to see the patient (e.g. clinician unavailable): an excused absence.
                entries.append(MarkEntry(row.episode_id, "absent_excused", absence_reason=row.link.state_reason))
            else:
                entries.append(MarkEntry(row.episode_id, "absent_unexcused"))
            continue
        modality = AttendedModality.VIDEO if s.had_video else AttendedModality.AUDIO_ONLY
        entries.append(MarkEntry(row.episode_id, s.status, s.arrived_at, s.departed_at, modality, minutes=s.minutes))
    if not entries:
        raise DomainError("Nobody on this session has a join link, so there is nothing to confirm.")
    return mark_attendance(session=session, entries=entries, user=user, correction_reason=correction_reason)
