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

from django.db.models import QuerySet, Sum

from trellis.accounts.capabilities import Cap
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
def charges_for(user: Any, capability: str = Cap.BILLING_VIEW) -> QuerySet[Charge]:
    return Charge.objects.restrict(user, capability).select_related("episode__program", "profile")


def claims_for(user: Any, capability: str = Cap.BILLING_VIEW) -> QuerySet[Claim]:
    return Claim.objects.restrict(user, capability).select_related("episode__patient", "episode__program")


def claims_to_scrub(user: Any) -> QuerySet[Claim]:
    return claims_for(user).filter(status=ClaimStatus.DRAFT).order_by("statement_from", "id")


def claims_to_batch(user: Any) -> QuerySet[Claim]:
    return claims_for(user).filter(status=ClaimStatus.SCRUBBED).order_by("statement_from", "id")


def batches_for(user: Any) -> QuerySet[ClaimBatch]:
    return ClaimBatch.objects.restrict(user, Cap.BILLING_VIEW).select_related("site")


def remittances_for(user: Any) -> QuerySet[Remittance]:
    return Remittance.objects.restrict(user, Cap.BILLING_VIEW)


def suspense_for(user: Any) -> QuerySet[SuspenseItem]:
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


def denials_for(user: Any, *, limit: int = 200) -> list[DenialItem]:
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


def denial_rate_by_reason(user: Any) -> dict[tuple[str, str], int]:
    """Denied claim count by (payer, CARC) over the user's remittances. One query."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for payer, reason in (
        RemittanceClaim.objects.restrict(user, Cap.BILLING_VIEW).filter(denied=True)
        .values_list("remittance__payer_name", "adjustments__reason_code")
    ):
        counts[(payer, reason or "")] += 1
    return dict(counts)


def open_charge_total(user: Any) -> Decimal:
    value = charges_for(user).filter(status=ChargeStatus.OPEN).aggregate(total=Sum("amount"))["total"]
    return value or Decimal("0")
