"""42 CFR Part 2 consent elements and the notice against redisclosure (pure; no database).

Sources (42 CFR Part 2 as amended by the final rule "Confidentiality of Substance Use
Disorder (SUD) Patient Records", 89 FR 12472, Feb. 16, 2024; effective April 16, 2024,
compliance date February 16, 2026):

* 42 CFR 2.31(a) - required elements of a written consent (paper or electronic):
  (1) name of the patient; (2) the name or other specific identification of the person(s), or
  class of persons, authorized to make the requested use or disclosure;
  (3) a description of the information to be used or disclosed that identifies it in a
  specific and meaningful fashion; (4) the name(s) of the person(s) or class of persons to
  which a disclosure is to be made (recipient); (5) a description of each purpose of the
  requested use or disclosure; (6) the patient's right to revoke the consent in writing
  (except to the extent already acted in reliance on it) and how the patient may revoke;
  (7) an expiration date or an expiration event that relates to the patient or the purpose;
  (8) the signature of the patient (or of a person authorized under 2.14/2.15);
  (9) the date on which the consent is signed.
  (a)(1)-(4) checked against the 2024 text (govregs.com copy of the eCFR); (a)(4)(iii): when the
  recipient is a HIPAA covered entity or business associate receiving records for treatment,
  payment or health care operations, the consent must state that the record may be redisclosed
  as HIPAA permits, except for uses and disclosures in civil, criminal, administrative and
  legislative proceedings against the patient. Trellis always includes that statement, and a
  statement that treatment is not conditioned on signing (HIPAA 45 CFR 164.508(c)(2)(ii)
  alignment; whether 2.31 itself requires it is TO CONFIRM). Paragraph numbers (5)-(9) are
  from memory of the 2024 text and are TO CONFIRM against the eCFR.
* 42 CFR 2.31(c) - a consent that is expired, revoked, or known to be deficient is not valid
  (2.31(c) "Expired, deficient, or false consent" - paragraph letter TO CONFIRM).
* 42 CFR 2.32 "Notice and copy of consent to accompany disclosure" (2024): each disclosure made with
  written consent is accompanied by Statement 1 (2.32(a)(1), text below) or the abbreviated Statement 2
  (2.32(a)(2)), and by a copy of the consent or a clear explanation of its scope (paragraph letter of
  the copy/scope requirement TO CONFIRM). Trellis prints the full Statement 1 and the consent's scope on
  every letter/export (trellis.episodes.summary.consent_scope_lines).
* 42 CFR 2.25 (2024) - patient's right to an accounting of disclosures made with consent
  (compliance with the accounting requirement is tied to the HIPAA accounting rule; see
  the final rule preamble) - Trellis keeps the accounting for every disclosure regardless.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

REGULATION = "42 CFR Part 2 (as amended, 89 FR 12472, Feb. 16, 2024)"

REDISCLOSURE_NOTICE_VERSION = "2.32(a)(1)-2024"
REDISCLOSURE_NOTICE = (
    "This record which has been disclosed to you is protected by Federal confidentiality "
    "rules (42 CFR part 2). These rules prohibit you from using or disclosing this record, or "
    "testimony that describes the information contained in this record, in any civil, "
    "criminal, administrative, or legislative proceedings by any Federal, State, or local "
    "authority, against the patient, unless authorized by the consent of the patient, except "
    "as provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR "
    "2.64 or 2.65. In addition, the Federal rules prohibit you from making any other use or "
    "disclosure of this record unless at least one of the following applies: (i) Further use "
    "or disclosure is expressly permitted by the written consent of the individual whose "
    "information is being disclosed in this record or as otherwise permitted by 42 CFR part 2. "
    "(ii) You are a covered entity or business associate and have received the record for "
    "treatment, payment, or health care operations, or (iii) You have received the record "
    "from a covered entity or business associate as permitted by 45 CFR part 164, subparts A "
    "and E. A general authorization for the release of medical or other information is NOT "
    "sufficient to meet the required elements of written consent to further use or redisclose "
    "the record (see 42 CFR 2.31)."
)
ABBREVIATED_NOTICE = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."

# Notice for non-Part 2 disclosures made under a HIPAA authorization (45 CFR 164.508(c)(2)(iii)
# requires the authorization itself to state the redisclosure potential; Trellis stamps a
# short confidentiality notice on every outside disclosure).
CONFIDENTIALITY_NOTICE = (
    "CONFIDENTIAL: This document contains protected health information disclosed under the "
    "patient's authorization. Do not further disclose it except as permitted by law "
    "(45 CFR 164.508)."
)


@dataclass(frozen=True, slots=True)
class Element:
    key: str
    citation: str
    label: str


PART2_ELEMENTS: tuple[Element, ...] = (
    Element("patient_name", "2.31(a)(1)", "Name of the patient"),
    Element("discloser", "2.31(a)(2)", "Who may make the disclosure (person or class of persons)"),
    Element("information", "2.31(a)(3)", "Description of the information to be disclosed"),
    Element("recipient", "2.31(a)(4)", "Recipient (name of the person or class of persons)"),
    Element("purpose", "2.31(a)(5)", "Purpose of each use or disclosure"),
    Element("revocation_statement", "2.31(a)(6)", "Right to revoke in writing and how to revoke"),
    Element("expiration", "2.31(a)(7)", "Expiration date or expiration event"),
    Element("signature", "2.31(a)(8)", "Signature of the patient (or authorized person)"),
    Element("signed_on", "2.31(a)(9)", "Date the consent was signed"),
    Element("redisclosure_statement", "2.31(a)(4)(iii)", "Statement on redisclosure under HIPAA"),
    Element(
        "conditioning_statement",
        "Trellis policy; 45 CFR 164.508(c)(2)(ii) alignment",
        "Statement that treatment is not conditioned on signing",
    ),
)
ELEMENT_BY_KEY = {e.key: e for e in PART2_ELEMENTS}

# HIPAA authorization core elements for an ordinary release of information
# (45 CFR 164.508(c)(1)): description, who may disclose, recipient, purpose, expiration,
# signature and date. (Revocation statement: 164.508(c)(2)(i).)
HIPAA_ELEMENTS: tuple[str, ...] = (
    "patient_name",
    "discloser",
    "information",
    "recipient",
    "purpose",
    "revocation_statement",
    "expiration",
    "signature",
    "signed_on",
)


@dataclass(frozen=True, slots=True)
class ConsentFacts:
    """Plain facts about a consent, as a checker input."""

    patient_name: str = ""
    discloser: str = ""
    information: str = ""
    recipient: str = ""
    purpose: str = ""
    revocation_statement: str = ""
    expires_on: dt.date | None = None
    expiration_event: str = ""
    signature: str = ""  # typed name of the signer
    signed_on: dt.date | None = None
    redisclosure_statement: str = ""
    conditioning_statement: str = ""


def missing_elements(facts: ConsentFacts, *, part2: bool) -> list[Element]:
    """Elements required by 42 CFR 2.31(a) (part2=True) or 45 CFR 164.508(c) that are absent."""
    present = {
        "patient_name": bool(facts.patient_name.strip()),
        "discloser": bool(facts.discloser.strip()),
        "information": bool(facts.information.strip()),
        "recipient": bool(facts.recipient.strip()),
        "purpose": bool(facts.purpose.strip()),
        "revocation_statement": bool(facts.revocation_statement.strip()),
        "expiration": facts.expires_on is not None or bool(facts.expiration_event.strip()),
        "signature": bool(facts.signature.strip()),
        "signed_on": facts.signed_on is not None,
        "redisclosure_statement": bool(facts.redisclosure_statement.strip()),
        "conditioning_statement": bool(facts.conditioning_statement.strip()),
    }
    keys = [e.key for e in PART2_ELEMENTS] if part2 else list(HIPAA_ELEMENTS)
    return [ELEMENT_BY_KEY[k] for k in keys if not present[k]]


def describe_missing(missing: list[Element]) -> str:
    return "This consent is missing: " + "; ".join(f"{e.label} ({e.citation})" for e in missing) + "."


def is_in_force(
    *,
    on: dt.date,
    signed_on: dt.date | None,
    expires_on: dt.date | None,
    revoked_on: dt.date | None,
    expiration_event_occurred: bool = False,
) -> bool:
    """A consent can be relied on for a disclosure on `on` if it was signed on or before that
    day, has not expired (expiry date inclusive) and was not revoked on or before that day.
    Revocation stops future disclosures; past disclosures stay valid (2.31(a)(6))."""
    if signed_on is None or on < signed_on:
        return False
    if expires_on is not None and on > expires_on:
        return False
    if expiration_event_occurred:
        return False
    return not (revoked_on is not None and on >= revoked_on)


def text_digest(text: str) -> str:
    """SHA-256 of the exact text version a patient signed (e-signature evidence)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


DEFAULT_REVOCATION_STATEMENT = (
    "You may revoke this consent at any time, in writing, by giving or sending a signed "
    "revocation to the program, except to the extent that the program or other lawful holder "
    "of your information has already acted in reliance on it."
)
DEFAULT_REDISCLOSURE_STATEMENT = (
    "If the recipient is a HIPAA covered entity or business associate receiving my record for "
    "treatment, payment, or health care operations, my record may be redisclosed in accordance with "
    "the permissions contained in the HIPAA regulations, except for uses and disclosures for civil, "
    "criminal, administrative, and legislative proceedings against me (42 CFR 2.31(a)(4)(iii))."
)
DEFAULT_CONDITIONING_STATEMENT = (
    "Your treatment, payment, enrollment, or eligibility for benefits will not be conditioned "
    "on whether you sign this consent."
)
