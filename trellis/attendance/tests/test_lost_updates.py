"""Two people marking the same session: nobody's change is silently reverted by someone else's stale copy.

The whole-session form writes only the rows its user changed, and each row carries the version it showed;
the single-record correction carries the record's version. A stale write of a changed record is refused with
409 and names the rows (as notes do), and saves nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest
from django.urls import reverse

from trellis.attendance.models import Attendance
from trellis.scheduling.testing import make_session

pytestmark = pytest.mark.django_db
WED = date(2026, 3, 4)


@pytest.fixture
def now(time_machine):  # noqa: ANN001, ANN201
    time_machine.move_to(datetime(2026, 3, 4, 16, tzinfo=UTC), tick=False)  # Wed 11:00 New York


@pytest.fixture
def group(now, site, facilitator, track, enroll):  # noqa: ANN001, ANN201
    members = enroll(track, 3)
    session = make_session(site=site, facilitator=facilitator, day=WED, start=time(9), end=time(10, 30),
                           tracks=[track], title="Morning process group")
    return session, members


@pytest.fixture
def colleague(make_staff):  # noqa: ANN001, ANN201
    return make_staff("group_facilitator")


def sheet_url(session) -> str:  # noqa: ANN001
    return reverse("attendance:mark", kwargs={"session_id": session.public_id})


def form_of(response) -> dict[str, str]:  # noqa: ANN001
    """The sheet as a browser would submit it untouched: every row's status/times and hidden baseline."""
    body = response.content.decode()
    data: dict[str, str] = {}
    for name, value in re.findall(r'<input type="(?:hidden|time|text)"[^>]*name="([^"]+)" value="([^"]*)"', body):
        data[name] = value
    for name, inner in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', inner)
        data[name] = chosen.group(1) if chosen else ""
    data.pop("csrfmiddlewaretoken", None)
    return data


def test_a_stale_whole_session_form_does_not_revert_another_users_row(group, facilitator, colleague, client_for):
    session, (a, b, _c) = group
    mine, theirs = client_for(facilitator), client_for(colleague)
    mine.post(sheet_url(session), {f"status-{a.public_id}": "present", f"status-{b.public_id}": "present"})
    stale = form_of(theirs.get(sheet_url(session)))  # the colleague opens the sheet: both present
    assert stale[f"status-{a.public_id}"] == "present"

    # I correct patient A to "late"; then the colleague, from the copy opened before, changes only patient B.
    mine.post(sheet_url(session), {**form_of(mine.get(sheet_url(session))), f"status-{a.public_id}": "late",
                                   f"arrived-{a.public_id}": "09:20"})
    response = theirs.post(sheet_url(session), {**stale, f"status-{b.public_id}": "absent_excused",
                                                f"reason-{b.public_id}": "Sick"})

    assert response.status_code == 302
    rows = {att.episode_id: att for att in Attendance.objects.filter(session=session)}
    assert rows[a.pk].status == "late" and rows[a.pk].minutes == 70  # my change survived
    assert rows[b.pk].status == "absent_excused"  # theirs was applied


def test_a_stale_edit_of_the_same_row_is_a_409_naming_the_row_and_saves_nothing(
    group, facilitator, colleague, client_for
):
    session, (a, b, _c) = group
    mine, theirs = client_for(facilitator), client_for(colleague)
    mine.post(sheet_url(session), {f"status-{a.public_id}": "present", f"status-{b.public_id}": "present"})
    stale = form_of(theirs.get(sheet_url(session)))
    mine.post(sheet_url(session), {**form_of(mine.get(sheet_url(session))), f"status-{a.public_id}": "late",
                                   f"arrived-{a.public_id}": "09:20"})

    response = theirs.post(sheet_url(session), {**stale, f"status-{a.public_id}": "absent_unexcused",
                                                f"status-{b.public_id}": "absent_excused"})

    assert response.status_code == 409
    body = response.content.decode()
    assert "changed this row" in body and "nothing was saved" in body
    rows = {att.episode_id: att for att in Attendance.objects.filter(session=session)}
    assert rows[a.pk].status == "late" and rows[b.pk].status == "present"  # nothing of the stale copy saved
    # The refused sheet now shows patient A as it is, so saving again does not need re-typing B.
    again = form_of(response)
    assert again[f"status-{a.public_id}"] == "late" and again[f"status-{b.public_id}"] == "absent_excused"
    assert theirs.post(sheet_url(session), again).status_code == 302
    assert Attendance.objects.get(session=session, episode=b).status == "absent_excused"
    assert Attendance.objects.get(session=session, episode=a).status == "late"


def test_an_untouched_resubmission_writes_nothing(group, facilitator, client_for):
    session, (a, _b, _c) = group
    c = client_for(facilitator)
    c.post(sheet_url(session), {f"status-{a.public_id}": "present"})
    before = Attendance.objects.get(session=session, episode=a)
    response = c.post(sheet_url(session), form_of(c.get(sheet_url(session))))
    assert response.status_code == 400 and "No changes to save" in response.content.decode()
    after = Attendance.objects.get(session=session, episode=a)
    assert (after.version, after.marked_at) == (before.version, before.marked_at)


def test_a_stale_single_record_correction_is_refused(group, facilitator, colleague, client_for):
    session, (a, _b, _c) = group
    mine, theirs = client_for(facilitator), client_for(colleague)
    mine.post(sheet_url(session), {f"status-{a.public_id}": "present"})
    att = Attendance.objects.get(session=session, episode=a)
    correct_url = reverse("attendance:correct", kwargs={"record_id": att.public_id})
    stale = form_of(theirs.get(correct_url))
    assert stale["version"] == str(att.version)

    assert mine.post(correct_url, {**form_of(mine.get(correct_url)), "status": "late", "arrived_at": "09:20",
                                   "reason": "Arrived late, typo"}).status_code == 302
    response = theirs.post(correct_url, {**stale, "status": "absent_unexcused", "reason": "Not here"})

    assert response.status_code == 409
    assert "changed after you opened it" in response.content.decode()
    att.refresh_from_db()
    assert att.status == "late" and att.minutes == 70
