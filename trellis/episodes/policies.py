"""Who may admit, change level, discharge and step down (deny by default)."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import decide
from trellis.core.policy import Decision


def can_admit(user: Any, site: Any = None) -> Decision:
    return decide(user, Cap.EPISODE_ADMIT, site, to="admit patients")


def can_discharge(user: Any, site: Any = None) -> Decision:
    return decide(user, Cap.EPISODE_DISCHARGE, site, to="discharge patients")


def can_diagnose(user: Any, site: Any = None) -> Decision:
    return decide(user, Cap.INTAKE_WRITE, site, to="record diagnoses")
