from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import sites_with
from trellis.audit.models import AuditEvent


def audit_events_for(
    user: Any,
    *,
    actor: Any = None,
    patient: Any = None,
    start: date | None = None,
    end: date | None = None,
    action: str | None = None,
) -> QuerySet[AuditEvent]:
    """Events the reviewer may see: those at their AUDIT_VIEW sites, plus organization-wide sign-in events."""
    from django.db.models import Q

    site_ids = [s.pk for s in sites_with(user, Cap.AUDIT_VIEW)]
    if not site_ids:
        return AuditEvent.objects.none()
    qs = AuditEvent.objects.filter(Q(site_id__in=site_ids) | Q(site__isnull=True)).select_related(
        "patient", "site"
    )
    if actor is not None:
        qs = qs.filter(actor=actor)
    if patient is not None:
        qs = qs.filter(patient=patient)
    if action:
        qs = qs.filter(action=action)
    if start:
        qs = qs.filter(occurred_at__gte=timezone.make_aware(datetime.combine(start, time.min)))
    if end:
        qs = qs.filter(occurred_at__lt=timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)))
    return qs.order_by("-id")


PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditPage:
    """One page of events, newest first, with keyset cursors (event ids) for the neighbouring pages."""

    object_list: list[AuditEvent]
    newer_cursor: int | None  # link to `?after=` this id, when newer events exist
    older_cursor: int | None  # link to `?before=` this id, when older events exist


def audit_page(
    events: QuerySet[AuditEvent], *, before: int | None = None, after: int | None = None, size: int = PAGE_SIZE
) -> AuditPage:
    """A page of `events` by keyset (id) rather than by offset: one query of `size + 1` rows walking the
    primary key, however long the trail, and no COUNT(*) of the whole trail per page view."""
    if after is not None:
        rows = list(events.filter(id__gt=after).order_by("id")[: size + 1])
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return AuditPage(rows, rows[0].pk if more_newer else None, rows[-1].pk if rows else None)
    if before is not None:
        events = events.filter(id__lt=before)
    rows = list(events.order_by("-id")[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return AuditPage(
        rows, rows[0].pk if before is not None and rows else None, rows[-1].pk if more_older else None
    )
