"""Demo telehealth: a branded waiting room per site, the mesh video provider, join links for every rostered
patient of yesterday's and today's video sessions, and presence for those that already ended (so "Attendance
from presence" shows suggested minutes, some with a dropped connection). Bulk inserts."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.utils import timezone

from trellis.core.demo import DemoContext
from trellis.scheduling.models import Session, SessionStatus
from trellis.scheduling.selectors import rosters_for_sessions
from trellis.telehealth.models import (
    JoinLink,
    LobbyState,
    PresenceEvent,
    PresenceKind,
    VideoProvider,
    VideoSettings,
    WaitingRoom,
)

WHAT_TO_EXPECT = (
    "Find a private, quiet place where you can talk freely.\n"
    "Your clinician admits everyone at the start time; groups run about 90 minutes with a short break.\n"
    "If your connection drops, open your link again: you will come straight back."
)


def seed(ctx: DemoContext) -> None:
    rng, now = ctx.rng, timezone.now()
    rooms = [
        WaitingRoom(site=site, title=site.display_name or site.name, accent_color=site.accent_color,
                    background_color="#f4f7f6", welcome_text=site.welcome_text or "Welcome. We are glad you are here.",
                    what_to_expect=WHAT_TO_EXPECT, support_phone=site.phone, lead_minutes=15)
        for site in ctx.sites
    ]
    WaitingRoom.objects.bulk_create(rooms)
    VideoSettings.objects.get_or_create(organization=ctx.org, defaults={"provider": VideoProvider.MESH})
    lead = {r.site_id: timedelta(minutes=r.lead_minutes) for r in rooms}

    sessions = list(
        Session.objects.filter(site__organization=ctx.org, local_date__in=[ctx.today - timedelta(days=1), ctx.today],
                               modality__in=["telehealth", "hybrid"])
        .exclude(status=SessionStatus.CANCELLED).select_related("site")
    )
    rosters = rosters_for_sessions(sessions, with_patients=False)
    links: list[JoinLink] = []
    samples: list[str] = []  # a few usable links for today's sessions still to come, printed by seed_demo
    for session in sessions:
        for member in rosters[session.pk].members:
            raw = secrets.token_urlsafe(32)
            if session.ends_at > now and len(samples) < 3:
                samples.append(f"/telehealth/j/{raw}/ ({session.title}, {session.time_range}, {session.site.code})")
            links.append(JoinLink(
                session=session, episode_id=member.episode.pk,
                token_hash=JoinLink.hash_token(raw),
                valid_from=session.starts_at - lead.get(session.site_id, timedelta(minutes=15)),
                valid_until=session.ends_at, sent_at=session.starts_at - timedelta(hours=20), sent_to="email",
            ))
    JoinLink.objects.bulk_create(links)

    events: list[PresenceEvent] = []
    ended = {s.pk: s for s in sessions if s.ends_at <= now}
    finished: list[JoinLink] = []
    for link in links:
        session = ended.get(link.session_id)
        if session is None or rng.random() < 0.15:  # some never joined
            continue
        join = session.starts_at - timedelta(minutes=rng.randint(1, 10))
        admit = session.starts_at + timedelta(minutes=rng.choice([0, 0, 1, 2, 9]))
        leave = session.ends_at - timedelta(minutes=rng.choice([0, 0, 0, 20]))
        seq = [(PresenceKind.JOIN, join), (PresenceKind.ADMIT, admit)]
        if rng.random() < 0.25:  # a dropped connection and a reconnect straight back into the group
            drop = admit + timedelta(minutes=rng.randint(15, 40))
            seq += [(PresenceKind.LEAVE, drop), (PresenceKind.RECONNECT, drop + timedelta(minutes=rng.randint(2, 6)))]
        seq.append((PresenceKind.LEAVE, leave))
        events += [PresenceEvent(session=session, link=link, kind=k, occurred_at=at, device="demo") for k, at in seq]
        link.state, link.state_changed_at, link.waiting_since = LobbyState.ADMITTED, admit, join
        link.verified_at, link.had_video = join, rng.random() < 0.85
        link.device_check = {"camera": link.had_video, "microphone": True, "speaker": True, "network": "good"}
        finished.append(link)
    PresenceEvent.objects.bulk_create(events)
    JoinLink.objects.bulk_update(finished, ["state", "state_changed_at", "waiting_since", "verified_at",
                                            "had_video", "device_check"])
    ctx.say(f"{len(rooms)} branded waiting rooms; {len(links)} join links for {len(sessions)} video sessions "
            "yesterday and today "
            f"({len(events)} presence events for those already over).")
    for sample in samples:
        ctx.say(f"  patient join link (date of birth from the chart): {sample}")
