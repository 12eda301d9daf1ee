"""Demo outcomes: schedules per program, weekly PHQ-9 and GAD-7 for every episode in the demo window (PCL-5 for
the trauma and evening tracks, AUDIT and BAM for the co-occurring track) with realistic trajectories (most
improve, some stay flat, a few worsen), some missed windows, one unacknowledged critical alert (PHQ-9 item 9)
and one acknowledged one. Deterministic (ctx.rng) and bulk-inserted."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from django.utils import timezone

from trellis.core.clock import local_date
from trellis.core.demo import DemoContext
from trellis.episodes.models import Episode, EpisodeStatus
from trellis.outcomes import library, services
from trellis.outcomes.models import (
    Administration,
    AdministrationMode,
    AdministrationSchedule,
    AdministrationStatus,
)
from trellis.outcomes.scoring import Definition, applicable_items, score
from trellis.outcomes.windows import episode_windows
from trellis.programs.models import TrackKind

CHUNK = 1000
RECENT_DAYS = 150  # episodes that ended longer ago get no demo measures (keeps --patients 10000 fast)


def _uuid(ctx: DemoContext) -> uuid.UUID:
    return uuid.UUID(int=ctx.rng.getrandbits(128), version=4)


def _answers(ctx: DemoContext, defn: Definition, intensity: float, *, critical_ok: bool = False) -> dict[str, int]:
    """Answers whose level follows `intensity` (0 = well, 1 = most severe), respecting the skip logic."""
    rng = ctx.rng
    protective = {k for s in defn.scales if s.higher_is_better for k in s.items}
    answers: dict[str, int] = {}
    for _ in range(3):  # skip conditions depend on earlier answers: settle in a few passes
        for item in applicable_items(defn, answers):
            if item.key in answers:
                continue
            values = sorted(item.allowed())
            level = (1 - intensity) if item.key in protective else intensity
            target = level * values[-1] + rng.gauss(0, 0.6)
            value = min(values, key=lambda v: abs(v - target))
            if item.critical_gte is not None and not critical_ok:
                value = min(values)
            answers[item.key] = value
        asked = {i.key for i in applicable_items(defn, answers)}
        answers = {k: v for k, v in answers.items() if k in asked}
    return answers


def _instruments_for_track(kind: str) -> list[tuple[str, int | None, bool]]:
    """(instrument, every N days, at admission) per track kind; discharge always."""
    base = [("phq9", 7, True), ("gad7", 7, True)]
    if kind in (TrackKind.TRAUMA, TrackKind.EVENING):
        base.append(("pcl5", 14, True))
    if kind == TrackKind.CO_OCCURRING:
        base += [("audit", None, True), ("bam", 7, True)]
    return base


def seed(ctx: DemoContext) -> None:
    rng = ctx.rng
    tracks = ctx.extra.get("tracks", [])
    schedules: list[AdministrationSchedule] = []
    plan: dict[int, list[tuple[str, int | None, bool]]] = {}
    for t in tracks:
        plan[t.pk] = _instruments_for_track(t.kind)
        for key, every, at_adm in plan[t.pk]:
            schedules.append(AdministrationSchedule(program=t.program, track=t, instrument_key=key,
                                                    at_admission=at_adm, every_n_days=every, at_discharge=True,
                                                    public_id=_uuid(ctx)))
    AdministrationSchedule.objects.bulk_create(schedules)

    defs = library.shipped()
    cutoff = ctx.today - timedelta(days=RECENT_DAYS)
    episodes = list(Episode.objects.filter(program__organization=ctx.org).exclude(status=EpisodeStatus.PLANNED)
                    .filter(track__isnull=False).exclude(discharged_on__lt=cutoff)
                    .select_related("program__site", "track", "patient").order_by("pk"))
    rows: list[Administration] = []
    critical_episode = None
    for ep in episodes:
        zone = ep.program.site.zone
        pattern = rng.random()
        start = rng.uniform(0.45, 0.8)
        if pattern < 0.65:
            end = start * rng.uniform(0.25, 0.6)  # improves
        elif pattern < 0.87:
            end = start + rng.uniform(-0.05, 0.05)  # flat
        else:
            end = min(1.0, start * rng.uniform(1.15, 1.35))  # worsens
        last_day = ep.discharged_on or ctx.today
        span = max((last_day - ep.admitted_on).days, 1)
        for key, every, at_adm in plan.get(ep.track_id, []):
            defn = defs[key]
            for w in episode_windows(admitted_on=ep.admitted_on, discharged_on=ep.discharged_on, until=ctx.today,
                                     at_admission=at_adm, every_n_days=every, at_discharge=True):
                if w.opens > ctx.today:
                    continue
                if rng.random() < 0.12 and w.key != "admission":
                    continue  # a missed (or still open) window
                if w.due > ctx.today:
                    continue
                day = min(w.due + timedelta(days=rng.randint(0, 1)), ctx.today)
                frac = min(max((day - ep.admitted_on).days / span, 0), 1)
                intensity = max(0.0, min(1.0, start + (end - start) * frac + rng.gauss(0, 0.05)))
                answers = _answers(ctx, defn, intensity)
                result = score(defn, answers)
                primary = defn.primary_scale
                p = result.scales.get(primary.key) if primary else None
                done_at = datetime.combine(day, time(rng.randint(9, 17), rng.randint(0, 59)), tzinfo=zone)
                done_at = min(done_at, timezone.now())
                rows.append(Administration(
                    public_id=_uuid(ctx), episode=ep, instrument_key=key, instrument_version=defn.version,
                    window_key=w.key, window_due=w.due, status=AdministrationStatus.COMPLETE,
                    mode=rng.choice([AdministrationMode.SELF_LINK, AdministrationMode.SELF_LINK,
                                     AdministrationMode.KIOSK, AdministrationMode.PAPER]),
                    answers=answers, scores=result.as_dict(), primary_score=p.value if p else None,
                    primary_band=p.band if p else "", primary_severity=p.severity if p else None,
                    completed_at=done_at, completed_on=local_date(done_at, zone), created_by=None,
                ))
        if (critical_episode is None and ep.status == EpisodeStatus.ACTIVE and ep.primary_clinician_id
                and ep.track.kind == TrackKind.GENERAL and ep.program.level_of_care == "php"
                and (ctx.today - ep.admitted_on).days >= 15):
            critical_episode = ep
    Administration.objects.bulk_create(rows, batch_size=CHUNK)

    alerts = 0
    if critical_episode is not None:
        alerts += _critical(ctx, critical_episode, acknowledge=False)
    ack_ep = next((e for e in episodes if e.status == EpisodeStatus.ACTIVE and e is not critical_episode
                   and e.primary_clinician_id and e.program.site_id == getattr(critical_episode, "program",
                                                                            e.program).site_id), None)
    if ack_ep is not None:
        alerts += _critical(ctx, ack_ep, acknowledge=True)
    ctx.say(f"{len(schedules)} outcome schedules, {len(rows)} completed measures, {alerts} critical alerts "
            f"(one unacknowledged).")


def _critical(ctx: DemoContext, ep: Episode, *, acknowledge: bool) -> int:
    """An unscheduled PHQ-9 today with item 9 = 1, entered by the primary clinician through the service."""
    defn = library.shipped()["phq9"]
    answers = _answers(ctx, defn, 0.7)
    answers["q9"] = 1
    result = services.enter_from_paper(episode=ep, instrument_key="phq9", window_key="", answers=answers,
                                       actor=ep.primary_clinician, mode=AdministrationMode.INTERVIEW)
    if acknowledge and result.alert is not None:
        services.acknowledge_alert(alert=result.alert, actor=ep.primary_clinician,
                                   action_taken="Saw the patient the same day: passive thoughts, no plan or intent; "
                                                "safety plan reviewed with 988 and the on-call line.")
    return 1 if result.alert is not None else 0

