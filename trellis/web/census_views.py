"""The Patients page: the census (who is in treatment at my sites now) next to a quick patient search."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required
from trellis.audit.services import record_list_read
from trellis.core.access import as_uuid
from trellis.patients.forms import PatientSearchForm
from trellis.web.census import SORTS, CensusFilters, census


def _filters(request: HttpRequest) -> CensusFilters:
    """Query parameters carry only ids and choices (never names: DESIGN.md §4); anything else is ignored."""
    get = request.GET
    sort = get.get("sort", "name")
    descending = sort.startswith("-")
    sort = sort.lstrip("-")
    try:
        page = max(1, int(get.get("page", "1")))
    except ValueError:
        page = 1
    return CensusFilters(
        caseload=get.get("scope") == "caseload",
        program=str(as_uuid(get.get("program")) or ""),
        track=str(as_uuid(get.get("track")) or ""),
        flagged=get.get("flagged") == "1",
        sort=sort if sort in SORTS else "name",
        descending=descending,
        page=page,
    )


@capability_required(Cap.PATIENT_VIEW)
def patients_census(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    result = census(request.user, filters, site=getattr(request, "active_site", None))
    record_list_read(view="census", patients=[row.episode.patient for row in result.rows])
    columns = [("name", "Patient"), ("program", "Program · track"), ("admitted", "Admitted"),
               ("clinician", "Primary clinician")]
    return render(request, "web/census.html", {
        "census": result, "filters": filters, "form": PatientSearchForm(),
        "sort_links": [
            {"key": key, "label": label, "active": filters.sort == key,
             "next": f"-{key}" if filters.sort == key and not filters.descending else key,
             "aria": ("descending" if filters.descending else "ascending") if filters.sort == key else ""}
            for key, label in columns
        ],
    })
