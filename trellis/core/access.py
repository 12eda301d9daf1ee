"""The one access primitive: which rows of a site-scoped model a user may see, and loading one of them.

Every site-scoped model declares its path to the site once, as class attributes, and uses a manager built on
`ScopedQuerySet`:

    class Episode(BaseModel):
        site_path = "program__site"      # ORM path from this model to accounts.Site
        patient_path = "patient"         # attribute path to the patient (for audit events); None if none
        objects = ScopedManager()

Lists call `Episode.objects.restrict(user, capability)`; single objects `get_scoped_or_404(request, Episode,
public_id, capability=...)`. Outside the user's sites an object does not exist: 404, never 403, so another
site's records stay private (HIPAA minimum necessary, 45 CFR 164.502(b)), and the denial is audited.

core is the lowest layer, so it knows neither who holds which capability (accounts) nor how an event is
written (audit): those apps plug in through `register_site_resolver` and `register_audit_hooks` from their
`AppConfig.ready()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from uuid import UUID

from django.db import models
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

M = TypeVar("M", bound=Model)

SiteResolver = Callable[[Any, str], Iterable[int]]
AuditHook = Callable[..., Any]

_site_resolver: SiteResolver | None = None
_record_read: AuditHook | None = None
_record_denial: AuditHook | None = None


def register_site_resolver(resolver: SiteResolver) -> None:
    """`resolver(user, capability)` -> ids of the sites where the user holds the capability (accounts)."""
    global _site_resolver
    _site_resolver = resolver


def register_audit_hooks(*, read: AuditHook, denial: AuditHook) -> None:
    """`read(obj=, patient=, capability=)` and `denial(obj=, patient=, capability=)` write events (audit)."""
    global _record_read, _record_denial
    _record_read, _record_denial = read, denial


def site_ids_for(user: Any, capability: str) -> list[int]:
    if _site_resolver is None:  # pragma: no cover - accounts is always installed; fail closed if not
        return []
    return list(_site_resolver(user, capability))


class ScopedQuerySet(QuerySet[M]):
    def restrict(self, user: Any, capability: str) -> ScopedQuerySet[M]:
        """Only the rows at sites where `user` holds `capability` (none for anonymous or inactive users)."""
        site_ids = site_ids_for(user, capability)
        if not site_ids:
            return self.none()
        return self.at_sites(site_ids)

    def at_sites(self, site_ids: Iterable[int]) -> ScopedQuerySet[M]:
        """Rows belonging to these sites. Models whose site path is multi-valued override this (Patient)."""
        path = getattr(self.model, "site_path", None)
        if not path:
            raise TypeError(f"{self.model.__name__} declares no site_path; it cannot be site-scoped")
        return self.filter(**{f"{path}__in": list(site_ids)})


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):  # type: ignore[misc]
    pass


def as_uuid(value: Any) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def patient_of(obj: Any) -> Any:
    """Follow the model's declared `patient_path` (dotted by `__`); the object itself for a Patient."""
    path = getattr(type(obj), "patient_path", None)
    if path is None:
        return None
    if path == "self":
        return obj
    value = obj
    for part in path.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def get_scoped_or_404(
    request: HttpRequest,
    model_or_queryset: type[M] | QuerySet[M],
    public_id: Any,
    *,
    capability: str,
    audit_read: bool = False,
) -> M:
    """The object with this public id if the user holds `capability` at its site; otherwise 404.

    A denial for an object that exists elsewhere is audited (who tried to open what). With `audit_read` the
    successful load writes a read event too, for pages whose only patient data is this object.
    """
    queryset = (
        model_or_queryset
        if isinstance(model_or_queryset, QuerySet)
        else model_or_queryset._default_manager.all()
    )
    if not isinstance(queryset, ScopedQuerySet):
        raise TypeError(f"{queryset.model.__name__} has no ScopedManager; declare site_path and objects")
    uid = as_uuid(public_id)
    if uid is None:
        raise Http404("Not found")
    obj = queryset.restrict(request.user, capability).filter(public_id=uid).first()
    if obj is not None:
        if audit_read and _record_read is not None:
            _record_read(obj=obj, patient=patient_of(obj), capability=capability)
        return obj
    outside = queryset.model._base_manager.filter(public_id=uid).first()
    if outside is not None and _record_denial is not None:
        _record_denial(obj=outside, patient=patient_of(outside), capability=capability)
    raise Http404("Not found")
