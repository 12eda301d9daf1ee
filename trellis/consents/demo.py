"""Demo consents: treatment + financial for every admitted patient (signed on admission), telehealth for
some, 42 CFR Part 2 consents naming the referral source for SUD-program patients (a few revoked), HIPAA
releases (some expired), and disclosures with their notices. Bulk inserts."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from trellis.consents import part2
from trellis.consents.models import (
    Consent,
    ConsentKind,
    ConsentStatus,
    Disclosure,
    DisclosureMethod,
    NoticeReceipt,
)
from trellis.consents.services import (
    create_consent,
    default_notice_text,
    emergency_disclosure,
    ensure_default_texts,
    publish_notice,
    sign_consent,
)
from trellis.core.demo import DemoContext
from trellis.patients.models import FlagKind, PatientFlag
from trellis.referrals.models import Referral


def _at(day: dt.date, zone, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone).astimezone(dt.UTC)


def seed(ctx: DemoContext) -> None:
    rng, org = ctx.rng, ctx.org
    texts = ensure_default_texts(organization=org)
    staff = ctx.staff.get("therapist", []) + ctx.staff.get("case_manager", [])
    # Episodes come from the episodes demo (seeded before consents); no import of the layer above.
    first: dict[int, Any] = {}
    part2_patients: set[int] = set()
    for e in sorted(ctx.extra.get("episodes", []), key=lambda e: e.admitted_on):
        first.setdefault(e.patient_id, e)
        if e.program.is_part2:
            part2_patients.add(e.patient_id)
    sources = {r.patient_id: r.source for r in Referral.objects.filter(organization=org, patient__isnull=False)
               .select_related("source")}
    consents: list[Consent] = []

    def signed(patient, site, kind, day, **extra) -> Consent:
        text = texts[kind]
        body = f"{text.title} (version {text.version})\n\n{text.body}"
        c = Consent(
            patient=patient, site=site, kind=kind, status=ConsentStatus.ACTIVE, text=text,
            signer_name=patient.legal_name, signed_at=_at(day, site.zone), signed_on=day, signed_ip="10.0.0.20",
            signed_text=body, signed_text_sha256=hashlib.sha256(body.encode()).hexdigest(),
            collected_by=rng.choice(staff) if staff else None, **extra,
        )
        consents.append(c)
        return c

    releases: list[tuple[Consent, Any]] = []
    for patient_id, episode in first.items():
        patient, site, day = episode.patient, episode.program.site, episode.admitted_on
        signed(patient, site, ConsentKind.TREATMENT, day)
        signed(patient, site, ConsentKind.FINANCIAL, day)
        if patient_id in part2_patients:
            signed(patient, site, ConsentKind.PART2_NOTICE, day)
        if rng.random() < 0.4:
            signed(patient, site, ConsentKind.TELEHEALTH, day)
        source = sources.get(patient_id)
        if source is None or source.kind == "self_family":
            continue
        is_p2 = patient_id in part2_patients
        if is_p2 or rng.random() < 0.5:
            kind = ConsentKind.PART2 if is_p2 else ConsentKind.RELEASE
            expires = day + dt.timedelta(days=rng.choice([90, 180, 365, 20]))
            c = signed(
                patient, site, kind, day, discloser=site.display_name or site.name, recipient_name=source.name,
                recipient_source=source, recipient_address=source.address,
                information="Admission and discharge dates, attendance, diagnoses, aftercare plan",
                purpose="Coordination of care with the referring provider", expires_on=expires,
                # what the consent covers (42 CFR 2.31(a)(3)): court referrals see attendance only
                categories=["attendance"] if source.kind == "court" else ["attendance", "diagnoses",
                                                                          "discharge_summary"],
                revocation_statement=part2.DEFAULT_REVOCATION_STATEMENT,
                redisclosure_statement=part2.DEFAULT_REDISCLOSURE_STATEMENT if is_p2 else "",
                conditioning_statement=part2.DEFAULT_CONDITIONING_STATEMENT if is_p2 else "",
            )
            if is_p2 and rng.random() < 0.15:
                c.status = ConsentStatus.REVOKED
                c.revoked_on = min(ctx.today, day + dt.timedelta(days=10))
                c.revoked_at = _at(c.revoked_on, site.zone, 15)
                c.revocation_note = "Patient revoked in writing"
            releases.append((c, episode))
    # a few drafts waiting for signature (patients not yet admitted)
    for patient in [p for p in ctx.patients if p.pk not in first][:10]:
        consents.append(Consent(patient=patient, site=patient.primary_site, kind=ConsentKind.TREATMENT,
                                status=ConsentStatus.DRAFT, text=texts[ConsentKind.TREATMENT]))
    Consent.objects.bulk_create(consents, batch_size=2000)

    PatientFlag.objects.bulk_create(
        [PatientFlag(patient_id=pid, kind=FlagKind.PART2, label="42 CFR Part 2 records") for pid in part2_patients],
        batch_size=2000,
    )

    disclosures = []
    for consent, episode in releases:
        if rng.random() > 0.35:
            continue
        day = min(ctx.today, episode.admitted_on + dt.timedelta(days=2))
        if consent.revoked_on and day >= consent.revoked_on:
            continue
        if consent.expires_on and day > consent.expires_on:
            continue
        is_p2 = consent.kind == ConsentKind.PART2
        disclosures.append(Disclosure(
            patient=episode.patient, site=episode.program.site, consent=consent, episode=episode,
            disclosed_at=_at(day, episode.program.site.zone, 14), disclosed_by=consent.collected_by,
            recipient_name=consent.recipient_name, recipient_address=consent.recipient_address,
            purpose=consent.purpose, information="Admission notice: program and admission date",
            method=DisclosureMethod.LETTER, document_title="Letter to referral source", is_part2=is_p2,
            notice_text=part2.REDISCLOSURE_NOTICE if is_p2 else part2.CONFIDENTIALITY_NOTICE,
            notice_version=part2.REDISCLOSURE_NOTICE_VERSION if is_p2 else "hipaa-164.508",
            sections=["attendance"],
        ))
    Disclosure.objects.bulk_create([d for d in disclosures if d.disclosed_by_id], batch_size=2000)
    tpo = _tpo_and_notices(ctx, first, part2_patients, texts, staff)
    ctx.say(f"{len(consents)} consents ({len(releases)} releases), {len(disclosures)} disclosures, {tpo}.")


def _tpo_and_notices(ctx: DemoContext, first: dict[int, Any], part2_patients: set[int], texts: dict,
                     staff: list) -> str:
    """Through the services, as staff would: each Part 2 program's patient notice (42 CFR 2.22) with the
    version its patients received, one single TPO consent (2.31(a)(4)(i), 2.33) and one medical-emergency
    disclosure (2.51)."""
    programs = {e.program.pk: e.program for e in first.values() if e.program.is_part2}
    by = staff[0] if staff else None
    receipts = []
    for program in programs.values():
        notice = publish_notice(program=program, body=default_notice_text(program), published_by=by)
        receipts += [NoticeReceipt(patient=e.patient, notice=notice, received_on=e.admitted_on, created_by=by)
                     for pid, e in first.items() if pid in part2_patients and e.program.pk == program.pk]
    NoticeReceipt.objects.bulk_create(receipts, batch_size=2000)
    episode = next((e for pid, e in first.items() if pid in part2_patients and e.discharged_on is None), None)
    if episode is None or by is None:
        return f"{len(receipts)} notice receipts"
    site = episode.program.site
    tpo = create_consent(patient=episode.patient, site=site, kind=ConsentKind.PART2, created_by=by, scope="tpo",
                         recipient_classes=["treating_providers", "health_plans"],
                         categories=["diagnoses", "medications", "attendance", "plan_progress"],
                         expiration_event="End of treatment")
    sign_consent(consent=tpo, signer_name=episode.patient.legal_name, collected_by=by, ip_address="10.0.0.20")
    emergency_disclosure(patient=episode.patient, site=site, recipient_name="Dr. Ortiz (emergency physician)",
                         recipient_affiliation="Albany Medical Center emergency department",
                         nature_of_emergency="Patient collapsed in group; suspected opioid overdose, naloxone given",
                         information="Current medications, SUD diagnosis, allergies", sections=["medications",
                                                                                             "diagnoses"],
                         disclosed_by=by, part2_applies=True, episode=episode)
    return f"{len(receipts)} notice receipts, 1 TPO consent, 1 emergency disclosure"
