from __future__ import annotations

from typing import Any

from trellis.audit.models import AuditAction, AuditEvent
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
