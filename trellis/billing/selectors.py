"""Billing reads: documentation status and day minutes for charges and scrubbing, and the work queues.

Every queue is restricted to the user's sites (Model.objects.restrict) and bounded in queries. Billing reads
note *status* only (signed / awaiting co-signature / draft / none), never note content.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import User
from trellis.attendance.selectors import treatment_hours_for_episodes
from trellis.billing.models import (
    Charge,
    ChargeStatus,
    Claim,
    ClaimBatch,
    ClaimStatus,
    Documentation,
    Remittance,
    RemittanceClaim,
    SuspenseItem,
)
from trellis.billing.x12 import codes
from trellis.core.registry import TodayContext, TodayCounter
from trellis.documentation.models import NoteStatus, ParticipantNote

_RANK = {NoteStatus.COMPLETE: 3, NoteStatus.AWAITING_COSIGN: 2, NoteStatus.DRAFT: 1}
_DOC = {3: Documentation.COMPLETE, 2: Documentation.AWAITING_COSIGN, 1: Documentation.UNSIGNED,
        0: Documentation.MISSING}


def documentation_status(attendance_ids: Iterable[int]) -> dict[int, str]:
    """Per attendance: complete / awaiting_cosign / unsigned / missing (the best note covering it). One query."""
    ids = list(attendance_ids)
    best: dict[int, int] = dict.fromkeys(ids, 0)
    if ids:
        for att_id, status in ParticipantNote.objects.filter(attendance_id__in=ids).values_list(
            "attendance_id", "note__status"
        ):
            best[att_id] = max(best[att_id], _RANK.get(status, 0))
    return {att_id: _DOC[rank] for att_id, rank in best.items()}


def worst_documentation(statuses: Iterable[str]) -> str:
    order = [Documentation.MISSING, Documentation.UNSIGNED, Documentation.AWAITING_COSIGN, Documentation.COMPLETE]
    found = list(statuses)
    return min(found, key=order.index) if found else Documentation.MISSING


def day_minutes(episodes: Sequence[Any], start: date, end: date) -> dict[tuple[int, date], int]:
    """Attended treatment minutes per (episode id, site-local day), from the attendance ledger. Bounded."""
    out: dict[tuple[int, date], int] = {}
    for episode_id, ledger in treatment_hours_for_episodes(list(episodes), start, end).items():
        for day in ledger.days:
            out[(episode_id, day.date)] = day.attended_minutes
    return out


# ---------------------------------------------------------------------------------------------------------
# Work queues
# ---------------------------------------------------------------------------------------------------------
FULL_QUEUE_LIMIT = 500


def today_counters(user: User, ctx: TodayContext) -> list[TodayCounter]:
    """Billers' counters on Today: claims to fix and denials to work (two queries)."""
    to_fix = claims_to_scrub(user).count()
    denials = (RemittanceClaim.objects.restrict(user, Cap.BILLING_VIEW)
               .filter(denied=True, worked_at__isnull=True).count())
    url = reverse("billing:home")
    return [
        TodayCounter(to_fix, "claims to fix or scrub before billing", f"{url}?full=1#to-scrub", "warn" if to_fix else ""),
        TodayCounter(denials, "denials to work", f"{url}?full=1#denials", "danger" if denials else ""),
    ]


def charges_for(user: User, capability: str = Cap.BILLING_VIEW) -> QuerySet[Charge]:
    return Charge.objects.restrict(user, capability).select_related("episode__program", "profile")


def claims_for(user: User, capability: str = Cap.BILLING_VIEW) -> QuerySet[Claim]:
    return Claim.objects.restrict(user, capability).select_related("episode__patient", "episode__program")


def claims_to_scrub(user: User) -> QuerySet[Claim]:
    return claims_for(user).filter(status=ClaimStatus.DRAFT).order_by("statement_from", "id")


def claims_to_batch(user: User) -> QuerySet[Claim]:
    return claims_for(user).filter(status=ClaimStatus.SCRUBBED).order_by("statement_from", "id")


def batches_for(user: User) -> QuerySet[ClaimBatch]:
    return ClaimBatch.objects.restrict(user, Cap.BILLING_VIEW).select_related("site")


def remittances_for(user: User) -> QuerySet[Remittance]:
    return Remittance.objects.restrict(user, Cap.BILLING_VIEW)


def suspense_for(user: User) -> QuerySet[SuspenseItem]:
    return (SuspenseItem.objects.restrict(user, Cap.BILLING_VIEW).filter(resolved_at__isnull=True)
            .select_related("remittance", "remittance_claim"))


@dataclass(frozen=True)
class DenialReason:
    group_code: str
    reason_code: str
    amount: Decimal
    description: str
    next_step: str
    confirmed: bool


@dataclass(frozen=True)
class DenialItem:
    remittance_claim: RemittanceClaim
    reasons: tuple[DenialReason, ...]
    remarks: tuple[str, ...]


