from __future__ import annotations

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
