"""Content hashing for signatures: canonical JSON -> SHA-256 (shared by every signed record: notes and their
addenda in documentation, discharge summaries in episodes).

A signature records a hash of exactly what was signed, so that anyone can later recompute it from the stored
content and see that nothing changed (CMS Medicare Program Integrity Manual, Pub. 100-08, Ch. 3 §3.3.2.4:
a signature must be attributable and the signed entry must not be altered; corrections are made by addenda,
§3.3.2.5).

Canonical form: JSON with sorted keys, no insignificant whitespace, UTF-8, strings NFC-normalised, NaN/Infinity
refused; datetimes as ISO-8601 in UTC, dates ISO, UUIDs and Decimals as strings. The same logical content always
hashes the same on SQLite and PostgreSQL (jsonb re-orders keys; sorting makes that irrelevant).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

HASH_ALGORITHM = "sha256"
HASH_PREFIX = "sha256:"


def _normalise(value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("NaN and Infinity cannot be hashed")
        return int(value) if value.is_integer() else value
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetimes cannot be hashed; use aware UTC datetimes")
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(_normalise(k)): _normalise(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_normalise(v) for v in value]
    raise TypeError(f"cannot hash a value of type {type(value).__name__}")


def canonical_json(value: Any) -> str:
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def content_hash(value: Any) -> str:
    """``"sha256:<64 hex>"`` of the canonical JSON of ``value``."""
    return HASH_PREFIX + hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def verify_hash(value: Any, expected: str) -> bool:
    return hmac.compare_digest(content_hash(value), expected or "")
