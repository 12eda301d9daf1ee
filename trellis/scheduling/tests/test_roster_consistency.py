"""The roster rule is implemented twice (per session for calendars, per episode for the ledger): they agree."""

from __future__ import annotations

import random
from datetime import date, time, timedelta

import pytest

from trellis.episodes.models import EpisodeStatus
from trellis.scheduling.models import RosterChange, RosterChangeKind
from trellis.scheduling.selectors import rosters_for_sessions, sessions_for_episodes
from trellis.scheduling.testing import make_session, make_track

pytestmark = pytest.mark.django_db
START = date(2026, 3, 2)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_session_rosters_and_episode_sessions_agree(seed, site, facilitator, therapist, program, enroll):
    rng = random.Random(seed)
    tracks = [make_track(program, name=f"T{i}") for i in range(3)]
    episodes = []
    for i in range(12):
        admitted = START + timedelta(days=rng.randint(-10, 12))
        discharged = admitted + timedelta(days=rng.randint(0, 15)) if rng.random() < 0.4 else None
        (ep,) = enroll(rng.choice(tracks), admitted_on=admitted, discharged_on=discharged, first=f"P{i}")
        if rng.random() < 0.1:
            ep.status = EpisodeStatus.PLANNED
            ep.discharged_on = None
            ep.save()
        episodes.append(ep)
    sessions = []
    for d in range(14):
        day = START + timedelta(days=d)
        for slot, track_set in enumerate([[tracks[0]], [tracks[1], tracks[2]], [tracks[2]]]):
            sessions.append(make_session(site=site, facilitator=facilitator, day=day, start=time(9 + 2 * slot),
                                         end=time(10 + 2 * slot), tracks=track_set, title=f"G{d}-{slot}"))
        ep = rng.choice(episodes)
        sessions.append(make_session(site=site, facilitator=therapist, day=day, start=time(15), end=time(16),
                                     episode=ep, service_type="individual_therapy", title=f"I{d}"))
    group_sessions = [s for s in sessions if s.episode_id is None]
    for _ in range(25):
        s, ep = rng.choice(group_sessions), rng.choice(episodes)
        RosterChange.objects.get_or_create(session=s, episode=ep,
                                           defaults={"kind": rng.choice(list(RosterChangeKind.values)), "reason": "x"})

    end = START + timedelta(days=13)
    by_session = {pk: {m.episode.pk for m in roster.members} for pk, roster in rosters_for_sessions(sessions).items()}
    by_session_refs = {
        pk: {m.episode.pk for m in roster.members}
        for pk, roster in rosters_for_sessions(sessions, with_patients=False).items()
    }
    assert by_session == by_session_refs
    from_episodes: dict[int, set[int]] = {s.pk: set() for s in sessions}
    for s in sessions_for_episodes(episodes, START, end):
        from_episodes[s.pk] |= s.roster_episode_ids
    assert from_episodes == by_session
    # one episode at a time gives the same answer as all at once
    for ep in episodes[:4]:
        mine = {s.pk for s in sessions_for_episodes([ep], START, end)}
        assert mine == {pk for pk, members in by_session.items() if ep.pk in members}
