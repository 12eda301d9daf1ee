"""Time-grid layout of the calendar (issue 16 item 3): pure layout and the week/day pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trellis.scheduling.grid import day_grid, week_grid
from trellis.scheduling.selectors import CalendarFilters, calendar
from trellis.scheduling.testing import make_room, make_session

pytestmark = pytest.mark.django_db
MON = date(2026, 3, 2)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(datetime(2026, 3, 4, 16, tzinfo=UTC), tick=False)


@pytest.fixture
def week(now, site, facilitator, therapist, track):
    room_a, room_b = make_room(site, name="Alder"), make_room(site, name="Birch")
    sessions = [
        make_session(site=site, facilitator=facilitator, day=MON, start=time(9), end=time(10, 30), tracks=[track],
                     title="Process group", room=room_a),
        make_session(site=site, facilitator=therapist, day=MON, start=time(9, 30), end=time(11), tracks=[track],
                     title="Skills group", room=room_b),
        make_session(site=site, facilitator=facilitator, day=date(2026, 3, 8), start=time(19), end=time(20, 30),
                     tracks=[track], title="Sunday evening group", room=room_a),
    ]
    return sessions


def test_week_grid_has_seven_day_columns_and_hours_that_follow_the_schedule(week, director):
    days = calendar(director, CalendarFilters(start=MON, end=date(2026, 3, 8)))
    grid = week_grid(days, today=date(2026, 3, 4))
    assert [c.date.isoformat() for c in grid.columns][-1] == "2026-03-08"  # Sunday is a column
    assert len(grid.columns) == 7 and grid.columns[2].is_today
    assert grid.start == "08:00" and grid.end == "21:00"  # 08:00 default start; 20:30 rounded out to 21:00
    assert [e.start for e in grid.columns[0].events] == ["09:00", "09:30"]


def test_day_grid_has_a_column_per_room_or_per_staff(week, director):
    (day,) = calendar(director, CalendarFilters(start=MON, end=MON))
    assert [c.label for c in day_grid(day).columns] == ["Alder", "Birch"]
    assert sorted(c.label for c in day_grid(day, by="staff").columns) == sorted(
        [week[0].facilitator.display_name, week[1].facilitator.display_name])


def test_week_page_is_a_grid_with_a_list_for_printing(week, director, client_for):
    client = client_for(director)
    body = client.get(reverse("scheduling:week"), {"date": "2026-03-04"}).content.decode()
    assert 'class="cal cal-grid cal-cols-7"' in body and 'data-start="19:00" data-end="20:30"' in body
    assert "(today)" in body  # today is said in words, not only coloured
    listed = client.get(reverse("scheduling:week"), {"date": "2026-03-04", "view": "list"}).content.decode()
    assert "cal-grid" not in listed and 'class="week-grid"' in listed and "Sunday evening group" in listed


def test_day_page_by_room_and_by_staff_with_bounded_queries(week, director, client_for, site, facilitator, track):
    client = client_for(director)
    url = reverse("scheduling:day")
    client.get(url, {"date": "2026-03-02"})

    def count(view: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(url, {"date": "2026-03-02", "view": view}).content.decode()
        assert "cal-grid" in body
        return len(ctx.captured_queries)

    rooms = count("rooms")
    assert count("staff") == rooms
    for hour in (12, 13, 14):
        make_session(site=site, facilitator=facilitator, day=MON, start=time(hour), end=time(hour, 50),
                     tracks=[track], room=make_room(site, name=f"Room {hour}"))
    assert count("rooms") == rooms
