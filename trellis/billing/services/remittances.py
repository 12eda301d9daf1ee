"""835 posting: one transaction per file; nothing partially posted; a payment already posted is not posted
again; claims that do not match go to the suspense list."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
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
from trellis.billing.x12.remittance import ClaimPayment, Payment, RemittanceParseError, parse_835

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
                line.paid_amount += svc.paid
                if svc.allowed is not None:
                    line.allowed_amount = svc.allowed
                touched_lines[line.pk] = line
            adjustments.extend(
                Adjustment(remittance=remittance, remittance_claim=row, claim_line=line, level=AdjustmentLevel.LINE,
                           group_code=a.group_code, reason_code=a.reason_code, amount=a.amount, quantity=a.quantity)
                for a in svc.adjustments
            )
        if claim is None:
            SuspenseItem.objects.create(
                remittance=remittance, remittance_claim=row,
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
    if clp.is_reversal:
        summary.reversals += 1
        new_status = ClaimStatus.ACCEPTED  # payment taken back; the corrected payment (if any) follows
    elif row.denied:
        summary.denied += 1
        new_status = ClaimStatus.DENIED
    elif any(a.reason_code not in NON_DENIAL_CARCS for a in clp.all_adjustments()) or any(
        line.paid == 0 and line.charge > 0 for line in clp.service_lines
    ):
        new_status = ClaimStatus.PARTIALLY_PAID
    else:
        new_status = ClaimStatus.PAID
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
