"""Who may record consents and make disclosures (deny by default)."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import has_capability


def can_manage_consents(user: Any, site: Any = None) -> bool:
    return has_capability(user, Cap.CONSENT_MANAGE, site)


def can_disclose(user: Any, site: Any = None) -> bool:
    return has_capability(user, Cap.DISCLOSURE_MAKE, site)
