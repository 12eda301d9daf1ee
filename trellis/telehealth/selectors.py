"""Telehealth reads: the waiting room that applies to a session, the lobby, the patient's status line,
presence-based attendance suggestions. Bounded query counts (a few queries per session, whatever its size)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from trellis.accounts.capabilities import Cap
from trellis.attendance.models import Attendance
from trellis.audit.services import AuditAction, record
from trellis.core.registry import TodayContext
from trellis.scheduling.models import Session, SessionStatus
from trellis.telehealth.models import (
    IN_SESSION_STATES,
    JoinLink,
    LobbyState,
    PresenceEvent,
    SessionRoom,
    VideoProvider,
    VideoSettings,
    WaitingRoom,
)
from trellis.telehealth.presence import Event, Suggestion, suggest
from trellis.telehealth.providers import Provider, provider_from

if TYPE_CHECKING:
    from trellis.accounts.models import User


def waiting_room_for(session: Session) -> WaitingRoom:
    """The program's waiting room, else the site's, else an unsaved one from the site's own branding."""
    rooms = {r.program_id: r for r in WaitingRoom.objects.filter(site_id=session.site_id)}
    room = rooms.get(session.program_id) or rooms.get(None)
    if room is not None:
        return room
    site = session.site
    return WaitingRoom(site=site, title=site.display_name or site.name, accent_color=site.accent_color,
                       welcome_text=site.welcome_text, support_phone=site.phone)


def room_state(session: Session) -> SessionRoom | None:
    try:
        return session.telehealth_room
    except SessionRoom.DoesNotExist:
        return None


def provider_for(organization: Any) -> VideoSettings:
    found = VideoSettings.objects.filter(organization=organization).first()
    return found or VideoSettings(organization=organization, provider=VideoProvider.MESH)


def video_provider(organization_id: int) -> Provider:
    """The organization's video provider (one query); DomainError when LiveKit is chosen but not configured."""
    found = VideoSettings.objects.filter(organization_id=organization_id).first()
    return provider_from(found or VideoSettings(provider=VideoProvider.MESH))


def find_link(raw_token: str) -> JoinLink | None:
    if not raw_token or len(raw_token) > 100:
        return None
    return (
        JoinLink.objects.select_related("session__site", "session__program", "episode__patient")
        .filter(token_hash=JoinLink.hash_token(raw_token)).first()
    )


def link_by_id(public_id: Any) -> JoinLink | None:
    return (
        JoinLink.objects.select_related("session__site", "session__program", "session__telehealth_room",
                                        "episode__patient")
        .filter(public_id=public_id).first()
    )


def display_name(patient: Any) -> str:
    """How other participants of a group see a patient: preferred or first name only."""
    return (patient.preferred_name or patient.legal_first_name).strip()


def lobby_rows(session: Session) -> list[JoinLink]:
    return list(
        JoinLink.objects.filter(session=session, revoked_at__isnull=True)
        .select_related("episode__patient")
        .order_by("episode__patient__legal_last_name", "episode__patient__legal_first_name")
    )


def _device_summary(check: dict[str, Any]) -> str:
    if not check:
        return "Not checked"
    parts = []
    for key, label in (("camera", "camera"), ("microphone", "mic"), ("speaker", "speaker")):
        parts.append(f"{label} {'ok' if check.get(key) else 'no'}")
    net = check.get("network") or "unknown"
    parts.append(f"network {net}")
    return ", ".join(parts)


def lobby_payload(session: Session, rows: list[JoinLink] | None = None) -> list[dict[str, Any]]:
    """Plain data for the staff lobby (staff only: carries patient names)."""
    out = []
    zone = session.site.zone
    for link in rows if rows is not None else lobby_rows(session):
        p = link.episode.patient
        out.append({
            "link": str(link.public_id),
            "name": f"{p.preferred_name or p.legal_first_name} {p.legal_last_name}".strip(),
            "display": display_name(p),
            "state": link.state,
            "state_label": link.get_state_display(),
            "reason": link.state_reason,
            "connected": link.connected,
            "waiting_since": link.waiting_since.isoformat() if link.waiting_since else None,
            "since_label": link.waiting_since.astimezone(zone).strftime("%-I:%M %p") if link.waiting_since else "",
            "device": _device_summary(link.device_check),
            "device_ok": bool(link.device_check and link.device_check.get("camera") and link.device_check.get("microphone")),
        })
    return out


