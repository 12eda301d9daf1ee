"""Organization or site closures (holidays): occurrences on the day are cancelled."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from trellis.accounts.models import User
from trellis.audit.services import AuditAction, record
from trellis.core.errors import DomainError
from trellis.scheduling.models import (
    OrganizationClosure,
    Session,
    SessionStatus,
)


def create_closure(*, user: User, organization: Any, on: date, reason: str, site: Any = None) -> OrganizationClosure:
    """Close the organization (or one site) for a day: its scheduled sessions are cancelled with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for the closure (e.g. “Thanksgiving”).", field="reason")
    if site is not None and site.organization_id != organization.pk:
        raise DomainError("That site belongs to another organization.", field="site")
    with transaction.atomic():
        dupe = OrganizationClosure.objects.filter(organization=organization, date=on)
        dupe = dupe.filter(site__isnull=True) if site is None else dupe.filter(Q(site=site) | Q(site__isnull=True))
        if dupe.exists():
            raise DomainError("That closure is already on the calendar.", field="date")
        closure = OrganizationClosure.objects.create(organization=organization, site=site, date=on,
                                                     reason=reason[:200], created_by=user)
        # Sessions that already have attendance ran (or are being corrected): a closure never rewrites them.
        sessions = Session.objects.select_for_update(of=("self",)).filter(local_date=on, status=SessionStatus.SCHEDULED,
                                                              site__organization=organization,
                                                              attendance__isnull=True)
        if site is not None:
            sessions = sessions.filter(site=site)
        count = sessions.update(status=SessionStatus.CANCELLED, cancel_reason=reason[:200], closure=closure,
                                detached=True, updated_at=timezone.now())
        record(action=AuditAction.CREATE, obj=closure, site=site, detail={"sessions_cancelled": count})
    return closure
