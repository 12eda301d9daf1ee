"""Who may host a video session, send join links and turn presence into attendance (deny by default)."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import decide
from trellis.core.policy import Decision
from trellis.scheduling.policies import can_mark_attendance

__all__ = ["can_host", "can_send_links", "can_mark_attendance"]


def can_host(user: Any, site: Any) -> Decision:
    return decide(user, Cap.TELEHEALTH_HOST, site, to="host video sessions")


def can_send_links(user: Any, site: Any) -> Decision:
    return decide(user, Cap.TELEHEALTH_LINKS, site, to="send join links")
