"""Which of the user's sites a screen works at (from the request): a chosen site among those where the user
holds a capability, and the site to record a patient's new record at."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest

from trellis.accounts.policies import sites_with, user_sites
from trellis.core.clock import today_in


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


ALL_SITES = "all"


def site_in_view(request: HttpRequest, capability: str, value: str | None = None) -> tuple[Any, list[Any]]:
    """The site a *list* shows: ?site=<public_id> picks one, ?site=all all of them, else the working site chosen
    in the header (request.active_site). None means every site where the user holds `capability` ("All my
    sites"). Unlike `pick_site` it never falls back to the first site."""
    return scope_for(request.user, capability, getattr(request, "active_site", None), value)


def scope_for(user: Any, capability: str, active_site: Any, value: str | None = None) -> tuple[Any, list[Any]]:
    """`site_in_view` without a request: what a Today counter calls with ctx.active_site, so the counter and
    the list it links to cover the same sites (a working site where the user lacks `capability` covers none)."""
    sites = sites_with(user, capability)
    if value == ALL_SITES:
        return None, sites
    if value:
        chosen = next((s for s in sites if str(s.public_id) == value), None)
        if chosen is not None:
            return chosen, sites
    return active_site, sites


def working_day(user: Any, active_site: Any) -> date:
    """The user's "today": in the working site's time zone, else in their first site's (as the middleware
    activates it). Today's counters and the lists they link to use this same day."""
    zone_site = active_site or next(iter(user_sites(user)), None)
    return today_in(zone_site.zone) if zone_site is not None else date.today()  # noqa: DTZ011 - no site: server


def in_view(sites: list[Any], site: Any) -> list[Any]:
    """The sites a list covers: the one chosen, or all of them."""
    return [s for s in sites if s.pk == site.pk] if site is not None else list(sites)


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
