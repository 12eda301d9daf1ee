"""The demo's authorization plans cover every state and every review outcome (unsaved rows, no database)."""

from __future__ import annotations

import datetime as dt

from trellis.coverage import rules
from trellis.coverage.demo import _plan
from trellis.coverage.models import ClaimForm, Coverage, Payer, ReviewOutcome
from trellis.episodes.models import Episode
from trellis.programs.models import Program

TODAY = dt.date(2026, 3, 10)


def test_every_state_and_outcome_is_seeded():
    program = Program(level_of_care="iop", name="Adult IOP")
    cov = Coverage(payer=Payer(name="Acme", claim_form=ClaimForm.INSTITUTIONAL))
    states, outcomes, none_given = set(), set(), False
    for n in range(20):
        episode = Episode(pk=n + 1, program=program, admitted_on=TODAY - dt.timedelta(days=30), status="active")
        plans = _plan(n % 10, episode, cov, TODAY, False, n)
        none_given |= not plans
        for auth, reviews in plans:
            assert auth.start_on <= auth.end_on and auth.units_authorized <= auth.length_days
            states.add(rules.authorization_state(start=auth.start_on, end=auth.end_on,
                                                 units_authorized=auth.units_authorized, units_used=None,
                                                 today=TODAY).key)
            outcomes |= {r.outcome for r in reviews}
            for r in reviews:
                assert r.outcome == ReviewOutcome.PENDING or (r.reviewed_on and r.reviewed_on <= TODAY)
                assert r.outcome != ReviewOutcome.APPROVED or r.approved_days
    assert {"active", "expiring", "expired"} <= states
    assert outcomes == set(ReviewOutcome.values)
    assert none_given
