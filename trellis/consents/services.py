"""Consent, release, revocation and disclosure writes (rules: trellis.consents.part2)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import TYPE_CHECKING, Any

from django.db import transaction

from trellis.audit.services import AuditAction, record
from trellis.consents import part2, scope, signatures
from trellis.consents.models import (
    Consent,
    ConsentKind,
    ConsentRequirement,
    ConsentStatus,
    ConsentText,
    Disclosure,
    NoticeReceipt,
    PatientNotice,
)
from trellis.core import formats
from trellis.core.clock import local_date, now, today_in
from trellis.core.errors import DomainError

if TYPE_CHECKING:
    from trellis.accounts.models import User

RELEASE_FIELDS = (
    "discloser", "recipient_name", "recipient_source", "recipient_address", "information", "purpose",
    "expires_on", "expiration_event", "revocation_statement", "redisclosure_statement", "conditioning_statement",
    "categories", "scope", "recipient_classes", "irrevocable_until", "minor_basis",
)

DEFAULT_TEXTS: dict[str, tuple[str, str]] = {
    ConsentKind.TREATMENT: (
        "Consent to treatment",
        "I consent to assessment and treatment in this program, including group and individual therapy, "
        "medication management and case management. I understand the program's attendance expectations, "
        "that I may ask questions at any time, and that I may withdraw my consent to treatment.",
    ),
    ConsentKind.TELEHEALTH: (
        "Telehealth consent",
        "I consent to receive services by secure video or telephone. I understand the limits of "
        "telehealth, that I should join from a private place, how to reach the program if the connection "
        "fails, and that I may ask for in-person services.",
    ),
    ConsentKind.FINANCIAL: (
        "Financial responsibility",
        "I understand that I am responsible for charges not paid by my insurance, including deductibles, "
        "copayments and coinsurance, and I authorize the program to bill my insurance on my behalf.",
    ),
    ConsentKind.RELEASE: (
        "Authorization to release information",
        "I authorize the program named below to disclose the information described below to the recipient "
        "named below, for the purpose stated, until the expiration date or event stated. "
        + part2.DEFAULT_REVOCATION_STATEMENT,
    ),
    ConsentKind.PART2: (
        "Consent to disclose substance use disorder records (42 CFR Part 2)",
        "I consent to the disclosure of my substance use disorder treatment records as described below. "
        "These records are protected by federal confidentiality rules (42 CFR part 2). "
        + part2.DEFAULT_REVOCATION_STATEMENT,
    ),
    ConsentKind.PART2_NOTICE: (
        "Notice of federal confidentiality of substance use disorder records (42 CFR 2.22)",
        "I received a written notice that federal law (42 CFR part 2) protects the confidentiality of my "
        "substance use disorder treatment records: the program may disclose them only with my written consent "
        "or as the regulations allow (for example medical emergencies, court orders, or reports of suspected "
        "child abuse); a violation may be reported to the authorities named in the notice; and how I can get a "
        "copy of my records and an accounting of disclosures. (Content per 42 CFR 2.22 as amended 2024 - to "
        "confirm against the regulation.)",
    ),
}
# A drawn signature is kept as SVG path data made of move/line commands only (rendered inline, never as HTML).
_PATH_RE = re.compile(r"[ML0-9 .,\-]*")
DEFAULT_REQUIRED_FOR_ADMISSION = (ConsentKind.TREATMENT, ConsentKind.FINANCIAL)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def ensure_default_texts(*, organization: Any) -> dict[str, ConsentText]:
    """Version 1 of each consent text for an organization (idempotent)."""
    result = {}
    with transaction.atomic():
        for kind, (title, body) in DEFAULT_TEXTS.items():
            text = ConsentText.objects.filter(organization=organization, kind=kind, active=True).order_by(
                "-created_at"
            ).first()
            if text is None:
                text = ConsentText.objects.create(
                    organization=organization, kind=kind, version="1", title=title, body=body, sha256=_digest(body)
                )
            result[kind] = text
    return result


def publish_text(*, organization: Any, kind: str, version: str, title: str, body: str, created_by: User) -> ConsentText:
    if not body.strip():
        raise DomainError("Enter the consent text.", field="body")
    with transaction.atomic():
        if ConsentText.objects.filter(organization=organization, kind=kind, version=version).exists():
            raise DomainError("This version already exists; use a new version label.", field="version")
        ConsentText.objects.filter(organization=organization, kind=kind, active=True).update(active=False)
        text = ConsentText.objects.create(
            organization=organization, kind=kind, version=version, title=title, body=body, sha256=_digest(body),
            created_by=created_by,
        )
        record(action=AuditAction.CREATE, obj=text, actor=created_by)
    return text


def render_signed_text(consent: Consent) -> str:
    """The exact text presented for signature: the template body plus the release particulars."""
    text = consent.text
    lines = [f"{text.title} (version {text.version})", "", text.body]
    if ConsentKind.is_release(consent.kind):
        lines += [
            "",
            f"Patient: {consent.patient.legal_first_name} {consent.patient.legal_last_name}",
            f"Who may disclose: {consent.discloser}",
            f"Recipient: {consent.recipient_name}" + (f", {consent.recipient_address}" if consent.recipient_address
                                                      else ""),
            f"Information to be disclosed: {consent.information}" if consent.information else
            "Information to be disclosed:",
            "Categories: " + ", ".join(scope.CATEGORIES.get(c, c) for c in (consent.categories or [scope.ALL])),
            f"Purpose: {consent.purpose}",
            "Expires: " + (consent.expires_on.isoformat() if consent.expires_on else consent.expiration_event),
            f"Right to revoke: {consent.revocation_statement}",
        ]
        if consent.redisclosure_statement:
            lines.append(f"Redisclosure: {consent.redisclosure_statement}")
        if consent.conditioning_statement:
            lines.append(f"Conditioning: {consent.conditioning_statement}")
        if consent.minor_basis:
            lines.append(f"Signing for a minor: {scope.MINOR_BASES[consent.minor_basis]}")
    return "\n".join(lines)


def _age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _apply_scope(patient: Any, site: Any, kind: str, release: dict[str, Any]) -> None:
    """Categories, consent type (specific / TPO / 2.35) and the 2.14 basis for a minor (trellis.consents.scope)."""
    explicit = bool(release.get("categories"))
    categories = list(release.get("categories") or [scope.ALL])
    bad = [c for c in categories if c not in scope.CATEGORIES]
    if bad:
        raise DomainError(f"Unknown category of information: {', '.join(bad)} ({scope.SCOPE_SOURCE}).",
                          field="categories")
    release["categories"] = categories
    if explicit and not (release.get("information") or "").strip():
        # The categories are the specific and meaningful description 2.31(a)(3) asks for.
        release["information"] = "; ".join(scope.CATEGORIES[c] for c in categories)
    kind_scope = release.get("scope") or scope.ConsentScope.SPECIFIC
    if kind_scope not in scope.ConsentScope.values:
        raise DomainError("Choose the type of consent.", field="scope")
    release["scope"] = kind_scope
    if kind_scope != scope.ConsentScope.SPECIFIC and kind != ConsentKind.PART2:
        raise DomainError("TPO and criminal-justice consents are 42 CFR Part 2 consents.", field="scope")
    if kind_scope == scope.ConsentScope.TPO:
        classes = list(release.get("recipient_classes") or [])
        if not classes or any(c not in scope.TPO_CLASSES for c in classes):
            raise DomainError("A TPO consent names its recipients as a class: choose treating providers, health "
                              "plans and/or health-care operations (42 CFR 2.31(a)(4)(i), 2.33).",
                              field="recipient_classes")
        release["recipient_classes"] = classes
        if not (release.get("recipient_name") or "").strip():
            release["recipient_name"] = "; ".join(scope.TPO_CLASSES[c][0] for c in classes)
        if not (release.get("purpose") or "").strip():
            release["purpose"] = ", ".join(scope.TPO_PURPOSES[scope.TPO_CLASSES[c][1]] for c in classes)
        release["conditioning_statement"] = scope.TPO_REFUSAL_STATEMENT
        release["redisclosure_statement"] = scope.TPO_REDISCLOSURE_STATEMENT
    elif release.get("recipient_classes"):
        raise DomainError("Only a TPO consent names a class of recipients.", field="recipient_classes")
    if kind_scope == scope.ConsentScope.COURT:
        until = release.get("irrevocable_until")
        if until is None:
            raise DomainError("A criminal-justice referral consent states until when it cannot be revoked "
                              "(42 CFR 2.35).", field="irrevocable_until")
        release["revocation_statement"] = scope.COURT_STATEMENT.format(until=formats.date(until))
        release.setdefault("expires_on", until)
    elif release.get("irrevocable_until"):
        raise DomainError("Only a criminal-justice referral consent (42 CFR 2.35) can be irrevocable.",
                          field="irrevocable_until")
    if kind == ConsentKind.PART2 and _age_on(patient.date_of_birth, today_in(site.zone)) < 18:
        if release.get("minor_basis") not in scope.MINOR_BASES:
            raise DomainError("The patient is a minor: record who signs under state law (42 CFR 2.14).",
                              field="minor_basis")
    elif release.get("minor_basis"):
        raise DomainError("The 42 CFR 2.14 basis is recorded only for minors' Part 2 consents.", field="minor_basis")


def create_consent(*, patient: Any, site: Any, kind: str, created_by: User, **release: Any) -> Consent:
    """A draft consent (not yet in force). Releases carry their particulars."""
    if kind not in ConsentKind.values:
        raise DomainError("Choose the kind of consent.", field="kind")
    unknown = set(release) - set(RELEASE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown fields: {sorted(unknown)}")
    if release and not ConsentKind.is_release(kind):
        raise DomainError("Only releases of information name a recipient.", field="kind")
    if patient.organization_id != site.organization_id:
        raise DomainError("That site belongs to another organization.")
    texts = ensure_default_texts(organization=site.organization)
    if ConsentKind.is_release(kind):
        release.setdefault("revocation_statement", part2.DEFAULT_REVOCATION_STATEMENT)
        if kind == ConsentKind.PART2:
            release.setdefault("redisclosure_statement", part2.DEFAULT_REDISCLOSURE_STATEMENT)
            release.setdefault("conditioning_statement", part2.DEFAULT_CONDITIONING_STATEMENT)
        release.setdefault("discloser", site.display_name or site.name)
        _apply_scope(patient, site, kind, release)
        expires_on = release.get("expires_on")
        if expires_on is not None and expires_on < today_in(site.zone):
            raise DomainError("The expiry date is in the past.", field="expires_on")
        source = release.get("recipient_source")
        if source is not None:
            if source.organization_id != site.organization_id:
                raise DomainError("Unknown recipient.", field="recipient_source")
            if not (release.get("recipient_name") or "").strip():
                release["recipient_name"] = source.name
            if not (release.get("recipient_address") or "").strip():
                release["recipient_address"] = source.address
        if not (release.get("recipient_name") or "").strip():
            raise DomainError("A release needs a recipient: name the person or organization.", field="recipient_name")
        if expires_on is None and not (release.get("expiration_event") or "").strip():
            raise DomainError("A release needs an expiry date or an expiry event.", field="expires_on")
    with transaction.atomic():
        consent = Consent.objects.create(
            patient=patient, site=site, kind=kind, text=texts[kind], status=ConsentStatus.DRAFT,
            created_by=created_by, **release,
        )
        record(action=AuditAction.CREATE, obj=consent, patient=patient, site=site, actor=created_by,
               detail={"kind": kind})
    return consent


def sign_consent(
    *,
    consent: Consent,
    signer_name: str,
    collected_by: User,
    ip_address: str | None,
    signer_relationship: str = "self",
    relationship_detail: str = "",
    signature_drawing: str = "",
    signed_at: dt.datetime | None = None,
) -> Consent:
    """E-signature: typed name (drawing optional), timestamp, IP and the exact text version signed.
    A release cannot become active while any required element is missing (42 CFR 2.31(a) for
    Part 2; 45 CFR 164.508(c) for other releases)."""
    if not signer_name.strip():
        raise DomainError("Type the signer's full name to sign.", field="signer_name")
    signer_relationship = signer_relationship or signatures.SELF
    if signer_relationship != signatures.SELF:
        problem = signatures.representative_problem(typed=signer_name, relationship_kind=signer_relationship,
                                                    relationship_detail=relationship_detail)
        if problem:
            field = "relationship_detail" if "related" in problem else "signer_name"
            raise DomainError(problem, field=field if signer_relationship in signatures.REPRESENTATIVE_KINDS
                              else "signer_relationship")
    if signature_drawing and (len(signature_drawing) > 20000 or not _PATH_RE.fullmatch(signature_drawing)):
        raise DomainError("The drawn signature could not be read; clear it and draw again (or sign by typing only).",
                          field="signature_drawing")
    with transaction.atomic():
        current = Consent.objects.select_for_update(of=("self",)).select_related("patient", "site", "text").get(pk=consent.pk)
        if current.status != ConsentStatus.DRAFT:
            raise DomainError("This consent is already signed; signed consents cannot change.")
        if signer_relationship == signatures.SELF:
            problem = signatures.typed_name_problem(
                typed=signer_name, legal_first=current.patient.legal_first_name,
                legal_last=current.patient.legal_last_name, preferred=current.patient.preferred_name,
            )
            if problem:
                raise DomainError(problem + " If someone else is signing for the patient, choose who they are.",
                                  field="signer_name")
        stamp = signed_at or now()
        signed_on = local_date(stamp, current.site.zone)
        if ConsentKind.is_release(current.kind):
            facts = part2.ConsentFacts(
                patient_name=f"{current.patient.legal_first_name} {current.patient.legal_last_name}".strip(),
                discloser=current.discloser,
                information=current.information,
                recipient=current.recipient_name,
                purpose=current.purpose,
                revocation_statement=current.revocation_statement,
                expires_on=current.expires_on,
                expiration_event=current.expiration_event,
                signature=signer_name,
                signed_on=signed_on,
                redisclosure_statement=current.redisclosure_statement,
                conditioning_statement=current.conditioning_statement,
            )
            missing = part2.missing_elements(facts, part2=current.kind == ConsentKind.PART2)
            if missing:
                raise DomainError(part2.describe_missing(missing))
            if current.expires_on is not None and current.expires_on < signed_on:
                raise DomainError("The expiry date is before the signature date.", field="expires_on")
        text = render_signed_text(current)
        current.signer_name = signer_name.strip()
        current.signer_relationship = (
            signer_relationship if signer_relationship == signatures.SELF
            else f"{signer_relationship}: {relationship_detail.strip()}"[:60]
        )
        current.signature_drawing = signature_drawing
        current.signed_at = stamp
        current.signed_on = signed_on
        current.signed_ip = ip_address
        current.signed_text = text
        current.signed_text_sha256 = _digest(text)
        current.collected_by = collected_by
        current.status = ConsentStatus.ACTIVE
        current.save()
        record(action=AuditAction.SIGN, obj=current, patient=current.patient, site=current.site,
               actor=collected_by, detail={"kind": current.kind, "text_sha256": current.signed_text_sha256,
                       "signed_by": signer_relationship})
    return current


def revoke_consent(*, consent: Consent, revoked_by: Any, note: str = "", revoked_at: dt.datetime | None = None
                   ) -> Consent:
    """Revocation stops future disclosures; disclosures already made stay on the accounting."""
    with transaction.atomic():
        current = Consent.objects.select_for_update(of=("self",)).select_related("site").get(pk=consent.pk)
        if current.status == ConsentStatus.REVOKED:
            raise DomainError("This consent is already revoked.")
        if current.status == ConsentStatus.DRAFT:
            raise DomainError("This consent was never signed; there is nothing to revoke.")
        stamp = revoked_at or now()
        if current.irrevocable_until and local_date(stamp, current.site.zone) < current.irrevocable_until:
            raise DomainError(f"This criminal-justice referral consent cannot be revoked until "
                              f"{formats.date(current.irrevocable_until)} (42 CFR 2.35).")
        current.status = ConsentStatus.REVOKED
        current.revoked_at = stamp
        current.revoked_on = local_date(stamp, current.site.zone)
        current.revocation_note = note[:300]
        current.revoked_by = revoked_by
        current.save()
        record(action=AuditAction.UPDATE, obj=current, patient=current.patient, site=current.site,
               actor=revoked_by, detail={"revoked": True})
    return current


def record_expiration_event(*, consent: Consent, occurred_on: dt.date, recorded_by: User) -> Consent:
    """The expiry event named on a release has happened (e.g. "end of treatment"): no disclosures from that day."""
    with transaction.atomic():
        current = Consent.objects.select_for_update(of=("self",)).select_related("site").get(pk=consent.pk)
        if not current.expiration_event:
            raise DomainError("This consent has no expiry event; it expires on its date.")
        if current.status != ConsentStatus.ACTIVE:
            raise DomainError("Only a signed, unrevoked consent can expire.")
        if current.signed_on and occurred_on < current.signed_on:
            raise DomainError("The event date is before the signature date.", field="occurred_on")
        if occurred_on > today_in(current.site.zone):
            raise DomainError("The event date is in the future.", field="occurred_on")
        current.expiration_event_on = occurred_on
        current.save()
        record(action=AuditAction.UPDATE, obj=current, patient=current.patient, site=current.site,
               actor=recorded_by, detail={"expiration_event": True})
    return current


def required_kinds(program: Any) -> list[str]:
    """Consents required before admission: the program's list (default: treatment + financial). A Part 2
    program must also give the patient the written confidentiality notice at admission (42 CFR 2.22), so the
    acknowledgment is always required there."""
    kinds = list(ConsentRequirement.objects.filter(program=program).values_list("kind", flat=True))
    kinds = kinds or list(DEFAULT_REQUIRED_FOR_ADMISSION)
    if program.is_part2 and ConsentKind.PART2_NOTICE not in kinds:
        kinds.append(ConsentKind.PART2_NOTICE)
    return kinds


def set_required_kinds(*, program: Any, kinds: list[str], changed_by: User) -> None:
    bad = set(kinds) - set(ConsentKind.values)
    if bad:
        raise DomainError("Unknown consent kind.", field="kinds")
    with transaction.atomic():
        ConsentRequirement.objects.filter(program=program).exclude(kind__in=kinds).delete()
        for kind in kinds:
            ConsentRequirement.objects.get_or_create(program=program, kind=kind)
        record(action=AuditAction.UPDATE, obj=program, actor=changed_by, detail={"required_consents": sorted(kinds)})


def missing_for_admission(*, patient: Any, program: Any, on: dt.date) -> list[str]:
    """Labels of the consents the program requires that the patient has not signed (in force on `on`)."""
    from trellis.consents.selectors import consents_in_force

    have = {c.kind for c in consents_in_force(patient, on=on)}
    return [ConsentKind(k).label for k in required_kinds(program) if k not in have]


def notice_for(*, part2_applies: bool) -> tuple[str, str]:
    """(notice text, version) that must accompany a disclosure (42 CFR 2.32(a)(1) for Part 2)."""
    if part2_applies:
        return part2.REDISCLOSURE_NOTICE, part2.REDISCLOSURE_NOTICE_VERSION
    return part2.CONFIDENTIALITY_NOTICE, "hipaa-164.508"


def require_release(
    *,
    patient: Any,
    part2_applies: bool,
    on: dt.date,
    recipient_source: Any = None,
    recipient_name: str = "",
    consent: Consent | None = None,
    tpo_purpose: str = "",
) -> Consent:
    """The release in force that allows a disclosure to this recipient, or DomainError. Part 2 records
    need a Part 2 consent naming the recipient (42 CFR 2.31, 2.33); a general release is not enough. A TPO
    consent matches by purpose (its recipient class), not by the recipient's name (2.31(a)(4)(i))."""
    from trellis.consents.selectors import find_release, find_tpo_consent

    if consent is None:
        consent = find_release(patient, recipient_source=recipient_source, recipient_name=recipient_name,
                               part2=part2_applies, on=on)
    if consent is None and tpo_purpose:
        consent = find_tpo_consent(patient, purpose=tpo_purpose, on=on)
    if consent is None:
        kind = "a 42 CFR Part 2 consent" if part2_applies else "a release of information"
        raise DomainError(
            f"No disclosure without {kind} in force that names this recipient. Ask the patient to sign one "
            "(Consents tab) first.",
            code="no_release",
        )
    if consent.patient_id != patient.pk:
        raise DomainError("That consent belongs to another patient.")
    if part2_applies and consent.kind != ConsentKind.PART2:
        raise DomainError("These records are protected by 42 CFR Part 2: a Part 2 consent is required; a general "
                          "release is not sufficient.", code="no_release")
    if not ConsentKind.is_release(consent.kind):
        raise DomainError("That consent is not a release of information.", code="no_release")
    if not consent.in_force_on(on):
        raise DomainError("That consent is not in force (expired, revoked or not signed).", code="no_release")
    return consent


