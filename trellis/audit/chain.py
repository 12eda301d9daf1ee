"""Pure hashing for the audit trail: canonical JSON of an event, and the seal chain over committed events."""

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


def content_hash(fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(fields).encode()).hexdigest()


def seal_hash(prev_hash: str, event_id: int, event_content_hash: str) -> str:
    return hashlib.sha256(f"{prev_hash}{event_id}:{event_content_hash}".encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    event_id: int
    reason: str


def verify(
    events: Iterable[Mapping[str, Any]],
    seals: Iterable[Mapping[str, Any]],
    *,
    head_hash: str | None = None,
) -> Break | None:
    """The first problem in the trail, or None when it is intact. Streams both inputs once (constant memory).

    `events`: rows in id order with `id`, the hashed fields, the stored `content_hash`, `sealed` (a seal
    exists) and `awaiting_seal` (unsealed but too recent to worry about: its transaction may still be
    committing, or sealing has not run yet).
    `seals`: rows in chain order with `event_id`, `prev_hash`, `hash` and `event_content_hash` (the stored
    content hash of the sealed event; None when that event is missing), up to the chain head.
    """
    first_unsealed: int | None = None
    for event in events:
        if content_hash(event) != event["content_hash"]:
            return Break(event["id"], "content does not match its hash (the event was changed)")
        if first_unsealed is None and not event["sealed"] and not event.get("awaiting_seal"):
            first_unsealed = event["id"]
    prev = GENESIS_HASH
    last_event = 0
    for seal in seals:
        event_id = seal["event_id"]
        last_event = event_id
        if seal["prev_hash"] != prev:
            return Break(event_id, "seal chain broken (an earlier event and its seal were removed or changed)")
        digest = seal["event_content_hash"]
        if digest is None or seal_hash(prev, event_id, digest) != seal["hash"]:
            return Break(event_id, "seal does not match the event (the event or its hash was changed)")
        prev = seal["hash"]
    if head_hash is not None and head_hash != prev:
        return Break(first_unsealed or last_event, "newest seals are missing (chain head does not match)")
    if first_unsealed is not None:
        return Break(first_unsealed, "event is not sealed (its seal was removed, or sealing is not running)")
    return None
