"""835 writer (the payer's side), from the same dataclasses the parser returns.

Trellis never sends 835s; this exists for demo data, tests and benchmarks (a round trip write -> parse must
give back the same payment, and pyx12 must accept the file). Loop order per 005010X221A1.
"""

from __future__ import annotations

from trellis.billing.x12.common import Envelope, amount, composite, d8, gs, iea, isa, segment, text
from trellis.billing.x12.remittance import Adjustment, Payment

VERSION = "005010X221A1"


def _cas(adjustments: list[Adjustment]) -> list[str]:
    by_group: dict[str, list[Adjustment]] = {}
    for adj in adjustments:
        by_group.setdefault(adj.group_code, []).append(adj)
    segs = []
    for group, items in by_group.items():
        for start in range(0, len(items), 6):
            elements = ["CAS", group]
            for adj in items[start:start + 6]:
                elements += [adj.reason_code, amount(adj.amount, field="CAS amount"),
                             "" if adj.quantity is None else format(adj.quantity.normalize(), "f")]
            segs.append(segment(*elements))
    return segs


def write_835(env: Envelope, payments: list[Payment]) -> str:
    out = [isa(env), gs(env, functional_id="HP", version=VERSION)]
    for number, p in enumerate(payments, start=1):
        st02 = f"{number:04d}"
        segs = [segment("ST", "835", st02)]
        bpr = ["BPR", p.handling_code or "I", amount(abs(p.total_paid), field="BPR02"), p.credit_debit or "C",
               p.payment_method or "CHK"] + [""] * 11 + [d8(p.payment_date) if p.payment_date else ""]
        segs.append(segment(*bpr))
        segs.append(segment("TRN", "1", text(p.trace_number, field="Trace number"), p.trace_originator or "1000000000"))
        if p.production_date:
            segs.append(segment("DTM", "405", d8(p.production_date)))
        segs.append(segment("N1", "PR", text(p.payer_name, field="Payer name", max_len=60)))
        segs.append(segment("N3", "1 PAYER WAY"))
        segs.append(segment("N4", "HARTFORD", "CT", "06101"))
        segs.append(segment("PER", "BL", "PROVIDER SERVICES", "TE", "8005551234"))
        segs.append(segment("N1", "PE", text(p.payee_name, field="Payee name", max_len=60), "XX", p.payee_identifier))
        for index, claim in enumerate(p.claims):
            if index == 0:
                segs.append(segment("LX", "1"))
            segs.append(segment(
                "CLP", text(claim.patient_control_number, field="CLP01"), claim.status_code,
                amount(claim.charge, field="CLP03"), amount(claim.paid, field="CLP04"),
                amount(claim.patient_responsibility, field="CLP05") if claim.patient_responsibility else "",
                claim.claim_filing_indicator or "12", claim.payer_claim_number, claim.facility_code or "11",
                claim.frequency_code or "1",
            ))
            segs.extend(_cas(claim.adjustments))
            segs.append(segment("NM1", "QC", "1", text(claim.patient_last_name or "PATIENT", field="Patient"),
                                text(claim.patient_first_name, field="Patient", required=False), "", "", "",
                                "MI" if claim.patient_identifier else "", claim.patient_identifier))
            if claim.remark_codes:
                segs.append(segment("MOA", "", "", *claim.remark_codes[:5]))
            for line in claim.service_lines:
                proc = composite(line.procedure_qualifier or "HC", line.procedure_code, *line.modifiers)
                segs.append(segment("SVC", proc, amount(line.charge, field="SVC02"), amount(line.paid, field="SVC03"),
                                    line.revenue_code, format(line.units.normalize(), "f") if line.units else ""))
                if line.service_date:
                    segs.append(segment("DTM", "472", d8(line.service_date)))
                segs.extend(_cas(line.adjustments))
                if line.line_control_number:
                    segs.append(segment("REF", "6R", line.line_control_number))
                if line.allowed is not None:
                    segs.append(segment("AMT", "B6", amount(line.allowed, field="AMT02")))
                segs.extend(segment("LQ", "HE", code) for code in line.remark_codes)
        if p.provider_adjustments:
            first = p.provider_adjustments[0]
            elements = ["PLB", first.provider_identifier, d8(first.fiscal_period_end) if first.fiscal_period_end else ""]
            for adj in p.provider_adjustments[:6]:
                elements += [composite(adj.reason_code, adj.reference), amount(adj.amount, field="PLB amount")]
            segs.append(segment(*elements))
        segs.append(segment("SE", str(len(segs) + 1), st02))
        out.extend(segs)
    out.append(segment("GE", str(len(payments)), str(env.group_control_number)))
    out.append(iea(env))
    return "\n".join(out) + "\n"