def disclose(
    *,
    patient: Any,
    site: Any,
    purpose: str,
    information: str,
    method: str,
    document_title: str,
    disclosed_by: User,
    part2_applies: bool,
    recipient_name: str = "",
    recipient_source: Any = None,
    recipient_address: str = "",
    consent: Consent | None = None,
    episode: Any = None,
    content: bytes | None = None,
    on: dt.date | None = None,
    sections: list[str] | None = None,
    tpo_purpose: str = "",
) -> Disclosure:
    """Record one disclosure to an outside party in the accounting of disclosures (42 CFR 2.25 as
    amended 2024; 45 CFR 164.528), with the notice that accompanied it and the categories of information that
    went out. Refused without a release in force (see require_release), and refused when a requested section is
    not covered by the consent (42 CFR 2.31(a)(3), 2.13(a)); `sections` defaults to what the consent covers."""
    day = on or today_in(site.zone)
    consent = require_release(patient=patient, part2_applies=part2_applies, on=day,
                              recipient_source=recipient_source, recipient_name=recipient_name, consent=consent,
                              tpo_purpose=tpo_purpose)
    sent = check_sections(consent, sections)
    notice, notice_version = notice_for(part2_applies=part2_applies)
    with transaction.atomic():
        disclosure = Disclosure.objects.create(
            patient=patient, site=site, consent=consent, episode=episode, disclosed_at=now(),
            disclosed_by=disclosed_by, recipient_name=recipient_name or consent.recipient_name,
            recipient_address=recipient_address or consent.recipient_address, purpose=purpose or consent.purpose,
            information=information, method=method, document_title=document_title, is_part2=part2_applies,
            notice_text=notice, notice_version=notice_version,
            content_sha256=hashlib.sha256(content).hexdigest() if content else "", created_by=disclosed_by,
            sections=sent,
        )
        record(action=AuditAction.DISCLOSE, obj=disclosure, patient=patient, site=site, actor=disclosed_by,
               detail={"method": method, "part2": part2_applies, "consent": str(consent.public_id),
                       "sections": sent})
    return disclosure


