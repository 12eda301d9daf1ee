"""Check the audit trail. Exit 0 when intact; exit 1 naming the first broken event.

Keyed events and seals are checked with the audit keys (trellis/audit/keys.py), legacy ones under SHA-256
only up to the signed boundary; `--checkpoint` also compares the chain with the signed checkpoints written
by `audit_checkpoint` (a chain cut back to an earlier head is caught there).

Streams the events and the seals from the database in chunks (server-side cursors on PostgreSQL), so memory
stays constant however long the trail is.
"""

from __future__ import annotations

import hmac
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from trellis.audit.chain import GENESIS_HASH, boundary_mac, verify
from trellis.audit.checkpoints import checkpoint_problem, default_path, read_checkpoints
from trellis.audit.keys import audit_keys
from trellis.audit.models import AuditChainHead, AuditEvent, AuditSeal

FIELDS = (
    "id", "occurred_at", "actor_id", "actor_label", "roles", "action", "object_type", "object_id",
    "patient_id", "site_id", "ip_address", "user_agent", "request_path", "outcome", "detail", "content_hash",
    "key_id",
)


class _Tally:
    def __init__(self) -> None:
        self.events = 0
        self.awaiting = 0


def stored_events(*, grace_from: datetime, tally: _Tally) -> Iterator[dict[str, Any]]:
    rows = AuditEvent.objects.order_by("id").values(*FIELDS, "seal__id")
    for row in rows.iterator(chunk_size=2000):
        row["sealed"] = row.pop("seal__id") is not None
        row["awaiting_seal"] = not row["sealed"] and row["occurred_at"] > grace_from
        row["occurred_at"] = row["occurred_at"].isoformat()
        tally.events += 1
        tally.awaiting += row["awaiting_seal"]
        yield row


def stored_seals(*, up_to: int | None) -> Iterator[dict[str, Any]]:
    """The first `up_to` seals in chain order. Seals are inserted while the chain head is locked, so id order
    is chain order, and seals appended after the head was read are left for the next run."""
    rows = AuditSeal.objects.order_by("id").values("id", "event_id", "prev_hash", "hash", "key_id",
                                                   "event__content_hash")
    for row in rows[:up_to].iterator(chunk_size=5000):
        row["event_content_hash"] = row.pop("event__content_hash")
        yield row


class Command(BaseCommand):
    help = "Verify the audit trail: event content hashes, the seal chain and its head (exit 1 if tampered with)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--grace-seconds", type=int, default=600,
            help="events younger than this may still be waiting for their seal (default 600)",
        )
        parser.add_argument(
            "--checkpoint", nargs="?", const="", default=None, metavar="FILE",
            help="also compare the chain with the signed checkpoints in FILE (default TRELLIS_AUDIT_CHECKPOINT_FILE)",
        )

    def fail(self, message: str) -> None:
        self.stderr.write(message)
        sys.exit(1)

    def legacy_bounds(self, head: AuditChainHead | None) -> tuple[int, int]:
        """Where the unkeyed part of the trail ends, after checking the boundary's signature."""
        if head is None or not (head.legacy_events_until or head.legacy_seals_until):
            return 0, 0
        key = audit_keys().get(head.boundary_key_id)
        expected = boundary_mac(key, head.legacy_events_until, head.legacy_seals_until) if key else ""
        if not key or not hmac.compare_digest(expected, head.boundary_mac):
            self.fail("Audit chain BROKEN: the legacy boundary's signature does not match (it was moved).")
        return head.legacy_events_until, head.legacy_seals_until

    def handle(self, *args: Any, **options: Any) -> None:
        grace_from = timezone.now() - timedelta(seconds=options["grace_seconds"])
        tally = _Tally()
        # On PostgreSQL a transaction lets the chunked reads use plain server-side cursors (outside one, Django
        # declares them WITH HOLD, which copies the whole result on the server first). SQLite reads in chunks
        # without one (there a transaction would hold the write lock).
        with transaction.atomic() if connection.vendor == "postgresql" else nullcontext():
            head = AuditChainHead.objects.filter(pk=1).first()
            events_until, seals_until = self.legacy_bounds(head)
            broken = verify(
                stored_events(grace_from=grace_from, tally=tally),
                stored_seals(up_to=head.sealed_count if head else None),
                head_hash=head.last_hash if head else GENESIS_HASH,  # no head row: there must be no seals
                keys=audit_keys(),
                legacy_events_until=events_until,
                legacy_seals_until=seals_until,
            )
        if broken is not None:
            self.fail(f"Audit chain BROKEN at event #{broken.event_id}: {broken.reason}.")
        checked = ""
        if options["checkpoint"] is not None:
            path = Path(options["checkpoint"]) if options["checkpoint"] else default_path()
            if not path.exists():
                self.fail(f"Audit checkpoint file {path} does not exist.")
            checkpoints = read_checkpoints(path)
            for checkpoint in checkpoints:
                problem = checkpoint_problem(checkpoint)
                if problem:
                    self.fail(f"Audit chain BROKEN: {problem}.")
            checked = f"; {len(checkpoints)} checkpoints match"
        waiting = f", {tally.awaiting} awaiting their seal" if tally.awaiting else ""
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {tally.events} events verified{waiting}{checked}."))
