"""Presence → suggested attendance, pure (hand-computed examples)."""

from datetime import UTC, datetime, timedelta

from trellis.telehealth.presence import Event, intervals, suggest

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # session 15:00-16:30
END = T0 + timedelta(minutes=90)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_waiting_room_time_does_not_count_and_gaps_are_subtracted():
    events = [
        Event("join", at(-10)),  # waits 10 minutes before the start
        Event("admit", at(2)),
        Event("leave", at(30)),  # network drop
        Event("reconnect", at(37)),  # straight back into the session (still admitted)
        Event("leave", at(80.5)),
    ]
    s = suggest(events, session_start=T0, session_end=END, now=at(200), had_video=True)
    assert s.arrived_at == at(2)
    assert s.departed_at == at(80.5)
    assert s.minutes == 28 + 43  # (2→30) + (37→80.5 = 43.5, floor at the end) = 71.5 → 71
    assert s.gaps == 1
    assert s.status == "left_early"  # left 9.5 minutes before the end


def test_admitted_before_start_is_clipped_to_the_session():
    events = [Event("join", at(-5)), Event("admit", at(-3)), Event("leave", at(100))]
    s = suggest(events, session_start=T0, session_end=END, now=at(120), had_video=False)
    assert (s.arrived_at, s.departed_at, s.minutes, s.status) == (T0, END, 90, "present")
    assert s.had_video is False


def test_never_admitted_is_absent():
    s = suggest([Event("join", at(0)), Event("leave", at(40))], session_start=T0, session_end=END, now=at(100),
                had_video=True)
    assert not s.attended and s.minutes == 0 and s.status == "absent_unexcused"


def test_still_connected_counts_until_now_or_the_end():
    events = [Event("join", at(8)), Event("admit", at(8))]
    s = suggest(events, session_start=T0, session_end=END, now=at(50), had_video=True)
    assert s.minutes == 42 and s.status == "late"


def test_breakout_keeps_counting_and_return_to_waiting_stops():
    events = [Event("join", at(0)), Event("admit", at(0)), Event("breakout", at(10)), Event("return", at(20)),
              Event("admit", at(25)), Event("leave", at(90))]
    assert [(a, b) for a, b in intervals(events)] == [(at(0), at(20)), (at(25), at(90))]
    s = suggest(events, session_start=T0, session_end=END, now=at(100), had_video=True)
    assert s.minutes == 85


def test_superseded_device_then_new_device_is_one_gap():
    events = [Event("join", at(0)), Event("admit", at(1)), Event("superseded", at(10)), Event("reconnect", at(10)),
              Event("leave", at(90))]
    s = suggest(events, session_start=T0, session_end=END, now=at(100), had_video=True)
    assert s.minutes == 89 and s.gaps == 1
