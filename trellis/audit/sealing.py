"""Sealing: chaining committed audit events into the seal chain, in batches, through the seal queue.

Every event is inserted with a row in `AuditSealQueue` (a database trigger adds it). A seal run claims the oldest queued events that no
other run holds (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serializes writers), and only then locks the
one-row chain head to append their seals and delete their queue rows: the head is held for a few inserts,
never while searching, and the cost of a run depends on the batch, not on the length of the trail. A request
seals once, after its response (AuditContextMiddleware); other code once per committed transaction;
`manage.py seal_audit` seals what a stopped process left.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from trellis.audit.chain import seal_hash
from trellis.audit.context import current
from trellis.audit.keys import current_key
from trellis.audit.models import AuditChainHead, AuditSeal, AuditSealQueue
from trellis.core.health import is_database_outage

logger = logging.getLogger("trellis.audit.services")


def seal_when_committed() -> None:
    """Arrange one seal run for everything recorded so far: after the response inside a request (the
    middleware runs it once the response has been sent), else once after the current transaction commits."""
    ctx = current.get()
    if ctx is not None and ctx.seal_after_response:
        ctx.seal_due = True
    elif connection.in_atomic_block:
        _on_commit_once()
    else:
        seal_after_commit()


def _on_commit_once() -> None:
    if not any(entry[1] is seal_after_commit for entry in connection.run_on_commit):
        transaction.on_commit(seal_after_commit)


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


def seal_after_response() -> None:
    """A response's closer: seal now, or once the transaction around the request commits (ATOMIC_REQUESTS,
    or a test's transaction) — events are sealed only once they are committed."""
    if connection.in_atomic_block:
        _on_commit_once()
    else:
        seal_after_commit()


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
        key_id, key = current_key()
        for event_id, digest in claimed:
            link = seal_hash(prev, event_id, digest, key)
            seals.append(AuditSeal(event_id=event_id, prev_hash=prev, hash=link, sealed_at=sealed_at, key_id=key_id))
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
