"""Demo attendance for every past session: realistic variation, bulk-inserted week by week.

Each patient gets an attendance profile (most attend reliably, some miss often); each roster entry then is
present, late (5–35 min), left early (10–45 min), absent excused or unexcused. Telehealth sessions are
attended by video or audio only; a few in-person attendees join by video. Minutes come from the same pure
rules the service uses (trellis.attendance.minutes), so the ledger shows what marking by hand would.
A few records carry a correction with a reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from trellis.attendance.minutes import compute_minutes
from trellis.attendance.models import Attendance, AttendanceCorrection, CorrectionKind
from trellis.core.demo import DemoContext
from trellis.scheduling.models import Session, SessionStatus
from trellis.scheduling.selectors import rosters_for_sessions

# (share of patients, probability of missing a given session)
PROFILES = [(0.70, 0.05), (0.20, 0.18), (0.10, 0.40)]
BATCH = 5000


def _absence_rate(rng: Any) -> float:
    roll, acc = rng.random(), 0.0
    for share, rate in PROFILES:
        acc += share
        if roll < acc:
            return rate
    return PROFILES[-1][1]


def _one(rng: Any, session: Session, episode_id: int, miss: float) -> dict[str, Any]:
    length = session.minutes
    roll = rng.random()
    arrived = departed = None
    if roll < miss:
        status = "absent_excused" if rng.random() < 0.55 else "absent_unexcused"
    elif roll < miss + 0.07 and length > 40:
        status = "late"
        arrived = session.starts_at + timedelta(minutes=rng.randint(5, min(35, length - 10)))
    elif roll < miss + 0.11 and length > 55:
        status = "left_early"
        departed = session.ends_at - timedelta(minutes=rng.randint(10, min(45, length - 10)))
    else:
        status = "present"
    result = compute_minutes(status=status, session_start=session.starts_at, session_end=session.ends_at,
                             arrived_at=arrived, departed_at=departed)
    modality = ""
    if status in {"present", "late", "left_early"}:
        if session.modality == "telehealth":
            modality = "video" if rng.random() < 0.85 else "audio_only"
        else:
            r = rng.random()
            modality = "in_person" if r < 0.94 else ("video" if r < 0.98 else "audio_only")
    reason = ""
    if status == "absent_excused":
        reason = rng.choice(["Medical appointment", "Illness", "Court date", "Family emergency", "Transportation"])
    elif status == "absent_unexcused":
        reason = rng.choice(["", "", "No call, no show", "Did not answer outreach call"])
    return {
        "status": status, "arrived_at": result.arrived_at, "departed_at": result.departed_at,
        "minutes": result.minutes, "scheduled_minutes": length, "modality": modality, "absence_reason": reason,
    }


def seed(ctx: DemoContext) -> None:
    rng = ctx.rng
    start, _ = ctx.extra.get("schedule_range") or (ctx.today - timedelta(weeks=ctx.weeks), ctx.today)
    now = timezone.now()
    sessions = (
        Session.objects.filter(local_date__gte=start, local_date__lte=ctx.today, status=SessionStatus.SCHEDULED,
                               ends_at__lte=now)
        .select_related("site")
        .order_by("local_date", "starts_at")
    )
    profiles: dict[int, float] = {}
    total = corrected = 0
    week: list[Session] = []
    current_monday = None
    for session in sessions.iterator(chunk_size=2000):
        monday = session.local_date - timedelta(days=session.local_date.weekday())
        if current_monday is not None and monday != current_monday:
            t, c = _mark_week(ctx, rng, week, profiles)
            total, corrected = total + t, corrected + c
            week = []
        current_monday = monday
        week.append(session)
    if week:
        t, c = _mark_week(ctx, rng, week, profiles)
        total, corrected = total + t, corrected + c
    ctx.say(f"{total} attendance records ({corrected} corrected with a reason).")


def _mark_week(ctx: DemoContext, rng: Any, sessions: list[Session], profiles: dict[int, float]) -> tuple[int, int]:
    rosters = rosters_for_sessions(sessions)
    rows: list[Attendance] = []
    count = corrected = 0
    for session in sessions:
        for member in rosters[session.pk].members:
            ep_id = member.episode.pk
            if ep_id not in profiles:
                profiles[ep_id] = _absence_rate(rng)
            values = _one(rng, session, ep_id, profiles[ep_id])
            marked_at: datetime = session.ends_at + timedelta(minutes=rng.randint(2, 240))
            rows.append(Attendance(session=session, episode_id=ep_id, marked_by_id=session.facilitator_id,
                                   marked_at=marked_at, created_by_id=session.facilitator_id, **values))
        if len(rows) >= BATCH:
            count, corrected = count + len(rows), corrected + _flush(rng, rows)
            rows = []
    if rows:
        count, corrected = count + len(rows), corrected + _flush(rng, rows)
    return count, corrected


def _flush(rng: Any, rows: list[Attendance]) -> int:
    created = Attendance.objects.bulk_create(rows, batch_size=BATCH)
    corrections = []
    for att in created:
        if att.pk is None or att.status != "present" or rng.random() > 0.01:
            continue
        corrections.append(AttendanceCorrection(
            attendance=att, kind=CorrectionKind.CORRECTION, changed_by_id=att.marked_by_id,
            changed_at=att.marked_at + timedelta(days=1), reason="Sign-in sheet reconciled: patient was present",
            before={"status": "absent_unexcused", "minutes": 0},
            after={"status": "present", "minutes": att.minutes},
        ))
    AttendanceCorrection.objects.bulk_create(corrections, batch_size=BATCH)
    return len(corrections)
