"""Demo compliance data: an organization requirement set for a commercial payer's contract (assigned to the demo's
commercial payers when the coverage demo made any), and a census of this week's statuses in the demo log.

Every engine status appears in the demo's current week: at risk / cannot be met come from absences in the
attendance demo, met from the short adolescent and prorated weeks, partial week from the episode admitted (or,
on a Monday, discharged) this week (episodes demo) under the default rule that excludes such weeks.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from trellis.accounts.models import Role
from trellis.compliance import ops_demo, selectors, services
from trellis.compliance.engine import STATUS_LABELS, Status
from trellis.core.demo import DemoContext
from trellis.coverage.models import Payer, PayerType

CONTRACT = "Example commercial payer provider manual (demo): IOP 9–19 h/week, billable day 3 h and 3 services"


def seed(ctx: DemoContext) -> None:
    director = next(iter(ctx.staff.get(Role.PROGRAM_DIRECTOR, [])), None)
    rs = services.create_requirement_set(
        user=director, organization=ctx.org, name="Commercial contract (demo)", source=CONTRACT,
        description="A payer contract stricter than ASAM: a billable day needs 3 counted hours and 3 services.",
    )
    for level, pop, lo, hi in (("iop", "adult", "9", "19"), ("iop", "adolescent", "6", "19"),
                               ("php", "adult", "20", None), ("php", "adolescent", "20", None)):
        services.save_rule(user=director, requirement_set=rs, level_of_care=level, population=pop,
                           weekly_min_hours=Decimal(lo), weekly_max_hours=Decimal(hi) if hi else None,
                           per_diem_min_minutes=180, min_services_per_day=3, partial_week="exclude",
                           source=CONTRACT)
    start = ctx.today - timedelta(days=7 * max(ctx.weeks, 1) + 60)
    assigned = 0
    for payer in Payer.objects.filter(organization=ctx.org, payer_type=PayerType.COMMERCIAL).order_by("name")[:1]:
        services.assign_to_payer(user=director, payer=payer, requirement_set=rs, starts_on=start)
        assigned += 1
    census: dict[str, int] = {s: 0 for s in Status}
    for site in ctx.sites:
        monday = selectors.current_monday(site)
        episodes = list(selectors.active_episodes_in_week([site], monday))
        for result in selectors.weekly_results(episodes, monday, proposals=False).values():
            census[result.status] += 1
    ctx.extra["compliance_census"] = census
    ctx.say("Weekly hours this week: " + ", ".join(f"{STATUS_LABELS[s]} {n}" for s, n in census.items())
            + f"; requirement set assigned to {assigned} payer(s).")


def seed_ops(ctx: DemoContext) -> None:
    """Alerts, authorizations in every state, a release for the UR packet (after attendance and outcomes)."""
    ops_demo.seed(ctx)
