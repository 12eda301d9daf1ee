"""Check the audit trail's hash chain. Exit 0 when intact; exit 1 naming the first broken event."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand

from trellis.audit.chain import verify
from trellis.audit.models import AuditChainHead, AuditEvent

FIELDS = (
    "id", "occurred_at", "actor_id", "actor_label", "roles", "action", "object_type", "object_id",
    "patient_id", "site_id", "ip_address", "user_agent", "request_path", "outcome", "detail",
    "prev_hash", "hash",
)


def stored_events() -> Iterator[dict[str, Any]]:
    for row in AuditEvent.objects.order_by("id").values(*FIELDS).iterator(chunk_size=2000):
        row["occurred_at"] = row["occurred_at"].isoformat()
        yield row


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (exit status 1 and the first broken event if tampered with)."

    def handle(self, *args: Any, **options: Any) -> None:
        head = AuditChainHead.objects.filter(pk=1).first()
        broken = verify(stored_events(), head.last_hash if head else None)
        total = AuditEvent.objects.count()
        if broken is None:
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {total} events verified."))
            return
        self.stderr.write(f"Audit chain BROKEN at event #{broken.event_id}: {broken.reason}.")
        sys.exit(1)