def check_sections(consent: Consent, sections: list[str] | None) -> list[str]:
    """The sections a disclosure under `consent` may carry: all requested ones must be covered."""
    if sections is None:
        return list(consent.categories or [scope.ALL])
    unknown = [s for s in sections if s not in scope.CATEGORIES]
    if unknown:
        raise DomainError(f"Unknown category of information: {', '.join(unknown)}.", field="sections")
    allowed, missing = scope.covered(consent.categories, sections)
    if missing:
        raise DomainError(scope.uncovered_message(missing), field="sections", code="not_covered")
    return allowed


def emergency_disclosure(
    *,
    patient: Any,
    site: Any,
    recipient_name: str,
    recipient_affiliation: str,
    nature_of_emergency: str,
    information: str,
    disclosed_by: User,
    part2_applies: bool,
    method: str = "verbal",
    sections: list[str] | None = None,
    episode: Any = None,
    disclosed_at: dt.datetime | None = None,
) -> Disclosure:
    """Disclosure without consent to medical personnel in a bona fide medical emergency (42 CFR 2.51): recorded
    with the recipient and affiliation, who disclosed, the date and time and the nature of the emergency; it
    appears in the accounting of disclosures."""
    for value, field, what in ((recipient_name, "recipient_name", "the medical personnel who received it"),
                               (recipient_affiliation, "recipient_affiliation", "their affiliation"),
                               (nature_of_emergency, "nature_of_emergency", "the nature of the emergency"),
                               (information, "information", "what was disclosed")):
        if not (value or "").strip():
            raise DomainError(f"Record {what} ({scope.EMERGENCY_SOURCE}).", field=field)
    sent = list(dict.fromkeys(sections or [scope.ALL]))
    if any(s not in scope.CATEGORIES for s in sent):
        raise DomainError("Unknown category of information.", field="sections")
    notice, notice_version = notice_for(part2_applies=part2_applies)
    with transaction.atomic():
        disclosure = Disclosure.objects.create(
            patient=patient, site=site, consent=None, episode=episode, disclosed_at=disclosed_at or now(),
            disclosed_by=disclosed_by, recipient_name=recipient_name.strip(),
            recipient_affiliation=recipient_affiliation.strip(), purpose="Medical emergency (42 CFR 2.51)",
            information=information.strip(), method=method, document_title="Medical emergency disclosure",
            is_part2=part2_applies, notice_text=notice, notice_version=notice_version, sections=sent,
            emergency_nature=nature_of_emergency.strip(), created_by=disclosed_by,
        )
        record(action=AuditAction.DISCLOSE, obj=disclosure, patient=patient, site=site, actor=disclosed_by,
               detail={"emergency": True, "part2": part2_applies, "sections": sent})
    return disclosure


