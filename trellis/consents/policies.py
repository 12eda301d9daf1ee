"""Who may record consents and make disclosures (deny by default)."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import decide
from trellis.core.policy import Decision


def can_manage_consents(user: Any, site: Any = None) -> Decision:
    return decide(user, Cap.CONSENT_MANAGE, site, to="record consents")


def can_disclose(user: Any, site: Any = None) -> Decision:
    return decide(user, Cap.DISCLOSURE_MAKE, site, to="disclose records")
