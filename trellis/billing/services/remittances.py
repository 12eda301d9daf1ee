"""835 posting: one transaction per file; nothing partially posted; a payment already posted is not posted
again; claims that do not match go to the suspense list."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from trellis.accounts.models import Site
from trellis.audit.models import AuditAction
from trellis.audit.services import record
from trellis.billing import lifecycle
from trellis.billing.models import (
    Adjustment,
    AdjustmentLevel,
    Claim,
    ClaimLine,
    ClaimStatus,
    Remittance,
    RemittanceClaim,
    SuspenseItem,
)
from trellis.billing.services.claims import set_claim_status
from trellis.billing.x12 import codes
from trellis.billing.x12.remittance import Adjustment as CasAdjustment
from trellis.billing.x12.remittance import (
    ClaimPayment,
    Payment,
    RemittanceParseError,
    ServicePayment,
    parse_835,
)

if TYPE_CHECKING:
    from trellis.accounts.models import User

# CARCs that do not mean "the payer refused part of the service": contractual write-down, patient share,
# prior-payer impact, sequestration (X12 CARC list).
NON_DENIAL_CARCS = frozenset({"1", "2", "3", "45", "23", "253"})


class RemittanceRefused(ValueError):
    """The file is not postable (not an 835, malformed, out of balance, unknown payee); nothing was posted."""


@dataclass
class ImportSummary:
    payments_posted: int = 0
    payments_already_posted: int = 0
    claims_matched: int = 0
    claims_in_suspense: int = 0
    denied: int = 0
    reversals: int = 0
    total_paid: Decimal = Decimal("0")
    provider_adjustments: Decimal = Decimal("0")
    remittances: list[Remittance] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"Payments posted: {self.payments_posted} (already posted, skipped: {self.payments_already_posted})",
            f"Claims matched: {self.claims_matched}; in suspense: {self.claims_in_suspense}; denied: {self.denied};"
            f" reversals: {self.reversals}",
            f"Total paid: {self.total_paid}; provider-level adjustments (PLB): {self.provider_adjustments}",
        ]


def import_remittance(*, content: str, organization: Any, actor: User | None = None,
                      sites: list[Any] | None = None) -> ImportSummary:
    """Post an 835. `sites` limits the payees accepted to those sites (an upload by a biller of some sites
    only); by default any site of the organization."""
    try:
        parsed = parse_835(content)
    except RemittanceParseError as exc:
        raise RemittanceRefused(str(exc)) from exc
    problems = parsed.balance_errors()
    if problems:
        raise RemittanceRefused("The remittance does not balance, nothing was posted: " + " ".join(problems))
    for payment in parsed.payments:
        if payment.total_paid < 0 and payment.credit_debit != "D":
            raise RemittanceRefused(f"Payment {payment.trace_number}: a negative BPR02 total is not allowed.")
    payees = Site.objects.filter(organization=organization)
    if sites is not None:
        payees = payees.filter(pk__in=[s.pk for s in sites])
    by_npi = {s.npi: s for s in payees}
    digest = hashlib.sha256(content.encode("utf-8", "replace")).hexdigest()
    summary = ImportSummary()
    with transaction.atomic():
        for payment in parsed.payments:
            site = by_npi.get(payment.payee_identifier)
            if site is None:
                raise RemittanceRefused(
                    f"Payment {payment.trace_number}: the payee NPI {payment.payee_identifier or '(none)'} is not "
                    "one of this organization's sites (that you bill for); nothing was posted."
                )
            payer_id = payment.payer_identifier or payment.trace_originator
            if Remittance.objects.filter(organization=organization, payer_identifier=payer_id,
                                         trace_number=payment.trace_number).exists():
                summary.payments_already_posted += 1
                continue
            _post(payment, parsed.interchange_control_number, payer_id, site, organization, digest, actor, summary)
    return summary


def _post(payment: Payment, icn: str, payer_id: str, site: Any, organization: Any, digest: str, actor: User,
          summary: ImportSummary) -> None:
    remittance = Remittance.objects.create(
        organization=organization, site=site, payer_identifier=payer_id, payer_name=payment.payer_name[:120],
        trace_number=payment.trace_number, total_paid=payment.total_paid, payment_method=payment.payment_method,
        payment_date=payment.payment_date, file_sha256=digest, interchange_control_number=icn[:9],
        code_list_version=codes.version(), posted_at=timezone.now(), created_by=actor,
    )
    pcns = [c.patient_control_number for c in payment.claims]
    claims = {
        c.patient_control_number: c
        for c in Claim.objects.select_for_update(of=("self",)).select_related("episode__patient").filter(
            patient_control_number__in=pcns, episode__program__organization=organization)
    }
    lines_by_control = {
        line.line_control_number: line
        for line in ClaimLine.objects.select_for_update().filter(claim__in=list(claims.values()))
    }
    adjustments: list[Adjustment] = []
    touched_lines: dict[int, ClaimLine] = {}
    for clp in payment.claims:
        claim = claims.get(clp.patient_control_number)
        row = RemittanceClaim.objects.create(
            remittance=remittance, claim=claim, patient_control_number=clp.patient_control_number,
            status_code=clp.status_code, charge=clp.charge, paid=clp.paid,
            patient_responsibility=clp.patient_responsibility, payer_claim_number=clp.payer_claim_number[:50],
            remark_codes=clp.remark_codes + [r for line in clp.service_lines for r in line.remark_codes],
            denied=_is_denial(clp),
        )
        adjustments.extend(
            Adjustment(remittance=remittance, remittance_claim=row, level=AdjustmentLevel.CLAIM,
                       group_code=a.group_code, reason_code=a.reason_code, amount=a.amount, quantity=a.quantity)
            for a in clp.adjustments
        )
        for svc in clp.service_lines:
            line = lines_by_control.get(svc.line_control_number) if claim else None
            if line is not None:
                _pay_line(line, svc)
                touched_lines[line.pk] = line
            adjustments.extend(
                Adjustment(remittance=remittance, remittance_claim=row, claim_line=line, level=AdjustmentLevel.LINE,
                           group_code=a.group_code, reason_code=a.reason_code, amount=a.amount, quantity=a.quantity)
                for a in svc.adjustments
            )
        if claim is None:
            SuspenseItem.objects.create(
                remittance=remittance, remittance_claim=row, payment=payment_to_json(clp),
                reason=f"No claim with patient control number {clp.patient_control_number[:38]}: match it by hand.",
            )
            summary.claims_in_suspense += 1
            continue
        _apply(claim, clp, row, actor, summary)
    for plb in payment.provider_adjustments:
        adjustments.append(Adjustment(remittance=remittance, level=AdjustmentLevel.PROVIDER, group_code="",
                                      reason_code=plb.reason_code[:5], amount=plb.amount, reference=plb.reference[:50]))
        summary.provider_adjustments += plb.amount
    Adjustment.objects.bulk_create(adjustments)
    ClaimLine.objects.bulk_update(list(touched_lines.values()), ["paid_amount", "allowed_amount"])
    summary.payments_posted += 1
    summary.total_paid += payment.total_paid
    summary.remittances.append(remittance)
    record(action=AuditAction.CREATE, obj=remittance, actor=actor, site=site,
           detail={"claims": len(payment.claims), "suspense": summary.claims_in_suspense})


def _pay_line(line: ClaimLine, svc: ServicePayment) -> None:
    line.paid_amount += svc.paid
    if svc.allowed is not None:
        line.allowed_amount = svc.allowed


def _is_denial(clp: ClaimPayment) -> bool:
    if clp.is_reversal:
        return False
    if clp.is_denied:
        return True
    return clp.paid == 0 and clp.charge > 0 and any(
        a.reason_code not in NON_DENIAL_CARCS for a in clp.all_adjustments()
    )


def _apply(claim: Claim, clp: ClaimPayment, row: RemittanceClaim, actor: User, summary: ImportSummary) -> None:
    claim.paid_amount += clp.paid
    claim.patient_responsibility += clp.patient_responsibility
    if clp.payer_claim_number and not clp.is_reversal:
        claim.payer_claim_number = clp.payer_claim_number[:50]
    summary.claims_matched += 1
    # A reversal takes the payment back (accepted until the corrected payment, if any, follows).
    new_status = _status_after(claim, clp, row.denied)
    summary.reversals += int(clp.is_reversal)
    summary.denied += int(new_status == ClaimStatus.DENIED)
    if claim.status == ClaimStatus.BATCHED:
        # A remittance for a batch not marked submitted (e.g. sent outside Trellis) proves it was submitted.
        set_claim_status(claim=claim, status=ClaimStatus.SUBMITTED, save=False)
    try:
        set_claim_status(claim=claim, status=new_status, save=False)
    except lifecycle.TransitionError as exc:
        raise RemittanceRefused(f"Claim {claim.patient_control_number}: {exc} Nothing was posted.") from exc
    claim.save(update_fields=["paid_amount", "patient_responsibility", "payer_claim_number", "status",
                              "status_changed_at", "updated_at"])
    record(action=AuditAction.UPDATE, obj=claim, patient=claim.episode.patient, actor=actor,
           detail={"remittance": str(row.remittance.public_id), "status": new_status})


# ---------------------------------------------------------------------------------------------------------
# Suspense: a biller matches an unmatched claim payment (CLP) to a claim by hand
# ---------------------------------------------------------------------------------------------------------
class MatchRefused(ValueError):
    """The suspense item cannot be posted to that claim; nothing changed. The message says why."""


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _cas_json(adjustments: list[CasAdjustment]) -> list[list[str | None]]:
    return [[a.group_code, a.reason_code, str(a.amount), _money(a.quantity)] for a in adjustments]


def _cas_from(rows: list[list[str | None]]) -> list[CasAdjustment]:
    return [CasAdjustment(g or "", r or "", Decimal(a or "0"), Decimal(q) if q is not None else None)
            for g, r, a, q in rows]


def payment_to_json(clp: ClaimPayment) -> dict[str, Any]:
    """The amounts and codes of a claim payment, kept on its suspense item (no patient name or member id:
    45 CFR 164.502(b) minimum necessary; the claim the biller picks carries the patient)."""
    return {
        "status_code": clp.status_code, "charge": str(clp.charge), "paid": str(clp.paid),
        "patient_responsibility": str(clp.patient_responsibility), "payer_claim_number": clp.payer_claim_number,
        "claim_filing_indicator": clp.claim_filing_indicator, "frequency_code": clp.frequency_code,
        "adjustments": _cas_json(clp.adjustments), "remark_codes": list(clp.remark_codes),
        "service_lines": [
            {"qualifier": s.procedure_qualifier, "code": s.procedure_code, "modifiers": list(s.modifiers),
             "charge": str(s.charge), "paid": str(s.paid), "revenue_code": s.revenue_code, "units": _money(s.units),
             "service_date": s.service_date.isoformat() if s.service_date else None,
             "line_control_number": s.line_control_number, "allowed": _money(s.allowed),
             "adjustments": _cas_json(s.adjustments), "remark_codes": list(s.remark_codes)}
            for s in clp.service_lines
        ],
    }


def payment_from_json(data: dict[str, Any], row: RemittanceClaim) -> ClaimPayment:
    """The claim payment back from its suspense item. An item stored before the payment was kept is rebuilt
    from its posted row: claim-level amounts and every adjustment at claim level (no service lines)."""
    if not data:
        return ClaimPayment(
            patient_control_number=row.patient_control_number, status_code=row.status_code, charge=row.charge,
            paid=row.paid, patient_responsibility=row.patient_responsibility,
            payer_claim_number=row.payer_claim_number, remark_codes=list(row.remark_codes),
            adjustments=[CasAdjustment(a.group_code, a.reason_code, a.amount, a.quantity)
                         for a in row.adjustments.all()],
        )
    return ClaimPayment(
        patient_control_number=row.patient_control_number, status_code=data["status_code"],
        charge=Decimal(data["charge"]), paid=Decimal(data["paid"]),
        patient_responsibility=Decimal(data["patient_responsibility"]),
        claim_filing_indicator=data.get("claim_filing_indicator", ""),
        payer_claim_number=data.get("payer_claim_number", ""), frequency_code=data.get("frequency_code", ""),
        adjustments=_cas_from(data.get("adjustments", [])), remark_codes=list(data.get("remark_codes", [])),
        service_lines=[
            ServicePayment(
                procedure_qualifier=s["qualifier"], procedure_code=s["code"], modifiers=tuple(s["modifiers"]),
                charge=Decimal(s["charge"]), paid=Decimal(s["paid"]), revenue_code=s.get("revenue_code", ""),
                units=Decimal(s["units"]) if s.get("units") is not None else None,
                service_date=date.fromisoformat(s["service_date"]) if s.get("service_date") else None,
                line_control_number=s.get("line_control_number", ""),
                allowed=Decimal(s["allowed"]) if s.get("allowed") is not None else None,
                adjustments=_cas_from(s.get("adjustments", [])), remark_codes=list(s.get("remark_codes", [])),
            )
            for s in data.get("service_lines", [])
        ],
    )


def _status_after(claim: Claim, clp: ClaimPayment, denied: bool) -> str:
    """The status the automatic posting (`_apply`) would give the claim."""
    if clp.is_reversal:
        return ClaimStatus.ACCEPTED
    if denied:
        return ClaimStatus.DENIED
    if any(a.reason_code not in NON_DENIAL_CARCS for a in clp.all_adjustments()) or any(
        line.paid == 0 and line.charge > 0 for line in clp.service_lines
    ):
        return ClaimStatus.PARTIALLY_PAID
    return ClaimStatus.PAID


UNSENT = (ClaimStatus.DRAFT, ClaimStatus.SCRUBBED, ClaimStatus.VOID)


def match_problems(item: SuspenseItem, claim: Claim, clp: ClaimPayment | None = None,
                   posted: set[int] | None = None) -> list[str]:
    """Why this claim payment cannot be posted to `claim` (empty: it can). Reads the loaded objects plus, unless
    `posted` (claim ids this remittance already paid) is given, one query. Shared by the matching page and the
    service, so the page shows exactly the refusals the service would give."""
    row = item.remittance_claim
    clp = clp or payment_from_json(item.payment, row)
    pcn = claim.patient_control_number
    problems: list[str] = []
    if claim.episode.program.site_id != item.remittance.site_id:
        problems.append(f"Claim {pcn} is billed by another site than the one this payment was made to (payee "
                        "NPI on the 835): match it to a claim of the payee site.")
    if claim.status in UNSENT:
        problems.append(f"Claim {pcn} is {claim.get_status_display().lower()}: it was never sent to a payer, so "
                        "no payment can belong to it.")
    elif claim.status == ClaimStatus.PAID and not clp.is_reversal:
        problems.append(f"Claim {pcn} is already paid: posting this payment would pay it twice. If the payer "
                        "paid twice, record the overpayment with the payer instead.")
    billed = -clp.charge if clp.is_reversal else clp.charge
    if billed != claim.total_charge:
        problems.append(f"The amounts do not balance: the payer adjudicated ${billed:,.2f} billed (CLP03), claim "
                        f"{pcn} billed ${claim.total_charge:,.2f}. Pick the claim with the same billed amount.")
    if posted is None and not problems:
        posted = set(RemittanceClaim.objects.filter(remittance_id=item.remittance_id, claim=claim)
                     .values_list("claim_id", flat=True))
    if not problems and claim.pk in (posted or set()):
        problems.append(f"This remittance already posted a payment to claim {pcn}.")
    if not problems:
        current = ClaimStatus.SUBMITTED if claim.status == ClaimStatus.BATCHED else claim.status
        try:
            lifecycle.check_transition(current, _status_after(claim, clp, row.denied))
        except lifecycle.TransitionError as exc:
            problems.append(f"Claim {pcn}: {exc}")
    return problems


def _lines_for(clp: ClaimPayment, lines: list[ClaimLine]) -> list[ClaimLine | None]:
    """Each service payment's claim line: by REF*6R line control number as the import does, else by procedure
    code and date of service when exactly one unmatched line has them (the payer lost the control numbers
    along with the patient control number)."""
    by_control = {line.line_control_number: line for line in lines}
    used: set[int] = set()
    out: list[ClaimLine | None] = []
    for svc in clp.service_lines:
        line = by_control.get(svc.line_control_number)
        if line is None:
            candidates = [ln for ln in lines if ln.pk not in used and ln.code == svc.procedure_code
                          and ln.service_date == svc.service_date]
            line = candidates[0] if len(candidates) == 1 else None
        if line is not None and line.pk in used:
            line = None
        if line is not None:
            used.add(line.pk)
        out.append(line)
    return out


@transaction.atomic
def match_suspense(*, item: SuspenseItem, claim: Claim, actor: User) -> SuspenseItem:
    """Post a suspense item's claim payment to `claim`, in one transaction and as the import would have (claim
    paid amount, patient responsibility, payer claim number, status; line payments and line adjustments).
    Matching an item again to the same claim changes nothing (idempotent); to another claim it is refused."""
    item = (SuspenseItem.objects.select_for_update(of=("self",))
            .select_related("remittance", "remittance_claim__remittance").get(pk=item.pk))
    row = item.remittance_claim
    if item.resolved_at is not None:
        if row.claim_id == claim.pk:
            return item
        raise MatchRefused("This payment was already matched to another claim; nothing was changed.")
    claim = (Claim.objects.select_for_update(of=("self",)).select_related("episode__patient", "episode__program")
             .get(pk=claim.pk))
    clp = payment_from_json(item.payment, row)
    problems = match_problems(item, claim, clp)
    if problems:
        raise MatchRefused(" ".join(problems))
    row.claim = claim
    row.save(update_fields=["claim", "updated_at"])
    claim_lines = list(ClaimLine.objects.select_for_update().filter(claim=claim).order_by("number"))
    matched = _lines_for(clp, claim_lines)
    touched: dict[int, ClaimLine] = {}
    line_adjustments = list(Adjustment.objects.filter(remittance_claim=row, level=AdjustmentLevel.LINE)
                            .order_by("pk"))
    expected = [line for svc, line in zip(clp.service_lines, matched, strict=True) for _ in svc.adjustments]
    if len(expected) == len(line_adjustments):  # the import stored them in 835 order (bulk_create keeps it)
        for adjustment, line in zip(line_adjustments, expected, strict=True):
            adjustment.claim_line = line
        Adjustment.objects.bulk_update(line_adjustments, ["claim_line"])
    for svc, line in zip(clp.service_lines, matched, strict=True):
        if line is not None:
            _pay_line(line, svc)
            touched[line.pk] = line
    ClaimLine.objects.bulk_update(list(touched.values()), ["paid_amount", "allowed_amount"])
    try:
        _apply(claim, clp, row, actor, ImportSummary())
    except RemittanceRefused as exc:
        raise MatchRefused(str(exc)) from exc
    item.resolved_at, item.resolved_by = timezone.now(), actor
    item.save(update_fields=["resolved_at", "resolved_by", "updated_at"])
    record(action=AuditAction.UPDATE, obj=item, patient=claim.episode.patient, actor=actor,
           site=item.remittance.site,
           detail={"matched_claim": str(claim.public_id), "remittance": str(item.remittance.public_id),
                   "lines_matched": len(touched), "paid": str(clp.paid)})
    return item
