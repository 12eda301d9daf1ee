"""Break minutes on series and sessions (counted minutes, issue 11 part 8): stored, copied to occurrences,
followed by series edits, refused when they leave no treatment time; the counted flag is seeded data."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from trellis.core.errors import DomainError
from trellis.scheduling import services
from trellis.scheduling.models import ServiceTypeHours, Session
from trellis.scheduling.selectors import counts_toward_hours

pytestmark = pytest.mark.django_db


@pytest.fixture
def now(time_machine):
    time_machine.move_to(datetime(2026, 3, 1, 17, tzinfo=UTC), tick=False)


def _series(site, facilitator, track, **kw):
    data = dict(user=facilitator, site=site, title="PHP morning block", service_type="group_psychotherapy",
                weekdays=[0, 2], start_time=time(9), end_time=time(12), starts_on=date(2026, 3, 2),
                facilitator=facilitator, program=track.program, tracks=[track], horizon_days=10)
    data.update(kw)
    return services.create_series(**data)


def test_series_break_is_copied_to_occurrences_and_follows_edits(now, site, facilitator, track):
    s = _series(site, facilitator, track, break_minutes=20)
    assert set(Session.objects.filter(series=s).values_list("break_minutes", flat=True)) == {20}
    services.update_series(series=s, user=facilitator, break_minutes=30)
    assert set(Session.objects.filter(series=s).values_list("break_minutes", flat=True)) == {30}


def test_a_break_as_long_as_the_session_is_refused(now, site, facilitator, track):
    with pytest.raises(DomainError, match="shorten the break") as err:
        _series(site, facilitator, track, break_minutes=180)
    assert err.value.field == "break_minutes"
    with pytest.raises(DomainError, match="shorten the break"):
        services.create_session(user=facilitator, site=site, title="Workshop", service_type="psychoeducation",
                                local_date=date(2026, 3, 3), start_time=time(9), end_time=time(10),
                                facilitator=facilitator, break_minutes=60)


def test_counted_flags_are_seeded_and_editable_data():
    flags = counts_toward_hours()
    assert flags["group_psychotherapy"] and flags["family_therapy"] and flags["occupational_therapy"]
    assert not flags["meal"] and not flags["transport"] and not flags["medication_management"]
    assert all(row.source for row in ServiceTypeHours.objects.all())
    ServiceTypeHours.objects.filter(service_type="nursing_check_in").update(counts_toward_hours=True)
    assert counts_toward_hours()["nursing_check_in"]
