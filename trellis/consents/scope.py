"""What a Part 2 consent allows, as data (pure; no database): categories of information, the consent types of
the 2024 rule, the statements each carries, and the check that a disclosure stays inside its consent.

Sources (42 CFR Part 2 as amended, 89 FR 12472, Feb. 16, 2024):
* 2.31(a)(3): the consent describes the information to be disclosed "in a specific and meaningful fashion";
  2.13(a): disclosures are limited to the information necessary for the purpose - so a disclosure carries only the
  categories its consent covers, and records which went out.
* 2.31(a)(4)(i) and 2.33(b): a single consent for all future uses and disclosures for treatment, payment and
  health-care operations, whose recipients may be a class ("my treating providers, health plans...") matched by
  purpose; it states the consequences of refusing to sign and that records may be redisclosed by HIPAA covered
  entities and no longer protected by Part 2 (2.31(a)(4)(iii), (a)(8)-(9) - paragraph numbers TO CONFIRM).
* 2.35: a consent given as a condition of a criminal-justice referral may be irrevocable until a stated date or
  event (the final disposition), and its text says so.
* 2.14: minors - who signs depends on state law: the minor alone where state law lets a minor consent to SUD
  treatment, otherwise the minor and a parent/guardian; the basis is recorded.
* 2.51: disclosure without consent to medical personnel in a bona fide medical emergency, recorded with the
  recipient and affiliation, who disclosed, date and time, and the nature of the emergency.
* 2.25 / 45 CFR 164.528: accounting of disclosures for the 3 years before the request.
"""

from __future__ import annotations

from collections.abc import Iterable

CATEGORIES: dict[str, str] = {
    "diagnoses": "Diagnoses",
    "medications": "Medications",
    "attendance": "Attendance (dates of admission, attendance and discharge)",
    "plan_progress": "Treatment plan progress",
    "risk": "Risk assessments",
    "discharge_summary": "Discharge summary",
    "all_records": "All records",
}
ALL = "all_records"
SCOPE_SOURCE = "42 CFR 2.31(a)(3), 2.13(a)"


class ConsentScope:
    SPECIFIC = "specific"
    TPO = "tpo"
    COURT = "court"
    choices = (
        (SPECIFIC, "Named recipient, stated purpose"),
        (TPO, "Treatment, payment and health-care operations (single consent, 42 CFR 2.33)"),
        (COURT, "Criminal-justice referral (42 CFR 2.35)"),
    )
    values = (SPECIFIC, TPO, COURT)


# TPO recipient classes and the purpose each is matched by (2.31(a)(4)(i)).
TPO_CLASSES: dict[str, tuple[str, str]] = {
    "treating_providers": ("My treating providers", "treatment"),
    "health_plans": ("My health plans and payers", "payment"),
    "operations": ("The program's health-care operations (quality, audits, care coordination)", "operations"),
}
TPO_PURPOSES = {"treatment": "Treatment", "payment": "Payment", "operations": "Health-care operations"}

TPO_REFUSAL_STATEMENT = (
    "If I do not sign this consent, the program will still treat me; it will not be able to share my substance "
    "use disorder records for treatment, payment or health-care operations without another consent, which may "
    "affect payment by my health plan and coordination with my other providers."
)
TPO_REDISCLOSURE_STATEMENT = (
    "Records disclosed under this consent to a HIPAA covered entity or business associate may be redisclosed as "
    "HIPAA permits and may then no longer be protected by 42 CFR part 2 (except that they may not be used in civil, "
    "criminal, administrative or legislative proceedings against me without my consent or a court order)."
)
COURT_STATEMENT = (
    "This consent is given as a condition of a criminal-justice referral (42 CFR 2.35). It cannot be revoked until "
    "{until}; after that date I may revoke it in writing."
)

MINOR_BASES: dict[str, str] = {
    "minor_alone": "State law lets the minor consent to SUD treatment: the minor alone signs (42 CFR 2.14(a))",
    "minor_and_guardian": "State law requires parental consent: the minor and a parent/guardian sign "
                          "(42 CFR 2.14(b))",
    "lacks_capacity": "The minor lacks capacity to make a rational choice: the program director's determination "
                      "(42 CFR 2.14(c))",
}

EMERGENCY_SOURCE = "42 CFR 2.51"
ACCOUNTING_YEARS = 3


def covered(categories: Iterable[str], requested: Iterable[str]) -> tuple[list[str], list[str]]:
    """(sections the consent covers, sections it does not) for a request. An empty category list is a consent
    written before categories were recorded: its free-text description governs, treated as all records."""
    have = set(categories) or {ALL}
    asked = list(dict.fromkeys(requested))
    if ALL in have:
        return asked, []
    return [s for s in asked if s in have], [s for s in asked if s not in have]


def uncovered_message(missing: list[str]) -> str:
    names = ", ".join(CATEGORIES.get(m, m).split(" (")[0].lower() for m in missing)
    return (f"The consent does not cover: {names}. A disclosure includes only the information the consent "
            f"describes ({SCOPE_SOURCE}); ask the patient for a consent that covers it, or leave it out.")


def tpo_class_for(purpose: str) -> str | None:
    return next((k for k, (_label, p) in TPO_CLASSES.items() if p == purpose), None)
