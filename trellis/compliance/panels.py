"""Registry providers: the hours badge for lower apps' pages, the chart overview card and Today's worklist card.

Each runs the engine once for all the episodes of its page (bounded queries) and audits the patients it names.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q

from trellis.accounts.capabilities import Cap
from trellis.audit.services import AuditAction, record, record_list_read
from trellis.compliance import components, selectors
from trellis.compliance.engine import STATUS_SEVERITY, Status, week_monday
from trellis.core.registry import TodayContext
from trellis.episodes.models import Episode, EpisodeStatus

TODAY_LIMIT = 8


def hours_badges(episodes: list[Any], day: date) -> dict[int, str]:
    """Per-episode hours bar for the ISO week containing ``day`` (the attendance roster, the track ledger)."""
    results = selectors.weekly_results(episodes, week_monday(day), proposals=False)
    return {pk: components.hours_bar(r) for pk, r in results.items()}


def chart_hours(user: Any, patient: Any, today: date) -> dict[str, Any] | None:
    """Chart overview: this week's counted hours per active episode at the user's sites."""
    episodes = list(
        Episode.objects.restrict(user, Cap.COMPLIANCE_VIEW).filter(patient=patient, status=EpisodeStatus.ACTIVE)
        .select_related("program__site", "track", "primary_clinician")
    )
    if not episodes:
        return None
    results = {}
    for ep in episodes:  # a patient has one or two active episodes: one batch per week they fall in
        monday = selectors.current_monday(ep.program.site)
        results[ep.pk] = selectors.weekly_results([ep], monday, proposals=False)[ep.pk]  # card shows no proposal
    return {"rows": [{"episode": e, "result": results[e.pk]} for e in episodes]}


def my_caseload(user: Any, sites: list[Any], monday: date) -> list[Any]:
    return list(
        selectors.episodes_for(user, sites, monday).filter(Q(case_manager=user) | Q(primary_clinician=user))
    )


def today_hours(user: Any, ctx: TodayContext) -> dict[str, Any] | None:
    """Today: my patients (case manager or primary clinician) whose week is at risk or cannot be met."""
    sites = ctx.sites or ([ctx.active_site] if ctx.active_site else [])
    if not sites:
        return None
    monday = week_monday(ctx.day)
    episodes = my_caseload(user, sites, monday)
    if not episodes:
        return None
    results = selectors.weekly_results(episodes, monday, proposals=False)
    flagged = sorted(
        (e for e in episodes if results[e.pk].status in (Status.AT_RISK, Status.CANNOT_MEET)),
        key=lambda e: (STATUS_SEVERITY[results[e.pk].status], e.patient.legal_last_name),
    )
    shown = flagged[:TODAY_LIMIT]
    if shown:
        record_list_read(view="compliance_today", patients=[e.patient for e in shown])
    return {"rows": [{"episode": e, "result": results[e.pk]} for e in shown], "flagged": len(flagged),
            "caseload": len(episodes)}


def audit_chart_read(patient: Any) -> None:
    record(action=AuditAction.READ, obj=patient, detail={"view": "compliance_hours"})
