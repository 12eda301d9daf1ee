import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trellis.careplans import schedule
from trellis.careplans.schedule import CertKind, DueStatus, Interval

D = dt.date


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # leap year
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 12, 31), 2, D(2027, 2, 28)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),
        (D(2026, 11, 15), 1, D(2026, 12, 15)),
    ],
)
def test_add_months_month_end(start, months, expected):
    assert schedule.add_months(start, months) == expected


@pytest.mark.parametrize(
    ("admitted", "days", "expected"),
    [
        (D(2026, 1, 26), 7, D(2026, 2, 2)),  # crosses month end
        (D(2028, 2, 25), 7, D(2028, 3, 3)),  # leap year: 29 Feb counted
        (D(2027, 2, 25), 7, D(2027, 3, 4)),  # non-leap
        (D(2026, 12, 28), 7, D(2027, 1, 4)),  # year end
        (D(2026, 11, 2), 0, D(2026, 11, 2)),
    ],
)
def test_initial_plan_due(admitted, days, expected):
    assert schedule.initial_plan_due(admitted, days) == expected


def test_initial_plan_due_rejects_negative():
    with pytest.raises(ValueError):
        schedule.initial_plan_due(D(2026, 1, 1), -1)


def test_review_every_30_days_across_february():
    assert schedule.next_review_due(last_reviewed_on=D(2028, 1, 31), cadence=Interval(days=30)) == D(2028, 3, 1)
    assert schedule.next_review_due(last_reviewed_on=D(2027, 1, 31), cadence=Interval(days=30)) == D(2027, 3, 2)
    # monthly cadence clamps to month end
    assert schedule.next_review_due(last_reviewed_on=D(2028, 1, 31), cadence=Interval(months=1)) == D(2028, 2, 29)


def test_review_sooner_on_level_change():
    due = schedule.next_review_due(
        last_reviewed_on=D(2026, 11, 1), cadence=Interval(days=30), level_changed_on=D(2026, 11, 10)
    )
    assert due == D(2026, 11, 17)
    # a change before the last review does not pull the date in
    due = schedule.next_review_due(
        last_reviewed_on=D(2026, 11, 1), cadence=Interval(days=30), level_changed_on=D(2026, 10, 30)
    )
    assert due == D(2026, 12, 1)
    # a change late in the cycle never pushes the due date later
    due = schedule.next_review_due(
        last_reviewed_on=D(2026, 11, 1), cadence=Interval(days=30), level_changed_on=D(2026, 11, 29)
    )
    assert due == D(2026, 12, 1)


def test_interval_validation_and_str():
    with pytest.raises(ValueError):
        Interval()
    assert str(Interval(days=30)) == "30 days"
    assert str(Interval(months=1)) == "1 month"


def test_php_certification_schedule():
    admitted = D(2028, 2, 12)
    rule = schedule.PHP_RULE
    first = schedule.next_certification_due(admitted_on=admitted, rule=rule, signed_on=[])
    assert first.kind is CertKind.INITIAL and first.due_on == admitted
    # 18th day of services: admission day is day 1 -> 12 Feb + 17 days = 29 Feb 2028 (leap)
    second = schedule.next_certification_due(admitted_on=admitted, rule=rule, signed_on=[admitted])
    assert second.kind is CertKind.RECERTIFICATION and second.due_on == D(2028, 2, 29)
    third = schedule.next_certification_due(admitted_on=admitted, rule=rule, signed_on=[admitted, D(2028, 2, 28)])
    assert third.due_on == D(2028, 3, 29)
    assert "424.24(e)" in third.citation
    # non-leap year: 12 Feb 2027 + 17 = 1 Mar 2027
    assert schedule.next_certification_due(admitted_on=D(2027, 2, 12), rule=rule, signed_on=[D(2027, 2, 12)]).due_on == D(2027, 3, 1)


def test_php_month_end_admission():
    # admitted 31 Jan: 18th day = 17 Feb
    due = schedule.next_certification_due(admitted_on=D(2026, 1, 31), rule=schedule.PHP_RULE, signed_on=[D(2026, 1, 31)])
    assert due.due_on == D(2026, 2, 17)


def test_iop_certification_schedule():
    rule = schedule.IOP_RULE
    admitted = D(2027, 12, 31)
    assert schedule.next_certification_due(admitted_on=admitted, rule=rule, signed_on=[]).due_on == admitted
    # 60 days after 31 Dec 2027 -> 29 Feb 2028 (leap year)
    assert schedule.next_certification_due(admitted_on=admitted, rule=rule, signed_on=[admitted]).due_on == D(2028, 2, 29)
    assert schedule.next_certification_due(admitted_on=D(2026, 12, 31), rule=rule, signed_on=[D(2026, 12, 31)]).due_on == D(2027, 3, 1)


def test_rule_for_level():
    assert schedule.rule_for_level("php") is schedule.PHP_RULE
    assert schedule.rule_for_level("iop") is schedule.IOP_RULE
    assert schedule.rule_for_level("op") is None


def test_due_status():
    due = D(2026, 11, 30)
    assert schedule.due_status(due, D(2026, 12, 1)) is DueStatus.OVERDUE
    assert schedule.due_status(due, due) is DueStatus.DUE_TODAY
    assert schedule.due_status(due, D(2026, 11, 28)) is DueStatus.DUE_SOON
    assert schedule.due_status(due, D(2026, 11, 1)) is DueStatus.OK
    assert schedule.days_overdue(due, D(2026, 12, 3)) == 3
    assert schedule.days_overdue(due, D(2026, 11, 3)) == 0


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31)), st.integers(min_value=1, max_value=36))
def test_property_add_months_never_overflows(start, months):
    result = schedule.add_months(start, months)
    assert (result.year - start.year) * 12 + result.month - start.month == months
    assert result.day <= start.day


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31)), st.integers(min_value=1, max_value=120))
def test_property_certifications_strictly_later(admitted, gap):
    rule = schedule.PHP_RULE
    signed = [admitted, admitted + dt.timedelta(days=gap)]
    due = schedule.next_certification_due(admitted_on=admitted, rule=rule, signed_on=signed)
    assert due.due_on > signed[-1]
    assert (due.due_on - signed[-1]).days == 30
