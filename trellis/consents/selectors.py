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
