"""Coverage's sections on pages owned by lower apps (registered through episodes' hooks): the episode page's
authorizations and the admission page's coverage prompt. Each returns its template context."""

from __future__ import annotations

from typing import Any

from trellis.core.clock import today_in
from trellis.coverage import policies, selectors
from trellis.coverage.models import Coverage


def episode_panel(request: Any, episode: Any) -> dict[str, Any]:
    if not policies.can_view_coverage(request.user, episode.program.site):
        return {"visible": False}
    today = today_in(episode.program.site.zone)
    return {
        "visible": True, "episode": episode, "today": today,
        "rows": selectors.episode_authorizations(request.user, episode, today),
        "usage_known": selectors.units_used_for([]) is not None,
        "can_authorize": bool(policies.can_manage_authorizations(request.user, episode)),
    }


def admission_panel(request: Any, patient: Any) -> dict[str, Any] | None:
    """Referral -> admission asks for coverage: what is in force today, or a prompt to add it first."""
    today = today_in(patient.primary_site.zone)
    if not policies.can_view_coverage(request.user):
        # Minimum necessary: an admitting clinician learns only whether insurance is on file, not its details.
        on_file = Coverage.objects.filter(patient=patient).active_on(today).exists()
        return {"limited": True, "on_file": on_file}
    return {
        "coverages": selectors.coverages_in_force(request.user, patient, today),
        "can_manage": bool(policies.can_manage_coverage(request.user, patient)),
        "patient_id": patient.public_id,
    }
