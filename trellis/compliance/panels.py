"""Registry providers: the hours badge for lower apps' pages, the chart overview card and Today's worklist card.

Each runs the engine once for all the episodes of its page (bounded queries) and audits the patients it names.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import may_open
from trellis.audit.services import AuditAction, record, record_list_read
from trellis.compliance import components, selectors
from trellis.compliance.engine import STATUS_SEVERITY, Status, week_monday
from trellis.compliance.ops_forms import PacketForm
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


def _this_weeks_results(episodes: list[Any]) -> dict[int, Any]:
    """One engine batch per distinct current week (episodes at sites in different time zones may be a day apart on
    a Monday), proposals off: a constant number of queries for the patient's episodes."""
    by_monday: dict[date, list[Any]] = {}
    for ep in episodes:
        by_monday.setdefault(selectors.current_monday(ep.program.site), []).append(ep)
    results: dict[int, Any] = {}
    for monday, group in by_monday.items():
        results.update(selectors.weekly_results(group, monday, proposals=False))
    return results


def chart_header_hours(user: Any, patient: Any, today: date) -> SafeString | None:
    """Chart header (every tab): the compact bar of this week's counted hours per active episode, with a visible
    text label; linked to the Hours tab for users who may open it. Episodes limited to the user's sites."""
    if not may_open(user, "compliance:patient_hours"):
        return None
    episodes = list(
        Episode.objects.restrict(user, Cap.COMPLIANCE_VIEW).filter(patient=patient, status=EpisodeStatus.ACTIVE)
        .select_related("program__site").order_by("admitted_on", "pk")
    )
    if not episodes:
        return None
    results = _this_weeks_results(episodes)
    href = reverse("compliance:patient_hours", kwargs={"patient_id": patient.public_id})
    several = len(episodes) > 1
    return format_html_join(
        "", '<span class="chart-header-hours"><a class="chart-header-label" href="{}">Hours {}{}</a> {}</span>',
        ((href, results[e.pk].label, f" · {e.program.name}" if several else "", components.hours_bar(results[e.pk],
          width=96)) for e in episodes),
    )


def ur_packet_panel(user: Any, patient: Any, today: date) -> dict[str, Any] | None:
    """Chart overview: the utilization-review packet form (episode, date range, notes, recipient) for roles that may
    make the disclosure. Posting goes through ``compliance:ur_packet``, which refuses it without a release naming
    the recipient (45 CFR 164.508; 42 CFR 2.31 for Part 2 records) and records the disclosure."""
    if not may_open(user, "compliance:ur_packet"):
        return None
    episodes = list(Episode.objects.restrict(user, Cap.DISCLOSURE_MAKE).filter(patient=patient)
                    .exclude(status=EpisodeStatus.PLANNED).select_related("program").order_by("-admitted_on"))
    if not episodes:
        return None
    form = PacketForm(episodes=episodes, today=today, auto_id="ur_%s")
    return {"form": form}


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
