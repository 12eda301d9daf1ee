"""Writing audit events. Every read/write of patient data, sign-in and denial goes through `record`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from trellis.audit.chain import content_hash, seal_hash
from trellis.audit.context import current
from trellis.audit.models import AuditAction, AuditChainHead, AuditEvent, AuditSeal, AuditSealQueue
from trellis.core.health import is_database_outage

__all__ = ["AuditAction", "AuditEntry", "record", "record_many", "seal_pending"]

logger = logging.getLogger(__name__)


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
    """Append several events by one actor in two INSERTs (the events, their places in the seal queue),
    whatever their number: for writes that touch a whole group at once."""
    if not entries:
        return []
    ctx = current.get()
    if actor is None:
        actor = getattr(request, "user", None) if request is not None else (ctx.user if ctx else None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    ip = ua = path = None
    if request is not None:
        from trellis.audit.middleware import client_ip

        ip, ua, path = client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:300], request.path[:300]
    elif ctx is not None:
        ip, ua, path = ctx.ip_address, ctx.user_agent, ctx.path
    roles = ""
    if actor is not None:
        from trellis.accounts.policies import roles_of

        roles = ",".join(sorted(roles_of(actor)))
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
    # Inserted inside the caller's transaction (they commit or roll back with the audited change) and without
    # any lock, together with their places in the seal queue; they are chained once the transaction commits.
    events = AuditEvent.objects.bulk_create(events)
    AuditSealQueue.objects.bulk_create([AuditSealQueue(event_id=event.pk) for event in events])
    _seal_when_committed()
    return events


def _seal_when_committed() -> None:
    """Arrange one seal run for everything recorded so far: after the response inside a request (the
    middleware runs it once the response has been sent), else once after the current transaction commits."""
    ctx = current.get()
    if ctx is not None and ctx.seal_after_response:
        ctx.seal_due = True
    elif connection.in_atomic_block:
        if not any(entry[1] is seal_after_commit for entry in connection.run_on_commit):
            transaction.on_commit(seal_after_commit)
    else:
        seal_after_commit()


def seal_after_commit() -> None:
    """Seal what has committed; never fails the caller (the data is committed, `seal_audit` seals leftovers)."""
    try:
        seal_pending()
    except DatabaseError as exc:
        if is_database_outage(exc):
            logger.warning("audit sealing postponed: database unavailable (%s)", type(exc.__cause__ or exc).__name__)
        else:
            logger.exception("audit sealing failed; run manage.py seal_audit")
    except Exception:
        logger.exception("audit sealing failed; run manage.py seal_audit")


def claimable(limit: int) -> QuerySet:
    """The oldest queued events no other sealer is working on, with their content hashes (primary-key order).
    Reads the queue table and the events by primary key; never the rest of the trail."""
    return (
        AuditSealQueue.objects.select_for_update(skip_locked=True, of=("self",))
        .order_by("event_id")
        .values_list("event_id", "event__content_hash")[:limit]
    )


def seal_batch(*, limit: int = 500) -> int:
    """One short transaction: claim up to `limit` queued events, then (and only then) take the chain head and
    append their seals after it. Returns how many were sealed."""
    with transaction.atomic():
        claimed = list(claimable(limit))
        if not claimed:
            return 0
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        prev, sealed_at, seals = head.last_hash, timezone.now(), []
        for event_id, digest in claimed:
            link = seal_hash(prev, event_id, digest)
            seals.append(AuditSeal(event_id=event_id, prev_hash=prev, hash=link, sealed_at=sealed_at))
            prev = link
        AuditSeal.objects.bulk_create(seals)
        AuditSealQueue.objects.filter(event_id__in=[event_id for event_id, _ in claimed]).delete()
        AuditChainHead.objects.filter(pk=head.pk).update(last_hash=prev, sealed_count=F("sealed_count") + len(seals))
        return len(seals)


def seal_pending(*, batch: int = 500) -> int:
    """Chain every committed event waiting in the queue, batch by batch. Returns how many were sealed.

    Concurrent sealers claim disjoint batches (SKIP LOCKED on PostgreSQL; SQLite serializes writers) and then
    append to the chain one after the other; an event claimed by another sealer is sealed by that one."""
    total = 0
    while True:
        sealed = seal_batch(limit=batch)
        total += sealed
        if sealed < batch:
            return total
