"""Demo compliance data: an organization requirement set for a commercial payer's contract (assigned to the demo's
commercial payers when the coverage demo made any), and a census of this week's statuses in the demo log.

Every engine status appears in the demo's current week: at risk / cannot be met come from absences in the
attendance demo, met from the short adolescent and prorated weeks, partial week from the episode admitted (or,
on a Monday, discharged) this week (episodes demo) under the default rule that excludes such weeks.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from trellis.accounts.models import Role, SiteMembership
from trellis.attendance.services import MarkEntry, mark_attendance
from trellis.compliance import selectors, services
from trellis.compliance.engine import STATUS_LABELS, Status, week_monday
from trellis.core.demo import DemoContext
from trellis.core.errors import DomainError
from trellis.coverage.models import Payer, PayerType
from trellis.programs.models import Population
from trellis.scheduling.services import add_to_roster, create_session

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
    _one_met_week(ctx, director)
    census: dict[str, int] = {s: 0 for s in Status}
    for site in ctx.sites:
        monday = selectors.current_monday(site)
        episodes = list(selectors.active_episodes_in_week([site], monday))
        for result in selectors.weekly_results(episodes, monday, proposals=False).values():
            census[result.status] += 1
    ctx.extra["compliance_census"] = census
    ctx.say("Weekly hours this week: " + ", ".join(f"{STATUS_LABELS[s]} {n}" for s, n in census.items())
            + f"; requirement set assigned to {assigned} payer(s).")


def _one_met_week(ctx: DemoContext, director: Any) -> None:
    """Early in a week nobody has met the weekly minimum yet. So the demo shows a met week too, one adolescent who
    attended Monday joins a 3-hour family workshop earlier this week (a one-off session, marked attended):
    Monday's 3 h of groups + 3 h = the adolescent IOP minimum of 6 counted hours (ASAM 2.1)."""
    now = timezone.now()
    for site in ctx.sites:
        zone = site.zone
        today = now.astimezone(zone).date()
        monday = week_monday(today)
        if datetime.combine(monday, time(11, 0), tzinfo=zone) > now:
            continue  # Monday morning of the current week has not passed yet
        episodes = list(selectors.active_episodes_in_week([site], monday).filter(
            program__population=Population.ADOLESCENT, admitted_on__lt=monday))
        if not episodes:
            continue
        results = selectors.weekly_results(episodes, monday, proposals=False)
        full_weeks = [e for e in episodes if not results[e.pk].partial]
        if not full_weeks:
            continue
        best = max(full_weeks, key=lambda e: results[e.pk].days[0].counted_minutes)
        if results[best.pk].days[0].counted_minutes < 180:
            continue
        staff = [u for u in [best.primary_clinician, director] if u is not None] + [
            m.user for m in SiteMembership.objects.filter(site=site, role__in=[
                Role.THERAPIST, Role.GROUP_FACILITATOR, Role.PROGRAM_DIRECTOR]).select_related("user")]
        for facilitator in staff:
            for hour in (8, 9, 10, 11, 12):
                start, end = time(hour, 0), time(hour + 3, 0)
                if datetime.combine(monday, end, tzinfo=zone) > now:
                    break
                try:
                    session = create_session(
                        user=director, site=site, program=best.program, title="Family intensive workshop",
                        service_type="family_therapy", local_date=monday, start_time=start, end_time=end,
                        facilitator=facilitator, capacity=8, allow_past=True,
                    )
                except DomainError:
                    continue  # that person or hour is booked: try the next
                add_to_roster(session=session, episode=best, user=director, reason="Make-up hours (demo)")
                mark_attendance(session=session, user=facilitator, entries=[MarkEntry(best.pk, "present")])
                return
        ctx.say(f"  compliance: no free 3-hour slot for a make-up workshop at {site.code}")
