"""Today's note counters are COUNT queries that equal the worklist they link to."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from trellis.core.registry import TodayContext
from trellis.documentation import selectors, services
from trellis.documentation.tests.conftest import SHARED_OK, participant_ok

pytestmark = pytest.mark.django_db


def test_note_counters_equal_the_worklist_and_build_no_list(make_group, facilitator, supervised, site, track):
    make_group(attended=3)  # missing note
    g = make_group(attended=2)
    services.start_note(session=g.session, user=facilitator)  # draft
    signed = make_group(attended=2)
    note = services.start_note(session=signed.session, user=facilitator)
    parts = {str(p.public_id): participant_ok() for p in note.participants.all()}
    services.save_and_sign(note=note, user=facilitator, expected_version=note.version, shared=SHARED_OK,
                           participants=parts)  # signed: not on the list
    make_group(attended=2, by=supervised)  # someone else's session: not on Fran's list
    ctx = TodayContext(day=timezone.now().date(), sites=[site], active_site=site)

    def check() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            unsigned, to_cosign = (c.value for c in selectors.today_counters(facilitator, ctx))
        sql = [q["sql"].upper() for q in queries.captured_queries]
        assert any("COUNT(" in q for q in sql) and not any("PATIENTS_PATIENT" in q for q in sql)  # no list built
        work = selectors.worklist(user=facilitator, sites=[site])
        assert (unsigned, to_cosign) == (len(work.unsigned), len(work.to_cosign))
        return unsigned, len(queries)

    unsigned, small = check()
    assert unsigned == 2
    make_group(attended=6)
    assert check() == (3, small)
