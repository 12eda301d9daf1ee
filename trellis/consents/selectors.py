"""Consent and disclosure reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import User
from trellis.consents.models import Consent, ConsentKind, ConsentStatus, Disclosure


def consents_for_patient(patient: Any) -> QuerySet[Consent]:
    return Consent.objects.filter(patient=patient).select_related("text", "collected_by", "recipient_source", "site")


def consents_scope(user: User, capability: str = Cap.PATIENT_VIEW) -> QuerySet[Consent]:
    return Consent.objects.restrict(user, capability).select_related(
        "patient", "site", "text"
    )


def consents_in_force(patient: Any, *, on: dt.date) -> list[Consent]:
    candidates = Consent.objects.filter(patient=patient).exclude(status=ConsentStatus.DRAFT).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=on)
    )
    return [c for c in candidates if c.in_force_on(on)]


def find_release(
    patient: Any, *, recipient_source: Any = None, recipient_name: str = "", part2: bool, on: dt.date
) -> Consent | None:
    """A release in force on `on` naming the recipient (by referral-source link or exact name).
    When `part2` is true only a Part 2 consent qualifies."""
    kinds = [ConsentKind.PART2] if part2 else [ConsentKind.PART2, ConsentKind.RELEASE]
    qs = Consent.objects.filter(patient=patient, kind__in=kinds, status=ConsentStatus.ACTIVE)
    match = Q()
    if recipient_source is not None:
        match |= Q(recipient_source=recipient_source)
    if recipient_name.strip():
        match |= Q(recipient_name__iexact=recipient_name.strip())
    if not match:
        return None
    for consent in qs.filter(match).order_by("-signed_at"):
        if consent.in_force_on(on):
            return consent
    return None


def disclosures_for_patient(patient: Any) -> QuerySet[Disclosure]:
    return Disclosure.objects.filter(patient=patient).select_related("disclosed_by", "consent", "site")


def find_releases(
    wanted: list[tuple[Any, str, dt.date]], *, part2: bool
) -> dict[tuple[int, str, dt.date], Consent | None]:
    """`find_release` for many (patient, recipient name, date) at once, in one query whatever their number
    (billing's scrubber checks a Part 2 consent naming the payer for every claim of a batch: 42 CFR 2.31/2.33).
    Keys are (patient id, recipient name as given, date); names match case-insensitively like `find_release`."""
    if not wanted:
        return {}
    kinds = [ConsentKind.PART2] if part2 else [ConsentKind.PART2, ConsentKind.RELEASE]
    names = {name.strip().lower() for _, name, _ in wanted if name.strip()}
    by_key: dict[tuple[int, str], list[Consent]] = {}
    if names:
        for consent in (Consent.objects.filter(patient_id__in={p.pk for p, _, _ in wanted}, kind__in=kinds,
                                               status=ConsentStatus.ACTIVE)
                        .exclude(recipient_name="").order_by("-signed_at")):
            key = (consent.patient_id, consent.recipient_name.strip().lower())
            if key[1] in names:
                by_key.setdefault(key, []).append(consent)
    out: dict[tuple[int, str, dt.date], Consent | None] = {}
    for patient, name, on in wanted:
        candidates = by_key.get((patient.pk, name.strip().lower()), []) if name.strip() else []
        out[(patient.pk, name, on)] = next((c for c in candidates if c.in_force_on(on)), None)
    return out
