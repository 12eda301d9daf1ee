"""Who may write, sign and review plans, and certify (deny by default)."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import has_capability


def can_write_plan(user: Any, site: Any = None) -> bool:
    return has_capability(user, Cap.CAREPLAN_WRITE, site)


def can_certify(user: Any, site: Any = None) -> bool:
    return has_capability(user, Cap.CERTIFY, site)
