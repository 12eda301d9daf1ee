"""Who may do what with requirement sets. Deny by default; the reason is what the person is told."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import decide
from trellis.core.policy import Decision, deny


def can_edit_requirement_set(user: Any, requirement_set: Any) -> Decision:
    if requirement_set.organization_id is None:
        return deny("Built-in requirement sets cannot be changed; create your own set for a payer's contract.")
    if getattr(user, "organization_id", None) != requirement_set.organization_id:
        return deny("This requirement set belongs to another organization.")
    return decide(user, Cap.COMPLIANCE_CONFIGURE, to="change weekly-hours requirements")
