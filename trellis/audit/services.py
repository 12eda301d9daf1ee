"""Writing audit events. Every read/write of patient data, sign-in and denial goes through `record`."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from trellis.audit.chain import content_hash, seal_hash
from trellis.audit.context import current, roles_label
from trellis.audit.middleware import client_ip
from trellis.audit.models import AuditAction, AuditChainHead, AuditEvent, AuditSeal

__all__ = ["AuditAction", "record", "record_list_read", "seal_pending"]

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
    """Append one event to the chain. `detail` holds ids and field names only, never PHI."""
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
    if patient is None and obj is not None and _object_type(obj) == "patient":
        patient = obj
    site = site or _site_of(obj, patient)
    fields: dict[str, Any] = {
        "occurred_at": timezone.now().isoformat(),
        "actor_id": actor.pk if actor is not None else None,
        "actor_label": actor.email if actor is not None else "",
        "roles": roles[:200],
        "action": str(action),
        "object_type": object_type or _object_type(obj),
        "object_id": object_id if object_id is not None else _object_id(obj),
        "patient_id": patient.pk if patient is not None else None,
        "site_id": site.pk if site is not None else None,
        "ip_address": ip,
        "user_agent": ua or "",
        "request_path": path or "",
        "outcome": outcome,
        "detail": detail or {},
    }
    # Inserted inside the caller's transaction (it commits or rolls back with the audited change) and without
    # any lock; the seal that chains it is appended once the transaction has committed.
    event = AuditEvent.objects.create(
        occurred_at=fields["occurred_at"],
        actor_id=fields["actor_id"],
        actor_label=fields["actor_label"],
        roles=fields["roles"],
        action=fields["action"],
        object_type=fields["object_type"],
        object_id=fields["object_id"],
        patient_id=fields["patient_id"],
        site_id=fields["site_id"],
        ip_address=fields["ip_address"],
        user_agent=fields["user_agent"],
        request_path=fields["request_path"],
        outcome=outcome,
        detail=fields["detail"],
        content_hash=content_hash(fields),
    )
    if connection.in_atomic_block:
        transaction.on_commit(_seal_after_commit)
    else:
        _seal_after_commit()
    return event


def _seal_after_commit() -> None:
    try:
        seal_pending()
    except Exception:  # the data is committed; `manage.py seal_audit` (cron) seals what is left
        logger.exception("audit sealing failed; run manage.py seal_audit")


def seal_pending(*, batch: int = 5000) -> int:
    """Chain every committed, unsealed event, in id order, after the current head. Returns how many."""
    total = 0
    while True:
        with transaction.atomic():
            head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
            pending = list(
                AuditEvent.objects.filter(seal__isnull=True).order_by("id").values_list("id", "content_hash")[:batch]
            )
            if not pending:
                return total
            prev, sealed_at, seals = head.last_hash, timezone.now(), []
            for event_id, digest in pending:
                link = seal_hash(prev, event_id, digest)
                seals.append(AuditSeal(event_id=event_id, prev_hash=prev, hash=link, sealed_at=sealed_at))
                prev = link
            AuditSeal.objects.bulk_create(seals)
            head.last_hash = prev
            head.sealed_count += len(seals)
            head.save(update_fields=["last_hash", "sealed_count"])
            total += len(seals)


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
