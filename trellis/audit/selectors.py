from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from trellis.accounts.capabilities import Cap
from trellis.audit.models import AuditEvent
from trellis.core.access import site_ids_for


def _filtered(
    qs: QuerySet[AuditEvent],
    *,
    actor: Any = None,
    patient: Any = None,
    start: date | None = None,
    end: date | None = None,
    action: str | None = None,
) -> QuerySet[AuditEvent]:
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
    return qs


def audit_events_for(user: Any, **filters: Any) -> QuerySet[AuditEvent]:
    """Events the reviewer may see: those at their AUDIT_VIEW sites, plus organization-wide sign-in events.
    Filters: actor, patient, start, end (dates, inclusive), action."""
    qs = AuditEvent.objects.restrict(user, Cap.AUDIT_VIEW)
    return _filtered(qs, **filters).select_related("patient", "site").order_by("-id")


PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditPage:
    """One page of events, newest first, with keyset cursors (event ids) for the neighbouring pages."""

    object_list: list[AuditEvent]
    newer_cursor: int | None  # link to `?after=` this id, when newer events exist
    older_cursor: int | None  # link to `?before=` this id, when older events exist


def audit_page_for(
    user: Any, *, before: int | None = None, after: int | None = None, size: int = PAGE_SIZE, **filters: Any
) -> AuditPage:
    """The report page for `user`, by keyset. "These sites or no site" as one condition makes the database
    collect and sort every matching event (an OR over the site index); instead each site (and "no site") is
    read newest-first on the (site, id) index for at most `size + 1` ids, and the page is the newest of those:
    a query per site plus one, whatever the length of the trail."""
    site_ids = site_ids_for(user, Cap.AUDIT_VIEW)  # the scope of AuditEvent.objects.restrict, one site at a time
    if not site_ids:
        return AuditPage([], None, None)
    base = _filtered(AuditEvent.objects.all(), **filters)
    parts = [base.filter(site_id=site_id) for site_id in site_ids] + [base.filter(site__isnull=True)]
    if after is not None:
        ids = sorted(
            pk for part in parts
            for pk in part.filter(id__gt=after).order_by("id").values_list("id", flat=True)[: size + 1]
        )[: size + 1]
    else:
        ids = sorted(
            (pk for part in parts
             for pk in (part.filter(id__lt=before) if before is not None else part)
             .order_by("-id").values_list("id", flat=True)[: size + 1]),
            reverse=True,
        )[: size + 1]
    more = len(ids) > size
    ids = ids[:size]
    rows = list(AuditEvent.objects.filter(id__in=ids).select_related("patient", "site").order_by("-id"))
    if after is not None:
        return AuditPage(rows, rows[0].pk if more and rows else None, rows[-1].pk if rows else None)
    return AuditPage(rows, rows[0].pk if before is not None and rows else None, rows[-1].pk if more and rows else None)
