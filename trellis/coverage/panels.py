"""Coverage's sections on pages owned by lower apps (registered through episodes' hooks): the episode page's
authorizations and the admission page's coverage prompt. Each returns its template context."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import has_capability
from trellis.core.clock import today_in
from trellis.coverage import policies, selectors
from trellis.coverage.models import Coverage


def episode_panel(request: Any, episode: Any) -> dict[str, Any]:
    if not has_capability(request.user, Cap.COVERAGE_VIEW, episode.program.site_id):
        return {"visible": False}
    today = today_in(episode.program.site.zone)
    return {
        "visible": True, "episode": episode, "today": today,
        "rows": selectors.episode_authorizations(request.user, episode, today),
        "usage_known": selectors.units_used_for([]) is not None,
        "can_authorize": policies.can_manage_authorizations(request.user, episode),
    }


def admission_panel(request: Any, patient: Any) -> dict[str, Any] | None:
    """Referral -> admission asks for coverage: what is in force today, or a prompt to add it first."""
    today = today_in(patient.primary_site.zone)
    if not has_capability(request.user, Cap.COVERAGE_VIEW):
        # Minimum necessary: an admitting clinician learns only whether insurance is on file, not its details.
        on_file = Coverage.objects.filter(patient=patient).active_on(today).exists()
        return {"limited": True, "on_file": on_file}
    return {
        "coverages": selectors.coverages_in_force(request.user, patient, today),
        "can_manage": policies.can_manage_coverage(request.user, patient),
        "patient_id": patient.public_id,
    }
