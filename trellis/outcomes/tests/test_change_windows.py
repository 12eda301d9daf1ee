from datetime import date

import pytest

from trellis.outcomes.change import Direction, classify, summarize
from trellis.outcomes.windows import WindowState, episode_windows


@pytest.mark.parametrize(
    ("baseline", "current", "rc", "direction"),
    [(18, 12, 6, Direction.IMPROVED), (18, 13, 6, Direction.NO_RELIABLE_CHANGE), (10, 16, 6, Direction.DETERIORATED),
     (10, 15, 6, Direction.NO_RELIABLE_CHANGE), (12, 8, 4, Direction.IMPROVED), (12, 9, 4, Direction.NO_RELIABLE_CHANGE),
     (50, 40, 10, Direction.IMPROVED), (50, 41, 10, Direction.NO_RELIABLE_CHANGE), (10, 2, None, Direction.UNKNOWN)],
)
def test_reliable_change_thresholds(baseline, current, rc, direction):
    assert classify(baseline, current, reliable_change=rc, caseness=10).direction is direction


def test_recovery_needs_caseness_at_baseline_and_crossing():
    c = classify(14, 9, reliable_change=6, caseness=10)
    assert c.recovered and not c.reliably_recovered  # crossed the line but only 5 points
    c = classify(16, 9, reliable_change=6, caseness=10)
    assert c.recovered and c.reliably_recovered
    c = classify(9, 2, reliable_change=6, caseness=10)
    assert c.at_caseness_at_baseline is False and not c.recovered
    c = classify(10, 10, reliable_change=6, caseness=10)
    assert not c.recovered  # still at the cut-off is still a case


def test_higher_is_better_reverses_direction():
    assert classify(5, 12, reliable_change=6, caseness=None, higher_is_better=True).direction is Direction.IMPROVED


def test_summary_percentages():
    pairs = [(18, 8), (16, 14), (12, 20), (8, 7), (15, None), (None, None)]
    s = summarize(pairs, reliable_change=6, caseness=10, windows_due=10, windows_completed=7)
    assert (s.assessed_at_admission, s.assessed_at_discharge, s.paired) == (5, 4, 4)
    assert s.mean_change == round((-10 - 2 + 8 - 1) / 4, 1)
    assert s.pct_reliably_improved == 25.0 and s.pct_deteriorated == 25.0
    assert s.cases_at_baseline == 3 and s.pct_recovered == round(100 / 3, 1)
    assert s.completeness == 70.0


def test_summary_empty():
    s = summarize([], reliable_change=6, caseness=10)
    assert s.mean_change is None and s.pct_recovered is None and s.completeness is None


def test_weekly_windows_and_states():
    ws = episode_windows(admitted_on=date(2026, 1, 5), discharged_on=None, until=date(2026, 1, 26),
                         at_admission=True, every_n_days=7, at_discharge=True)
    assert [w.key for w in ws] == ["admission", "day7", "day14", "day21"]
    d7 = ws[1]
    assert (d7.opens, d7.due, d7.closes) == (date(2026, 1, 9), date(2026, 1, 12), date(2026, 1, 15))
    assert d7.state(date(2026, 1, 8), False) is WindowState.UPCOMING
    assert d7.state(date(2026, 1, 9), False) is WindowState.DUE
    assert d7.state(date(2026, 1, 12), False) is WindowState.DUE
    assert d7.state(date(2026, 1, 13), False) is WindowState.OVERDUE
    assert d7.state(date(2026, 1, 15), False) is WindowState.OVERDUE
    assert d7.state(date(2026, 1, 16), False) is WindowState.MISSED
    assert d7.state(date(2026, 1, 16), True) is WindowState.DONE


def test_discharge_window_replaces_periodic_near_discharge():
    ws = episode_windows(admitted_on=date(2026, 1, 5), discharged_on=date(2026, 1, 20), until=date(2026, 2, 1),
                         at_admission=True, every_n_days=7, at_discharge=True)
    assert [w.key for w in ws] == ["admission", "day7", "discharge"]


def test_every_two_weeks_tolerance():
    ws = episode_windows(admitted_on=date(2026, 1, 5), discharged_on=None, until=date(2026, 1, 19),
                         at_admission=False, every_n_days=14, at_discharge=False)
    assert [(w.key, w.opens, w.closes) for w in ws] == [("day14", date(2026, 1, 16), date(2026, 1, 22))]
