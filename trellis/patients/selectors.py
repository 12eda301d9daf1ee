"""Patient reads, always scoped to the sites where the user holds the capability."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.urls import NoReverseMatch, reverse

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import User
from trellis.accounts.policies import has_capability, may_open_route
from trellis.core.registry import chart_panels, chart_tabs
from trellis.patients.models import Patient, PatientFlag

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y")


def patients_for(user: User, capability: str = Cap.PATIENT_VIEW) -> QuerySet[Patient]:
    return Patient.objects.restrict(user, capability)


def parse_dob(text: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    return None


def search_patients(user: User, query: str, *, limit: int = 50) -> list[Patient]:
    """Find by MRN, date of birth, or name ("smith", "jo smith", "smith, jo"). Bounded: 2 queries."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    qs = patients_for(user).select_related("primary_site").prefetch_related(
        Prefetch("flags", queryset=PatientFlag.objects.filter(active=True))
    )
    dob = parse_dob(query)
    if dob is not None:
        qs = qs.filter(date_of_birth=dob)
    elif re.fullmatch(r"\d{3,12}", query):
        qs = qs.filter(mrn__startswith=query)
    else:
        if "," in query:
            last, _, first = query.partition(",")
            terms = [last.strip().lower(), first.strip().lower()]
            qs = qs.filter(search_last__startswith=terms[0]).filter(search_first__startswith=terms[1])
        else:
            for term in query.lower().split():
                qs = qs.filter(
                    Q(search_first__startswith=term)
                    | Q(search_last__startswith=term)
                    | Q(preferred_name__istartswith=term)
                )
    return list(qs.order_by("legal_last_name", "legal_first_name")[:limit])


def possible_duplicates(*, organization: Any, first_name: str, last_name: str, date_of_birth: date) -> list[Patient]:
    return list(
        Patient.objects.filter(
            organization=organization,
            search_first=first_name.strip().lower(),
            search_last=last_name.strip().lower(),
            date_of_birth=date_of_birth,
        ).select_related("primary_site")
    )


def chart_header(patient: Patient) -> Patient:
    """The patient with what the chart header shows (site, active flags) in 2 queries."""
    return (
        Patient.objects.select_related("primary_site")
        .prefetch_related(Prefetch("flags", queryset=PatientFlag.objects.filter(active=True), to_attr="active_flags"))
        .get(pk=patient.pk)
    )


def chart_tabs_for(user: User, patient: Patient) -> list[dict[str, Any]]:
    """The chart tabs (registered by each app in trellis.core.registry) this user may open."""
    tabs = []
    for tab in chart_tabs():
        if tab.capability and not has_capability(user, tab.capability):
            continue
        if not may_open_route(user, tab.url_name):  # the tab's data category (minimum necessary)
            continue
        try:
            url = reverse(tab.url_name, kwargs={"patient_id": patient.public_id})
        except NoReverseMatch:
            continue
        tabs.append({"key": tab.key, "label": tab.label, "url": url})
    return tabs


def chart_overview_panels(user: User, patient: Patient, today: date) -> list[dict[str, Any]]:
    """The overview cards other apps registered (current care and hours, outcomes…) that this user may see."""
    panels = []
    for panel in chart_panels():
        if panel.capability and not has_capability(user, panel.capability):
            continue
        context = panel.provider(user, patient, today)
        if context is not None:
            panels.append({"key": panel.key, "template": panel.template_name, **context})
    return panels
