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
