"""Reads for the shell's own pages (the Today dashboard). Each block is one bounded query or a selector
owned by its app."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import User
from trellis.accounts.policies import has_capability, sites_with
from trellis.accounts.sites import working_day
from trellis.audit.models import AuditAction, AuditEvent
from trellis.core.registry import TodayContext, TodayCounter, today_counters, today_sections
from trellis.patients.selectors import patients_for


def recent_patients_for(user: User, limit: int = 8) -> list[Any]:
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
    """Today's page: the panels every app registered (trellis.core.registry) that this user may see."""

    ctx: TodayContext
    counters: list[TodayCounter] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)

    @property
    def day(self) -> date:
        return self.ctx.day


def today_for(user: User, active_site: Any = None) -> Today:
    sites = [active_site] if active_site is not None else sites_with(user, Cap.SCHEDULE_VIEW)
    day = working_day(user, active_site)
    result = Today(ctx=TodayContext(day=day, sites=sites, active_site=active_site))
    if not sites:
        return result
    for panel in today_counters():
        if panel.capability is None or has_capability(user, panel.capability):
            result.counters.extend(panel.provider(user, result.ctx))
    for section in today_sections():
        if section.capability is None or has_capability(user, section.capability):
            context = section.provider(user, result.ctx)
            if context is not None:
                result.sections.append({"key": section.key, "template": section.template_name, **context})
    return result
