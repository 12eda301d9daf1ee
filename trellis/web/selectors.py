"""Reads for the shell's own pages (the Today dashboard). Each block is one bounded query or a selector
owned by its app."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import has_capability, sites_with
from trellis.audit.models import AuditAction, AuditEvent
from trellis.core.clock import today_in
from trellis.patients.selectors import patients_for


def recent_patients_for(user: Any, limit: int = 8) -> list[Any]:
    """Charts this user opened most recently (from their own audit trail), still within their scope."""
    ids: list[int] = []
    events = (
        AuditEvent.objects.filter(actor=user, action=AuditAction.READ, patient__isnull=False)
        .order_by("-id")
        .values_list("patient_id", flat=True)[:200]
    )
    for pid in events:
        if pid not in ids:
            ids.append(pid)
        if len(ids) >= limit:
            break
    found = {p.pk: p for p in patients_for(user).filter(pk__in=ids).select_related("primary_site")}
    return [found[i] for i in ids if i in found]


@dataclass
class Today:
    day: date
    sessions: list[Any] = field(default_factory=list)
    notes_unsigned: int = 0
    notes_to_cosign: int = 0
    notes_awaiting_cosign: int = 0
    deadlines_overdue: int = 0
    deadlines_due_soon: int = 0
    referrals_due: int = 0
    show_notes: bool = False
    show_plans: bool = False
    show_referrals: bool = False


def today_for(user: Any, active_site: Any = None) -> Today:
    sites = [active_site] if active_site is not None else sites_with(user, Cap.SCHEDULE_VIEW)
    zone_site = active_site or (sites[0] if sites else None)
    day = today_in(zone_site.zone) if zone_site else date.today()  # noqa: DTZ011 - no site: server date
    result = Today(day=day)
    if not sites:
        return result
    from trellis.scheduling.models import Session

    result.sessions = list(
        Session.objects.filter(Q(facilitator=user) | Q(co_facilitator=user), local_date=day, site__in=sites)
        .select_related("room", "site", "program")
        .order_by("starts_at")[:20]
    )
    if has_capability(user, Cap.NOTE_WRITE):
        from trellis.documentation.selectors import worklist

        work = worklist(user=user, sites=sites_with(user, Cap.NOTE_WRITE))
        result.show_notes = True
        result.notes_unsigned = len(work.unsigned)
        result.notes_to_cosign = len(work.to_cosign)
        result.notes_awaiting_cosign = len(work.awaiting_cosign)
    if has_capability(user, Cap.CAREPLAN_WRITE) or has_capability(user, Cap.EPISODE_ADMIT):
        from trellis.careplans.selectors import worklist as plan_worklist

        items = plan_worklist(user, today=day, site=active_site)
        result.show_plans = True
        result.deadlines_overdue = sum(1 for i in items if i["status"] == "overdue")
        result.deadlines_due_soon = len(items) - result.deadlines_overdue
    if has_capability(user, Cap.REFERRAL_MANAGE):
        from trellis.referrals.models import OPEN_STATUSES
        from trellis.referrals.selectors import referrals_for

        result.show_referrals = True
        result.referrals_due = (
            referrals_for(user, Cap.REFERRAL_MANAGE)
            .filter(owner=user, next_step_due__lte=day, status__in=OPEN_STATUSES)
            .count()
        )
    return result