# ---------------------------------------------------------------- patient notice (42 CFR 2.22)
def default_notice_text(program: Any) -> str:
    """Plain-language notice headed with the program's name: uses, rights and complaints (42 CFR 2.22(b))."""
    return "\n\n".join([
        f"{program.name}: how we protect your substance use disorder records",
        "Federal law (42 CFR part 2) protects the records of your substance use disorder treatment here. In "
        "general we may not tell anyone outside the program that you attend, or share information that identifies "
        "you, unless you agree in writing.",
        "When we may share without your written consent: in a medical emergency; for research, audits and "
        "program evaluation under the rules' safeguards; to report suspected child abuse or neglect under state "
        "law; when a court order meets the rules in 42 CFR part 2 subpart E; and to report a crime on our premises "
        "or against our staff.",
        "Your rights: to consent in writing to specific disclosures, or to a single consent for treatment, payment "
        "and health-care operations; to revoke a consent in writing (except as already acted on); to ask us to "
        "restrict disclosures; to receive a list (accounting) of disclosures made with your consent for the past "
        "3 years; to see and get a copy of your records; and to be told of a breach.",
        "Complaints: you may complain to the program director, or to the Secretary of Health and Human Services "
        "(Office for Civil Rights). A suspected violation by an opioid treatment program may also be reported to "
        "the SAMHSA office responsible for opioid treatment program oversight. We will not retaliate against you "
        "for complaining.",
    ])


