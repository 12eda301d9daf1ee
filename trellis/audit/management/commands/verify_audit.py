"""Check the audit trail. Exit 0 when intact; exit 1 naming the first broken event."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from trellis.audit.chain import verify
from trellis.audit.models import AuditChainHead, AuditEvent, AuditSeal

FIELDS = (
    "id", "occurred_at", "actor_id", "actor_label", "roles", "action", "object_type", "object_id",
    "patient_id", "site_id", "ip_address", "user_agent", "request_path", "outcome", "detail", "content_hash",
)


def stored_events() -> Iterator[dict[str, Any]]:
    for row in AuditEvent.objects.order_by("id").values(*FIELDS).iterator(chunk_size=2000):
        row["occurred_at"] = row["occurred_at"].isoformat()
        yield row


def stored_seals() -> Iterator[dict[str, Any]]:
    yield from AuditSeal.objects.order_by("id").values("event_id", "prev_hash", "hash").iterator(chunk_size=5000)


class Command(BaseCommand):
    help = "Verify the audit trail: event content hashes, the seal chain and its head (exit 1 if tampered with)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--grace-seconds", type=int, default=600,
            help="events younger than this may still be waiting for their seal (default 600)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        head = AuditChainHead.objects.filter(pk=1).first()
        cutoff = timezone.now() - timedelta(seconds=options["grace_seconds"])
        recent = set(
            AuditEvent.objects.filter(seal__isnull=True, occurred_at__gt=cutoff).values_list("id", flat=True)
        )
        broken = verify(stored_events(), stored_seals(), head_hash=head.last_hash if head else None,
                        unsealed_grace_ids=recent)
        total = AuditEvent.objects.count()
        if broken is None:
            waiting = f", {len(recent)} awaiting their seal" if recent else ""
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {total} events verified{waiting}."))
            return
        self.stderr.write(f"Audit chain BROKEN at event #{broken.event_id}: {broken.reason}.")
        sys.exit(1)
