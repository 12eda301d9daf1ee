"""Billing reads: documentation status and day minutes for charges and scrubbing, and the work queues.

Every queue is restricted to the user's sites (Model.objects.restrict) and bounded in queries. Billing reads
note *status* only (signed / awaiting co-signature / draft / none), never note content.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import User
from trellis.accounts.sites import in_view, scope_for
from trellis.attendance.selectors import treatment_hours_for_episodes
from trellis.billing import catalog, lifecycle
from trellis.billing.models import (
    PER_DIEM_SERVICE,
    BillingProfile,
    Charge,
    ChargeStatus,
    Claim,
    ClaimBatch,
    ClaimStatus,
    Documentation,
    FeeScheduleEntry,
    Remittance,
    RemittanceClaim,
    SuspenseItem,
)
from trellis.billing.x12 import codes
from trellis.core.access import site_ids_for
from trellis.core.registry import TodayContext, TodayCounter
from trellis.documentation.models import NoteStatus, ParticipantNote
from trellis.programs.models import ServiceType

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


def sites_in_view(user: User, active_site: Any, capability: str = Cap.BILLING_VIEW) -> list[Any]:
    """The sites a billing queue covers: the working site, or every site where the user holds the capability
    ("All my sites"). Today's counters and the lists they link to both call this (accounts.sites.scope_for)."""
    site, sites = scope_for(user, capability, active_site)
    return in_view(sites, site)


def today_counters(user: User, ctx: TodayContext) -> list[TodayCounter]:
    """Billers' counters on Today: claims to fix and denials to work at the working site (or all of them),
    counted by the same querysets as the work-queue lists they link to (two queries)."""
    sites = sites_in_view(user, ctx.active_site)
    to_fix = claims_to_scrub(user, sites=sites).count()
    denials = denials_queryset(user, sites=sites).count()
    url = reverse("billing:home")
    return [
        TodayCounter(to_fix, "claims to fix or scrub before billing", f"{url}?full=1#to-scrub", "warn" if to_fix else ""),
        TodayCounter(denials, "denials to work", f"{url}?full=1#denials", "danger" if denials else ""),
    ]


def _at(qs: QuerySet, path: str, sites: list[Any] | None) -> QuerySet:
    return qs if sites is None else qs.filter(**{f"{path}__in": [s.pk for s in sites]})


def charges_for(user: User, capability: str = Cap.BILLING_VIEW, *, sites: list[Any] | None = None) -> QuerySet[Charge]:
    return _at(Charge.objects.restrict(user, capability), "episode__program__site", sites).select_related(
        "episode__program", "profile")


def claims_for(user: User, capability: str = Cap.BILLING_VIEW, *, sites: list[Any] | None = None) -> QuerySet[Claim]:
    return _at(Claim.objects.restrict(user, capability), "episode__program__site", sites).select_related(
        "episode__patient", "episode__program")


def claims_to_scrub(user: User, *, sites: list[Any] | None = None) -> QuerySet[Claim]:
    return claims_for(user, sites=sites).filter(status=ClaimStatus.DRAFT).order_by("statement_from", "id")


def claims_to_batch(user: User, *, sites: list[Any] | None = None) -> QuerySet[Claim]:
    return claims_for(user, sites=sites).filter(status=ClaimStatus.SCRUBBED).order_by("statement_from", "id")


def batches_for(user: User, *, sites: list[Any] | None = None) -> QuerySet[ClaimBatch]:
    return _at(ClaimBatch.objects.restrict(user, Cap.BILLING_VIEW), "site", sites).select_related("site")


def remittances_for(user: User, *, sites: list[Any] | None = None) -> QuerySet[Remittance]:
    return _at(Remittance.objects.restrict(user, Cap.BILLING_VIEW), "site", sites)


def suspense_for(user: User, capability: str = Cap.BILLING_VIEW, *,
                 sites: list[Any] | None = None) -> QuerySet[SuspenseItem]:
    return (_at(SuspenseItem.objects.restrict(user, capability), "remittance__site", sites)
            .filter(resolved_at__isnull=True).select_related("remittance", "remittance_claim")
            .order_by("created_at", "id"))


