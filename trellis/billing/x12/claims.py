"""Plain-data inputs for the 837P and 837I writers (no Django). Frozen so they can be grouped and hashed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# CLM05-3 / CLM05 frequency codes (NUBC claim frequency; 837 IG 2300 CLM05-3):
FREQ_ORIGINAL = "1"
FREQ_REPLACEMENT = "7"  # replacement of prior claim: REF*F8 carries the payer's claim control number
FREQ_VOID = "8"  # void/cancel of prior claim: REF*F8 required
FREQUENCY_CODES = (FREQ_ORIGINAL, FREQ_REPLACEMENT, FREQ_VOID)


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str = ""


@dataclass(frozen=True)
class Submitter:
    name: str
    identifier: str  # 1000A NM109 (ETIN assigned by the receiver)
    contact_name: str
    contact_phone: str  # digits only


@dataclass(frozen=True)
class Receiver:
    name: str
    identifier: str  # 1000B NM109


@dataclass(frozen=True)
class BillingProvider:
    name: str
    npi: str
    tax_id: str  # EIN, 9 digits (REF*EI)
    address: Address  # street address; ZIP+4 required by the IG for 2010AA
    taxonomy: str = ""  # PRV*BI*PXC when the payer requires it


@dataclass(frozen=True)
class Provider:
    """A person provider: rendering (82), attending (71), supervising (DQ)."""

    last_name: str
    first_name: str
    npi: str
    taxonomy: str = ""


@dataclass(frozen=True)
class Payer:
    name: str
    payer_id: str  # NM109 with qualifier PI
    # SBR09 claim filing indicator: CI commercial, MB Medicare Part B, MA Medicare Part A, MC Medicaid,
    # BL BCBS, HM HMO, 16 Medicare Advantage HMO ... (837 IG 2000B SBR09 code list)
    claim_filing_indicator: str = "CI"


@dataclass(frozen=True)
class Person:
    last_name: str
    first_name: str
    birth_date: date
    sex: str  # F, M, U
    address: Address
    middle_name: str = ""


@dataclass(frozen=True)
class Subscriber:
    person: Person
    member_id: str
    group_number: str = ""
    payer_responsibility: str = "P"  # SBR01: P primary, S secondary, T tertiary


@dataclass(frozen=True)
class ServiceLine:
    procedure_code: str  # CPT/HCPCS
    charge: Decimal
    units: Decimal
    service_date: date
    diagnosis_pointers: tuple[int, ...] = (1,)  # 1-based into Claim.diagnosis_codes (837P: up to 4)
    modifiers: tuple[str, ...] = ()
    revenue_code: str = ""  # 837I SV201 (e.g. 0905)
    place_of_service: str = ""  # 837P SV105, only when it differs from the claim's
    line_control_number: str = ""  # REF*6R: echoed back in the 835 SVC loop
    unit_basis: str = "UN"  # UN units; DA days (837I)


@dataclass(frozen=True)
class Claim:
    patient_control_number: str  # CLM01: echoed back as CLP01 in the 835
    subscriber: Subscriber
    payer: Payer
    diagnosis_codes: tuple[str, ...]  # ICD-10-CM, principal first
    lines: tuple[ServiceLine, ...]
    frequency_code: str = FREQ_ORIGINAL
    payer_claim_number: str = ""  # REF*F8, required for frequency 7/8
    prior_authorization: str = ""  # REF*G1
    patient: Person | None = None  # None when the patient is the subscriber
    patient_relationship: str = "18"  # PAT01/SBR02: 18 self, 01 spouse, 19 child, G8 other
    rendering_provider: Provider | None = None  # 837P 2310B
    supervising_provider: Provider | None = None  # 837P 2310D
    attending_provider: Provider | None = None  # 837I 2310A (required on the 837I)
    place_of_service: str = "11"  # 837P CLM05-1 (POS code set: 02/10 telehealth, 11 office, 52 PHP...)
    type_of_bill: str = ""  # 837I: the first two digits (13 hospital outpatient, 76 CMHC); the 3rd is the frequency
    condition_codes: tuple[str, ...] = ()  # 837I HI*BG (NUBC: 41 PHP, 92 IOP)
    statement_from: date | None = None  # 837I DTP*434 (defaults to the first/last line dates)
    statement_to: date | None = None
    patient_status: str = "30"  # 837I CL103 (NUBC patient discharge status: 30 still a patient, 01 home)
    admission_type: str = "3"  # 837I CL101 (NUBC priority of visit: 3 elective)
    admission_source: str = "1"  # 837I CL102 (NUBC point of origin: 1 non-health-care facility)
    # 2300 NTE*ADD (837P "Claim Note", 837I "Billing Note", 80 characters): the abbreviated 42 CFR 2.32(a)(2)
    # redisclosure notice when the claim discloses records of a Part 2 program.
    billing_note: str = ""
    notes: tuple[str, ...] = field(default=())  # not written; room for scrubber context

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal("0"))
