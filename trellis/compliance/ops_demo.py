"""Demo data of the compliance operations (called from trellis.compliance.demo.seed_ops, after outcomes):

* when the coverage demo has not made any, a demo payer, primary coverages and authorizations in every state
  the alerts and dashboard show — ending in two days, nearly used up, in force with room, expired — with
  concurrent reviews pending (due), approved, denied and peer-to-peer requested; one patient whose payer
  requires an authorization has none (days worked without one);
* a release naming the payer for the first patient, so the UR packet can be generated in the demo;
* the alerts raised by the regular sweep (hours at risk / cannot be met this week, authorizations, reviews,
  unauthorized days), one of them acknowledged.

Deterministic (ctx.rng), through the services where one exists.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from trellis.compliance.alert_models import AlertState, ComplianceAlert
from trellis.compliance.alerts import alertable_episodes, evaluate_authorization_alerts, evaluate_hours_alerts
from trellis.consents.models import ConsentKind
from trellis.consents.services import create_consent, sign_consent
from trellis.core.clock import today_in
from trellis.core.demo import DemoContext
from trellis.coverage.models import Authorization, ConcurrentReview, Coverage, Payer, ReviewOutcome

DEMO_PAYER = "Evergreen Health Plan"


def _payer(org: Any) -> Payer:
    payer, _ = Payer.objects.get_or_create(
        organization=org, payer_identifier="EVGRN01",
        defaults={"name": DEMO_PAYER, "payer_type": "commercial", "requires_authorization": True,
                  "timely_filing_days": 180, "timely_filing_source": "Demo contract §4.2"},
    )
    return payer


def _authorizations(ctx: DemoContext, episodes: list[Any]) -> None:
    if Authorization.objects.exists():
        return
    payer = _payer(ctx.org)
    for i, e in enumerate(episodes[:7]):
        today = today_in(e.program.site.zone)
        cov = Coverage.objects.filter(patient=e.patient).first() or Coverage.objects.create(
            patient=e.patient, payer=payer, member_id=f"EVG{100000 + i}", group_number="G-77",
            effective_from=e.admitted_on - timedelta(days=30), eligibility_status="active",
            eligibility_checked_on=e.admitted_on)
        if i == 6:
            continue  # payer requires an authorization; none obtained: days worked without one
        start = max(e.admitted_on, today - timedelta(days=12))
        end, units = [
            (today + timedelta(days=2), 20),  # ends in two days
            (today + timedelta(days=20), 9),  # nearly used up
            (today + timedelta(days=25), 30),  # in force with room
            (today + timedelta(days=10), 20),
            (today + timedelta(days=14), 20),
            (today - timedelta(days=1), 10),  # expired yesterday: days since are unauthorized
        ][i]
        auth = Authorization.objects.create(
            coverage=cov, episode=e, number=f"EVG-{2600 + i}", level_of_care=e.program.level_of_care,
            units_authorized=units, start_on=start, end_on=max(end, start), review_frequency_days=7,
        )
        outcome = [ReviewOutcome.PENDING, ReviewOutcome.APPROVED, ReviewOutcome.PENDING, ReviewOutcome.DENIED,
                   ReviewOutcome.PEER_TO_PEER, ReviewOutcome.APPROVED][i]
        due = today - timedelta(days=1) if outcome != ReviewOutcome.APPROVED else start + timedelta(days=5)
        ConcurrentReview.objects.create(
            authorization=auth, due_on=due, outcome=outcome,
            approved_days=7 if outcome == ReviewOutcome.APPROVED else None,
            reviewed_on=None if outcome == ReviewOutcome.PENDING else due,
            reviewer="Dr. R. Okafor (plan reviewer)" if outcome != ReviewOutcome.PENDING else "",
        )
        ConcurrentReview.objects.create(authorization=auth, due_on=today + timedelta(days=1 + i % 3))


def _release(ctx: DemoContext, episode: Any) -> None:
    staff = (ctx.staff.get("case_manager") or ctx.staff.get("therapist") or [None])[0]
    if staff is None:
        return
    site = episode.program.site
    kind = ConsentKind.PART2 if episode.program.is_part2 else ConsentKind.RELEASE
    consent = create_consent(
        patient=episode.patient, site=site, kind=kind, created_by=staff, recipient_name=DEMO_PAYER,
        information="Records needed for utilization review: diagnoses, treatment plan, attendance, notes",
        purpose="Payment: utilization review", expires_on=today_in(site.zone) + timedelta(days=180),
    )
    sign_consent(consent=consent, signer_name=episode.patient.legal_name, collected_by=staff,
                 ip_address="127.0.0.1")


def seed(ctx: DemoContext) -> None:
    episodes = alertable_episodes()
    if not episodes:
        return
    _authorizations(ctx, episodes)
    _release(ctx, episodes[0])
    by_site: dict[int, list[Any]] = {}
    for e in episodes:
        by_site.setdefault(e.program.site_id, []).append(e)
    created = 0
    for group in by_site.values():
        today = today_in(group[0].program.site.zone)
        monday = today - timedelta(days=today.isoweekday() - 1)
        for week in (monday - timedelta(days=7), monday):
            created += sum(r.created for r in evaluate_hours_alerts(episodes=group, monday=week, notify=False))
        created += sum(r.created for r in evaluate_authorization_alerts(episodes=group, today=today, notify=False))
    first = ComplianceAlert.objects.filter(state=AlertState.OPEN).order_by("pk").first()
    if first is not None and first.episode.case_manager_id:
        first.state, first.acknowledged_at = AlertState.ACKNOWLEDGED, timezone.now()
        first.acknowledged_by_id = first.episode.case_manager_id
        first.action_taken = "Called the patient; added an individual session on Thursday."
        first.save()
    ctx.say(f"compliance: {created} alerts raised")
