"""Who may do what with referrals, intakes, screens and level-of-care records (deny by default)."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import decide
from trellis.core.policy import Decision


def can_manage_referrals(user: Any, site: Any = None) -> Decision:
    return decide(user, Cap.REFERRAL_MANAGE, site, to="manage referrals")


def can_convert(user: Any, site: Any) -> Decision:
    """Creating a chart from a referral needs both the referral and the patient-registration capability."""
    return can_manage_referrals(user, site) and decide(user, Cap.PATIENT_CREATE, site, to="register patients")


def can_write_intake(user: Any, site: Any = None) -> Decision:
    return decide(user, Cap.INTAKE_WRITE, site, to="write intake assessments")


def can_override_criteria(user: Any, site: Any) -> Decision:
    return decide(user, Cap.EPISODE_OVERRIDE, site, to="override level-of-care criteria")
