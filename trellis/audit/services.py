"""Writing audit events. Every read/write of patient data, sign-in and denial goes through `record`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from trellis.audit.chain import content_hash
from trellis.audit.context import current, roles_label
from trellis.audit.keys import current_key
from trellis.audit.middleware import client_ip
from trellis.audit.models import AuditAction, AuditEvent
from trellis.audit.sealing import seal_pending, seal_when_committed

__all__ = ["AuditAction", "AuditEntry", "record", "record_list_read", "record_many", "seal_pending"]

def _object_type(obj: Any) -> str:
    return obj._meta.label_lower.split(".")[-1] if obj is not None and hasattr(obj, "_meta") else ""


def _object_id(obj: Any) -> str:
    if obj is None:
        return ""
    return str(getattr(obj, "public_id", None) or getattr(obj, "pk", ""))


def _site_of(obj: Any, patient: Any) -> Any:
    for candidate in (obj, patient):
        if candidate is None:
            continue
        for attr in ("site", "primary_site"):
            site = getattr(candidate, attr, None)
            if site is not None and hasattr(site, "pk"):
                return site
    return None


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


def record(
    *,
    action: str,
    obj: Any = None,
    patient: Any = None,
    object_type: str | None = None,
    object_id: str | None = None,
    outcome: str = "success",
    detail: dict[str, Any] | None = None,
    actor: Any = None,
    request: Any = None,
    site: Any = None,
) -> AuditEvent:
    """Append one event to the trail. `detail` holds ids and field names only, never PHI."""
    entry = AuditEntry(
        action=action, obj=obj, patient=patient, object_type=object_type, object_id=object_id, outcome=outcome,
        detail=detail, site=site,
    )
    return record_many([entry], actor=actor, request=request)[0]


def record_many(entries: Sequence[AuditEntry], *, actor: Any = None, request: Any = None) -> list[AuditEvent]:
    """Append several events by one actor in one INSERT, whatever their number: for writes that touch a whole
    group at once."""
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
    key_id, key = current_key()
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
        events.append(AuditEvent(**fields, content_hash=content_hash(fields, key), key_id=key_id))
    # Inserted inside the caller's transaction (they commit or roll back with the audited change) and without
    # any lock; a database trigger puts them in the seal queue (migration audit 0003), and they are chained
    # once the transaction has committed.
    events = AuditEvent.objects.bulk_create(events)
    seal_when_committed()
    return events


def record_scoped_read(*, obj: Any, patient: Any, capability: str) -> None:
    record(action=AuditAction.READ, obj=obj, patient=patient)


def record_scoped_denial(*, obj: Any, patient: Any, capability: str) -> None:
    record(
        action=AuditAction.DENIED,
        obj=obj,
        patient=patient,
        outcome="denied",
        detail={"reason": "outside site scope", "capability": capability},
    )


def record_list_read(*, view: str, patients: Iterable[Any], site: Any = None) -> AuditEvent | None:
    """One READ event for a page that lists patients (names, MRNs), naming every patient shown by public id.

    One event per list, not one per row: the trail answers "who saw this patient's name, where, when" by the
    ids in `detail` without a flood of rows for every census or search page (HIPAA 45 CFR 164.312(b) audit
    controls). Nothing is written when the list is empty."""
    shown = [str(p.public_id) for p in patients]
    if not shown:
        return None
    return record(
        action=AuditAction.READ,
        object_type="patient_list",
        site=site,
        detail={"view": view, "patients": shown},
    )
