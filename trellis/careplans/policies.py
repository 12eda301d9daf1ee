"""Who may write, sign and review plans, and certify (deny by default)."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import decide
from trellis.core.policy import Decision


def can_write_plan(user: Any, site: Any = None) -> Decision:
    return decide(user, Cap.CAREPLAN_WRITE, site, to="write treatment plans")


def can_certify(user: Any, site: Any = None) -> Decision:
    return decide(user, Cap.CERTIFY, site, to="sign physician certifications")
