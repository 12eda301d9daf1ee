"""Several audit events in one INSERT (interim: the same API as ``record_many`` in the seal-queue work, which
replaces this module when it lands; callers then import ``record_many`` from trellis.audit.services)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from trellis.audit.chain import content_hash
from trellis.audit.context import current, roles_label
from trellis.audit.middleware import client_ip
from trellis.audit.models import AuditEvent
from trellis.audit.services import _object_id, _object_type, _seal_after_commit, _site_of

__all__ = ["AuditEntry", "record_many"]


@dataclass(frozen=True)
class AuditEntry:
    """One event for `record_many`: the same meaning as `record`'s arguments."""

    action: str
    obj: Any = None
    patient: Any = None
    object_type: str | None = None
    object_id: str | None = None
    outcome: str = "success"
    detail: dict[str, Any] | None = None
    site: Any = None


def record_many(entries: Sequence[AuditEntry], *, actor: Any = None, request: Any = None) -> list[AuditEvent]:
    """Append several events by one actor in one INSERT, whatever their number (a group write)."""
    if not entries:
        return []
    ctx = current.get()
    if actor is None:
        actor = getattr(request, "user", None) if request is not None else (ctx.user if ctx else None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    ip = ua = path = None
    if request is not None:
        ip, ua, path = client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:300], request.path[:300]
    elif ctx is not None:
        ip, ua, path = ctx.ip_address, ctx.user_agent, ctx.path
    roles = roles_label(actor)
    occurred_at = timezone.now().isoformat()
    events = []
    for entry in entries:
        patient, obj = entry.patient, entry.obj
        if patient is None and obj is not None and _object_type(obj) == "patient":
            patient = obj
        site = entry.site or _site_of(obj, patient)
        fields: dict[str, Any] = {
            "occurred_at": occurred_at,
            "actor_id": actor.pk if actor is not None else None,
            "actor_label": actor.email if actor is not None else "",
            "roles": roles[:200],
            "action": str(entry.action),
            "object_type": entry.object_type or _object_type(obj),
            "object_id": entry.object_id if entry.object_id is not None else _object_id(obj),
            "patient_id": patient.pk if patient is not None else None,
            "site_id": site.pk if site is not None else None,
            "ip_address": ip,
            "user_agent": ua or "",
            "request_path": path or "",
            "outcome": entry.outcome,
            "detail": entry.detail or {},
        }
        events.append(AuditEvent(**fields, content_hash=content_hash(fields)))
    # Inside the caller's transaction, without a lock; sealed once it has committed (as `record`).
    events = AuditEvent.objects.bulk_create(events)
    if connection.in_atomic_block:
        transaction.on_commit(_seal_after_commit)
    else:
        _seal_after_commit()
    return events
