"""The signed discharge summary: drafted, edited and signed by the clinician before the patient is discharged.

Rules and sources:
* A discharge summary with the services provided, the patient's clinical status at discharge and recommendations
  for aftercare - 42 CFR 485.914(e)(2) (CMHC conditions of participation) and 42 CFR 482.24(c)(4)(vii) (hospital
  medical record, for hospital-based PHP); required before the discharge is recorded (issue 11 part 9).
* It is authenticated by its author: who signed, credentials, when, and a hash of exactly what was signed; once
  signed it is never altered and corrections are signed addenda - CMS Medicare Program Integrity Manual
  (Pub. 100-08) ch. 3 §3.3.2.4 (signatures) and §3.3.2.5 (amendments, corrections and delayed entries).
* It reports the reconciled discharge medication list, so it is signed after the discharge reconciliation
  (TJC NPSG.03.06.01), and that list cannot change once the summary is signed.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction

from trellis.audit.services import AuditAction, record
from trellis.core.clock import now
from trellis.core.errors import ConflictError, DomainError
from trellis.core.hashing import content_hash, verify_hash
from trellis.episodes.models import (
    DischargeRecord,
    DischargeSummary,
    DischargeSummaryAddendum,
    Episode,
    EpisodeStatus,
    MedicationEntry,
    MedicationListKind,
    SummaryStatus,
)
from trellis.episodes.summary import facts_now

SOURCE = "42 CFR 485.914(e)(2); 42 CFR 482.24(c)(4)(vii)"
SIGNATURE_SOURCE = "CMS Pub. 100-08 ch. 3 §3.3.2.4-3.3.2.5"
NARRATIVE_FIELDS = {
    "course": "the services provided and the course of treatment",
    "condition": "the clinical status at discharge",
    "recommendations": "the recommendations and aftercare plan",
}
MAX_TEXT = 20000


class SummaryConflict(ConflictError):
    """Someone saved the draft after this user loaded it."""


def summary_payload(summary: DischargeSummary) -> dict[str, Any]:
    """What the signature covers: the summary and episode identity, the narrative and the facts as signed."""
    return {"summary": str(summary.public_id), "episode": str(summary.episode.public_id),
            "narrative": {k: getattr(summary, k) for k in NARRATIVE_FIELDS}, "facts": summary.facts}


def addendum_payload(addendum: DischargeSummaryAddendum, summary_hash: str) -> dict[str, Any]:
    return {"addendum": str(addendum.public_id), "summary_hash": summary_hash, "text": addendum.text}


def verify(summary: DischargeSummary) -> bool:
    """Recompute the signed summary's and its addenda's hashes from the stored content."""
    if summary.status != SummaryStatus.SIGNED:
        return False
    return verify_hash(summary_payload(summary), summary.content_hash) and all(
        verify_hash(addendum_payload(a, summary.content_hash), a.content_hash) for a in summary.addenda.all())


def signed_summary(episode: Episode) -> DischargeSummary | None:
    return DischargeSummary.objects.filter(episode=episode, status=SummaryStatus.SIGNED).first()


def discharge_problem(episode: Episode) -> str | None:
    """What blocks a discharge on the summary's side: it must be signed."""
    if signed_summary(episode) is None:
        return (f"Sign the discharge summary first (Discharge summary page): a discharge needs the clinician's signed "
                f"summary of services, status at discharge and aftercare ({SOURCE}).")
    return None


def _signer(user: Any) -> tuple[str, str]:
    profile = getattr(user, "profile", None)
    return user.display_name, (getattr(profile, "credentials", "") or "") if profile else ""


def _may_write(episode: Episode) -> None:
    """An open episode, or one discharged before signed summaries were required (its summary is signed late)."""
    if episode.status == EpisodeStatus.PLANNED:
        raise DomainError("The patient is not admitted yet.")
    if episode.status == EpisodeStatus.DISCHARGED and not DischargeRecord.objects.filter(episode=episode).exists():
        raise DomainError("This episode has no discharge to summarise.")


def start_summary(*, episode: Episode, user: Any) -> DischargeSummary:
    """The episode's discharge summary, created as an empty draft the first time (a POST: a GET never writes)."""
    with transaction.atomic():
        Episode.objects.select_for_update().filter(pk=episode.pk).first()
        existing = DischargeSummary.objects.filter(episode=episode).first()
        if existing is not None:
            return existing
        _may_write(episode)
        summary = DischargeSummary.objects.create(episode=episode, created_by=user)
        record(action=AuditAction.CREATE, obj=summary, patient=episode.patient, site=episode.program.site,
               actor=user, detail={"discharge_summary": "draft"})
    return summary


