"""Program, track and room setup pages: allowed/denied pairs, bad input shown next to the field, and the old
/scheduling/setup/ paths redirecting to their new home."""

from __future__ import annotations

import pytest
from django.urls import reverse

from trellis.audit.models import AuditEvent
from trellis.programs.models import Program, Room, Track

pytestmark = pytest.mark.django_db


def make_program(site):
    return Program.objects.create(organization=site.organization, site=site, name="Adult IOP", level_of_care="iop")


def test_setup_pages_create_program_track_room(site, make_staff, client_for):
    c = client_for(make_staff("program_director"))
    assert c.get(reverse("programs:setup")).status_code == 200
    data = {"site": site.pk, "name": "Adult PHP", "level_of_care": "php", "population": "adult",
            "clinical_model": "DBT", "days_per_week": 5, "weekly_hours_min": "20", "weekly_hours_max": "30",
            "is_part2": "no", "plan_due_days": 7, "plan_review_days": 30, "note_deadline_hours": 24, "risk_screen_days": 7, "active": "on"}
    assert c.post(reverse("programs:program_create"), data).status_code == 302
    program = Program.objects.get(name="Adult PHP")
    dup = c.post(reverse("programs:program_create"), data)
    assert "already has a program with that name" in dup.content.decode()
    bad = c.post(reverse("programs:program_create"), {**data, "name": "X", "weekly_hours_min": "31"})
    assert "at least the minimum" in bad.content.decode()
    assert c.post(reverse("programs:track_create", kwargs={"program_id": program.public_id}),
                  {"name": "Trauma", "kind": "trauma", "active": "on"}).status_code == 302
    track = Track.objects.get(name="Trauma")
    assert c.post(reverse("programs:track_edit", kwargs={"track_id": track.public_id}),
                  {"name": "Trauma recovery", "kind": "trauma", "active": "on"}).status_code == 302
    assert c.post(reverse("programs:room_create"), {"site": site.pk, "name": "Oak", "capacity": 8,
                                                      "active": "on"}).status_code == 302
    room = Room.objects.get(name="Oak")
    assert c.post(reverse("programs:room_edit", kwargs={"room_id": room.public_id}),
                  {"name": "Oak", "capacity": 0, "active": "on"}).status_code == 200  # refused, shown in form


def test_setup_denied_for_therapist_and_other_site(site, other_site, make_staff, client_for):
    program = make_program(site)
    therapist = make_staff("therapist")
    assert client_for(therapist).get(reverse("programs:setup")).status_code == 403
    outsider = make_staff("program_director", at=other_site)
    url = reverse("programs:program_edit", kwargs={"program_id": program.public_id})
    assert client_for(outsider).get(url).status_code == 404


def test_setup_anonymous_is_sent_to_login(client):
    response = client.get(reverse("programs:setup"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_setup_writes_are_audited(site, make_staff, client_for):
    c = client_for(make_staff("program_director"))
    c.post(reverse("programs:room_create"), {"site": site.pk, "name": "Elm", "capacity": 6, "active": "on"})
    room = Room.objects.get(name="Elm")
    assert AuditEvent.objects.filter(action="create", object_type="room", object_id=str(room.public_id)).exists()


def test_old_scheduling_setup_paths_redirect_keeping_the_method(site, make_staff, client_for):
    program = make_program(site)
    c = client_for(make_staff("program_director"))
    old = c.get("/scheduling/setup/")
    assert old.status_code == 308
    assert old["Location"] == reverse("programs:setup")
    edit = c.get(f"/scheduling/setup/programs/{program.public_id}/?x=1")
    assert edit["Location"] == reverse("programs:program_edit", kwargs={"program_id": program.public_id}) + "?x=1"
    posted = c.post("/scheduling/setup/rooms/new/", {"site": site.pk, "name": "Ash", "capacity": 4}, follow=True)
    assert posted.status_code == 200
    assert Room.objects.filter(name="Ash").exists()
