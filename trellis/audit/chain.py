"""Pure hashing for the audit chain: canonical JSON of an event's fields, chained by SHA-256."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64

HASHED_FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_label",
    "roles",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "site_id",
    "ip_address",
    "user_agent",
    "request_path",
    "outcome",
    "detail",
)


def canonical(fields: Mapping[str, Any]) -> str:
    return json.dumps({k: fields.get(k) for k in HASHED_FIELDS}, sort_keys=True, default=str, separators=(",", ":"))


def event_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(fields)).encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    event_id: int
    reason: str


def verify(events: Iterable[Mapping[str, Any]], head_hash: str | None = None) -> Break | None:
    """Walk events in id order; return the first break, or None when the chain is intact.

    A deleted tail event is caught by comparing the last hash with the chain head.
    """
    prev = GENESIS_HASH
    last_id = 0
    for event in events:
        last_id = event["id"]
        if event["prev_hash"] != prev:
            return Break(event["id"], "previous-hash link broken (an earlier event was removed or changed)")
        if event_hash(prev, event) != event["hash"]:
            return Break(event["id"], "content does not match its hash (the event was changed)")
        prev = event["hash"]
    if head_hash is not None and head_hash != prev:
        return Break(last_id, "newest events are missing (chain head does not match)")
    return None