def _clean(text: Any, key: str) -> str:
    value = str(text or "").strip()
    if len(value) > MAX_TEXT:
        raise DomainError(f"Keep {NARRATIVE_FIELDS[key]} under {MAX_TEXT} characters.", field=key)
    return value


def save_draft(*, summary: DischargeSummary, user: Any, expected_version: int, course: str = "", condition: str = "",
               recommendations: str = "") -> DischargeSummary:
    """Save the draft's narrative. Strict version check: a save based on an older version is refused
    (SummaryConflict) so nobody overwrites another person's text unseen."""
    values = {"course": _clean(course, "course"), "condition": _clean(condition, "condition"),
              "recommendations": _clean(recommendations, "recommendations")}
    with transaction.atomic():
        current = DischargeSummary.objects.select_for_update().select_related(
            "episode__patient", "episode__program__site").get(pk=summary.pk)
        if current.status == SummaryStatus.SIGNED:
            raise DomainError("The discharge summary is signed and cannot be changed; add an addendum "
                              f"({SIGNATURE_SOURCE}).")
        if current.version != expected_version:
            raise SummaryConflict("Someone saved this summary after you opened it. Their text is shown; make your "
                                  "changes again.", code="conflict")
        changed = [k for k, v in values.items() if getattr(current, k) != v]
        for key, value in values.items():
            setattr(current, key, value)
        current.version += 1
        current.save()
        record(action=AuditAction.UPDATE, obj=current, patient=current.episode.patient,
               site=current.episode.program.site, actor=user, detail={"fields": changed})
    return current


def sign(*, summary: DischargeSummary, user: Any, expected_version: int, **narrative: str) -> DischargeSummary:
    """Save what is in the form and sign it, all or nothing: every narrative part is required, the discharge
    medications must be reconciled first (an open episode), and the facts are frozen as they are now."""
    with transaction.atomic():
        current = save_draft(summary=summary, user=user, expected_version=expected_version, **narrative)
        current = DischargeSummary.objects.select_for_update().select_related(
            "episode__patient", "episode__program__site").get(pk=current.pk)
        episode = current.episode
        missing = [label for key, label in NARRATIVE_FIELDS.items() if not getattr(current, key)]
        if missing:
            raise DomainError(f"The summary cannot be signed yet: describe {', '.join(missing)} ({SOURCE}).",
                              field=next(k for k in NARRATIVE_FIELDS if not getattr(current, k)))
        if episode.status == EpisodeStatus.ACTIVE and not MedicationEntry.objects.filter(
                episode=episode, list_kind=MedicationListKind.DISCHARGE).exists():
            raise DomainError("Reconcile the discharge medication list before signing: the summary reports it "
                              "(TJC NPSG.03.06.01).", code="medications")
        # Round-trip through JSON so the hash covers exactly what the database will give back.
        current.facts = json.loads(json.dumps(facts_now(episode)))
        name, credentials = _signer(user)
        current.status = SummaryStatus.SIGNED
        current.signed_by = user
        current.signer_name = name
        current.signer_credentials = credentials
        current.signed_at = now()
        current.content_hash = content_hash(summary_payload(current))
        current.version += 1
        current.save()
        record(action=AuditAction.SIGN, obj=current, patient=episode.patient, site=episode.program.site, actor=user,
               detail={"content_hash": current.content_hash})
    return current


def add_addendum(*, summary: DischargeSummary, user: Any, text: str) -> DischargeSummaryAddendum:
    """A signed addendum to a signed summary (the summary itself never changes)."""
    text = str(text or "").strip()
    if not text:
        raise DomainError("Write the addendum.", field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(f"Keep the addendum under {MAX_TEXT} characters.", field="text")
    with transaction.atomic():
        current = DischargeSummary.objects.select_for_update().select_related(
            "episode__patient", "episode__program__site").get(pk=summary.pk)
        if current.status != SummaryStatus.SIGNED:
            raise DomainError("The summary is still a draft: edit it instead of adding an addendum.")
        name, credentials = _signer(user)
        addendum = DischargeSummaryAddendum(summary=current, text=text, signed_by=user, signer_name=name,
                                            signer_credentials=credentials, signed_at=now(), created_by=user)
        addendum.content_hash = content_hash(addendum_payload(addendum, current.content_hash))
        addendum.save()
        record(action=AuditAction.SIGN, obj=addendum, patient=current.episode.patient,
               site=current.episode.program.site, actor=user, detail={"addendum_to": str(current.public_id)})
    return addendum
