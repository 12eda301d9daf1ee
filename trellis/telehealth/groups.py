"""Channel-layer group names. One session's events only ever go to that session's groups."""

from __future__ import annotations

from uuid import UUID


def staff(session_public_id: UUID) -> str:
    return f"th.s.{session_public_id.hex}.staff"


def room(session_public_id: UUID, key: str = "main") -> str:
    """Signaling group of the people in one room of a session (the main room or one breakout)."""
    return f"th.s.{session_public_id.hex}.r.{key}"


def link(link_public_id: UUID) -> str:
    return f"th.l.{link_public_id.hex}"


def site(site_public_id: UUID) -> str:
    return f"th.site.{site_public_id.hex}"
