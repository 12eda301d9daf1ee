"""Scheduling pages: allowed/denied pairs, bad input shown next to the field, query counts, iCal feed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.urls import reverse

from trellis.audit.models import AuditEvent
from trellis.scheduling import services
from trellis.scheduling.models import FeedToken, RosterChange, Session, SessionSeries, SessionStatus
from trellis.scheduling.testing import make_room, make_track

pytestmark = pytest.mark.django_db
WED = date(2026, 3, 4)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(datetime(2026, 3, 4, 16, tzinfo=UTC), tick=False)  # Wed 11:00 New York


@pytest.fixture
def schedule(now, site, facilitator, track, room, enroll):
    members = enroll(track, 3)
    series = services.create_series(
        user=facilitator, site=site, program=track.program, tracks=[track], title="Morning process group",
        service_type="group_psychotherapy", weekdays=[0, 2, 4], start_time=time(9), end_time=time(10, 30),
        starts_on=date(2026, 3, 2), facilitator=facilitator, room=room, horizon_days=14, allow_past=True,
    )
    return series, members


def test_week_calendar_shows_sessions_and_counts(schedule, director, client_for):
    response = client_for(director).get(reverse("scheduling:week"), {"date": "2026-03-04"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Morning process group" in body
    assert "3/10 patients" in body
    assert "2026-W10" in body


def test_week_calendar_filters_by_staff_and_track(schedule, director, therapist, client_for, program):
    other = make_track(program, name="Trauma")
    c = client_for(director)
    assert "Morning process group" not in c.get(reverse("scheduling:week"), {"staff": therapist.public_id}).content.decode()
    assert "Morning process group" not in c.get(reverse("scheduling:week"), {"track": other.public_id}).content.decode()
    assert "Morning process group" in c.get(reverse("scheduling:week"), {"track": schedule[0].tracks.first().public_id}).content.decode()


def test_other_site_staff_see_nothing_and_get_404_for_a_session(schedule, make_staff, other_site, client_for):
    outsider = make_staff("program_director", at=other_site)
    c = client_for(outsider)
    assert "Morning process group" not in c.get(reverse("scheduling:week"), {"date": "2026-03-04"}).content.decode()
    session = Session.objects.filter(series=schedule[0]).first()
    assert c.get(reverse("scheduling:session", kwargs={"session_id": session.public_id})).status_code == 404
    assert AuditEvent.objects.filter(actor=outsider, action="denied").exists()


def test_anonymous_is_sent_to_sign_in(client, schedule):
    response = client.get(reverse("scheduling:week"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_group_facilitator_cannot_create_series(schedule, facilitator, client_for):
    assert client_for(facilitator).get(reverse("scheduling:series_create")).status_code == 403


def series_post(track, facilitator, room, **overrides):
    data = {
        "program": track.program.pk, "tracks": [track.pk], "title": "Relapse prevention", "topic": "",
        "service_type": "psychoeducation", "modality": "in_person", "weekdays": ["1", "3"], "start_time": "13:00",
        "end_time": "14:00", "starts_on": "2026-03-05", "ends_on": "", "facilitator": facilitator.pk,
        "co_facilitator": "", "room": room.pk, "capacity": "",
    }
    data.update(overrides)
    return data


def test_create_series_from_the_form(schedule, director, facilitator, track, room, client_for):
    response = client_for(director).post(reverse("scheduling:series_create"), series_post(track, facilitator, room))
    assert response.status_code == 302
    series = SessionSeries.objects.get(title="Relapse prevention")
    assert series.sessions.count() > 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end_time": "12:00"}, "The session must end after it starts."),
        ({"start_time": "21:00", "end_time": "22:00"}, "must fit inside those hours"),
        ({"starts_on": "2026-03-01"}, "cannot start in the past"),
        ({"start_time": "09:30", "end_time": "10:00", "weekdays": ["0"]}, "is already booked for"),
    ],
)
def test_bad_series_input_is_shown_and_nothing_saved(schedule, director, facilitator, track, room, client_for,
                                                      overrides, message):
    before = Session.objects.count()
    response = client_for(director).post(reverse("scheduling:series_create"),
                                         series_post(track, facilitator, room, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SessionSeries.objects.filter(title="Relapse prevention").exists()
    assert Session.objects.count() == before


def test_edit_series_changes_future_occurrences(schedule, director, facilitator, track, room, client_for):
    series, _ = schedule
    url = reverse("scheduling:series_edit", kwargs={"series_id": series.public_id})
    c = client_for(director)
    assert c.get(url).status_code == 200
    data = series_post(track, facilitator, room, title="Renamed", weekdays=["0", "2", "4"], start_time="09:00",
                       end_time="10:30", starts_on="2026-03-02", active="on", version=series.version)
    response = c.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Session.objects.get(series=series, local_date=date(2026, 3, 6)).title == "Renamed"
    assert Session.objects.get(series=series, local_date=date(2026, 3, 2)).title == "Morning process group"


def test_session_page_and_occurrence_actions(schedule, director, therapist, enroll, program, client_for):
    series, members = schedule
    session = Session.objects.get(series=series, local_date=date(2026, 3, 6))
    c = client_for(director)
    url = reverse("scheduling:session", kwargs={"session_id": session.public_id})
    body = c.get(url).content.decode()
    assert "Zed000, Pat000" in body and "Track member" in body
    # excuse one, add a visitor from another track
    (visitor,) = enroll(make_track(program, name="Trauma"), first="Visitor")
    assert c.post(reverse("scheduling:roster_excuse", kwargs={"session_id": session.public_id}),
                  {"episode": members[0].public_id, "reason": "Court"}).status_code == 302
    assert c.post(reverse("scheduling:roster_add", kwargs={"session_id": session.public_id}),
                  {"episode": visitor.pk, "reason": "Make-up"}).status_code == 302
    assert RosterChange.objects.count() == 2
    # restaff, move, cancel
    assert c.post(reverse("scheduling:session_restaff", kwargs={"session_id": session.public_id}),
                  {"facilitator": therapist.pk, "reason": "Coverage"}).status_code == 302
    assert c.post(reverse("scheduling:session_move", kwargs={"session_id": session.public_id}),
                  {"local_date": "2026-03-06", "start_time": "11:00", "end_time": "12:30"}).status_code == 302
    bad = c.post(reverse("scheduling:session_move", kwargs={"session_id": session.public_id}),
                 {"local_date": "2026-03-06", "start_time": "12:00", "end_time": "11:00"})
    assert bad.status_code == 400 and "must end after it starts" in bad.content.decode()
    assert c.post(reverse("scheduling:session_cancel", kwargs={"session_id": session.public_id}),
                  {"reason": ""}).status_code == 400
    assert c.post(reverse("scheduling:session_cancel", kwargs={"session_id": session.public_id}),
                  {"reason": "Fire drill"}).status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED and session.facilitator == therapist
    assert session.local_start.time() == time(11)


def test_roster_add_refused_for_patient_without_active_episode(schedule, director, enroll, program, client_for):
    series, _ = schedule
    session = Session.objects.get(series=series, local_date=date(2026, 3, 6))
    (later,) = enroll(make_track(program, name="Trauma"), admitted_on=date(2026, 3, 20))
    response = client_for(director).post(reverse("scheduling:roster_add", kwargs={"session_id": session.public_id}),
                                         {"episode": later.pk})
    assert response.status_code == 400
    assert "no active episode" in response.content.decode()
    assert RosterChange.objects.count() == 0


def test_day_view_and_printable_day_sheet(schedule, director, client_for):
    c = client_for(director)
    assert "Morning process group" in c.get(reverse("scheduling:day"), {"date": "2026-03-04"}).content.decode()
    sheet = c.get(reverse("scheduling:day_sheet"), {"date": "2026-03-04"})
    assert sheet.status_code == 200 and "Zed000, Pat000" in sheet.content.decode()
    assert AuditEvent.objects.filter(actor=director, action="print", object_type="day_sheet").exists()


def test_invalid_filter_does_not_500(schedule, director, client_for):
    response = client_for(director).get(reverse("scheduling:week"), {"date": "not-a-date", "site": "999", "staff": "1"})
    assert response.status_code == 200


def test_appointment_booking_page(schedule, director, therapist, client_for):
    _, members = schedule
    c = client_for(director)
    assert c.get(reverse("scheduling:appointment_create")).status_code == 200
    data = {"episode": members[0].pk, "service_type": "individual_therapy", "local_date": "2026-03-05",
            "start_time": "11:00", "end_time": "11:53", "facilitator": therapist.pk, "modality": "in_person"}
    assert c.post(reverse("scheduling:appointment_create"), data).status_code == 302
    again = c.post(reverse("scheduling:appointment_create"), data)
    assert "Theo Therapist is already booked" in again.content.decode()
    assert Session.objects.filter(episode=members[0]).count() == 1


def test_closures_page(schedule, director, client_for):
    c = client_for(director)
    response = c.post(reverse("scheduling:closures"), {"date": "2026-03-06", "reason": "Snow day"})
    assert response.status_code == 302
    assert Session.objects.get(series=schedule[0], local_date=date(2026, 3, 6)).cancel_reason == "Snow day"
    assert "Snow day" in c.get(reverse("scheduling:closures")).content.decode()


def test_ical_feed_has_no_patient_names_and_is_revocable(schedule, facilitator, therapist, client_for, client):
    series, members = schedule
    appointment = services.book_appointment(user=facilitator, episode=members[0], service_type="individual_therapy",
                                            local_date=date(2026, 3, 5), start_time=time(11), end_time=time(12),
                                            facilitator=facilitator)
    # Staff sometimes type a name into an appointment title: the feed shows the service type instead.
    type(appointment).objects.filter(pk=appointment.pk).update(title=f"Session with {members[0].patient.legal_last_name}")
    c = client_for(facilitator)
    page = c.post(reverse("scheduling:feeds"), {"label": "Phone"})
    body = page.content.decode()
    assert "/scheduling/ical/" in body
    url = body.split("/scheduling/ical/")[1].split(".ics")[0]
    assert c.get(reverse("scheduling:feeds")).context["tokens"][0].last_used_at is None
    feed = client.get(f"/scheduling/ical/{url}.ics")
    # The fetch wrote only its audit event, which is where the feeds page reads the link's last use.
    assert FeedToken.objects.get(user=facilitator).updated_at == FeedToken.objects.get(user=facilitator).created_at
    assert c.get(reverse("scheduling:feeds")).context["tokens"][0].last_used_at is not None
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    text = feed.content.decode()
    assert "BEGIN:VCALENDAR" in text and "Morning process group" in text
    assert "3 patients" in text
    assert f"Patient {members[0].patient.initials}" in text
    assert "SUMMARY:Individual therapy" in text
    for ep in members:
        assert ep.patient.legal_last_name not in text and ep.patient.legal_first_name not in text
    assert client.get("/scheduling/ical/not-a-real-token.ics").status_code == 404
    facilitator.is_active = False
    facilitator.save()
    assert client.get(f"/scheduling/ical/{url}.ics").status_code == 404  # deactivated staff: no feed
    facilitator.is_active = True
    facilitator.save()
    assert client.get(f"/scheduling/ical/{url}.ics").status_code == 200
    token = FeedToken.objects.get(user=facilitator)
    assert c.post(reverse("scheduling:feed_revoke", kwargs={"token_id": token.public_id})).status_code == 302
    assert client.get(f"/scheduling/ical/{url}.ics").status_code == 404
    # someone else cannot revoke it
    other = FeedToken.objects.create(user=therapist, token_hash="x" * 64)
    assert c.post(reverse("scheduling:feed_revoke", kwargs={"token_id": other.public_id})).status_code == 404


def _grow(site, facilitator_factory, track_factory, enroll, n_series: int, n_patients: int) -> None:
    for i in range(n_series):
        track = track_factory(i)
        enroll(track, n_patients)
        fac = facilitator_factory(i)
        services.create_series(
            user=fac, site=site, program=track.program, tracks=[track], title=f"Group {i}",
            service_type="skills_group", weekdays=[0, 1, 2, 3, 4], start_time=time(9 + i % 8),
            end_time=time(10 + i % 8), starts_on=date(2026, 3, 2), facilitator=fac,
            room=make_room(site, name=f"R{i}"), horizon_days=10, allow_past=True,
        )


@pytest.mark.parametrize(("n_series", "n_patients"), [(1, 2), (6, 12)])
def test_week_calendar_query_count_is_constant(now, site, program, make_staff, enroll, director, client_for,
                                               django_assert_max_num_queries, n_series, n_patients):
    _grow(site, lambda i: make_staff("group_facilitator"), lambda i: make_track(program, name=f"T{i}"), enroll,
          n_series, n_patients)
    c = client_for(director)
    c.get(reverse("scheduling:week"))  # warm the session/MFA caches
    with django_assert_max_num_queries(14):
        response = c.get(reverse("scheduling:week"), {"date": "2026-03-04"})
    assert response.content.decode().count('class="cal-event ') >= n_series * 5


def test_week_calendar_kind_and_cancelled_filters(schedule, director, therapist, client_for):
    series, members = schedule
    services.book_appointment(user=director, episode=members[0], service_type="individual_therapy",
                              local_date=date(2026, 3, 5), start_time=time(11), end_time=time(11, 53),
                              facilitator=therapist)
    services.cancel_session(session=Session.objects.get(series=series, local_date=date(2026, 3, 6)), user=director,
                            reason="Fire drill")
    c = client_for(director)
    week = reverse("scheduling:week")
    everything = c.get(week, {"date": "2026-03-04"}).content.decode()
    assert "Fire drill" in everything and "Appointment · " in everything
    assert "Fire drill" not in c.get(week, {"date": "2026-03-04", "hide_cancelled": "on"}).content.decode()
    groups = c.get(week, {"date": "2026-03-04", "kind": "group"}).content.decode()
    assert "Appointment · " not in groups and "Morning process group" in groups
    appointments = c.get(week, {"date": "2026-03-04", "kind": "individual"}).content.decode()
    assert "Morning process group" not in appointments and "Appointment · " in appointments


def test_patient_schedule_filter(schedule, director, therapist, client_for, make_staff, other_site):
    series, members = schedule
    services.excuse_from_roster(session=Session.objects.get(series=series, local_date=date(2026, 3, 6)),
                                episode=members[0], user=director, reason="Court")
    c = client_for(director)
    body = c.get(reverse("scheduling:week"), {"date": "2026-03-04", "patient": members[0].patient.public_id}).content.decode()
    assert body.count('class="cal-event ') == 2  # Mon and Wed; excused from Friday
    assert AuditEvent.objects.filter(actor=director, action="read", patient=members[0].patient).exists()
    outsider = make_staff("program_director", at=other_site)
    response = client_for(outsider).get(reverse("scheduling:week"), {"patient": members[0].patient.public_id})
    assert response.status_code == 404


def test_one_off_session(schedule, director, facilitator, therapist, track, room, client_for):
    c = client_for(director)
    url = reverse("scheduling:session_create")
    assert c.get(url).status_code == 200
    data = {"program": track.program.pk, "tracks": [track.pk], "title": "Family night", "service_type": "psychoeducation",
            "modality": "in_person", "local_date": "2026-03-05", "start_time": "18:00", "end_time": "19:30",
            "facilitator": therapist.pk, "room": room.pk}
    assert c.post(url, data).status_code == 302
    session = Session.objects.get(title="Family night")
    assert session.series is None and list(session.tracks.all()) == [track]
    clash = c.post(url, {**data, "title": "Clash", "facilitator": facilitator.pk, "local_date": "2026-03-06",
                         "start_time": "10:00", "end_time": "11:00"})
    assert "already booked for “Morning process group”" in clash.content.decode()
    past = c.post(url, {**data, "title": "Past", "local_date": "2026-03-03"})
    assert "cannot be in the past" in past.content.decode()
    assert not Session.objects.filter(title__in=["Clash", "Past"]).exists()
    assert client_for(facilitator).get(url).status_code == 403


def test_appointment_over_the_patients_group_is_refused_until_excused(schedule, facilitator, therapist):
    from trellis.core.errors import DomainError
    from trellis.scheduling.models import Session

    series, members = schedule
    group = Session.objects.get(series=series, local_date=date(2026, 3, 4))
    with pytest.raises(DomainError, match="already scheduled for “Morning process group”"):
        services.book_appointment(user=therapist, episode=members[0], service_type="individual_therapy",
                                  local_date=date(2026, 3, 4), start_time=time(10), end_time=time(11),
                                  facilitator=therapist, allow_past=True)
    assert not Session.objects.filter(episode=members[0]).exists()
    services.excuse_from_roster(session=group, episode=members[0], user=facilitator, reason="Psychiatry consult")
    booked = services.book_appointment(user=therapist, episode=members[0], service_type="individual_therapy",
                                       local_date=date(2026, 3, 4), start_time=time(10), end_time=time(11),
                                       facilitator=therapist, allow_past=True)
    assert booked.episode == members[0]
