"""Claim status lifecycle (pure). Every status change goes through `check_transition`."""

from __future__ import annotations

DRAFT, SCRUBBED, BATCHED, SUBMITTED, ACCEPTED = "draft", "scrubbed", "batched", "submitted", "accepted"
PAID, PARTIALLY_PAID, DENIED, APPEALED, VOID = "paid", "partially_paid", "denied", "appealed", "void"

ADJUDICATED = (PAID, PARTIALLY_PAID, DENIED)

# draft -> scrubbed (all rules pass) -> batched (in an X12 interchange) -> submitted (file dropped) ->
# accepted (clearinghouse/payer acknowledgment) -> paid / partially paid / denied (835) -> appealed -> ...
# A reversal (835 CLP02 22) takes an adjudicated claim back to accepted until the corrected payment posts.
TRANSITIONS: dict[str, frozenset[str]] = {
    DRAFT: frozenset({SCRUBBED, VOID}),
    SCRUBBED: frozenset({DRAFT, BATCHED, VOID}),
    BATCHED: frozenset({SUBMITTED}),
    SUBMITTED: frozenset({ACCEPTED, *ADJUDICATED}),
    ACCEPTED: frozenset(ADJUDICATED),
    PAID: frozenset({ACCEPTED, PARTIALLY_PAID, PAID, DENIED, VOID}),
    PARTIALLY_PAID: frozenset({ACCEPTED, PAID, PARTIALLY_PAID, DENIED, APPEALED, VOID}),
    DENIED: frozenset({ACCEPTED, PAID, PARTIALLY_PAID, DENIED, APPEALED, VOID}),
    APPEALED: frozenset({ACCEPTED, *ADJUDICATED}),
    VOID: frozenset(),
}


class TransitionError(ValueError):
    pass


def check_transition(current: str, new: str) -> None:
    if new not in TRANSITIONS.get(current, frozenset()):
        raise TransitionError(f"A {current.replace('_', ' ')} claim cannot become {new.replace('_', ' ')}.")
