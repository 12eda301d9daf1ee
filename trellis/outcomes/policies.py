"""Who may administer measures, send self-completion links and acknowledge critical answers (deny by default)."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import decide
from trellis.core.policy import Decision


def can_administer(user: Any, site: Any = None) -> Decision:
    """Entering a measure (in session or from paper) and acknowledging its critical answers are clinical acts."""
    return decide(user, Cap.OUTCOMES_ADMINISTER, site, to="administer measures")


def can_invite(user: Any, site: Any = None) -> Decision:
    return decide(user, Cap.OUTCOMES_INVITE, site, to="send self-completion links")
