"""The pure coverage rules: date ranges, authorization states, review scheduling (no database)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from trellis.coverage import rules

D = dt.timedelta
TODAY = dt.date(2026, 3, 10)
days = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31))
maybe_days = st.one_of(st.none(), days)


def state(start_off: int, end_off: int, authorized: int, used: int | None) -> str:
    return rules.authorization_state(start=TODAY + D(days=start_off), end=TODAY + D(days=end_off),
                                     units_authorized=authorized, units_used=used, today=TODAY).label


def test_states_by_hand():
    assert state(-10, 20, 20, 5) == "Active"
    assert state(-10, 6, 20, 5) == "Expiring"  # ends within 7 days
    assert state(-10, 7, 20, 5) == "Active"  # exactly 7 days left is not yet "within"
    assert state(-10, 20, 20, 17) == "Nearly used"  # 3 left
    assert state(-10, 20, 20, 20) == "Used up"
    assert state(-10, 20, 20, 21) == "Over authorized"
    assert state(-10, -1, 20, 5) == "Expired"
    assert state(2, 20, 20, None) == "Not started"
    assert state(-10, 20, 20, None) == "Active"  # units unknown: never judged


def test_review_scheduling():
    start, end = dt.date(2026, 3, 2), dt.date(2026, 3, 20)
    assert rules.first_review_due(start, end, 7) == dt.date(2026, 3, 9)
    assert rules.first_review_due(start, dt.date(2026, 3, 5), 7) == dt.date(2026, 3, 5)  # no later than the end
    assert rules.first_review_due(start, end, None) is None
    assert rules.next_review_due(dt.date(2026, 3, 9), end, 5) == dt.date(2026, 3, 14)
    assert rules.extended_end(end, 7) == dt.date(2026, 3, 27)


@given(days, maybe_days, days, maybe_days)
def test_overlap_is_symmetric(a_start, a_end, b_start, b_end):
    assert rules.ranges_overlap(a_start, a_end, b_start, b_end) == rules.ranges_overlap(b_start, b_end, a_start, a_end)


@given(days, st.integers(0, 60), st.integers(0, 60))
def test_a_range_overlaps_anything_inside_it(start, inner_off, inner_len):
    end = start + D(days=inner_off + inner_len)
    inner_start = start + D(days=inner_off)
    assert rules.ranges_overlap(start, end, inner_start, inner_start + D(days=inner_len))
    assert rules.within(inner_start, inner_start + D(days=inner_len), start, end)
    assert not rules.ranges_overlap(start, end, end + D(days=1), None)


@given(st.integers(-30, 30), st.integers(0, 60), st.integers(1, 50), st.integers(0, 60))
def test_state_invariants(start_off, length, authorized, used):
    s = rules.authorization_state(start=TODAY + D(days=start_off), end=TODAY + D(days=start_off + length),
                                  units_authorized=authorized, units_used=used, today=TODAY)
    if TODAY + D(days=start_off + length) < TODAY:
        assert s is rules.EXPIRED
    elif used > authorized:
        assert s is rules.OVER
    # Using more never makes an authorization look healthier.
    worse = rules.authorization_state(start=TODAY + D(days=start_off), end=TODAY + D(days=start_off + length),
                                      units_authorized=authorized, units_used=used + 1, today=TODAY)
    order = [rules.FUTURE, rules.ACTIVE, rules.EXPIRING, rules.NEARLY_USED, rules.EXHAUSTED, rules.OVER]
    if s in order and worse in order and s is not rules.FUTURE:
        assert order.index(worse) >= order.index(s)