def publish_notice(*, program: Any, body: str, published_by: Any) -> PatientNotice:
    if not body.strip():
        raise DomainError("Enter the notice text (42 CFR 2.22).", field="body")
    with transaction.atomic():
        last = PatientNotice.objects.filter(program=program).order_by("-version").first()
        PatientNotice.objects.filter(program=program, active=True).update(active=False)
        notice = PatientNotice.objects.create(program=program, version=(last.version + 1) if last else 1,
                                              body=body.strip(), sha256=_digest(body.strip()), created_by=published_by)
        record(action=AuditAction.CREATE, obj=notice, site=program.site, actor=published_by,
               detail={"version": notice.version})
    return notice


def current_notice(program: Any) -> PatientNotice | None:
    return PatientNotice.objects.filter(program=program, active=True).order_by("-version").first()


def record_notice_receipt(*, patient: Any, program: Any, on: dt.date, recorded_by: User | None = None) -> NoticeReceipt:
    """At admission to a Part 2 program: which version of the program's notice the patient received (2.22)."""
    with transaction.atomic():
        notice = current_notice(program) or publish_notice(program=program, body=default_notice_text(program),
                                                           published_by=recorded_by)
        receipt = NoticeReceipt.objects.create(patient=patient, notice=notice, received_on=on, created_by=recorded_by)
        record(action=AuditAction.CREATE, obj=receipt, patient=patient, site=program.site, actor=recorded_by,
               detail={"notice_version": notice.version})
    return receipt
