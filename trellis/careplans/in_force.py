"""Which treatment-plan version is in force on a day (pure; no database). One rule for the plan pages, the
billable-service selector (trellis.careplans.billable) and the audit-readiness report.

Rules and sources:
* Services are furnished under an individualized written plan of treatment - 42 CFR 424.24(e)(1)(ii) and
  410.43(a)(3); a version counts once the clinician has signed it, from its effective date.
* In a program that requires physician certification (PHP; IOP since CY2024), the plan "is established and
  periodically reviewed by a physician" - 42 CFR 424.24(e)(2)(i): a version is in force only once a physician has
  co-signed it, from the later of its effective date and the co-signature date. Until then the version before it
  (signed and co-signed) stays in force; with none, no plan is in force.
* A version stays in force until the next version is in force (a review opens a draft, and the reviewed plan still
  governs treatment until the next version is signed - and co-signed where required).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trellis.careplans import schedule

SOURCE = "42 CFR 424.24(e)(1)(ii); 42 CFR 410.43(a)(3)"
COSIGN_SOURCE = "42 CFR 424.24(e)(2)(i) (plan established and periodically reviewed by a physician)"


def cosign_required(program: Any) -> bool:
    """Whether the program's plans need the physician's co-signature: exactly when it requires physician
    certification and its level has a certification rule (as services.program_certification_rule; no query)."""
    return bool(program.requires_certification) and schedule.rule_for_level(program.level_of_care) is not None


@dataclass(frozen=True, slots=True)
class VersionFacts:
    version: int
    effective_on: dt.date
    clinician_signed: bool
    physician_signed_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Window:
    version: int
    start: dt.date
    end: dt.date | None  # exclusive; None: still in force


def starts_on(v: VersionFacts, *, cosign_required: bool) -> dt.date | None:
    """The day a version comes into force, or None while it cannot (unsigned, or awaiting the physician)."""
    if not v.clinician_signed:
        return None
    if not cosign_required:
        return v.effective_on
    if v.physician_signed_on is None:
        return None
    return max(v.effective_on, v.physician_signed_on)


def windows(versions: Sequence[VersionFacts], *, cosign_required: bool) -> list[Window]:
    """The in-force window of each version that ever came into force, in version order."""
    started = sorted((v.version, s) for v in versions
                      if (s := starts_on(v, cosign_required=cosign_required)) is not None)
    out = []
    for i, (version, start) in enumerate(started):
        end = started[i + 1][1] if i + 1 < len(started) else None
        if end is None or end > start:
            out.append(Window(version, start, end))
    return out


def version_on(versions: Sequence[VersionFacts], day: dt.date, *, cosign_required: bool) -> int | None:
    """The version in force on `day`, or None."""
    for w in windows(versions, cosign_required=cosign_required):
        if w.start <= day and (w.end is None or day < w.end):
            return w.version
    return None


def awaiting_cosign(versions: Sequence[VersionFacts], day: dt.date, *, cosign_required: bool) -> list[int]:
    """Versions signed by the clinician and effective by `day` that the physician had not co-signed by then."""
    if not cosign_required:
        return []
    return [v.version for v in versions if v.clinician_signed and v.effective_on <= day
            and (v.physician_signed_on is None or v.physician_signed_on > day)]
