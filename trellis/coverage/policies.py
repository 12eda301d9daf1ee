"""Who may do what with coverage data. Deny by default; every answer is a Decision (trellis.core.policy) whose
reason says what the role may not do. A capability is checked at the record's site (an episode's program site;
for a coverage, any of the patient's care sites)."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import decide
from trellis.core.policy import Decision


def _on_patient(user: Any, capability: str, patient: Any, *, to: str) -> Decision:
    sites = {patient.primary_site.pk: patient.primary_site, **{s.pk: s for s in patient.care_sites.all()}}
    decision = decide(user, capability, patient.primary_site, to=to)
    for site in sites.values():
        decision = decide(user, capability, site, to=to)
        if decision:
            return decision
    return decision


def can_view_coverage(user: Any, site: Any = None) -> Decision:
    return decide(user, Cap.COVERAGE_VIEW, site, to="see insurance coverage")


def can_manage_coverage(user: Any, patient: Any) -> Decision:
    return _on_patient(user, Cap.COVERAGE_MANAGE, patient, to="change insurance coverage")


def can_manage_authorizations(user: Any, episode: Any = None) -> Decision:
    return decide(user, Cap.AUTHORIZATION_MANAGE, episode.program.site if episode is not None else None,
                  to="record authorizations")


def can_record_reviews(user: Any, site: Any = None) -> Decision:
    # Reviewers' notes carry the clinical rationale given to the payer: case managers and directors only.
    return decide(user, Cap.REVIEW_RECORD, site, to="record or read concurrent reviews")


def can_manage_payers(user: Any) -> Decision:
    return decide(user, Cap.PAYER_MANAGE, to="set up payers")
