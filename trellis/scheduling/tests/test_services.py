"""Series, occurrences, conflicts, closures, appointments and rosters (database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from trellis.core.errors import DomainError
from trellis.scheduling import services
from trellis.scheduling.models import RosterChange, Session, SessionSeries, SessionStatus
from trellis.scheduling.selectors import roster_for_session
from trellis.scheduling.testing import make_room, make_session

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def now(time_machine):  # noqa: ANN001, ANN201
    """Sunday 1 March 2026, 12:00 New York (17:00 UTC)."""
    time_machine.move_to(utc(2026, 3, 1, 17, 0), tick=False)
    return time_machine


def series(site, facilitator, track=None, **kw):  # noqa: ANN001, ANN201
    data = dict(
        user=facilitator, site=site, title="DBT skills", service_type="skills_group",
        weekdays=[0, 2, 4], start_time=time(9, 0), end_time=time(10, 30), starts_on=date(2026, 3, 2),
        facilitator=facilitator, horizon_days=20,
    )
    if track is not None:
        data.update(program=track.program, tracks=[track])
    data.update(kw)
    return services.create_series(**data)


# --- generation and DST -------------------------------------------------------------------------


def test_series_generates_occurrences_across_spring_forward(now, site, facilitator, track):
    s = series(site, facilitator, track, weekdays=[0, 1, 2, 3, 4])
    sessions = list(Session.objects.filter(series=s).order_by("starts_at"))
    # 1 Mar + 20 days horizon = through 21 Mar: 15 weekdays from Mon 2 Mar
    assert len(sessions) == 15
    assert {x.starts_at.astimezone(NY).time() for x in sessions} == {time(9, 0)}
    before = next(x for x in sessions if x.local_date == date(2026, 3, 6))
    after = next(x for x in sessions if x.local_date == date(2026, 3, 9))
    assert before.starts_at == utc(2026, 3, 6, 14, 0)  # EST
    assert after.starts_at == utc(2026, 3, 9, 13, 0)  # EDT
    assert all(x.minutes == 90 for x in sessions)
    assert list(sessions[0].tracks.all()) == [track]
    assert s.generated_through == date(2026, 3, 21)


def test_fall_back_week(time_machine, site, facilitator, track):
    time_machine.move_to(utc(2026, 10, 20, 12), tick=False)
    s = series(site, facilitator, track, weekdays=[0, 4], starts_on=date(2026, 10, 26), horizon_days=20)
    by_day = {x.local_date: x for x in Session.objects.filter(series=s)}
    assert by_day[date(2026, 10, 30)].starts_at == utc(2026, 10, 30, 13, 0)  # EDT
    assert by_day[date(2026, 11, 2)].starts_at == utc(2026, 11, 2, 14, 0)  # EST after 1 Nov
    assert {x.starts_at.astimezone(NY).hour for x in by_day.values()} == {9}


def test_generation_is_idempotent_and_extends_the_horizon(now, site, facilitator, track):
    s = series(site, facilitator, track)
    count = Session.objects.filter(series=s).count()
    again = services.generate_occurrences(series=s, through=s.generated_through)
    assert again.created == []
    assert Session.objects.filter(series=s).count() == count
    more = services.generate_occurrences(series=s, through=s.generated_through + timedelta(days=7))
    assert len(more.created) == 3
    assert Session.objects.filter(series=s).count() == count + 3
    assert services.extend_horizons(through=s.generated_through)["created"] == 0


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"start_time": time(10, 30), "end_time": time(9, 0)}, "end_time", "end after it starts"),
        ({"start_time": time(9, 0), "end_time": time(9, 0)}, "end_time", "end after it starts"),
        ({"start_time": time(6, 0), "end_time": time(7, 30)}, "start_time", "open 07:00–21:00"),
        ({"start_time": time(20, 0), "end_time": time(21, 30)}, "end_time", "open 07:00–21:00"),
        ({"starts_on": date(2026, 2, 27)}, "starts_on", "past"),
        ({"weekdays": []}, "weekdays", "at least one day"),
        ({"ends_on": date(2026, 3, 1)}, "end_date", "end on or after"),
    ],
)
def test_bad_series_input_is_refused_and_nothing_saved(now, site, facilitator, track, overrides, field, fragment):
    with pytest.raises(DomainError) as exc:
        series(site, facilitator, track, **overrides)
    assert exc.value.field == field
    assert fragment in exc.value.message
    assert SessionSeries.objects.count() == 0
    assert Session.objects.count() == 0


def test_tracks_must_belong_to_program(now, site, facilitator, track, program):
    from trellis.scheduling.testing import make_program, make_track

    other = make_track(make_program(site, name="Other"), name="X")
    with pytest.raises(DomainError, match="track"):
        series(site, facilitator, program=program, tracks=[other])


# --- conflicts --------------------------------------------------------------------------------------


def test_facilitator_double_booking_names_the_conflicting_session(now, site, facilitator, track):
    series(site, facilitator, track, title="Morning process group")
    with pytest.raises(DomainError) as exc:
        series(site, facilitator, track, title="Mindfulness", start_time=time(10, 0), end_time=time(11, 0),
               weekdays=[2])
    assert "Fran Facilitator is already booked for “Morning process group” on Wed Mar 04 09:00–10:30" in exc.value.message
    assert exc.value.field == "facilitator"
    assert SessionSeries.objects.count() == 1


def test_co_facilitator_conflict(now, site, facilitator, therapist, track):
    series(site, facilitator, track, co_facilitator=therapist)
    with pytest.raises(DomainError, match="Theo Therapist is already booked"):
        series(site, therapist, track, title="Other", weekdays=[0])


def test_room_conflict_and_back_to_back_allowed(now, site, facilitator, therapist, track, room):
    series(site, facilitator, track, room=room)
    with pytest.raises(DomainError) as exc:
        series(site, therapist, track, title="Other", room=room, start_time=time(10, 0), end_time=time(11, 0))
    assert exc.value.field == "room"
    assert "The room is already booked" in exc.value.message
    series(site, therapist, track, title="Back to back", room=room, start_time=time(10, 30), end_time=time(11, 30))


def test_cancelled_sessions_do_not_conflict(now, site, facilitator, track):
    s = series(site, facilitator, track, weekdays=[0])
    cancelled = list(Session.objects.filter(series=s))
    for occ in cancelled:
        services.cancel_session(session=occ, user=facilitator, reason="Staff training")
    replacement = series(site, facilitator, track, title="Replacement", weekdays=[0])
    booked = Session.objects.filter(series=replacement, status=SessionStatus.SCHEDULED)
    # The replacement takes exactly the cancelled slots: same facilitator, same days and times.
    assert sorted((o.local_date, o.starts_at) for o in booked) == sorted((o.local_date, o.starts_at) for o in cancelled)


# --- one occurrence: cancel, move, restaff ------------------------------------------------------------


def test_cancel_one_occurrence_leaves_series_and_is_not_regenerated(now, site, facilitator, track):
    s = series(site, facilitator, track)
    occ = Session.objects.get(series=s, local_date=date(2026, 3, 4))
    with pytest.raises(DomainError, match="reason"):
        services.cancel_session(session=occ, user=facilitator, reason="  ")
    services.cancel_session(session=occ, user=facilitator, reason="Facilitator out sick")
    occ.refresh_from_db()
    assert occ.status == SessionStatus.CANCELLED and occ.cancel_reason == "Facilitator out sick" and occ.detached
    services.generate_occurrences(series=s, through=s.generated_through)
    assert Session.objects.filter(series=s, occurrence_date=date(2026, 3, 4)).count() == 1
    with pytest.raises(DomainError, match="already cancelled"):
        services.cancel_session(session=occ, user=facilitator, reason="again")


def test_move_one_occurrence(now, site, facilitator, therapist, track):
    s = series(site, facilitator, track)
    occ = Session.objects.get(series=s, local_date=date(2026, 3, 4))
    moved = services.move_session(session=occ, user=facilitator, local_date=date(2026, 3, 5), start_time=time(13, 0),
                                  end_time=time(14, 30))
    assert moved.local_date == date(2026, 3, 5)
    assert moved.starts_at == utc(2026, 3, 5, 18, 0)
    assert moved.moved_from == utc(2026, 3, 4, 14, 0)
    assert moved.occurrence_date == date(2026, 3, 4)
    services.generate_occurrences(series=s, through=s.generated_through)
    assert not Session.objects.filter(series=s, local_date=date(2026, 3, 4)).exists()
    # moving onto another of the facilitator's sessions is refused
    with pytest.raises(DomainError, match="already booked"):
        services.move_session(session=moved, user=facilitator, local_date=date(2026, 3, 6), start_time=time(9, 0),
                              end_time=time(10, 0))
    with pytest.raises(DomainError, match="past"):
        services.move_session(session=moved, user=facilitator, local_date=date(2026, 2, 27), start_time=time(9, 0),
                              end_time=time(10, 0))
    with pytest.raises(DomainError, match="open 07:00"):
        services.move_session(session=moved, user=facilitator, local_date=date(2026, 3, 6), start_time=time(22, 0),
                              end_time=time(23, 0))


def test_restaff_one_occurrence_with_substitute(now, site, facilitator, therapist, track):
    s = series(site, facilitator, track)
    occ = Session.objects.get(series=s, local_date=date(2026, 3, 4))
    services.restaff_session(session=occ, user=facilitator, facilitator=therapist, reason="Coverage")
    occ.refresh_from_db()
    assert occ.facilitator == therapist and occ.substitute_reason == "Coverage" and occ.detached
    # the series and the other occurrences are untouched
    assert Session.objects.filter(series=s, facilitator=facilitator).count() == Session.objects.filter(series=s).count() - 1
    other = Session.objects.get(series=s, local_date=date(2026, 3, 6))
    make_session(site=site, facilitator=therapist, day=date(2026, 3, 6), start=time(9, 30), end=time(10, 0),
                 title="Therapist's own")
    with pytest.raises(DomainError, match="Theo Therapist is already booked for “Therapist's own”"):
        services.restaff_session(session=other, user=facilitator, facilitator=therapist)


def test_update_series_moves_future_unchanged_occurrences_only(now, site, facilitator, track):
    s = series(site, facilitator, track)
    detached = Session.objects.get(series=s, local_date=date(2026, 3, 6))
    services.cancel_session(session=detached, user=facilitator, reason="Holiday party")
    services.update_series(series=s, user=facilitator, start_time=time(13, 0), end_time=time(14, 0), weekdays=[0, 2])
    times = {x.local_date: x for x in Session.objects.filter(series=s)}
    assert times[date(2026, 3, 4)].starts_at.astimezone(NY).time() == time(13, 0)
    assert times[date(2026, 3, 6)].starts_at.astimezone(NY).time() == time(9, 0)  # detached: unchanged
    assert date(2026, 3, 13) not in times  # Friday dropped from the pattern
    with pytest.raises(DomainError, match="end after it starts"):
        services.update_series(series=s, user=facilitator, start_time=time(14, 0), end_time=time(13, 0))


# --- closures ----------------------------------------------------------------------------------------


def test_closure_cancels_that_days_sessions_and_future_generation(now, site, other_site, facilitator, track, org):
    s = series(site, facilitator, track, horizon_days=5)
    services.create_closure(user=facilitator, organization=org, on=date(2026, 3, 4), reason="Snow day", site=site)
    occ = Session.objects.get(series=s, local_date=date(2026, 3, 4))
    assert occ.status == SessionStatus.CANCELLED and occ.cancel_reason == "Snow day" and occ.closure is not None
    services.create_closure(user=facilitator, organization=org, on=date(2026, 3, 20), reason="Staff retreat")
    services.generate_occurrences(series=s, through=date(2026, 3, 21))
    later = Session.objects.get(series=s, local_date=date(2026, 3, 20))
    assert later.status == SessionStatus.CANCELLED and later.cancel_reason == "Staff retreat"
    with pytest.raises(DomainError, match="already on the calendar"):
        services.create_closure(user=facilitator, organization=org, on=date(2026, 3, 20), reason="dup", site=site)
    with pytest.raises(DomainError, match="reason"):
        services.create_closure(user=facilitator, organization=org, on=date(2026, 3, 21), reason="")


# --- appointments ------------------------------------------------------------------------------------


def test_book_individual_appointment(now, site, therapist, track, enroll):
    (ep,) = enroll(track)
    appt = services.book_appointment(user=therapist, episode=ep, service_type="individual_therapy",
                                     local_date=date(2026, 3, 3), start_time=time(11, 0), end_time=time(11, 53),
                                     facilitator=therapist)
    assert appt.episode == ep and appt.title == "Individual therapy" and appt.minutes == 53
    assert [m.episode for m in roster_for_session(appt)] == [ep]
    with pytest.raises(DomainError, match="Theo Therapist is already booked"):
        services.book_appointment(user=therapist, episode=ep, service_type="family_therapy",
                                  local_date=date(2026, 3, 3), start_time=time(11, 30), end_time=time(12, 0),
                                  facilitator=therapist)


def test_appointment_refused_without_active_episode_or_in_past(now, site, therapist, track, enroll):
    (ep,) = enroll(track, admitted_on=date(2026, 3, 10))
    with pytest.raises(DomainError, match="no active episode"):
        services.book_appointment(user=therapist, episode=ep, service_type="individual_therapy",
                                  local_date=date(2026, 3, 3), start_time=time(11, 0), end_time=time(12, 0),
                                  facilitator=therapist)
    (ep2,) = enroll(track, first="Other")
    with pytest.raises(DomainError, match="past"):
        services.book_appointment(user=therapist, episode=ep2, service_type="individual_therapy",
                                  local_date=date(2026, 2, 27), start_time=time(11, 0), end_time=time(12, 0),
                                  facilitator=therapist)
    assert Session.objects.count() == 0


# --- rosters -------------------------------------------------------------------------------------------


def test_roster_is_derived_from_track_members_active_that_day(now, site, facilitator, track, enroll):
    active = enroll(track, 2)
    (late_admit,) = enroll(track, admitted_on=date(2026, 3, 5), first="Late")
    (discharged,) = enroll(track, admitted_on=date(2026, 1, 5), discharged_on=date(2026, 3, 3), first="Gone")
    s = series(site, facilitator, track)
    wed = Session.objects.get(series=s, local_date=date(2026, 3, 4))
    fri = Session.objects.get(series=s, local_date=date(2026, 3, 6))
    mon = Session.objects.get(series=s, local_date=date(2026, 3, 2))
    assert {m.episode for m in roster_for_session(wed)} == set(active)
    assert {m.episode for m in roster_for_session(fri)} == {*active, late_admit}
    assert {m.episode for m in roster_for_session(mon)} == {*active, discharged}


def test_add_and_excuse_one_occurrence(now, site, facilitator, track, program, enroll):
    from trellis.scheduling.testing import make_track

    members = enroll(track, 2)
    (visitor,) = enroll(make_track(program, name="Trauma"), first="Visitor")
    s = series(site, facilitator, track)
    wed = Session.objects.get(series=s, local_date=date(2026, 3, 4))
    services.add_to_roster(session=wed, episode=visitor, user=facilitator, reason="Make-up group")
    services.excuse_from_roster(session=wed, episode=members[0], user=facilitator, reason="Court date")
    roster = roster_for_session(wed)
    assert {m.episode for m in roster} == {members[1], visitor}
    assert [m.episode for m in roster.excused] == [members[0]]
    fri = Session.objects.get(series=s, local_date=date(2026, 3, 6))
    assert {m.episode for m in roster_for_session(fri)} == set(members)  # only that occurrence changed
    with pytest.raises(DomainError, match="already on"):
        services.add_to_roster(session=wed, episode=visitor, user=facilitator)
    with pytest.raises(DomainError, match="reason"):
        services.excuse_from_roster(session=wed, episode=members[1], user=facilitator, reason="")


def test_roster_add_refused_without_active_episode(now, site, facilitator, track, enroll):
    (future,) = enroll(track, admitted_on=date(2026, 3, 10))
    s = series(site, facilitator, track)
    wed = Session.objects.get(series=s, local_date=date(2026, 3, 4))
    with pytest.raises(DomainError, match="no active episode"):
        services.add_to_roster(session=wed, episode=future, user=facilitator)
    assert RosterChange.objects.count() == 0


def test_roster_add_refused_for_other_site(now, site, other_site, facilitator, track, enroll):
    from trellis.scheduling.testing import make_program, make_track

    far_track = make_track(make_program(other_site, name="Far IOP"))
    (far,) = enroll(far_track)
    s = series(site, facilitator, track)
    wed = Session.objects.get(series=s, local_date=date(2026, 3, 4))
    with pytest.raises(DomainError, match="another site"):
        services.add_to_roster(session=wed, episode=far, user=facilitator)


def test_capacity_is_enforced_on_add(now, site, facilitator, track, program, enroll):
    from trellis.scheduling.testing import make_track

    small = make_room(site, name="Small", capacity=2)
    enroll(track, 2)
    (extra,) = enroll(make_track(program, name="Trauma"), first="Extra")
    s = series(site, facilitator, track, room=small)
    wed = Session.objects.get(series=s, local_date=date(2026, 3, 4))
    with pytest.raises(DomainError, match=r"full \(2 seats\)"):
        services.add_to_roster(session=wed, episode=extra, user=facilitator)


def test_extend_horizons_skips_conflicting_dates(now, site, facilitator, track):
    s = series(site, facilitator, track, weekdays=[0], horizon_days=7)
    make_session(site=site, facilitator=facilitator, day=date(2026, 3, 16), start=time(9, 0), end=time(9, 30),
                 title="Blocking")
    result = services.generate_occurrences(series=s, through=date(2026, 3, 23), on_conflict="skip")
    assert [d for d, _ in result.skipped_conflicts] == [date(2026, 3, 16)]
    assert [x.local_date for x in result.created] == [date(2026, 3, 9), date(2026, 3, 23)]


def test_feed_tokens_store_only_a_hash(site, facilitator):
    token, secret = services.create_feed_token(user=facilitator, label="Phone")
    assert secret not in token.token_hash and len(secret) >= 40
    from trellis.scheduling.selectors import find_feed_token

    assert find_feed_token(secret) == token
    services.revoke_feed_token(token=token, user=facilitator)
    assert find_feed_token(secret) is None


def test_extend_schedule_command(now, site, facilitator, track):
    from io import StringIO

    from django.core.management import call_command

    s = series(site, facilitator, track, horizon_days=7)
    out = StringIO()
    call_command("extend_schedule", "--days", "21", stdout=out)
    assert "Created 6 sessions" in out.getvalue()
    s.refresh_from_db()
    assert s.generated_through == date(2026, 3, 22)
    call_command("extend_schedule", "--days", "21", stdout=out)
    assert "Created 0 sessions" in out.getvalue()