def denials_queryset(user: User, *, sites: list[Any] | None = None) -> QuerySet[RemittanceClaim]:
    return _at(RemittanceClaim.objects.restrict(user, Cap.BILLING_VIEW), "remittance__site", sites).filter(
        denied=True, worked_at__isnull=True)


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


def denials_for(user: User, *, limit: int = 200, sites: list[Any] | None = None) -> list[DenialItem]:
    """Denied claims not yet worked, with CARC reason text and a suggested next step. Two queries."""
    rows = list(
        denials_queryset(user, sites=sites)
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


def open_charge_total(user: User, *, sites: list[Any] | None = None) -> Decimal:
    value = charges_for(user, sites=sites).filter(status=ChargeStatus.OPEN).aggregate(total=Sum("amount"))["total"]
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


def ar_aging(user: User, *, today: date, sites: list[Any] | None = None) -> list[AgingRow]:
    """Insurance A/R by payer and age since the claim was first batched: outstanding = charge - paid - patient
    responsibility - contractual write-downs (CO-45). One query whatever the number of claims."""
    rows = (
        claims_for(user, sites=sites).filter(status__in=OPEN_AR_STATUSES, batch__isnull=False)
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
    denials_count: int
    suspense: list[SuspenseItem]
    suspense_count: int
    batches: list[ClaimBatch]
    aging: list[AgingRow]
    open_charges: Decimal
    held_charges: int
    status_counts: dict[str, int]


def billing_home(user: User, *, today: date, limit: int = 15, sites: list[Any] | None = None) -> BillingHome:
    """The biller's work queues at `sites` (None: every site of the user). A fixed number of queries whatever
    the data size."""
    claims = claims_for(user, sites=sites)
    counts = dict(claims.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    to_scrub = list(claims_to_scrub(user, sites=sites)[:limit])
    for claim in to_scrub:  # the row names the claim: show only where in it and what to fix
        claim.fixes = [
            {"where": (p["where"].removeprefix(f"Claim {claim.patient_control_number}").strip() or "claim").capitalize(),
             "message": p["message"]}
            for p in claim.scrub_problems
        ]
    ready = claims_to_batch(user, sites=sites)
    suspense = suspense_for(user, sites=sites)
    return BillingHome(
        to_scrub=to_scrub, to_scrub_count=counts.get(ClaimStatus.DRAFT, 0),
        ready=list(ready[:limit]), ready_count=counts.get(ClaimStatus.SCRUBBED, 0),
        denials=denials_for(user, limit=limit, sites=sites), denials_count=denials_queryset(user, sites=sites).count(),
        suspense=list(suspense[:limit]), suspense_count=suspense.count(),
        batches=list(batches_for(user, sites=sites)[:10]), aging=ar_aging(user, today=today, sites=sites),
        open_charges=open_charge_total(user, sites=sites),
        held_charges=charges_for(user, sites=sites).filter(status=ChargeStatus.HELD).count(),
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


# ---------------------------------------------------------------------------------------------------------
# Fee schedules (no patient data: billing.insight reads, billing.manage changes)
# ---------------------------------------------------------------------------------------------------------
def profiles_for(user: User, capability: str = Cap.BILLING_INSIGHT) -> QuerySet[BillingProfile]:
    """The organization's billing profiles the user may see: level-of-care profiles (every program) when the
    user holds the capability at some site, program profiles only for programs at those sites."""
    site_ids = site_ids_for(user, capability)
    if not site_ids:
        return BillingProfile.objects.none()
    return (BillingProfile.objects.filter(organization_id=user.organization_id)
            .filter(Q(program__isnull=True) | Q(program__site_id__in=site_ids))
            .select_related("program__site"))


SERVICE_LABELS = {PER_DIEM_SERVICE: "Per diem", **dict(ServiceType.choices)}


def profiles_with_fees(user: User, capability: str = Cap.BILLING_INSIGHT) -> list[BillingProfile]:
    """Profiles with their fee rows (two queries), each row annotated with the catalogue entry of its code."""
    profiles = list(profiles_for(user, capability).prefetch_related(
        Prefetch("fees", queryset=FeeScheduleEntry.objects.order_by("service_type", "code", "-effective_from"))))
    for profile in profiles:
        for fee in profile.fees.all():
            fee.catalog = catalog.lookup(fee.code)
            fee.service_label = SERVICE_LABELS.get(fee.service_type, "Any service (by code)")
    return profiles


# ---------------------------------------------------------------------------------------------------------
# Charge review
# ---------------------------------------------------------------------------------------------------------
REVIEW_LIMIT = 100


def _unconfirmed_codes() -> list[str]:
    return [c.code for c in catalog.CODES.values() if c.kind in ("cpt", "hcpcs") and not c.confirmed]


@dataclass(frozen=True)
class ChargeReview:
    charges: list[Charge]
    total: int


def charges_to_review(user: User, *, limit: int = REVIEW_LIMIT, sites: list[Any] | None = None) -> ChargeReview:
    """Charges not yet on a claim that need a biller's look, each with why: held (and the reason given),
    documentation not complete, a profile not confirmed, or a code marked to confirm. Two queries."""
    needs_look = (Q(status=ChargeStatus.HELD) | ~Q(documentation=Documentation.COMPLETE)
                  | Q(profile__confirmed=False) | Q(code__in=_unconfirmed_codes()))
    rows = (charges_for(user, sites=sites).filter(status__in=[ChargeStatus.OPEN, ChargeStatus.HELD]).filter(needs_look)
            .select_related("episode__patient", "rendering_provider"))
    total = rows.count()
    charges = list(rows.order_by("service_date", "id")[:limit])
    for charge in charges:
        charge.review_reasons = review_reasons(charge)
    return ChargeReview(charges, total)


def review_reasons(charge: Charge) -> list[str]:
    reasons = []
    if charge.status == ChargeStatus.HELD:
        reasons.append(f"Held: {charge.hold_reason}")
    reasons.extend(f"Not billable: {r}" for r in charge.not_billable)
    if charge.documentation != Documentation.COMPLETE:
        reasons.append(f"Documentation: {charge.get_documentation_display().lower()} - the scrubber holds the "
                       "claim until every note of the service or day is signed")
    if not charge.profile.confirmed:
        reasons.append(f"The {charge.profile.payer_name} billing profile is not confirmed by a biller")
    code = catalog.lookup(charge.code)
    if code is not None and not code.confirmed:
        reasons.append(f"{charge.code} is marked to confirm ({code.source})")
    return reasons


# ---------------------------------------------------------------------------------------------------------
# KPIs (billing.insight; aggregates only, no patient data)
# ---------------------------------------------------------------------------------------------------------
# Days in A/R follows HFMA MAP Key "Net Days in Accounts Receivable" (net A/R / average daily net patient
# service revenue). Trellis does not know net revenue before payment, so it computes the gross variant used
# by many practices: outstanding insurance A/R (charge - paid - patient responsibility - CO-45 contractual
# write-down, as in ar_aging) / average daily charges billed over the previous AR_AVERAGE_DAYS days.
# Denial rate follows HFMA MAP Key AR-5 "Remittance Denial Rate": claims denied on remittances / claims on
# remittances, by month posted; reversals (CLP02 22) are not adjudications and are left out. Definitions from
# hfma.org/map (MAP Keys definitions); to confirm against the organization's finance reporting.
AR_AVERAGE_DAYS = 90
KPI_MONTHS = 6


@dataclass(frozen=True)
class ArMonth:
    month: date  # first day of the month
    ending_ar: Decimal
    average_daily_charges: Decimal
    days: Decimal | None  # None when nothing was billed in the averaging window


@dataclass(frozen=True)
class ArPayer:
    payer: str
    outstanding: Decimal
    average_daily_charges: Decimal
    days: Decimal | None


@dataclass(frozen=True)
class DenialRow:
    label: str  # a month (YYYY-MM) or a payer name
    remitted: int
    denied: int

    @property
    def rate(self) -> Decimal | None:
        return (Decimal(self.denied) * 100 / self.remitted).quantize(Decimal("0.1")) if self.remitted else None


def _months(today: date, count: int) -> list[date]:
    first = today.replace(day=1)
    out = []
    for _ in range(count):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(out))


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _days(ar: Decimal, average: Decimal) -> Decimal | None:
    return (ar / average).quantize(Decimal("0.1")) if average > 0 else None


@dataclass(frozen=True)
class DaysInAr:
    months: list[ArMonth]
    payers: list[ArPayer]


def days_in_ar(user: User, *, today: date, months: int = KPI_MONTHS) -> DaysInAr:
    """Month-end days in A/R for the last `months` months and today's by payer. Two queries whatever the data."""
    billed = list(
        Claim.objects.restrict(user, Cap.BILLING_INSIGHT).filter(batch__isnull=False).exclude(status=ClaimStatus.VOID)
        .values_list("payer_name", "total_charge", "batch__created_at")
    )
    reductions = list(
        RemittanceClaim.objects.restrict(user, Cap.BILLING_INSIGHT).filter(claim__isnull=False)
        .exclude(claim__status=ClaimStatus.VOID)
        .annotate(contractual=Sum("adjustments__amount", filter=Q(adjustments__group_code="CO",
                                                                  adjustments__reason_code="45")))
        .values_list("claim__payer_name", "paid", "patient_responsibility", "contractual", "remittance__posted_at")
    )
    tz = timezone.get_current_timezone()
    billed_rows = [(payer, amount, when.astimezone(tz).date()) for payer, amount, when in billed]
    reduced_rows = [(payer, paid + patient + (contractual or Decimal("0")), when.astimezone(tz).date())
                    for payer, paid, patient, contractual, when in reductions]

    def ar_on(day: date, payer: str | None = None) -> tuple[Decimal, Decimal]:
        window = day - timedelta(days=AR_AVERAGE_DAYS)
        charged = sum((a for p, a, d in billed_rows if d <= day and (payer is None or p == payer)), Decimal("0"))
        recent = sum((a for p, a, d in billed_rows if window < d <= day and (payer is None or p == payer)),
                     Decimal("0"))
        reduced = sum((a for p, a, d in reduced_rows if d <= day and (payer is None or p == payer)), Decimal("0"))
        return max(charged - reduced, Decimal("0")), (recent / AR_AVERAGE_DAYS).quantize(Decimal("0.01"))

    month_rows = []
    for month in _months(today, months):
        ar, average = ar_on(min(_month_end(month), today))
        month_rows.append(ArMonth(month, ar, average, _days(ar, average)))
    payer_rows = []
    for payer in sorted({p for p, _, _ in billed_rows}):
        ar, average = ar_on(today, payer)
        payer_rows.append(ArPayer(payer, ar, average, _days(ar, average)))
    return DaysInAr(month_rows, payer_rows)


@dataclass(frozen=True)
class DenialRate:
    months: list[DenialRow]
    payers: list[DenialRow]


def denial_rate(user: User, *, today: date, months: int = KPI_MONTHS) -> DenialRate:
    """Remittance denial rate by month posted (last `months` months) and by payer over the same window. One
    query whatever the data."""
    window = _months(today, months)
    start = timezone.make_aware(datetime.combine(window[0], time.min))
    rows = (RemittanceClaim.objects.restrict(user, Cap.BILLING_INSIGHT)
            .filter(remittance__posted_at__gte=start).exclude(status_code="22")
            .values_list("remittance__payer_name", "remittance__posted_at", "denied"))
    tz = timezone.get_current_timezone()
    by_month: dict[date, list[int]] = {m: [0, 0] for m in window}
    by_payer: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for payer, posted_at, denied in rows:
        month = posted_at.astimezone(tz).date().replace(day=1)
        for bucket in (by_month.get(month), by_payer[payer]):
            if bucket is not None:
                bucket[0] += 1
                bucket[1] += int(denied)
    return DenialRate(
        [DenialRow(f"{m:%b %Y}", *by_month[m]) for m in window],
        [DenialRow(payer, *counts) for payer, counts in sorted(by_payer.items())],
    )


# ---------------------------------------------------------------------------------------------------------
# Charge correction: what correcting a charge does, given where it is billed
# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CorrectionPlan:
    kind: str  # in_place | rebuild | replacement | refused
    message: str
    claim: Claim | None = None

    @property
    def allowed(self) -> bool:
        return self.kind != "refused"


def correction_plan(charge: Charge, *, lock: bool = False) -> CorrectionPlan:
    """What a correction of `charge` does (the correction page says it before the biller saves; the service
    follows it). A replacement claim (claim frequency 7, 837 loop 2300 CLM05-3, with the payer's claim number in
    REF*F8 - 005010X222A1 / 005010X223A2) follows a claim the payer adjudicated; before that the payer's claim
    number is unknown. One query (the claim, locked when `lock`)."""
    if charge.status == ChargeStatus.VOID:
        return CorrectionPlan("refused", "This charge is void (it was corrected, or its claim voided): correct the "
                                         "charge that replaced it.")
    if charge.status in (ChargeStatus.OPEN, ChargeStatus.HELD):
        return CorrectionPlan("in_place", "The charge is not on a claim yet: it is corrected in place.")
    claims = Claim.objects.filter(lines__charge=charge).exclude(status=ClaimStatus.VOID).select_related("batch")
    if lock:
        claims = claims.select_for_update(of=("self",))
    found = list(claims.order_by("pk")[:2])
    if not found:
        return CorrectionPlan("refused", "The claim this charge was on is void: the charge cannot be corrected.")
    claim = found[0]
    pcn = claim.patient_control_number
    if len(found) > 1:
        return CorrectionPlan("refused", f"The charge is billed on claim {pcn} and on its secondary claim "
                                         f"{found[1].patient_control_number}: void the secondary claim first, then "
                                         "correct the charge and bill the secondary again.", claim)
    if claim.status in (ClaimStatus.DRAFT, ClaimStatus.SCRUBBED):
        return CorrectionPlan("rebuild", f"Claim {pcn} has not been sent: it is rebuilt with the corrected charge "
                                         "and goes back to the scrubber.", claim)
    if claim.status == ClaimStatus.BATCHED:
        return CorrectionPlan("refused", f"Claim {pcn} is in X12 batch {claim.batch.filename if claim.batch else ''}, "
                                         "which is built but not submitted. A replacement claim needs the payer's "
                                         "claim number: submit the batch and correct the charge once the payer's "
                                         "remittance (835) is posted.", claim)
    if claim.status == ClaimStatus.APPEALED:
        return CorrectionPlan("refused", f"Claim {pcn} is under appeal: correct the charge after the payer decides "
                                         "the appeal.", claim)
    if not claim.payer_claim_number or ClaimStatus.VOID not in lifecycle.TRANSITIONS.get(claim.status, ()):
        return CorrectionPlan("refused", f"Claim {pcn} is {claim.get_status_display().lower()} and awaits the payer. "
                                         "A replacement claim needs the payer's claim number, which comes with the "
                                         "remittance (835): correct the charge once it is posted.", claim)
    return CorrectionPlan("replacement", f"Claim {pcn} was adjudicated by {claim.payer_name} (payer claim number "
                                         f"{claim.payer_claim_number}). Saving voids it and creates a replacement "
                                         f"claim (frequency 7, REF*F8 {claim.payer_claim_number}) with the corrected "
                                         "charge, to scrub and send.", claim)


# ---------------------------------------------------------------------------------------------------------
# Suspense: candidate claims for an unmatched claim payment
# ---------------------------------------------------------------------------------------------------------
SEARCH_LIMIT = 20
MIN_SEARCH = 4


def claim_candidates(user: User, query: str) -> list[Claim]:
    """Claims at the user's sites (billing.manage) whose patient control number or payer claim number is
    `query` (case-insensitive, exact: both columns are indexed, no scan of the claims table). One query."""
    raw = (query or "").strip()
    q = raw.upper()
    if len(q) < MIN_SEARCH:
        return []
    return list(
        Claim.objects.restrict(user, Cap.BILLING_MANAGE)
        .filter(Q(patient_control_number=q) | Q(payer_claim_number__in={q, raw}))
        .select_related("episode__patient", "episode__program__site")
        .order_by("-statement_from", "pk")[:SEARCH_LIMIT]
    )


def claims_paid_by(remittance: Remittance, claims: list[Claim]) -> set[int]:
    """Which of `claims` this remittance already posted a payment to (one query, none without claims)."""
    if not claims:
        return set()
    return set(RemittanceClaim.objects.filter(remittance=remittance, claim__in=[c.pk for c in claims])
               .values_list("claim_id", flat=True))


def rates_on(profile: BillingProfile, day: date) -> list[FeeScheduleEntry]:
    """The profile's rates in force on `day` (the correction page lists them next to the form). One query."""
    return list(FeeScheduleEntry.objects.filter(profile=profile, effective_from__lte=day)
                .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day)).order_by("code"))