def patient_status(link: JoinLink) -> dict[str, Any]:
    """What the waiting patient reads. No names of other patients; calm, tells them what to do."""
    session = link.session
    room = room_state(session)
    local = session.local_start
    starts = local.strftime("%-I:%M %p")
    started = session.starts_at <= timezone.now()
    late = room.late_minutes if room else 0
    kind = "group" if session.is_group else "appointment"
    ended = bool(room and room.ended_at)
    if ended:
        headline, detail = "This session has ended.", "Thank you for joining. You can close this page."
    elif link.state == LobbyState.NOT_SEEN:
        headline = "Your clinician cannot see you in this session."
        detail = "The clinic will call you to arrange another time. You can close this page."
    elif link.state == LobbyState.REMOVED:
        headline, detail = "You have left the session.", "If this was a mistake, reload this page to wait again."
    elif link.state == LobbyState.ADMITTED:
        headline, detail = "You are in the session.", ""
    elif link.state == LobbyState.BREAKOUT:
        headline, detail = "You are in a private room with a clinician.", ""
    else:
        headline = f"Your {kind} {'started' if started else 'starts'} at {starts}."
        detail = "Your clinician will admit you shortly. Please keep this page open."
    return {
        "state": link.state,
        "headline": headline,
        "detail": detail,
        "late_minutes": late,
        "late_text": f"Running {late} minutes late. Thank you for your patience." if late and not ended else "",
        "ended": ended,
        "in_session": link.state in IN_SESSION_STATES and not ended,
    }


@dataclass
class SuggestionRow:
    link: JoinLink
    episode_id: int
    patient: Any
    suggestion: Suggestion


def suggestions(session: Session, *, now: Any = None) -> list[SuggestionRow]:
    """Suggested attendance per patient with a link, from presence events (2 queries)."""
    now = now or timezone.now()
    links = lobby_rows(session)
    events: dict[int, list[Event]] = defaultdict(list)
    for link_id, kind, at in PresenceEvent.objects.filter(session=session, link__isnull=False).values_list(
        "link_id", "kind", "occurred_at"
    ):
        events[link_id].append(Event(kind, at))
    return [
        SuggestionRow(link, link.episode_id, link.episode.patient,
                      suggest(events[link.pk], session_start=session.starts_at, session_end=session.ends_at, now=now,
                              had_video=link.had_video))
        for link in links
    ]


def telehealth_sessions(user: User, day: date, *, capability: str = Cap.SCHEDULE_VIEW, site: Any = None,
                        mine: bool = False) -> QuerySet[Session]:
    qs = (
        Session.objects.restrict(user, capability)
        .filter(local_date=day, modality__in=["telehealth", "hybrid"])
        .exclude(status=SessionStatus.CANCELLED)
        .select_related("site", "program", "facilitator", "episode__patient")
        .order_by("starts_at")
    )
    if site is not None:
        qs = qs.filter(site=site)
    if mine:
        qs = qs.filter(Q(facilitator=user) | Q(co_facilitator=user))
    return qs


def waiting_counts(sessions: list[Session]) -> dict[int, dict[str, int]]:
    """session pk -> {state: count} for the given sessions (one query)."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for session_id, state, connected in JoinLink.objects.filter(
        session__in=[s.pk for s in sessions], revoked_at__isnull=True
    ).values_list("session_id", "state", "connected"):
        if state == LobbyState.WAITING and not connected:
            continue
        out[session_id][state] += 1
    return out


def waiting_now(sessions: list[Session]) -> dict[int, list[JoinLink]]:
    """Who is waiting (connected, not yet admitted) per session — for the attendance screen and Today."""
    out: dict[int, list[JoinLink]] = defaultdict(list)
    for link in JoinLink.objects.filter(
        session__in=[s.pk for s in sessions], revoked_at__isnull=True, state=LobbyState.WAITING, connected=True
    ).select_related("episode__patient").order_by("waiting_since"):
        out[link.session_id].append(link)
    return out


def marked_episode_ids(session: Session) -> set[int]:
    return set(Attendance.objects.filter(session=session).values_list("episode_id", flat=True))


def today_waiting(user: User, ctx: TodayContext) -> dict[str, Any] | None:
    """Today's card: who is waiting in the video lobbies of today's sessions at the sites in view.
    Hidden when there is no video session today. Names shown are audited as one read."""
    sessions = list(
        telehealth_sessions(user, ctx.day, capability=Cap.TELEHEALTH_LOBBY).filter(site__in=ctx.sites)[:50]
    )
    if not sessions:
        return None
    waiting = waiting_now(sessions)
    rows = [{"session": s, "waiting": waiting.get(s.pk, [])} for s in sessions]
    patients = [link.episode.patient for links in waiting.values() for link in links]
    if patients:
        record(action=AuditAction.READ, object_type="telehealth_lobby",
               detail={"view": "today", "patients": [str(p.public_id) for p in patients]})
    return {"rows": rows, "waiting_total": len(patients)}


def session_waiting(user: User, session: Session) -> dict[str, Any] | None:
    """The attendance screen's card for a video session: who is waiting in its lobby now, who is in it."""
    if session.modality not in ("telehealth", "hybrid"):
        return None
    rows = lobby_rows(session)
    if not rows:
        return None
    waiting = [link for link in rows if link.state == LobbyState.WAITING and link.connected]
    inside = [link for link in rows if link.state in IN_SESSION_STATES]
    return {"session": session, "waiting": waiting, "inside": inside}
