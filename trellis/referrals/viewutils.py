"""Small helpers shared by the episode-of-care views (referrals, consents, careplans, programs lifecycle)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest

from trellis.accounts.policies import sites_with
from trellis.core.errors import DomainError

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def apply_error(form: forms.Form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


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


def ip_of(request: HttpRequest) -> str | None:
    from trellis.audit.middleware import client_ip

    return client_ip(request)


def chart_context(request: HttpRequest, patient: Any, tab: str) -> dict[str, Any]:
    from trellis.patients.views import chart_context as base

    return base(request, patient, tab)


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
