"""Who may admit, change level, discharge and step down (deny by default)."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import has_capability


def can_admit(user: Any, site: Any = None) -> bool:
    return has_capability(user, Cap.EPISODE_ADMIT, site)


def can_discharge(user: Any, site: Any = None) -> bool:
    return has_capability(user, Cap.EPISODE_DISCHARGE, site)
