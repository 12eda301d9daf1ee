"""Who may sign a consent: the typed name must be the signer's, never a stand-in.

An electronic signature is the signer's "electronic sound, symbol, or process ... executed or adopted by a
person with the intent to sign" (E-SIGN Act, 15 U.S.C. 7006(5)); a consent signed for the patient must carry
the patient's signature or that of a person authorized to sign for them (42 CFR 2.31(a)(8) and 2.14-2.15 for
Part 2; 45 CFR 164.508(c)(1)(vi) for HIPAA authorizations, with a representative's authority described). So a
patient's typed name must match the legal name on the chart, and a representative must be named with the
relationship that gives them authority.
"""

from __future__ import annotations

import re
import unicodedata

SELF = "self"
REPRESENTATIVE_KINDS = {"parent": "Parent / guardian", "representative": "Personal representative"}
# A middle name (or two) may be typed though the chart records first and last names only.
_MAX_EXTRA_NAMES = 2


def name_tokens(text: str) -> list[str]:
    """Case-, accent- and punctuation-insensitive name parts ("O'Brien-Díaz, Ana" -> obrien, diaz, ana)."""
    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().casefold()
    folded = re.sub(r"['’`.]", "", folded)
    return [t for t in re.split(r"[^a-z0-9]+", folded) if t]


def typed_name_problem(*, typed: str, legal_first: str, legal_last: str, preferred: str = "") -> str | None:
    """Why `typed` is not the patient's own signature, or None when it is.

    Every part of the legal last name must be there, and the legal first name or the preferred name; up to two
    more parts (middle names) are allowed, nothing else."""
    typed_parts = name_tokens(typed)
    last = name_tokens(legal_last)
    firsts = [name_tokens(legal_first), name_tokens(preferred)]
    if not typed_parts:
        return "Type the signer's full name to sign."
    if not all(part in typed_parts for part in last):
        return "The typed name does not match the patient's legal name on the chart."
    first = next((f for f in firsts if f and all(part in typed_parts for part in f)), None)
    if first is None:
        return "The typed name does not match the patient's legal name on the chart."
    extra = [part for part in typed_parts if part not in last and part not in first]
    if len(extra) > _MAX_EXTRA_NAMES:
        return "The typed name does not match the patient's legal name on the chart."
    return None


def representative_problem(*, typed: str, relationship_kind: str, relationship_detail: str) -> str | None:
    """A representative signs with their own full name and the relationship that gives them authority."""
    if relationship_kind not in REPRESENTATIVE_KINDS:
        return "Choose who is signing: the patient, a parent or guardian, or a personal representative."
    if len(name_tokens(typed)) < 2:
        return "Type the representative's full name (first and last) to sign."
    if len((relationship_detail or "").strip()) < 3:
        return "Say how the representative is related to the patient or what authorizes them (e.g. mother, " \
               "court-appointed guardian)."
    return None
