"""The one way to load a site-scoped object for a user: outside the user's sites it does not exist (404)."""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from trellis.accounts.policies import sites_with

M = TypeVar("M", bound=Model)


def _as_uuid(value: Any) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (TypeError, ValueError):
        return None


def scope_to_sites(queryset: QuerySet[M], user: Any, capability: str, site_path: str) -> QuerySet[M]:
    site_ids = [site.pk for site in sites_with(user, capability)]
    return queryset.filter(**{f"{site_path}__in": site_ids})


def get_scoped_or_404(
    request: HttpRequest,
    queryset: QuerySet[M],
    public_id: Any,
    *,
    capability: str,
    site_path: str,
    patient_path: str | None = None,
) -> M:
    """Return the object if the user holds `capability` at its site; otherwise audit a denial and 404.

    A 404 (not 403) keeps the existence of another site's records private.
    """
    from trellis.audit.services import AuditAction, record

    uid = _as_uuid(public_id)
    if uid is None:
        raise Http404("Not found")
    obj = scope_to_sites(queryset, request.user, capability, site_path).filter(public_id=uid).first()
    if obj is not None:
        return obj
    outside = queryset.filter(public_id=uid).first()
    if outside is not None:
        patient = None
        if patient_path:
            patient = outside
            for part in patient_path.split("__"):
                patient = getattr(patient, part, None)
        record(
            action=AuditAction.DENIED,
            obj=outside,
            patient=patient,
            outcome="denied",
            detail={"reason": "outside site scope", "capability": capability},
        )
    raise Http404("Not found")


def get_patient_or_404(request: HttpRequest, public_id: Any, capability: str | None = None) -> Any:
    from trellis.accounts.capabilities import Cap
    from trellis.patients.models import Patient
    from trellis.patients.selectors import patients_for

    cap = capability or Cap.PATIENT_VIEW
    uid = _as_uuid(public_id)
    if uid is None:
        raise Http404("Not found")
    patient = patients_for(request.user, capability=cap).filter(public_id=uid).first()
    if patient is not None:
        return patient
    outside = Patient.objects.filter(public_id=uid).first()
    if outside is not None:
        from trellis.audit.services import AuditAction, record

        record(
            action=AuditAction.DENIED,
            obj=outside,
            patient=outside,
            outcome="denied",
            detail={"reason": "outside site scope", "capability": cap},
        )
    raise Http404("Not found")
