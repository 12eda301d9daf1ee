"""Which of the user's sites a screen works at (from the request): a chosen site among those where the user
holds a capability, and the site to record a patient's new record at."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from trellis.accounts.policies import sites_with


def pick_site(request: HttpRequest, capability: str, value: str | None = None) -> tuple[Any, list[Any]]:
    """The site chosen by ?site=<public_id>, else the active site, else the first site with the capability."""
    sites = sites_with(request.user, capability)
    chosen = None
    if value:
        chosen = next((s for s in sites if str(s.public_id) == value), None)
    if chosen is None:
        active = getattr(request, "active_site", None)
        chosen = next((s for s in sites if active is not None and s.pk == active.pk), None)
    if chosen is None and sites:
        chosen = sites[0]
    return chosen, sites


def patient_site_for(request: HttpRequest, patient: Any, capability: str) -> Any:
    """The site to record a patient's new record at: the active site, else the patient's primary site, else
    another of the patient's care sites - the first one where the user holds `capability`."""
    allowed = {s.pk: s for s in sites_with(request.user, capability)}
    active = getattr(request, "active_site", None)
    care = list(patient.care_sites.all())
    candidates = ([active] if active is not None else []) + [patient.primary_site] + care
    for site in candidates:
        if site is not None and site.pk in allowed and any(c.pk == site.pk for c in care + [patient.primary_site]):
            return allowed[site.pk]
    return patient.primary_site
