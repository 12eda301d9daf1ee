"""Anchoring the chain head outside the database: signed checkpoints.

Keys stop an edited event from being re-hashed, but someone with write access could still cut the newest
events off the end and set the chain head back (every remaining hash is genuine). A checkpoint — the head's
position and hash, signed with the audit key — written to a file or log the database cannot reach catches
that: `verify_audit --checkpoint` finds the checkpointed seal missing or different. `manage.py
audit_checkpoint` writes one (run it from cron, e.g. hourly, into append-only or off-host storage).
"""

from __future__ import annotations

import hmac
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from trellis.audit.chain import checkpoint_mac
from trellis.audit.keys import audit_keys, current_key
from trellis.audit.models import AuditChainHead, AuditSeal
from trellis.audit.sealing import seal_pending

BODY_FIELDS = ("at", "sealed_count", "last_seal_id", "last_hash", "key_id")


def default_path() -> Path:
    return Path(getattr(settings, "TRELLIS_AUDIT_CHECKPOINT_FILE", "") or settings.DATA_DIR / "audit-checkpoints.jsonl")


def make_checkpoint() -> dict[str, Any]:
    """Seal what is waiting, then sign the chain head as it stands."""
    seal_pending()
    head = AuditChainHead.objects.filter(pk=1).first()
    last = AuditSeal.objects.order_by("-id").values_list("id", "hash").first()
    key_id, key = current_key()
    body = {
        "at": timezone.now().isoformat(),
        "sealed_count": head.sealed_count if head else 0,
        "last_seal_id": last[0] if last else 0,
        "last_hash": head.last_hash if head else "0" * 64,
        "key_id": key_id,
    }
    return {**body, "mac": checkpoint_mac(key, body)}


def write_checkpoint(path: Path) -> dict[str, Any]:
    checkpoint = make_checkpoint()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.write(json.dumps(checkpoint, sort_keys=True) + "\n")
    return checkpoint


def read_checkpoints(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def checkpoint_problem(checkpoint: dict[str, Any]) -> str | None:
    """Why the trail no longer matches this checkpoint, or None. The signature is checked first, so a forged
    checkpoint cannot vouch for a rewritten chain."""
    keys = audit_keys()
    key = keys.get(str(checkpoint.get("key_id", "")))
    if key is None:
        return f"checkpoint made with audit key {checkpoint.get('key_id')!r}, which is not configured"
    body = {name: checkpoint.get(name) for name in BODY_FIELDS}
    if not hmac.compare_digest(checkpoint_mac(key, body), str(checkpoint.get("mac", ""))):
        return "checkpoint signature does not match (the checkpoint was altered)"
    count, seal_id, digest = int(body["sealed_count"]), int(body["last_seal_id"]), str(body["last_hash"])
    if count == 0:
        return None
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None or head.sealed_count < count:
        return f"the chain is shorter than at the checkpoint of {body['at']} (events were cut off the end)"
    stored = AuditSeal.objects.filter(pk=seal_id).values_list("hash", flat=True).first()
    if stored != digest or AuditSeal.objects.filter(pk__lte=seal_id).count() != count:
        return f"the chain differs from the checkpoint of {body['at']} (it was rewound or rebuilt)"
    return None
