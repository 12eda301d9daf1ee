"""Secondary claims (coordination of benefits): after the primary payer's 835 posts, the same services are billed
to the patient's secondary coverage with what the primary paid and adjusted (837 loops 2320/2330A/2330B at claim
level, 2430 per line; 005010X222A1 and 005010X223A2, section 1.4.1 "Coordination of Benefits").

What goes to the secondary: the primary claim's lines and charges unchanged (CLM02 is the billed amount), the
primary payer as "other payer" (SBR01 P) with its paid amount (AMT*D), its claim-level CAS, the patient's
remaining liability (AMT*EAF), its claim number (REF*F8) and, per line, its paid amount and CAS (SVD/CAS/DTP*573).
A secondary claim is made only when something is left for the secondary: patient responsibility after the
primary's adjudication, or a primary denial.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from trellis.accounts.models import User
from trellis.audit.models import AuditAction
from trellis.billing.models import (
    Adjustment,
    AdjustmentLevel,
    Claim,
    ClaimLine,
    ClaimStatus,
    RemittanceClaim,
)
from trellis.billing.services.claims import _audit, _json, _pcn
from trellis.billing.services.common import CoverageLookup, chunked
from trellis.billing.x12.remittance import REVERSAL

# Adjudicated by the primary payer (lifecycle.ADJUDICATED): paid, partially paid or denied.
COB_STATUSES = (ClaimStatus.PAID, ClaimStatus.PARTIALLY_PAID, ClaimStatus.DENIED)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def adjudication_snapshot(claim: Claim, row: RemittanceClaim, lines: list[ClaimLine],
                          adjustments: list[Adjustment]) -> dict[str, Any]:
    """The primary payer's adjudication of `claim` from its latest (non-reversal) remittance row, as plain JSON
    kept on the secondary claim: what the 837 writes in loops 2320-2330 and 2430."""
    patient = claim.episode.patient
    subscriber = claim.subscriber or {"last_name": patient.legal_last_name, "first_name": patient.legal_first_name}
    by_line: dict[int, list[list[str | None]]] = {}
    claim_level: list[list[str | None]] = []
    for adj in adjustments:
        entry = [adj.group_code, adj.reason_code, str(adj.amount), _money(adj.quantity)]
        if adj.level == AdjustmentLevel.LINE and adj.claim_line_id:
            by_line.setdefault(adj.claim_line_id, []).append(entry)
        elif adj.level == AdjustmentLevel.CLAIM:
            claim_level.append(entry)
    posted = row.remittance.payment_date or row.remittance.posted_at.date()
    return {
        "payer_name": claim.payer_name, "payer_identifier": claim.payer_identifier,
        "claim_filing_indicator": claim.claim_filing_indicator, "member_id": claim.member_id,
        "group_number": claim.group_number, "relationship": claim.relationship,
        "subscriber": {"last_name": subscriber["last_name"], "first_name": subscriber["first_name"]},
        "payer_claim_number": claim.payer_claim_number, "paid": str(claim.paid_amount),
        "patient_responsibility": str(claim.patient_responsibility), "adjudicated_on": posted.isoformat(),
        "adjustments": claim_level,
        "lines": [{"number": line.number, "paid": str(line.paid_amount), "code": line.code,
                   "modifiers": [m for m in line.modifiers.split(",") if m], "revenue_code": line.revenue_code,
                   "units": str(line.units), "adjustments": by_line.get(line.pk, [])}
                  for line in lines],
    }


def secondary_problem(claim: Claim, rows: list[RemittanceClaim], has_secondary: bool) -> str | None:
    """Why no secondary claim is made for `claim` now (None: one is)."""
    pcn = claim.patient_control_number
    if claim.payer_sequence != "P":
        return f"{pcn}: a secondary claim is not billed to a third payer here."
    if has_secondary:
        return f"{pcn}: the secondary claim exists already."
    if claim.status not in COB_STATUSES:
        return f"{pcn}: the primary payer has not adjudicated it ({claim.get_status_display().lower()})."
    if not rows:
        return f"{pcn}: no remittance from the primary payer is posted."
    if claim.status != ClaimStatus.DENIED and claim.patient_responsibility <= 0:
        return f"{pcn}: nothing is left for the secondary (no patient responsibility after the primary)."
    return None


@transaction.atomic
def create_secondary_claims(
    *, claims: Iterable[Claim], secondary_for: CoverageLookup, actor: User | None = None,
) -> tuple[list[Claim], list[str]]:
    """A draft secondary claim for each primary claim adjudicated with something left for the secondary and a
    secondary coverage in force on its first date. Idempotent (a claim with a live secondary claim is skipped).
    Returns the claims made and why the others were not. A fixed number of queries per chunk of claims, besides
    the coverage lookups and one insert per claim made."""
    created: list[Claim] = []
    left: list[str] = []
    for ids in chunked(sorted(c.pk for c in claims)):
        primaries = list(Claim.objects.select_for_update(of=("self",))
                         .select_related("episode__patient", "episode__program", "profile")
                         .filter(pk__in=ids).order_by("pk"))
        with_secondary = set(Claim.objects.filter(primary_claim_id__in=ids).exclude(status=ClaimStatus.VOID)
                             .values_list("primary_claim_id", flat=True))
        rows: dict[int, list[RemittanceClaim]] = {}
        for row in (RemittanceClaim.objects.filter(claim_id__in=ids).exclude(status_code=REVERSAL)
                    .select_related("remittance").order_by("remittance__posted_at", "pk")):
            rows.setdefault(row.claim_id, []).append(row)
        lines: dict[int, list[ClaimLine]] = {}
        for line in ClaimLine.objects.filter(claim_id__in=ids).select_related("charge").order_by("number"):
            lines.setdefault(line.claim_id, []).append(line)
        latest = {claim_id: found[-1] for claim_id, found in rows.items()}
        adjustments: dict[int, list[Adjustment]] = {}
        for adj in Adjustment.objects.filter(remittance_claim__in=list(latest.values())).order_by("pk"):
            adjustments.setdefault(adj.remittance_claim_id, []).append(adj)
        for claim in primaries:
            problem = secondary_problem(claim, rows.get(claim.pk, []), claim.pk in with_secondary)
            if problem:
                left.append(problem)
                continue
            coverage = secondary_for(claim.episode, claim.statement_from)
            if coverage is None:
                left.append(f"{claim.patient_control_number}: no secondary coverage in force on "
                            f"{claim.statement_from:%Y-%m-%d}.")
                continue
            row = latest[claim.pk]
            snapshot = adjudication_snapshot(claim, row, lines.get(claim.pk, []), adjustments.get(row.pk, []))
            created.append(_secondary_from(claim, lines.get(claim.pk, []), coverage, snapshot, actor))
    return created, left


def _secondary_from(primary: Claim, lines: list[ClaimLine], coverage: Any, snapshot: dict[str, Any],
                    actor: User | None) -> Claim:
    copied = {f.attname: getattr(primary, f.attname) for f in Claim._meta.concrete_fields if f.name not in (
        "id", "public_id", "created_at", "updated_at", "created_by", "patient_control_number", "frequency_code",
        "replaces", "payer_claim_number", "status", "status_changed_at", "paid_amount", "patient_responsibility",
        "scrub_problems", "scrubbed_at", "batch", "version", "payer_sequence", "primary_claim", "other_payer",
        "payer_identifier", "payer_name", "claim_filing_indicator", "member_id", "group_number", "relationship",
        "subscriber", "coverage_from", "coverage_to")}
    claim = Claim.objects.create(
        **copied, patient_control_number=_pcn(), payer_sequence="S", primary_claim=primary, other_payer=snapshot,
        payer_identifier=coverage.payer.identifier, payer_name=coverage.payer.name,
        claim_filing_indicator=coverage.payer.claim_filing_indicator, member_id=coverage.member_id,
        group_number=coverage.group_number, relationship=coverage.relationship,
        subscriber=_json(asdict(coverage.subscriber)) if coverage.subscriber else {},
        coverage_from=coverage.active_from, coverage_to=coverage.active_to, created_by=actor,
    )
    ClaimLine.objects.bulk_create([
        ClaimLine(claim=claim, charge=line.charge, number=line.number, code=line.code, modifiers=line.modifiers,
                  revenue_code=line.revenue_code, place_of_service=line.place_of_service, units=line.units,
                  amount=line.amount, service_date=line.service_date, diagnosis_pointers=line.diagnosis_pointers,
                  line_control_number=f"{claim.patient_control_number}-{line.number}")
        for line in lines
    ])
    _audit(claim, actor, AuditAction.CREATE, secondary_of=str(primary.public_id), payer=coverage.payer.identifier)
    return claim


def adjudication_date(snapshot: dict[str, Any]) -> date:
    return date.fromisoformat(snapshot["adjudicated_on"])
