"""Time-grid layout for the calendar (pure: works on CalendarDay/CalendarEntry objects, no queries).

A week is days as columns; a day is rooms (or staff) as columns. Rows are 15-minute slots between the
earliest start and the latest end shown, rounded out to whole hours, so the page height follows the
schedule instead of a fixed 24-hour day."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_START = 8 * 60
DEFAULT_END = 18 * 60


@dataclass
class GridEvent:
    entry: Any
    start: str  # "HH:MM" site-local
    end: str


@dataclass
class GridColumn:
    key: str
    label: str
    events: list[GridEvent] = field(default_factory=list)
    is_today: bool = False
    date: Any = None


@dataclass
class Grid:
    columns: list[GridColumn]
    start_minute: int
    end_minute: int

    @property
    def start(self) -> str:
        return f"{self.start_minute // 60:02d}:00"

    @property
    def end(self) -> str:
        return f"{self.end_minute // 60:02d}:00"

    @property
    def hours(self) -> list[str]:
        return [f"{h:02d}:00" for h in range(self.start_minute // 60, self.end_minute // 60)]


def _event(entry: Any) -> tuple[GridEvent, int, int]:
    session = entry.session
    start, end = session.local_start, session.local_end
    s = start.hour * 60 + start.minute
    e = 24 * 60 if end.date() > start.date() else end.hour * 60 + end.minute  # past midnight: clip to the day
    end_label = "24:00" if e == 24 * 60 else f"{end:%H:%M}"
    return GridEvent(entry, f"{start:%H:%M}", end_label), s, max(e, s + 15)


def _bounds(minutes: list[tuple[int, int]]) -> tuple[int, int]:
    if not minutes:
        return DEFAULT_START, DEFAULT_END
    first = min(s for s, _ in minutes) // 60 * 60
    last = -(-max(e for _, e in minutes) // 60) * 60
    return min(first, DEFAULT_START), max(last, first + 60)


def week_grid(days: list[Any], today: Any) -> Grid:
    columns, spans = [], []
    for day in days:
        column = GridColumn(key=day.date.isoformat(), label="", is_today=day.date == today, date=day.date)
        for entry in day.entries:
            event, s, e = _event(entry)
            column.events.append(event)
            spans.append((s, e))
        columns.append(column)
    start, end = _bounds(spans)
    return Grid(columns, start, end)


def day_grid(day: Any, *, by: str = "room") -> Grid:
    """One day with a column per room (``by="room"``) or per facilitator (``by="staff"``), in name order."""
    columns: dict[str, GridColumn] = {}
    spans = []
    for entry in day.entries:
        session = entry.session
        if by == "staff":
            key, label = str(session.facilitator_id), session.facilitator.display_name
        elif session.room_id:
            key, label = str(session.room_id), session.room.name
        else:
            key, label = "none", "No room (telehealth or off-site)"
        column = columns.setdefault(key, GridColumn(key=key, label=label, date=day.date))
        event, s, e = _event(entry)
        column.events.append(event)
        spans.append((s, e))
    start, end = _bounds(spans)
    ordered = sorted(columns.values(), key=lambda c: (c.key == "none", c.label.lower()))
    return Grid(ordered, start, end)
