"""Pure hashing for the audit trail: canonical JSON of an event, and the seal chain over committed events.

Events and seals are keyed: HMAC-SHA256 with a key kept outside the database (trellis/audit/keys.py), so a
database administrator who edits an event cannot recompute its hash or the chain. Events and seals written
before keying (no key id) carry plain SHA-256; they verify under that legacy scheme only up to the boundary
fixed, and signed with the key, when the keyed chain began (migration audit 0005); a legacy hash after it is
a downgrade and breaks the trail.
"""

from __future__ import annotations

import hashlib
import hmac
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


def _digest(data: str, key: bytes | None) -> str:
    if key is None:  # legacy (unkeyed) scheme, for events and seals written before keying
        return hashlib.sha256(data.encode()).hexdigest()
    return hmac.new(key, data.encode(), hashlib.sha256).hexdigest()


def content_hash(fields: Mapping[str, Any], key: bytes | None = None) -> str:
    return _digest(canonical(fields), key)


def seal_hash(prev_hash: str, event_id: int, event_content_hash: str, key: bytes | None = None) -> str:
    return _digest(f"{prev_hash}{event_id}:{event_content_hash}", key)


def boundary_mac(key: bytes, events_until: int, seals_until: int) -> str:
    """Signs where the legacy (unkeyed) part of the trail ends, so it cannot be moved to cover new events."""
    return _digest(f"legacy-boundary:{events_until}:{seals_until}", key)


def checkpoint_mac(key: bytes, body: Mapping[str, Any]) -> str:
    """Signs a checkpoint of the chain head kept outside the database."""
    return _digest(json.dumps(dict(body), sort_keys=True, separators=(",", ":"), default=str), key)


def _key_for(row: Mapping[str, Any], keys: Mapping[str, bytes] | None, legacy_until: int | None,
             row_id: int) -> tuple[bool, bytes | None, str]:
    """(usable, key or None for legacy, reason when not usable) for one event or seal."""
    key_id = row.get("key_id") or ""
    if not key_id:
        if legacy_until is not None and row_id > legacy_until:
            return False, None, "unkeyed hash after the keyed chain began (a downgraded or forged entry)"
        return True, None, ""
    if keys is None or key_id not in keys:
        return False, None, f"made with audit key {key_id!r}, which is not configured"
    return True, keys[key_id], ""


@dataclass(frozen=True)
class Break:
    event_id: int
    reason: str


def verify(
    events: Iterable[Mapping[str, Any]],
    seals: Iterable[Mapping[str, Any]],
    *,
    head_hash: str | None = None,
    keys: Mapping[str, bytes] | None = None,
    legacy_events_until: int | None = None,
    legacy_seals_until: int | None = None,
) -> Break | None:
    """The first problem in the trail, or None when it is intact. Streams both inputs once (constant memory).

    `events`: rows in id order with `id`, the hashed fields, the stored `content_hash`, `sealed` (a seal
    exists) and `awaiting_seal` (unsealed but too recent to worry about: its transaction may still be
    committing, or sealing has not run yet).
    `seals`: rows in chain order with `event_id`, `prev_hash`, `hash` and `event_content_hash` (the stored
    content hash of the sealed event; None when that event is missing), up to the chain head.
    Rows with a `key_id` are checked with that key from `keys`; rows without one under the legacy scheme,
    allowed only up to `legacy_events_until` / `legacy_seals_until` (ids) when those are given.
    """
    first_unsealed: int | None = None
    for event in events:
        usable, key, reason = _key_for(event, keys, legacy_events_until, event["id"])
        if not usable:
            return Break(event["id"], reason)
        if not hmac.compare_digest(content_hash(event, key), event["content_hash"]):
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
        usable, key, reason = _key_for(seal, keys, legacy_seals_until, seal.get("id", 0))
        if not usable:
            return Break(event_id, f"seal {reason}")
        digest = seal["event_content_hash"]
        if digest is None or not hmac.compare_digest(seal_hash(prev, event_id, digest, key), seal["hash"]):
            return Break(event_id, "seal does not match the event (the event or its hash was changed)")
        prev = seal["hash"]
    if head_hash is not None and head_hash != prev:
        return Break(first_unsealed or last_event, "newest seals are missing (chain head does not match)")
    if first_unsealed is not None:
        return Break(first_unsealed, "event is not sealed (its seal was removed, or sealing is not running)")
    return None
