"""Billing code catalogue and code-selection rules (pure: no Django). Every code names its source.

No live re-check against the publishers was possible from the build machines: `confirmed=True` marks facts the
team is sure of, `confirmed=False` facts a biller should confirm. CPT descriptors are AMA copyright and are
paraphrased, not quoted.
"""

from __future__ import annotations

from dataclasses import dataclass

HCPCS_SOURCE = "CMS HCPCS Level II code set (annual alpha-numeric file)"
CPT_SOURCE = "AMA CPT Professional (Psychiatry section, psychotherapy guidelines)"
NUBC_SOURCE = "NUBC Official UB-04 Data Specifications Manual"
POS_SOURCE = "CMS Place of Service code set (cms.gov, POS 02/10 as revised 2022-01-01)"


@dataclass(frozen=True)
class Code:
    code: str
    kind: str  # cpt, hcpcs, revenue, condition, type_of_bill, pos, modifier
    description: str
    source: str
    confirmed: bool = True


CODES: dict[str, Code] = {
    c.code if c.kind in ("cpt", "hcpcs") else f"{c.kind}:{c.code}": c
    for c in [
        # Per diem (837I/837P, per payer).
        Code("S9480", "hcpcs", "Intensive outpatient psychiatric services, per diem", HCPCS_SOURCE),
        Code("H0015", "hcpcs", "Alcohol and/or drug services; intensive outpatient (program of at least 3 hours/day "
             "and 3 days/week)", HCPCS_SOURCE),
        Code("H0035", "hcpcs", "Mental health partial hospitalization, treatment, less than 24 hours", HCPCS_SOURCE),
        Code("S0201", "hcpcs", "Partial hospitalization services, less than 24 hours, per diem", HCPCS_SOURCE),
        # Per service (837P).
        Code("90791", "cpt", "Psychiatric diagnostic evaluation", CPT_SOURCE),
        Code("90792", "cpt", "Psychiatric diagnostic evaluation with medical services", CPT_SOURCE),
        Code("90832", "cpt", "Psychotherapy, 30 minutes with patient (16-37 minutes)", CPT_SOURCE),
        Code("90834", "cpt", "Psychotherapy, 45 minutes with patient (38-52 minutes)", CPT_SOURCE),
        Code("90837", "cpt", "Psychotherapy, 60 minutes with patient (53 minutes or more)", CPT_SOURCE),
        Code("90846", "cpt", "Family psychotherapy without the patient present, 50 minutes", CPT_SOURCE),
        Code("90847", "cpt", "Family psychotherapy with the patient present, 50 minutes", CPT_SOURCE),
        Code("90853", "cpt", "Group psychotherapy (other than of a multiple-family group)", CPT_SOURCE),
        Code("99212", "cpt", "Office/outpatient visit, established patient, 10+ minutes total time",
             "AMA CPT E/M guidelines (office/outpatient, 2021 revision; time thresholds 'must be met or exceeded' "
             "from 2024)", confirmed=False),
        Code("99213", "cpt", "Office/outpatient visit, established patient, 20+ minutes total time",
             "AMA CPT E/M guidelines (2021 revision)", confirmed=False),
        Code("99214", "cpt", "Office/outpatient visit, established patient, 30+ minutes total time",
             "AMA CPT E/M guidelines (2021 revision)", confirmed=False),
        Code("99215", "cpt", "Office/outpatient visit, established patient, 40+ minutes total time",
             "AMA CPT E/M guidelines (2021 revision)", confirmed=False),
        # Revenue codes (NUBC 090x/091x behavioral health).
        Code("0905", "revenue", "Behavioral health - intensive outpatient services, psychiatric", NUBC_SOURCE),
        Code("0906", "revenue", "Behavioral health - intensive outpatient services, chemical dependency", NUBC_SOURCE),
        Code("0912", "revenue", "Partial hospitalization - less intensive", NUBC_SOURCE),
        Code("0913", "revenue", "Partial hospitalization - intensive", NUBC_SOURCE),
        Code("0914", "revenue", "Behavioral health treatment - individual therapy", NUBC_SOURCE, confirmed=False),
        Code("0915", "revenue", "Behavioral health treatment - group therapy", NUBC_SOURCE, confirmed=False),
        Code("0916", "revenue", "Behavioral health treatment - family therapy", NUBC_SOURCE, confirmed=False),
        # Condition codes.
        Code("41", "condition", "Partial hospitalization (Medicare)", NUBC_SOURCE),
        Code("92", "condition", "Intensive outpatient program (Medicare IOP, from 2024-01-01)",
             f"{NUBC_SOURCE}; CMS CY2024 OPPS final rule (IOP benefit) - effective date to confirm", confirmed=False),
        # Type of bill (first two digits; the third is the claim frequency).
        Code("13", "type_of_bill", "Hospital outpatient", NUBC_SOURCE),
        Code("76", "type_of_bill", "Clinic - community mental health center", NUBC_SOURCE),
        # Place of service.
        Code("02", "pos", "Telehealth provided other than in patient's home", POS_SOURCE),
        Code("10", "pos", "Telehealth provided in patient's home", POS_SOURCE),
        Code("11", "pos", "Office", POS_SOURCE),
        Code("52", "pos", "Psychiatric facility - partial hospitalization", POS_SOURCE),
        Code("53", "pos", "Community mental health center", POS_SOURCE),
        Code("57", "pos", "Non-residential substance abuse treatment facility", POS_SOURCE),
        # Modifiers.
        Code("95", "modifier", "Synchronous telemedicine service via real-time audio and video",
             "AMA CPT Appendix P"),
        Code("93", "modifier", "Synchronous telemedicine service via telephone or other real-time audio-only",
             "AMA CPT Appendix T (2022)"),
        Code("GT", "modifier", "Via interactive audio and video telecommunication systems",
             f"{HCPCS_SOURCE} (Medicare uses it only for critical access hospital method II; other payers vary)"),
        Code("FQ", "modifier", "Service furnished using audio-only communication technology",
             f"{HCPCS_SOURCE} (2022)"),
    ]
}


