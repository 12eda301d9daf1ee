"""Consent and disclosure reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import User
from trellis.consents import scope
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


def find_tpo_consent(patient: Any, *, purpose: str, on: dt.date) -> Consent | None:
    """A single TPO consent in force whose recipient class covers the purpose (42 CFR 2.31(a)(4)(i), 2.33)."""
    wanted = scope.tpo_class_for(purpose)
    if wanted is None:
        return None
    qs = Consent.objects.filter(patient=patient, kind=ConsentKind.PART2, status=ConsentStatus.ACTIVE,
                                scope=scope.ConsentScope.TPO).order_by("-signed_at")
    return next((c for c in qs if wanted in (c.recipient_classes or []) and c.in_force_on(on)), None)


def disclosures_for_patient(patient: Any, *, start: dt.date | None = None, end: dt.date | None = None
                            ) -> QuerySet[Disclosure]:
    """The accounting of disclosures (42 CFR 2.25; 45 CFR 164.528), optionally for a date range (inclusive)."""
    qs = Disclosure.objects.filter(patient=patient).select_related("disclosed_by", "consent", "site")
    if start is not None:
        qs = qs.filter(disclosed_at__date__gte=start)
    if end is not None:
        qs = qs.filter(disclosed_at__date__lte=end)
    return qs


def accounting_range(today: dt.date, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """Default: the 3 years before the request (45 CFR 164.528(a); 42 CFR 2.25)."""
    end = end or today
    default_start = end.replace(year=end.year - scope.ACCOUNTING_YEARS) if not (end.month == 2 and end.day == 29) \
        else end.replace(year=end.year - scope.ACCOUNTING_YEARS, day=28)
    return start or default_start, end


def find_releases(
    wanted: list[tuple[Any, str, dt.date]], *, part2: bool
) -> dict[tuple[int, str, dt.date], Consent | None]:
    """`find_release` for many (patient, recipient name, date) at once, in one query whatever their number
    (billing's scrubber checks a Part 2 consent naming the payer for every claim of a batch: 42 CFR 2.31/2.33).
    Keys are (patient id, recipient name as given, date); names match case-insensitively like `find_release`.
    A single TPO consent whose recipient class is the patient's health plans (42 CFR 2.31(a)(4)(i), 2.33)
    covers a payer it does not name: it is used when no consent names the recipient."""
    if not wanted:
        return {}
    kinds = [ConsentKind.PART2] if part2 else [ConsentKind.PART2, ConsentKind.RELEASE]
    names = {name.strip().lower() for _, name, _ in wanted if name.strip()}
    payment_class = scope.tpo_class_for("payment")
    by_key: dict[tuple[int, str], list[Consent]] = {}
    tpo: dict[int, list[Consent]] = {}
    for consent in (Consent.objects.filter(patient_id__in={p.pk for p, _, _ in wanted}, kind__in=kinds,
                                           status=ConsentStatus.ACTIVE)
                    .filter(~Q(recipient_name="") | Q(scope=scope.ConsentScope.TPO)).order_by("-signed_at")):
        if consent.scope == scope.ConsentScope.TPO and payment_class in (consent.recipient_classes or []):
            tpo.setdefault(consent.patient_id, []).append(consent)
        key = (consent.patient_id, consent.recipient_name.strip().lower())
        if key[1] and key[1] in names:
            by_key.setdefault(key, []).append(consent)
    out: dict[tuple[int, str, dt.date], Consent | None] = {}
    for patient, name, on in wanted:
        candidates = by_key.get((patient.pk, name.strip().lower()), []) if name.strip() else []
        found = next((c for c in candidates if c.in_force_on(on)), None)
        if found is None:
            found = next((c for c in tpo.get(patient.pk, []) if c.in_force_on(on)), None)
        out[(patient.pk, name, on)] = found
    return out
