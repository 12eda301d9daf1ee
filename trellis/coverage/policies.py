"""Who may do what with coverage data. Deny by default; a capability is checked at the record's site (an
episode's program site; for a coverage, any of the patient's care sites)."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import has_capability


def _patient_sites(patient: Any) -> list[Any]:
    return [patient.primary_site_id, *(s.pk for s in patient.care_sites.all())]


def may_on_patient(user: Any, capability: str, patient: Any) -> bool:
    return any(has_capability(user, capability, site) for site in dict.fromkeys(_patient_sites(patient)))


def can_manage_coverage(user: Any, patient: Any) -> bool:
    return may_on_patient(user, Cap.COVERAGE_MANAGE, patient)


def can_manage_authorizations(user: Any, episode: Any) -> bool:
    return has_capability(user, Cap.AUTHORIZATION_MANAGE, episode.program.site_id)


def can_record_reviews(user: Any, episode: Any) -> bool:
    return has_capability(user, Cap.REVIEW_RECORD, episode.program.site_id)


def can_read_review_notes(user: Any, episode: Any) -> bool:
    # Reviewers' notes carry the clinical rationale given to the payer: case managers and directors only.
    return can_record_reviews(user, episode)


def can_manage_payers(user: Any) -> bool:
    return has_capability(user, Cap.PAYER_MANAGE)