def lookup(code: str, kind: str = "") -> Code | None:
    if kind and kind not in ("cpt", "hcpcs"):
        return CODES.get(f"{kind}:{code}")
    return CODES.get(code)


def is_known_procedure(code: str) -> bool:
    found = CODES.get(code)
    return found is not None and found.kind in ("cpt", "hcpcs")


# ---------------------------------------------------------------------------------------------------------
# Time rules
# ---------------------------------------------------------------------------------------------------------
# CPT time rule: "A unit of time is attained when the mid-point is passed" (AMA CPT, Introduction, "Time"),
# which gives the psychotherapy ranges published in the CPT psychotherapy guidelines: 90832 16-37 minutes,
# 90834 38-52, 90837 53 or more; under 16 minutes psychotherapy is not reported.
PSYCHOTHERAPY_BANDS: tuple[tuple[int, str], ...] = ((53, "90837"), (38, "90834"), (16, "90832"))
# Family psychotherapy 90846/90847 are 50-minute codes: by the same mid-point rule they need 26+ minutes.
FAMILY_MINIMUM_MINUTES = 26
# Office/outpatient E/M by total time on the date (AMA E/M guidelines 2021; thresholds met or exceeded).
EM_BANDS: tuple[tuple[int, str], ...] = ((40, "99215"), (30, "99214"), (20, "99213"), (10, "99212"))


class NotBillable(ValueError):
    """The service cannot be coded (e.g. too few minutes); the message says why."""


def _timed_code(minutes: int, bands: tuple[tuple[int, str], ...], refusal: str) -> str:
    """The code of the first band (listed longest first) whose floor `minutes` meets; `refusal` under them all."""
    for floor, code in bands:
        if minutes >= floor:
            return code
    raise NotBillable(refusal)


def psychotherapy_code(minutes: int) -> str:
    return _timed_code(minutes, PSYCHOTHERAPY_BANDS,
                       f"Individual psychotherapy of {minutes} minutes is under the 16-minute CPT minimum.")


def family_code(minutes: int, *, patient_present: bool = True) -> str:
    if minutes < FAMILY_MINIMUM_MINUTES:
        raise NotBillable(f"Family psychotherapy of {minutes} minutes is under the 26-minute mid-point of 50.")
    return "90847" if patient_present else "90846"


def em_code(minutes: int) -> str:
    return _timed_code(minutes, EM_BANDS,
                       f"A medication-management visit of {minutes} minutes is under 10 minutes total time.")


def evaluation_code(*, with_medical_services: bool) -> str:
    return "90792" if with_medical_services else "90791"


# Service types (trellis.programs.models.ServiceType values) to the per-service code rule.
GROUP_SERVICE_TYPES = ("group_psychotherapy", "skills_group", "psychoeducation")


def per_service_code(service_type: str, minutes: int, *, physician: bool = False) -> str:
    """The CPT code for one attended service (professional, per-service billing)."""
    if service_type in GROUP_SERVICE_TYPES:
        # 90853 is not a timed code; skills groups and psychoeducation bill as group psychotherapy only when
        # the payer allows it (fee schedule row present) - the fee schedule decides, not this function.
        return "90853"
    if service_type == "individual_therapy":
        return psychotherapy_code(minutes)
    if service_type == "family_therapy":
        return family_code(minutes)
    if service_type == "intake":
        return evaluation_code(with_medical_services=physician)
    if service_type == "medication_management":
        return em_code(minutes)
    raise NotBillable(f"Service type {service_type!r} has no per-service code in Trellis.")


def telehealth_place_of_service(*, patient_at_home: bool) -> str:
    return "10" if patient_at_home else "02"
