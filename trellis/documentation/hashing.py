"""What a note's signature covers (the payloads); the canonical-JSON hashing itself is shared in
trellis.core.hashing (CMS Pub. 100-08 Ch. 3 §3.3.2.4-3.3.2.5: attributable signature, amend by addendum)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trellis.core.hashing import HASH_ALGORITHM, HASH_PREFIX, canonical_json, content_hash, verify_hash

__all__ = ["HASH_ALGORITHM", "HASH_PREFIX", "addendum_payload", "canonical_json", "content_hash", "note_payload",
           "verify_hash"]


def note_payload(
    *,
    note_id: Any,
    session_id: Any,
    template_key: str,
    template_version: int,
    shared: Mapping[str, Any] | None,
    participants: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """What a note signature covers: identity of the note and session, the template version, the shared content
    and every participant's section. ``participants`` items: ``{"episode": id, "attendance": id|None,
    "content": {...}}``; they are ordered by episode id so the hash does not depend on query order."""
    parts = sorted(
        ({"episode": str(p["episode"]), "attendance": None if p.get("attendance") is None else str(p["attendance"]),
          "content": p.get("content") or {}} for p in participants),
        key=lambda p: p["episode"],
    )
    return {
        "note": str(note_id),
        "session": str(session_id),
        "template": {"key": template_key, "version": int(template_version)},
        "shared": shared or {},
        "participants": parts,
    }


def addendum_payload(*, addendum_id: Any, note_id: Any, text: str, note_hash: str) -> dict[str, Any]:
    """An addendum's signature covers its own text and the hash of the note it amends."""
    return {"addendum": str(addendum_id), "note": str(note_id), "text": text, "note_hash": note_hash}
