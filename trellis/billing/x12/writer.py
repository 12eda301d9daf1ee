"""837P (005010X222A1) and 837I (005010X223A2) writers: plain dataclasses in, one X12 interchange out.

Segment order, loops and usage follow the ASC X12 005010 implementation guides (Health Care Claim:
Professional X222A1, Institutional X223A2). The structure is checked by pyx12 in the tests; code-set validity
(ICD-10-CM, CPT/HCPCS, revenue codes, NPI check digit) is the scrubber's job, not the writer's.

Hierarchy written: 2000A billing provider (HL 20) -> 2000B subscriber (HL 22) -> [2000C patient (HL 23) when the
patient is not the subscriber] -> 2300 claims. Claims sharing subscriber, patient and payer share one 2000B.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trellis.billing.x12.claims import (
    FREQ_ORIGINAL,
    FREQUENCY_CODES,
    BillingProvider,
    Claim,
    Payer,
    Person,
    Provider,
    Receiver,
    ServiceLine,
    Submitter,
)
from trellis.billing.x12.common import (
    Envelope,
    X12BuildError,
    amount,
    composite,
    d8,
    ge,
    gs,
    icd10_for_x12,
    iea,
    isa,
    quantity,
    segment,
    text,
)

PROFESSIONAL = "005010X222A1"
INSTITUTIONAL = "005010X223A2"


@dataclass(frozen=True)
class Transaction:
    """One ST..SE: one billing provider and its claims. ST02 is passed in (unique within the group)."""

    control_number: int
    billing_provider: BillingProvider
    claims: Sequence[Claim]


@dataclass(frozen=True)
class Interchange:
    envelope: Envelope
    submitter: Submitter
    receiver: Receiver
    transactions: Sequence[Transaction]
    reference_id: str = ""  # BHT03; defaults to the interchange control number


def write_837p(interchange: Interchange) -> str:
    return _write(interchange, PROFESSIONAL)


def write_837i(interchange: Interchange) -> str:
    return _write(interchange, INSTITUTIONAL)


def _write(ic: Interchange, version: str) -> str:
    if not ic.transactions:
        raise X12BuildError("A claim file needs at least one transaction with claims.")
    env = ic.envelope
    out = [isa(env), gs(env, functional_id="HC", version=version)]
    seen_st: set[int] = set()
    for tx in ic.transactions:
        if tx.control_number in seen_st:
            raise X12BuildError(f"Transaction control number {tx.control_number} is used twice in one group.")
        seen_st.add(tx.control_number)
        out.extend(_transaction(ic, tx, version))
    out.append(ge(len(ic.transactions), env))
    out.append(iea(env))
    return "\n".join(out) + "\n"


def _transaction(ic: Interchange, tx: Transaction, version: str) -> list[str]:
    if not tx.claims:
        raise X12BuildError("A transaction needs at least one claim.")
    if not 1 <= tx.control_number <= 999_999_999:
        raise X12BuildError("Transaction set control number must be 1..999999999 (ST02).")
    env = ic.envelope
    st02 = f"{tx.control_number:04d}"
    segs: list[str] = [segment("ST", "837", st02, version)]
    # BHT: 0019 hierarchical structure; 00 original; CH chargeable (837 IG 1.4.x, BHT06).
    segs.append(
        segment(
            "BHT", "0019", "00",
            text(ic.reference_id or f"{env.interchange_control_number}", field="BHT03", max_len=50),
            env.created.strftime("%Y%m%d"), env.created.strftime("%H%M"), "CH",
        )
    )
    # 1000A submitter, 1000B receiver.
    segs.append(segment("NM1", "41", "2", text(ic.submitter.name, field="Submitter name", max_len=60),
                        "", "", "", "", "46", text(ic.submitter.identifier, field="Submitter id", max_len=80)))
    phone = "".join(ch for ch in ic.submitter.contact_phone if ch.isdigit())
    if len(phone) < 10:
        raise X12BuildError("Submitter contact phone needs 10 digits (1000A PER04).")
    segs.append(segment("PER", "IC", text(ic.submitter.contact_name, field="Submitter contact", max_len=60),
                        "TE", phone))
    segs.append(segment("NM1", "40", "2", text(ic.receiver.name, field="Receiver name", max_len=60),
                        "", "", "", "", "46", text(ic.receiver.identifier, field="Receiver id", max_len=80)))
    # 2000A billing provider.
    hl = 1
    segs.append(segment("HL", "1", "", "20", "1"))
    bp = tx.billing_provider
    if bp.taxonomy:
        segs.append(segment("PRV", "BI", "PXC", text(bp.taxonomy, field="Billing provider taxonomy")))
    segs.append(segment("NM1", "85", "2", text(bp.name, field="Billing provider name", max_len=60),
                        "", "", "", "", "XX", _npi(bp.npi, "Billing provider NPI")))
    segs.extend(_address(bp.address, "Billing provider", zip9=True))
    tax_id = "".join(ch for ch in bp.tax_id if ch.isdigit())
    if len(tax_id) != 9:
        raise X12BuildError("Billing provider tax id (EIN) must have 9 digits (2010AA REF*EI).")
    segs.append(segment("REF", "EI", tax_id))

    for group in _subscriber_groups(tx.claims):
        first = group[0]
        hl += 1
        subscriber_hl = hl
        is_self = first.patient is None
        segs.append(segment("HL", str(subscriber_hl), "1", "22", "0" if is_self else "1"))
        sub = first.subscriber
        segs.append(
            segment(
                "SBR", sub.payer_responsibility, "18" if is_self else "",
                text(sub.group_number, field="Group number", max_len=50, required=False),
                "", "", "", "", "", _filing_indicator(first.payer),
            )
        )
        segs.extend(_person("IL", sub.person, member_id=sub.member_id, demographics=is_self))
        segs.append(segment("NM1", "PR", "2", text(first.payer.name, field="Payer name", max_len=60),
                            "", "", "", "", "PI", text(first.payer.payer_id, field="Payer id", max_len=80)))
        if not is_self:
            hl += 1
            segs.append(segment("HL", str(hl), str(subscriber_hl), "23", "0"))
            segs.append(segment("PAT", text(first.patient_relationship, field="Patient relationship")))
            segs.extend(_person("QC", first.patient, member_id="", demographics=True))
        for claim in group:
            segs.extend(_claim_837p(claim) if version == PROFESSIONAL else _claim_837i(claim))

    segs.append(segment("SE", str(len(segs) + 1), st02))
    return segs


def _subscriber_groups(claims: Iterable[Claim]) -> list[list[Claim]]:
    groups: dict[tuple, list[Claim]] = {}
    for claim in claims:
        key = (claim.subscriber, claim.payer, claim.patient, claim.patient_relationship)
        groups.setdefault(key, []).append(claim)
    return list(groups.values())


def _filing_indicator(payer: Payer) -> str:
    return text(payer.claim_filing_indicator, field="Claim filing indicator (SBR09)", max_len=2)


def _npi(value: str, field: str) -> str:
    digits = (value or "").strip()
    if len(digits) != 10 or not digits.isdigit():
        raise X12BuildError(f"{field} must be 10 digits (got {value!r}).")
    return digits


def _address(addr, who: str, *, zip9: bool = False) -> list[str]:
    zip_digits = "".join(ch for ch in addr.postal_code if ch.isdigit())
    if zip9 and len(zip_digits) != 9:
        raise X12BuildError(f"{who} ZIP code needs all 9 digits (ZIP+4) in the 837 billing provider loop.")
    if len(zip_digits) not in (5, 9):
        raise X12BuildError(f"{who} ZIP code must have 5 or 9 digits.")
    state = text(addr.state, field=f"{who} state", max_len=2)
    if len(state) != 2:
        raise X12BuildError(f"{who} state must be a 2-letter code.")
    line2 = text(addr.line2, field=f"{who} address line 2", max_len=55, required=False)
    return [
        segment("N3", text(addr.line1, field=f"{who} street address", max_len=55), line2),
        segment("N4", text(addr.city, field=f"{who} city", max_len=30), state, zip_digits),
    ]


def _person(entity: str, person: Person | None, *, member_id: str, demographics: bool) -> list[str]:
    if person is None:
        raise X12BuildError("Patient details are missing for a dependent claim.")
    who = "Subscriber" if entity == "IL" else "Patient"
    name = [
        "NM1", entity, "1", text(person.last_name, field=f"{who} last name", max_len=60),
        text(person.first_name, field=f"{who} first name", max_len=35),
        text(person.middle_name, field=f"{who} middle name", max_len=25, required=False),
    ]
    if member_id:
        name += ["", "", "MI", text(member_id, field="Member id", max_len=80)]
    segs = [segment(*name)]
    if demographics:
        segs.extend(_address(person.address, who))
        sex = person.sex if person.sex in ("F", "M", "U") else "U"
        segs.append(segment("DMG", "D8", d8(person.birth_date), sex))
    return segs


def _provider(entity: str, provider: Provider, who: str, prv_code: str) -> list[str]:
    segs = [
        segment("NM1", entity, "1", text(provider.last_name, field=f"{who} last name", max_len=60),
                text(provider.first_name, field=f"{who} first name", max_len=35),
                "", "", "", "XX", _npi(provider.npi, f"{who} NPI"))
    ]
    if provider.taxonomy and prv_code:
        segs.append(segment("PRV", prv_code, "PXC", text(provider.taxonomy, field=f"{who} taxonomy")))
    return segs


def _check_claim(claim: Claim, *, max_pointer_dx: int | None) -> None:
    pcn = claim.patient_control_number
    if not claim.lines:
        raise X12BuildError(f"Claim {pcn} has no service lines.")
    if claim.frequency_code not in FREQUENCY_CODES:
        raise X12BuildError(f"Claim {pcn}: frequency code must be 1, 7 or 8 (got {claim.frequency_code!r}).")
    if claim.frequency_code != FREQ_ORIGINAL and not claim.payer_claim_number:
        raise X12BuildError(
            f"Claim {pcn}: a replacement (7) or void (8) needs the payer's claim number (REF*F8)."
        )
    if not claim.diagnosis_codes:
        raise X12BuildError(f"Claim {pcn} has no diagnosis code.")
    if len(claim.diagnosis_codes) > 12:
        raise X12BuildError(f"Claim {pcn}: at most 12 diagnosis codes fit on one claim.")
    for number, line in enumerate(claim.lines, start=1):
        if line.charge < 0:
            raise X12BuildError(f"Claim {pcn} line {number}: the charge cannot be negative.")
        if max_pointer_dx is not None:
            if not line.diagnosis_pointers or len(line.diagnosis_pointers) > max_pointer_dx:
                raise X12BuildError(f"Claim {pcn} line {number}: 1 to 4 diagnosis pointers are required.")
            for pointer in line.diagnosis_pointers:
                if not 1 <= pointer <= len(claim.diagnosis_codes):
                    raise X12BuildError(
                        f"Claim {pcn} line {number}: diagnosis pointer {pointer} is out of range "
                        f"(the claim has {len(claim.diagnosis_codes)} diagnosis codes)."
                    )


def _claim_refs(claim: Claim) -> list[str]:
    segs = []
    if claim.prior_authorization:
        segs.append(segment("REF", "G1", text(claim.prior_authorization, field="Prior authorization", max_len=50)))
    if claim.frequency_code != FREQ_ORIGINAL:
        segs.append(segment("REF", "F8", text(claim.payer_claim_number, field="Payer claim number", max_len=50)))
    if claim.billing_note:
        # 2300 NTE follows the REFs and precedes HI in both guides (X222A1 and X223A2, position 1900); ADD is
        # "additional information", the one note code both guides allow. NTE02 is at most 80 characters: a
        # longer note is refused rather than cut, since a cut notice would say something else.
        note = text(claim.billing_note, field="Claim note")
        if len(note) > 80:
            raise X12BuildError(f"Claim {claim.patient_control_number}: the claim note is longer than 80 characters.")
        segs.append(segment("NTE", "ADD", note))
    return segs


def _procedure(line: ServiceLine) -> str:
    if len(line.modifiers) > 4:
        raise X12BuildError(f"At most 4 modifiers per line (got {len(line.modifiers)}).")
    return composite("HC", text(line.procedure_code, field="Procedure code", max_len=48),
                     *(text(m, field="Modifier", max_len=2) for m in line.modifiers))


def _claim_837p(claim: Claim) -> list[str]:
    _check_claim(claim, max_pointer_dx=4)
    pcn = text(claim.patient_control_number, field="Patient control number", max_len=38)
    pos = text(claim.place_of_service, field="Place of service", max_len=2)
    # CLM05: place of service : B (place of service codes for professional services) : frequency.
    # CLM06 provider signature on file, CLM07 assignment (A assigned), CLM08 benefits assigned, CLM09 release (Y).
    segs = [
        segment("CLM", pcn, amount(claim.total_charge, field="Claim total"), "", "",
                composite(pos, "B", claim.frequency_code), "Y", "A", "Y", "Y")
    ]
    segs.extend(_claim_refs(claim))
    dx = [icd10_for_x12(code) for code in claim.diagnosis_codes]
    segs.append(segment("HI", composite("ABK", dx[0]), *(composite("ABF", code) for code in dx[1:])))
    if claim.rendering_provider:
        segs.extend(_provider("82", claim.rendering_provider, "Rendering provider", "PE"))
    if claim.supervising_provider:
        segs.extend(_provider("DQ", claim.supervising_provider, "Supervising provider", ""))
    for number, line in enumerate(claim.lines, start=1):
        segs.append(segment("LX", str(number)))
        line_pos = line.place_of_service if line.place_of_service and line.place_of_service != pos else ""
        segs.append(
            segment("SV1", _procedure(line), amount(line.charge, field="Line charge"), "UN",
                    quantity(line.units, field="Units"), line_pos, "",
                    composite(*(str(p) for p in line.diagnosis_pointers)))
        )
        segs.append(segment("DTP", "472", "D8", d8(line.service_date)))
        if line.line_control_number:
            segs.append(segment("REF", "6R", text(line.line_control_number, field="Line control number", max_len=50)))
    return segs


def _claim_837i(claim: Claim) -> list[str]:
    _check_claim(claim, max_pointer_dx=None)
    pcn = text(claim.patient_control_number, field="Patient control number", max_len=38)
    tob = (claim.type_of_bill or "").strip()
    if len(tob) != 2 or not tob.isdigit():
        raise X12BuildError(
            f"Claim {pcn}: type of bill needs its first two digits (e.g. 13 hospital outpatient, 76 CMHC)."
        )
    if claim.attending_provider is None:
        raise X12BuildError(f"Claim {pcn}: the institutional claim needs an attending provider (2310A).")
    start = claim.statement_from or min(line.service_date for line in claim.lines)
    end = claim.statement_to or max(line.service_date for line in claim.lines)
    # CLM05: facility type code (first 2 digits of the type of bill) : A (UB-04 type of bill) : frequency.
    # CLM06 not used on the 837I; CLM07 assignment (A), CLM08 benefits assigned (Y), CLM09 release (Y).
    segs = [
        segment("CLM", pcn, amount(claim.total_charge, field="Claim total"), "", "",
                composite(tob, "A", claim.frequency_code), "", "A", "Y", "Y"),
        segment("DTP", "434", "RD8", f"{d8(start)}-{d8(end)}"),
        segment("CL1", claim.admission_type, claim.admission_source, claim.patient_status),
    ]
    segs.extend(_claim_refs(claim))
    dx = [icd10_for_x12(code) for code in claim.diagnosis_codes]
    segs.append(segment("HI", composite("ABK", dx[0])))
    if len(dx) > 1:
        segs.append(segment("HI", *(composite("ABF", code) for code in dx[1:])))
    if claim.condition_codes:
        if len(claim.condition_codes) > 12:
            raise X12BuildError(f"Claim {pcn}: at most 12 condition codes.")
        segs.append(segment("HI", *(composite("BG", text(c, field="Condition code", max_len=2))
                                    for c in claim.condition_codes)))
    segs.extend(_provider("71", claim.attending_provider, "Attending provider", "AT"))
    if claim.rendering_provider:
        segs.extend(_provider("82", claim.rendering_provider, "Rendering provider", ""))
    for number, line in enumerate(claim.lines, start=1):
        rev = (line.revenue_code or "").strip()
        if len(rev) != 4 or not rev.isdigit():
            raise X12BuildError(f"Claim {pcn} line {number}: a 4-digit revenue code is required on the 837I.")
        segs.append(segment("LX", str(number)))
        segs.append(
            segment("SV2", rev, _procedure(line) if line.procedure_code else "",
                    amount(line.charge, field="Line charge"), line.unit_basis,
                    quantity(line.units, field="Units"))
        )
        segs.append(segment("DTP", "472", "D8", d8(line.service_date)))
        if line.line_control_number:
            segs.append(segment("REF", "6R", text(line.line_control_number, field="Line control number", max_len=50)))
    return segs