def denials_for(user: User, *, limit: int = 200) -> list[DenialItem]:
    """Denied claims not yet worked, with CARC reason text and a suggested next step. Two queries."""
    rows = list(
        RemittanceClaim.objects.restrict(user, Cap.BILLING_VIEW)
        .filter(denied=True, worked_at__isnull=True)
        .select_related("remittance", "claim")
        .prefetch_related("adjustments")
        .order_by("remittance__posted_at", "id")[:limit]
    )
    items = []
    for row in rows:
        reasons = []
        for adj in row.adjustments.all():
            info = codes.carc(adj.reason_code)
            reasons.append(DenialReason(adj.group_code, adj.reason_code, adj.amount, info.description,
                                        info.next_step, info.confirmed))
        remarks = tuple(codes.rarc(code).label for code in row.remark_codes)
        items.append(DenialItem(row, tuple(reasons), remarks))
    return items


def denial_rate_by_reason(user: User) -> dict[tuple[str, str], int]:
    """Denied claim count by (payer, CARC) over the user's remittances. One query."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for payer, reason in (
        RemittanceClaim.objects.restrict(user, Cap.BILLING_VIEW).filter(denied=True)
        .values_list("remittance__payer_name", "adjustments__reason_code")
    ):
        counts[(payer, reason or "")] += 1
    return dict(counts)


def open_charge_total(user: User) -> Decimal:
    value = charges_for(user).filter(status=ChargeStatus.OPEN).aggregate(total=Sum("amount"))["total"]
    return value or Decimal("0")


# ---------------------------------------------------------------------------------------------------------
# Receivables
# ---------------------------------------------------------------------------------------------------------
AGING_BUCKETS = ("0-30", "31-60", "61-90", "90+")
OPEN_AR_STATUSES = (ClaimStatus.BATCHED, ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED, ClaimStatus.PARTIALLY_PAID,
                    ClaimStatus.DENIED, ClaimStatus.APPEALED)


@dataclass
class AgingRow:
    payer: str
    buckets: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), Decimal("0"))


def _bucket(days: int) -> str:
    if days <= 30:
        return "0-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return "90+"


def ar_aging(user: User, *, today: date) -> list[AgingRow]:
    """Insurance A/R by payer and age since the claim was first batched: outstanding = charge - paid - patient
    responsibility - contractual write-downs (CO-45). One query whatever the number of claims."""
    rows = (
        claims_for(user).filter(status__in=OPEN_AR_STATUSES, batch__isnull=False)
        .annotate(contractual=Sum("remittances__adjustments__amount",
                                  filter=Q(remittances__adjustments__group_code="CO",
                                           remittances__adjustments__reason_code="45")))
        .values_list("payer_name", "total_charge", "paid_amount", "patient_responsibility", "contractual",
                     "batch__created_at")
    )
    table: dict[str, dict[str, Decimal]] = {}
    for payer, total, paid, patient, contractual, batched_at in rows:
        outstanding = total - paid - patient - (contractual or Decimal("0"))
        if outstanding <= 0:
            continue
        buckets = table.setdefault(payer, dict.fromkeys(AGING_BUCKETS, Decimal("0")))
        buckets[_bucket((today - batched_at.date()).days)] += outstanding
    return [AgingRow(payer, buckets) for payer, buckets in sorted(table.items())]


@dataclass(frozen=True)
class BillingHome:
    to_scrub: list[Claim]
    to_scrub_count: int
    ready: list[Claim]
    ready_count: int
    denials: list[DenialItem]
    suspense: list[SuspenseItem]
    batches: list[ClaimBatch]
    aging: list[AgingRow]
    open_charges: Decimal
    held_charges: int
    status_counts: dict[str, int]


def billing_home(user: User, *, today: date, limit: int = 15) -> BillingHome:
    """The biller's work queues. A fixed number of queries whatever the data size."""
    claims = claims_for(user)
    counts = dict(claims.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    to_scrub = list(claims_to_scrub(user)[:limit])
    for claim in to_scrub:  # the row names the claim: show only where in it and what to fix
        claim.fixes = [
            {"where": (p["where"].removeprefix(f"Claim {claim.patient_control_number}").strip() or "claim").capitalize(),
             "message": p["message"]}
            for p in claim.scrub_problems
        ]
    ready = claims_to_batch(user)
    return BillingHome(
        to_scrub=to_scrub, to_scrub_count=counts.get(ClaimStatus.DRAFT, 0),
        ready=list(ready[:limit]), ready_count=counts.get(ClaimStatus.SCRUBBED, 0),
        denials=denials_for(user, limit=limit), suspense=list(suspense_for(user)[:limit]),
        batches=list(batches_for(user)[:10]), aging=ar_aging(user, today=today),
        open_charges=open_charge_total(user),
        held_charges=charges_for(user).filter(status=ChargeStatus.HELD).count(),
        status_counts=counts,
    )


def claim_detail(claim: Claim) -> dict[str, Any]:
    """Lines with their charge's minutes and documentation status (never note text), remittances with
    adjustment reasons from the code list."""
    lines = list(claim.lines.select_related("charge").order_by("number"))
    remits = list(claim.remittances.select_related("remittance").prefetch_related("adjustments")
                  .order_by("remittance__posted_at", "id"))
    adjustments = [
        (row, [(adj, codes.carc(adj.reason_code)) for adj in row.adjustments.all()],
         [codes.rarc(c) for c in row.remark_codes])
        for row in remits
    ]
    return {"lines": lines, "remittances": adjustments}
