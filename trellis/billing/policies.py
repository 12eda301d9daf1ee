"""Who may do what in billing (deny by default). Billers and org admins read billing data (codes, dates,
minutes, amounts, documentation status - never note text: 45 CFR 164.502(b) minimum necessary); only
billers change it."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import decide
from trellis.core.policy import Decision


def can_manage_billing(user: Any, site: Any = None) -> Decision:
    return decide(user, Cap.BILLING_MANAGE, site, to="change billing records")


def can_view_billing(user: Any, site: Any = None) -> Decision:
    return decide(user, Cap.BILLING_VIEW, site, to="see claims, charges and remittances")


def can_read_billing_insight(user: Any, site: Any = None) -> Decision:
    # KPIs and fee schedules: aggregates and contract rates, no patient data (45 CFR 164.502(b)).
    return decide(user, Cap.BILLING_INSIGHT, site, to="see billing KPIs and fee schedules")
