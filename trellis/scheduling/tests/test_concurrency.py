"""Two users at once: the last seat and a facilitator's time are taken exactly once (PostgreSQL row locks).

Each thread uses its own database connection; a barrier releases both calls together. SQLite has no
row-level locking (one writer per database file), so these run on PostgreSQL only.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time

import pytest
from django.db import connection, connections

from trellis.core.errors import DomainError
from trellis.scheduling import services
from trellis.scheduling.models import RosterChange, Session
from trellis.scheduling.selectors import roster_for_session
from trellis.scheduling.testing import make_room, make_session, make_track

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks (SELECT ... FOR UPDATE); run with DATABASE_URL=postgres://...",
    ),
]


def race(*calls):
    """Run the callables in parallel threads, started together; return (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results: list = []
    errors: list = []
    lock = threading.Lock()

    def run(fn):
        try:
            barrier.wait(timeout=10)
            value = fn()
            with lock:
                results.append(value)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results, errors


@pytest.fixture
def future(time_machine):
    time_machine.move_to(datetime(2026, 3, 1, 17, tzinfo=UTC), tick=False)


@pytest.mark.parametrize("attempt", range(3))
def test_two_users_adding_the_last_seat_exactly_one_succeeds(future, site, facilitator, director, track, program,
                                                              enroll, attempt):
    room = make_room(site, name=f"Two seats {attempt}", capacity=2)
    enroll(track, 1)  # one seat taken by the track member
    other_track = make_track(program, name="Trauma")
    x, y = enroll(other_track, 2, first="Walk-in")
    session = make_session(site=site, facilitator=facilitator, day=date(2026, 3, 4), tracks=[track], room=room)

    results, errors = race(
        lambda: services.add_to_roster(session=session, episode=x, user=facilitator),
        lambda: services.add_to_roster(session=session, episode=y, user=director),
    )
    assert len(results) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], DomainError)
    assert "full (2 seats)" in errors[0].message
    assert RosterChange.objects.count() == 1
    assert len(roster_for_session(session)) == 2


@pytest.mark.parametrize("attempt", range(3))
def test_double_booking_a_facilitator_concurrently_exactly_one_succeeds(future, site, therapist, director, track,
                                                                        enroll, attempt):
    a, b = enroll(track, 2)

    def book(ep, start):
        return lambda: services.book_appointment(
            user=director, episode=ep, service_type="individual_therapy", local_date=date(2026, 3, 5),
            start_time=start, end_time=time(start.hour + 1, start.minute), facilitator=therapist,
        )

    results, errors = race(book(a, time(10, 0)), book(b, time(10, 30)))
    assert len(results) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], DomainError)
    assert "Theo Therapist is already booked" in errors[0].message
    assert Session.objects.filter(facilitator=therapist).count() == 1


def test_concurrent_series_creation_for_one_room_exactly_one_succeeds(future, site, facilitator, therapist, track):
    room = make_room(site, name="Contested")

    def create(user, title):
        return lambda: services.create_series(
            user=user, site=site, program=track.program, tracks=[track], title=title, service_type="skills_group",
            weekdays=[0, 2], start_time=time(9), end_time=time(10), starts_on=date(2026, 3, 2), facilitator=user,
            room=room, horizon_days=14,
        )

    results, errors = race(create(facilitator, "A"), create(therapist, "B"))
    assert len(results) == 1, errors
    assert "The room is already booked" in errors[0].message
