"""Who may do what with referrals, intakes, screens and level-of-care records (deny by default)."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import has_capability


def can_view_referrals(user: Any, site: Any = None) -> bool:
    return has_capability(user, Cap.REFERRAL_VIEW, site)


def can_manage_referrals(user: Any, site: Any = None) -> bool:
    return has_capability(user, Cap.REFERRAL_MANAGE, site)


def can_convert(user: Any, site: Any) -> bool:
    return has_capability(user, Cap.REFERRAL_MANAGE, site) and has_capability(user, Cap.PATIENT_CREATE, site)


def can_write_intake(user: Any, site: Any = None) -> bool:
    return has_capability(user, Cap.INTAKE_WRITE, site)


def can_override_criteria(user: Any, site: Any) -> bool:
    return has_capability(user, Cap.EPISODE_OVERRIDE, site)
